"""Where the report notebooks and templates live, and the index page that links every period."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines import __version__
from pipelines.files import write_text_atomic

TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"  # the copy a wheel ships (setup.py puts it there)

PLOTLY_JS = Path(__file__).resolve().parent / "vendor" / "plotly-cartesian.min.js"
# The report engine sets PLOTLY_JS_LATER in its kernels' environment: a page then carries PLOTLY_JS_MARK where
# the bundle goes, and the engine writes the bundle there as it writes the page (render._write_page), so that
# 1.5 MB of code is not read, sent to the engine and handled by nbconvert for every page. A notebook run by
# hand (JupyterLab) has no such variable and carries the bundle itself.
PLOTLY_JS_LATER = "XUNCHA_PLOTLY_JS_LATER"
PLOTLY_JS_MARK = '<script type="text/javascript" data-xuncha-plotly-js="here"></script>'


@functools.lru_cache(maxsize=1)
def plotly_script() -> str:
    """The vendored plotly.js bundle as one inline <script> (offline, once per page; read once per process)."""
    return f'<script type="text/javascript">{PLOTLY_JS.read_text(encoding="utf-8")}</script>'


def _notebook_dir() -> Path:
    """The report notebooks: $XUNCHA_NOTEBOOKS, else a checkout's notebooks/ folder, else the installed copy."""
    if os.environ.get("XUNCHA_NOTEBOOKS"):
        return Path(os.environ["XUNCHA_NOTEBOOKS"])
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root / "notebooks"
    return PACKAGE_NOTEBOOKS


NOTEBOOK_DIR = _notebook_dir()
NOTEBOOKS = [
    ("monthly_brief", "月度简报"),
    ("coverage", "巡察覆盖"),
    ("rectification", "问题整改"),
    ("leads", "线索办理"),
    ("ecology", "政治生态"),
    ("quality", "数据质量"),
]
OVERVIEW_LABEL = "各县概览"  # reports/<YYYY-MM>/overview.html, when the warehouse holds several counties


def write_index(out_dir: Path, county: str = "") -> Path:
    """reports/index.html: every period folder with its pages, newest first, and the quality page."""
    out_dir = Path(out_dir)
    periods = []
    for d in sorted((p for p in out_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name)),
                    reverse=True):
        pages = [(f"{d.name}/{n}.html", label) for n, label in NOTEBOOKS if (d / f"{n}.html").exists()]
        if (d / "overview.html").exists():  # a region's period: its overview, then each county's own set
            pages.insert(0, (f"{d.name}/overview.html", OVERVIEW_LABEL))
        sets = []
        for c in sorted(p for p in d.iterdir() if p.is_dir()):
            own = [(f"{d.name}/{c.name}/{n}.html", label) for n, label in NOTEBOOKS if (c / f"{n}.html").exists()]
            if own:
                sets.append((c.name, own))
        if pages or sets:
            periods.append((d.name, pages, sets))
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("index.html.j2").render(
        periods=periods, quality=(out_dir / "quality" / "index.html").exists(),
        css=(TEMPLATES / "base.css").read_text(encoding="utf-8"),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__, county=county)
    path = out_dir / "index.html"
    write_text_atomic(path, html)
    return path
