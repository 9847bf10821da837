"""Fail early, with advice, when the interpreter is too old for xuncha."""
import sys

if sys.version_info < (3, 11):
    sys.exit(f"xuncha 需要 Python 3.11 或更新版本，当前是 {sys.version.split()[0]}。"
             "请安装 Python 3.11+，或用 `make PYTHON=python3.11 ...` 指定。")
