"""Ship the report notebooks inside the wheel without moving the repository's notebooks/ folder.

In a checkout the code reads notebooks/ directly (pipelines/report/layout.py); a built wheel carries a copy
in pipelines/report/notebooks/, so an installed (non-editable) xuncha renders reports without the repository.
Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithNotebooks(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's notebooks/ folder itself
        src = HERE / "notebooks"
        notebooks = sorted(src.glob("*.ipynb"))
        if not notebooks:
            raise SystemExit(f"找不到报告笔记本 {src}/*.ipynb：请在项目根目录构建")
        dest = Path(self.build_lib) / "pipelines" / "report" / "notebooks"
        dest.mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            shutil.copy2(nb, dest / nb.name)


setup(cmdclass={"build_py": BuildPyWithNotebooks})
