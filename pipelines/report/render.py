"""Render the report set: papermill runs each notebook in the project's kernel, nbconvert turns
it into a single offline HTML page (inputs hidden, no CDN), and an index links every period."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.files import write_text_atomic
from pipelines.report.layout import NOTEBOOKS, NOTEBOOK_DIR, TEMPLATES, write_index

KERNEL = "xuncha"
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*['\"]?(?:https?:)?//[^>]*>\s*</script>", re.I)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*['\"]?(?:https?:)?//[^>]*>", re.I)


class ReportError(RuntimeError):
    pass


class BadFilter(ReportError):
    """A --round / --unit-type that names nothing or matches no record (a usage error)."""


try:
    from jupyter_client.manager import AsyncKernelManager
except ImportError:  # pragma: no cover - jupyter_client comes with papermill
    AsyncKernelManager = object


class IPCKernelManager(AsyncKernelManager):
    """Kernels talk over Unix sockets in a private temp folder on POSIX: no TCP port races when two
    notebooks start at once, and no plain-text TCP traffic. Windows keeps the default TCP transport."""

    def __init__(self, **kw):
        super().__init__(**kw)
        if os.name == "posix":
            self.transport = "ipc"
            self.ip = str(_ipc_dir() / "k")

    async def start_kernel(self, **kw):
        # the kernel's own console chatter (shutdown notices) is not the report's business
        kw.setdefault("stderr", subprocess.DEVNULL)
        return await super().start_kernel(**kw)


def _ipc_dir() -> Path:
    d = Path(tempfile.gettempdir()) / f"xuncha-ipc-{os.getpid()}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


KM_CLASS = f"{__name__}.IPCKernelManager"


def ensure_kernel() -> None:
    """A kernelspec named 'xuncha' that runs this very interpreter (the project's venv)."""
    kdir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "xuncha (Python)", "language": "python", "metadata": {"debugger": False}}
    path = kdir / "kernel.json"
    try:
        if path.exists() and json.loads(path.read_text(encoding="utf-8")).get("argv") == spec["argv"]:
            return
        kdir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"无法注册 Jupyter 内核（{exc}）：请运行 `python -m ipykernel install --sys-prefix --name xuncha`") from exc


def strip_remote(html: str) -> str:
    """Belt and braces: no <script src> or stylesheet link may point off the page."""
    return _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", html))


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"injected-parameters", "parameters"}
    c.HTMLExporter.preprocessors = ["nbconvert.preprocessors.TagRemovePreprocessor"]
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_markdown = True
    return HTMLExporter(config=c, template_name="xuncha", extra_template_basedirs=[str(TEMPLATES)])


def render_one(name: str, params: dict, out_html: str, title_prefix: str = "", title_suffix: str = "") -> str:
    """Execute one notebook with papermill and export it as offline HTML. Returns the output path."""
    import nbformat
    import papermill as pm

    src = NOTEBOOK_DIR / f"{name}.ipynb"
    if not src.exists():
        raise ReportError(f"找不到报告笔记本 {src}")
    with tempfile.TemporaryDirectory(prefix="xuncha-nb-") as tmp:
        executed = Path(tmp) / f"{name}.ipynb"
        for attempt in range(3):
            try:
                pm.execute_notebook(str(src), str(executed), parameters=params, kernel_name=KERNEL,
                                    progress_bar=False, log_output=False, cwd=str(NOTEBOOK_DIR),
                                    request_save_on_cell_execute=False, kernel_manager_class=KM_CLASS)
                break
            except pm.PapermillExecutionError as exc:
                raise ReportError(f"报告「{name}」运行出错（第 {exc.exec_count} 个单元格）：{exc.ename}: {exc.evalue}") from None
            except RuntimeError as exc:  # the kernel died while starting (e.g. a port taken meanwhile): retry
                if attempt == 2:
                    raise ReportError(f"报告「{name}」的 Jupyter 内核无法启动：{exc}") from None
        nb = nbformat.read(str(executed), as_version=4)
    shutil.rmtree(Path(tempfile.gettempdir()) / f"xuncha-ipc-{os.getpid()}", ignore_errors=True)
    nb.metadata["title"] = f"{title_prefix}{nb.metadata.get('title', name)}{title_suffix}（{params['as_of']}）"
    css = (TEMPLATES / "base.css").read_text(encoding="utf-8")
    body, _ = _exporter().from_notebook_node(nb, resources={"xuncha_css": css})
    body = strip_remote(body)
    out = Path(out_html)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, body)
    except OSError as exc:
        raise ReportError(f"写入报告 {out} 失败（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置"
                          "；已有的报告未被改动") from None
    return str(out)


