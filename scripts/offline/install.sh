#!/usr/bin/env bash
# xuncha @VERSION@ 离线安装（不联网、不访问任何软件源）。
#   bash install.sh            安装到本文件夹旁边的 xuncha/
#   bash install.sh /opt/xuncha  安装到指定文件夹
# 结果：<目标>/.venv/bin/xuncha。需要 Python @PYTHON@（x86-64 或 ARM64，glibc ≥ 2.28）。
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET="${1:-$HERE/../xuncha}"
mkdir -p "$TARGET"
TARGET="$(cd "$TARGET" && pwd)"

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python@PYTHON@ python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      PY="$c"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "错误：找不到 Python @PYTHON@。安装包里的依赖是为 Python @PYTHON@ 编译的，请先安装 Python @PYTHON@" >&2
  echo "（含 venv 模块；Debian/Ubuntu 上是 python@PYTHON@-venv 包），或用 PYTHON=/路径/python@PYTHON@ bash install.sh 指定。" >&2
  exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "错误：$PY 不是 Python @PYTHON@（$("$PY" -V 2>&1)）。请用 PYTHON=/路径/python@PYTHON@ bash install.sh 指定。" >&2
  exit 2
fi

echo "安装 xuncha @VERSION@ 到 $TARGET（Python：$(command -v "$PY" || echo "$PY")）"
"$PY" -m venv "$TARGET/.venv" || {
  echo "错误：无法创建虚拟环境 $TARGET/.venv。Debian/Ubuntu/统信 UOS 上请安装 python@PYTHON@-venv 包。" >&2; exit 1; }
# 只用本文件夹的 wheels/：--no-index 不访问任何软件源，也不读本机的 pip 配置
export PIP_CONFIG_FILE=/dev/null PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$TARGET/.venv/bin/python" -m pip install --quiet --no-index --find-links "$HERE/wheels" \
  -c "$HERE/requirements.lock" "xuncha==@VERSION@" || {
  echo "错误：安装失败。wheels/ 中缺少适合本机（$(uname -m)，Python $("$PY" -V 2>&1)）的文件：" >&2
  echo "请确认 U 盘复制完整（可用 sha256sum -c SHA256SUMS.txt 核对），或在联网机器上用 --platform 重新生成安装包。" >&2
  exit 1; }
# 报告用的 Jupyter 内核，装在这个虚拟环境里（xuncha 运行时缺了也会自动补上）
"$TARGET/.venv/bin/python" -m ipykernel install --sys-prefix --name xuncha --display-name "xuncha (Python)" >/dev/null
"$TARGET/.venv/bin/xuncha" --version

cat <<MSG
安装完成：$TARGET/.venv/bin/xuncha
下一步：
  $TARGET/.venv/bin/xuncha init ~/巡察/山丹县 --county 山丹县   # 建一个县的工作文件夹
  cd ~/巡察/山丹县
  $TARGET/.venv/bin/xuncha demo                                  # 先用演示台账走一遍全流程
（可把 $TARGET/.venv/bin 加入 PATH，之后直接输入 xuncha。）
MSG
