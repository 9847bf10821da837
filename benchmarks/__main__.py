"""Scale benchmark: `python -m benchmarks --scale N [--json]`.

N = 1 is one county (the demo); N = 100 a province (~2,800 workbooks, ~100,000 problems, ~10,000 leads).
Every timing is taken in this one run on this machine, and the ratios compare stages against
baselines measured in the same run: the bare python-calamine read of the same files (parse_s), what a
user would write with pandas (peer_pandas_s), papermill on an empty notebook (kernel_baseline_s), and
the demo report set for many parameter sets rendered with one kernel per page (fresh_pages_per_s).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pandas  # noqa: F401 - imported before peer_pandas_s is timed, as the pipeline's own imports are
import python_calamine as pc


def bare_parse(raw: Path) -> tuple[int, int]:
    """The floor: read every sheet of every file with python-calamine (CSV with the csv module)."""
    files = rows = 0
    for p in sorted(raw.rglob("*")):
        if p.suffix.lower() in (".xlsx", ".xls", ".xlsm"):
            wb = pc.CalamineWorkbook.from_path(str(p))
            for name in wb.sheet_names:
                rows += len(wb.get_sheet_by_name(name).to_python())
            files += 1
        elif p.suffix.lower() == ".csv":
            data = p.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
            rows += sum(1 for _ in csv.reader(io.StringIO(text)))
            files += 1
    return files, rows


def peer_pandas(raw: Path) -> tuple[int, int]:
    """What a user would otherwise write: pandas.read_excel (calamine engine) of every sheet of every file,
    pandas.read_csv of every CSV (UTF-8, else GB18030); no cleaning, no header search, nothing kept."""
    import pandas as pd

    files = rows = 0
    for p in sorted(raw.rglob("*")):
        suffix = p.suffix.lower()
        if suffix in (".xlsx", ".xls", ".xlsm"):
            rows += sum(len(df) for df in pd.read_excel(p, sheet_name=None, engine="calamine").values())
            files += 1
        elif suffix == ".csv":
            try:
                df = pd.read_csv(p, encoding="utf-8-sig")
            except UnicodeDecodeError:
                df = pd.read_csv(p, encoding="gb18030")
            rows += len(df)
            files += 1
    return files, rows


def kernel_baseline(tmp: Path) -> float:
    import papermill as pm

    from pipelines.report.render import KERNEL, ensure_kernel

    ensure_kernel()
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": KERNEL, "display_name": "xuncha (Python)", "language": "python"},
                   "language_info": {"name": "python"}}
    c = nbformat.v4.new_code_cell("x = 1")
    c.metadata["tags"] = ["parameters"]
    nb.cells = [c]
    src, dst = tmp / "empty.ipynb", tmp / "empty.out.ipynb"
    nbformat.write(nb, str(src))
    t = time.perf_counter()
    pm.execute_notebook(str(src), str(dst), parameters={"x": 2}, kernel_name=KERNEL, progress_bar=False)
    return time.perf_counter() - t


class TreeRSS:
    """Peak of the summed memory of this process and all its descendants (workers and their kernels),
    sampled every 0.5 s while the block runs: ru_maxrss gives only the largest single process. PSS where
    the system reports it (Linux): forked workers share the parent's pages, which RSS would count twice."""

    def __init__(self):
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.5):
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    info = p.memory_full_info()
                    total += getattr(info, "pss", info.rss)
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (workers, and through them their
    kernels): independent of what else runs on the machine, unlike the wall time."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def engine_jobs(db: Path, out: Path, as_of, sets: int, county: str) -> list[tuple]:
    """The demo report set for `sets` parameter sets: month ends going back from as_of, each with names
    hidden and shown (the parameters render_set gives the notebooks)."""
    from pipelines.contract import default_contract
    from pipelines.metrics import period_end
    from pipelines.report.layout import NOTEBOOKS
    from pipelines.report.render import page_params

    contract = default_contract()
    jobs = []
    for k in range(sets):
        y, m = divmod(as_of.year * 12 + as_of.month - 1 - k // 2, 12)
        day = min(as_of, period_end(f"{y:04d}-{m + 1:02d}"))
        params = page_params(db, day, contract, redact=k % 2 == 0)
        jobs += [(n, params, str(out / f"set{k:02d}" / f"{n}.html"), county, "") for n, _ in NOTEBOOKS]
    return jobs


def engine_bench(db: Path, out: Path, as_of, sets: int, fresh_sets: int) -> dict:
    """Pages per second of render_jobs (one kept kernel per worker) on many jobs, against one kernel per
    page (render_one in a process pool over the cores, as pages were rendered before) on the first sets."""
    from concurrent.futures import ProcessPoolExecutor

    from pipelines.report import kit
    from pipelines.report.render import LAST_RUN, render_jobs, render_one
    from pipelines.warehouse.db import connect_ro

    with connect_ro(db) as con:
        county = kit.county(con)
    jobs = engine_jobs(db, out / "engine", as_of, sets, county)
    workers = min(os.cpu_count() or 1, len(jobs))
    res: dict = {"engine_pages": len(jobs), "engine_workers": workers}
    with TreeRSS() as mem:
        cpu, t = _cpu_s(), time.perf_counter()
        render_jobs(jobs, workers)
        res["engine_s"] = round(time.perf_counter() - t, 3)
        res["engine_cpu_s_per_page"] = round((_cpu_s() - cpu) / len(jobs), 3)
    res["engine_pages_per_s"] = round(len(jobs) / res["engine_s"], 3)
    res["engine_kernels_started"] = LAST_RUN.get("kernels_started", 0)
    res["engine_kernel_rss_mb_max"] = LAST_RUN.get("kernel_rss_mb_max", 0.0)
    res["engine_peak_tree_rss_mb"] = round(mem.peak_mb, 1)
    fresh = engine_jobs(db, out / "fresh", as_of, min(fresh_sets, sets), county)
    cpu, t = _cpu_s(), time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as ex:
        for f in [ex.submit(render_one, *j) for j in fresh]:
            f.result()
    res["fresh_pages"] = len(fresh)
    res["fresh_s"] = round(time.perf_counter() - t, 3)
    res["fresh_cpu_s_per_page"] = round((_cpu_s() - cpu) / len(fresh), 3)
    res["fresh_pages_per_s"] = round(len(fresh) / res["fresh_s"], 3)
    res["engine_over_fresh"] = round(res["engine_pages_per_s"] / res["fresh_pages_per_s"], 2)
    return res


def _rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024  # Linux reports KiB


def run(scale: int, workdir: Path, problems_per_county: int = 1000, with_reports: bool = True,
        engine_sets: int = 20, fresh_sets: int = 2) -> dict:
    from pipelines.ingest.build import ingest
    from pipelines.metrics import compute
    from pipelines.report.render import render_set
    from pipelines.validate.run import validate
    from pipelines.warehouse.db import connect_ro

    raw, db, out = workdir / "raw", workdir / "wh.duckdb", workdir / "reports"
    res: dict = {"scale": scale}
    t = time.perf_counter()
    # the corpus is written by a separate process, so peak_rss_mb measures the pipeline, not the generator
    subprocess.run([sys.executable, "-m", "pipelines.cli", "demo", "--only-data", "--dir", str(raw),
                    "--counties", str(scale), "--problems", str(problems_per_county)], check=True,
                   stdout=subprocess.DEVNULL)
    exp = json.loads((raw / "expected.json").read_text(encoding="utf-8"))
    res["generate_s"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    res["files"], res["rows"] = bare_parse(raw)
    res["parse_s"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    peer_files, _ = peer_pandas(raw)
    res["peer_pandas_s"] = round(time.perf_counter() - t, 3)
    assert peer_files == res["files"]

    t = time.perf_counter()
    summary = ingest(raw, db)
    res["ingest_s"] = round(time.perf_counter() - t, 3)
    res["rows_loaded"] = summary["rows_loaded"]
    # where the cold ingest's time went, stage by stage (what the history store records of every build)
    from pipelines import history
    (stages,) = history.read(db, "SELECT stages FROM ingest_runs ORDER BY started_at DESC LIMIT 1")[0]
    res["ingest_stages"] = json.loads(stages) if isinstance(stages, str) else stages
    assert summary["loaded_by_kind"] == exp["rows_by_kind"], "ingest disagrees with the generator's truth"

    t = time.perf_counter()
    ingest(raw, db)
    res["reingest_s"] = round(time.perf_counter() - t, 3)

    meetings = next(raw.rglob("会议台账.csv"))
    meetings.write_bytes(meetings.read_bytes() + "2020年6月2日,书记专题会议,基准测试新增\r\n".encode("gbk"))
    t = time.perf_counter()
    ingest(raw, db)
    res["one_file_changed_s"] = round(time.perf_counter() - t, 3)
    res["one_file_changed_over_ingest"] = round(res["one_file_changed_s"] / res["ingest_s"], 3)

    # what the memo (pipelines/memo.py) is worth: the same first ingest with every memo table switched off, in a
    # child process (the switch is read at import), into another folder (so no parse comes from the cache)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--raw", str(raw), "--db",
                    str(workdir / "memo_off" / "wh.duckdb")], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "XUNCHA_MEMO": "0"})
    res["ingest_memo_off_s"] = round(time.perf_counter() - t, 3)
    res["memo_speedup"] = round(res["ingest_memo_off_s"] / res["ingest_s"], 2)

    t = time.perf_counter()
    validate(db, out)
    res["validate_s"] = round(time.perf_counter() - t, 3)

    import datetime as dt

    as_of = dt.date.fromisoformat(exp["as_of"])
    t = time.perf_counter()
    with connect_ro(db) as con:
        m = compute(con, as_of)
    res["metrics_s"] = round(time.perf_counter() - t, 3)
    assert m["problems_total"] == exp["metrics"]["problems_total"]

    from pipelines.export import run_export

    t = time.perf_counter()
    ex = run_export(db, out, as_of=as_of)  # 汇总台账.xlsx, one 督办清单 per unit, 月度简报.docx
    res["export_s"] = round(time.perf_counter() - t, 3)
    res["export_supervision_files"] = ex["supervision_units"]

    res["kernel_baseline_s"] = round(kernel_baseline(workdir), 3)
    if with_reports:
        from pipelines.report.kit import QUERY_TIME_LOG

        qlog = workdir / "query_seconds.log"
        os.environ[QUERY_TIME_LOG] = str(qlog)  # the kernels inherit it: every report query logs its time
        try:
            with TreeRSS() as mem:  # the whole render: this process, the workers and their kernels
                t = time.perf_counter()
                rep = render_set(db, out, as_of=as_of)
                res["report_s"] = round(time.perf_counter() - t, 3)
        finally:
            os.environ.pop(QUERY_TIME_LOG, None)
        res["report_peak_tree_rss_mb"] = round(mem.peak_mb, 1)
        res["report_query_s"] = round(sum(float(x) for x in qlog.read_text().split()), 3) if qlog.exists() else 0.0
        res["n_queries"] = len(qlog.read_text().split()) if qlog.exists() else 0
        res["n_notebooks"] = len(rep["files"])
        res["report_html_mb"] = round(sum(Path(f).stat().st_size for f in rep["files"]) / 2**20, 2)
        # the target: report_s <= 2 x ceil(notebooks / cores) x kernel_baseline_s + the time of its queries
        cores = os.cpu_count() or 1
        res["report_budget_s"] = round(2 * math.ceil(res["n_notebooks"] / cores) * res["kernel_baseline_s"]
                                       + res["report_query_s"], 3)
        res["report_over_budget"] = round(res["report_s"] / res["report_budget_s"], 3)
        if scale > 1:  # a region: every county's set and the overview in one render_jobs call (issue target 180 s)
            from pipelines.report.render import LAST_RUN

            res["counties"] = len(summary.get("counties") or {})
            res["region_pages"] = res["n_notebooks"]
            res["region_render_s"] = res["report_s"]
            # the overview is the last job: the county sets are done when their last page is, the overview
            # takes its own page's time (the two overlap on the workers, so they do not add up exactly)
            spans = LAST_RUN.get("spans") or []
            res["county_sets_s"] = round(max((e for n, _, e in spans if n != "overview"), default=0.0), 3)
            res["overview_s"] = round(sum(e - b for n, b, e in spans if n == "overview"), 3)
            res["region_kernels_started"] = LAST_RUN.get("kernels_started")
            res["region_kernel_rss_mb_max"] = LAST_RUN.get("kernel_rss_mb_max")
            res["region_over_target"] = round(res["report_s"] / 180, 3)
        if engine_sets:
            res.update(engine_bench(db, workdir / "pages", as_of, engine_sets, fresh_sets))
    res["ingest_over_parse"] = round(res["ingest_s"] / res["parse_s"], 3)
    res["ingest_over_peer"] = round(res["ingest_s"] / res["peer_pandas_s"], 3)
    res["reingest_over_ingest"] = round(res["reingest_s"] / res["ingest_s"], 3)
    res["peak_rss_mb"] = round(_rss_mb(), 1)
    res["cpus"] = os.cpu_count()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1, help="number of counties (1 = one county, 100 = a province)")
    ap.add_argument("--problems", type=int, default=1000, help="problems per county")
    ap.add_argument("--json", action="store_true", help="print only the JSON result")
    ap.add_argument("--no-reports", action="store_true", help="skip rendering the report set")
    ap.add_argument("--engine-sets", type=int, default=20,
                    help="parameter sets of the demo report set for pages_per_s (0: skip; default 20 = 120 pages)")
    ap.add_argument("--fresh-sets", type=int, default=2,
                    help="of those, how many also rendered with one kernel per page (the baseline; default 2)")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        res = run(a.scale, work, a.problems, with_reports=not a.no_reports, engine_sets=a.engine_sets,
                  fresh_sets=a.fresh_sets)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not a.json:
        width = max(len(k) for k in res)
        for k, v in res.items():
            print(f"{k:<{width}}  {v}", file=sys.stderr)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