def render_jobs(jobs: list[tuple], workers: int | None = None) -> list[str]:
    """Render pages: each job is (notebook name, parameters, output .html, title prefix, title suffix).
    Runs on all cores (at most one worker per job); returns the output paths in the jobs' order."""
    workers = workers or min(os.cpu_count() or 1, len(jobs)) or 1
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            futures = [ex.submit(render_one, *j) for j in jobs]
            return [f.result() for f in futures]
    return [render_one(*j) for j in jobs]


def _safe_out(out_dir: Path, period: str) -> Path:
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ReportError(f"期间「{period}」格式不对：应为 YYYY-MM")
    target = (out_dir / period).resolve()
    if out_dir.resolve() not in target.parents:
        raise ReportError(f"输出路径不在报告文件夹内：{target}")
    return target


def notebook_settings(contract) -> dict:
    """The settings every notebook receives as parameters (JSON-able: thresholds, the county's name)."""
    return json.loads(json.dumps(contract.settings, ensure_ascii=False, default=str))


def personal_columns(contract) -> list[str]:
    """"table.column" of every `personal:` column of the contract: notebooks mask their values."""
    return [f"stg_{kind}.{col}" for kind, k in contract.kinds.items() for col in k.personal]


def render_set(db_path: Path, out_dir: Path, *, as_of: dt.date | None = None, redact: bool = True,
               round_filter: str = "", unit_type_filter: str = "", notebooks: list[str] | None = None,
               workers: int | None = None, record_history: bool = True, contract=None, county: str = "") -> dict:
    """Render one period's pages. The warehouse is only read (its file is never written); the period's
    metrics go to the history store. `contract` is the one ingest used (default: the packaged one).

    A warehouse of several counties: without `county`, the region (render_region: the overview and every
    county's set, in one render_jobs call); with `county`, that county's set in reports/<YYYY-MM>/<县名>/."""
    from pipelines import history
    from pipelines.contract import default_contract
    from pipelines.metrics import compute, default_as_of
    from pipelines.report.kit import validation_status
    from pipelines.warehouse.db import connect_ro, counties, data_hash, scope

    contract = contract or default_contract()
    db_path, out_dir = Path(db_path).resolve(), Path(out_dir)
    from pipelines.report import kit
    from pipelines.report.filters import FilterError, resolve

    with connect_ro(db_path) as con:
        several = len(counties(con)) > 1
        if several and not county:
            return render_region(db_path, out_dir, as_of=as_of, redact=redact, round_filter=round_filter,
                                 unit_type_filter=unit_type_filter, notebooks=notebooks, workers=workers,
                                 record_history=record_history, contract=contract)
        scope(con, county or None)  # UnknownCounty for a county the warehouse lacks
        as_of = as_of or default_as_of(con)
        try:  # before anything is written: a filter that names nothing is the user's to fix
            flt = resolve(con, round_filter, unit_type_filter)
        except FilterError as exc:
            raise BadFilter(str(exc)) from None
        m = compute(con, as_of)
        v = validation_status(con)
        dh = data_hash(con)
        county_name = kit.county(con)
    period = as_of.strftime("%Y-%m")
    target = _safe_out(out_dir, period)
    if several:
        target = _county_dir(target, county)
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = target / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ReportError(f"报告文件夹 {target} 不可写（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置") from None
    if record_history:
        try:
            history.record(db_path, period, as_of, m, v["status"], dh, county=county if several else "")
        except OSError as exc:
            raise ReportError(str(exc)) from None
    ensure_kernel()
    names = notebooks or [n for n, _ in NOTEBOOKS]
    params = {"db": str(db_path), "as_of": as_of.isoformat(), "period": "", "round_filter": round_filter,
              "unit_type_filter": unit_type_filter, "redact": bool(redact),
              "settings": notebook_settings(contract), "personal": personal_columns(contract),
              "county": county if several else ""}
    jobs = [(n, params, str(target / f"{n}.html"), county_name, f"（{flt.text}）" if flt.text else "") for n in names]
    files = render_jobs(jobs, workers)
    index = write_index(out_dir, "" if several else county_name)
    return {"files": files, "index": str(index), "period": period, "as_of": as_of.isoformat(),
            "validation_status": v["status"]}


