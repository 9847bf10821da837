#!/usr/bin/env bash
# System packages the tests use: headless Chromium (report rendering and print checks), Noto CJK fonts
# (so Chinese renders in Chromium and LibreOffice instead of boxes), LibreOffice Calc/Writer (the exported
# workbooks, templates and 月度简报.docx are opened and converted by a real office application) and
# poppler-utils (pdftotext/pdftoppm read the printed PDFs). Installs with apt when run as root.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then need+=(fonts-noto-cjk); fi  # no -q: with pipefail, an early grep exit would SIGPIPE fc-list
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
if ! command -v soffice >/dev/null 2>&1 && ! command -v libreoffice >/dev/null 2>&1; then
  need+=(libreoffice-calc libreoffice-writer)
fi
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
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
echo "请以 root 身份运行 'sudo apt-get install ${need[*]}'（Debian/Ubuntu），或安装 Chromium、Noto CJK 字体、LibreOffice 与 poppler-utils 后重试。" >&2
echo "Windows：安装 Chrome/Edge 并设置环境变量 XUNCHA_CHROMIUM 指向浏览器可执行文件（LibreOffice 测试在找不到 soffice 时跳过）。" >&2
exit 1
