"""A copied or moved project folder whose .venv still runs the original folder's code.

A virtual environment is not relocatable: its scripts start the interpreter by absolute path, and the editable
install points at the folder it was made in. After `cp -r xuncha xuncha-县2`, running the copy's
`.venv/bin/xuncha` (or `.venv/bin/python -m pipelines.cli`) silently runs the ORIGINAL folder's code and
configuration, so edits in the copy are ignored. This module notices that and says how to fix it; `make`
re-creates the environment itself (see the Makefile).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pipelines


def _checkout(venv: Path) -> Path | None:
    """The project folder a .venv belongs to by position (<root>/.venv beside pyproject.toml and pipelines/)."""
    if venv.name != ".venv" or not (venv / "pyvenv.cfg").is_file():
        return None
    root = venv.parent
    return root if (root / "pyproject.toml").is_file() and (root / "pipelines").is_dir() else None


def _deliberate(code_root: Path) -> bool:
    """The code was put first on the path on purpose (PYTHONPATH, `python -m` from the folder): not a stale venv."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if sys.path and sys.path[0] in ("", "."):
        paths.append(os.getcwd())
    elif sys.path:
        paths.append(sys.path[0])
    return any(_same(Path(p), code_root) for p in paths)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def foreign_environment(argv0: str | None = None) -> str | None:
    """A Chinese message when this process runs another folder's code than the checkout it was started from."""
    code_root = Path(pipelines.__file__).resolve().parents[1]
    candidates = [Path(sys.prefix)]
    script = Path(argv0 if argv0 is not None else (sys.argv[0] if sys.argv else ""))
    if script.name.lower().startswith("xuncha") and script.parent.name.lower() in ("bin", "scripts"):
        candidates.append(script.absolute().parent.parent)  # the venv the started script lives in
    for venv in candidates:
        root = _checkout(venv)
        if root is None or _same(root, code_root) or _deliberate(code_root):
            continue
        fix = ("在该文件夹中运行 make（会删除并重建 .venv）" if os.name != "nt" else
               "删除该文件夹中的 .venv，再按 README 的 Windows 步骤重新创建")
        return (f"这个文件夹（{root}）的 .venv 是在另一个文件夹（{code_root}）建的，现在运行的是那里的代码和配置，"
                f"在这里的修改不会生效（项目文件夹被复制或移动过）。修复：{fix}。")
    return None
