#!/usr/bin/env bash
# System packages the tests use: headless Chromium (report rendering checks) and Noto CJK fonts
# (so Chinese renders in Chromium instead of boxes). Installs with apt when run as root.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then need+=(fonts-noto-cjk); fi  # no -q: with pipefail, an early grep exit would SIGPIPE fc-list
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装系统依赖：${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "缺少系统依赖：${need[*]}" >&2
echo "请以 root 身份运行 'sudo apt-get install ${need[*]}'（Debian/Ubuntu），或安装 Chromium 与 Noto CJK 字体后重试。" >&2
echo "Windows：安装 Chrome/Edge 并设置环境变量 XUNCHA_CHROMIUM 指向浏览器可执行文件。" >&2
exit 1