def _county_dir(period_dir: Path, county: str) -> Path:
    """reports/<YYYY-MM>/<县名>/: a county's name is a folder name, checked to stay inside the period's folder."""
    if not county or re.search(r'[\\/:*?"<>|]|^\.', county):
        raise ReportError(f"县名「{county}」不能用作文件夹名")
    target = (period_dir / county).resolve()
    if target.parent != period_dir.resolve():
        raise ReportError(f"输出路径不在报告文件夹内：{target}")
    return target


def region_jobs(db_path: Path, target: Path, as_of: dt.date, names: list[str], per_county: dict[str, str],
                base: dict, region: str) -> list[tuple]:
    """The job list of a region's period: every county's set in <period>/<县名>/ and the overview in
    <period>/overview.html (job = notebook, parameters, out .html, title prefix, title suffix)."""
    jobs = []
    for c, suffix in per_county.items():
        out = _county_dir(target, c)
        out.mkdir(parents=True, exist_ok=True)
        jobs += [(n, {**base, "county": c}, str(out / f"{n}.html"), c, suffix) for n in names]
    jobs.append(("overview", {**base, "county": ""}, str(target / "overview.html"), region, ""))
    return jobs


def render_region(db_path: Path, out_dir: Path, *, as_of: dt.date | None = None, redact: bool = True,
                  round_filter: str = "", unit_type_filter: str = "", notebooks: list[str] | None = None,
                  workers: int | None = None, record_history: bool = True, contract=None) -> dict:
    """A region's period (a warehouse of several counties): each county's own report set, as if it were alone,
    in reports/<YYYY-MM>/<县名>/, and the overview reports/<YYYY-MM>/overview.html, all handed to one
    render_jobs call. The date is the same for every county (the latest 统计截至 of the region, unless given);
    the history store gets the region's totals and each county's metrics (for month-over-month per county)."""
    from pipelines import history
    from pipelines.contract import default_contract
    from pipelines.metrics import compute_region, default_as_of
    from pipelines.report.filters import FilterError, resolve
    from pipelines.report.kit import validation_status
    from pipelines.warehouse.db import connect_ro, counties, data_hash, scope, unscope

    contract = contract or default_contract()
    db_path, out_dir = Path(db_path).resolve(), Path(out_dir)
    with connect_ro(db_path) as con:
        as_of = as_of or default_as_of(con)
        suffixes: dict[str, str] = {}
        for c in counties(con):
            try:  # a filter must name something in each county (a page of zeros is never drawn)
                flt = resolve(scope(con, c), round_filter, unit_type_filter)
            except FilterError as exc:
                raise BadFilter(f"{c}：{exc}") from None
            suffixes[c] = f"（{flt.text}）" if flt.text else ""
        unscope(con)
        m = compute_region(con, as_of)
        v = validation_status(con)
        dh = data_hash(con)
    region = str(contract.settings.get("region_name") or "全市")
    period = as_of.strftime("%Y-%m")
    target = _safe_out(out_dir, period)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"报告文件夹 {target} 不可写（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置") from None
    if record_history:
        by = m.pop("by_county")
        try:
            history.record(db_path, period, as_of, m, v["status"], dh, by_county=by)
        except OSError as exc:
            raise ReportError(str(exc)) from None
    ensure_kernel()
    names = notebooks or [n for n, _ in NOTEBOOKS]
    base = {"db": str(db_path), "as_of": as_of.isoformat(), "period": "", "round_filter": round_filter,
            "unit_type_filter": unit_type_filter, "redact": bool(redact),
            "settings": notebook_settings(contract), "personal": personal_columns(contract)}
    files = render_jobs(region_jobs(db_path, target, as_of, names, suffixes, base, region), workers)
    index = write_index(out_dir, region)
    return {"files": files, "index": str(index), "period": period, "as_of": as_of.isoformat(),
            "validation_status": v["status"], "counties": list(suffixes), "overview": str(target / "overview.html")}
