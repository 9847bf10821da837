"""Scale benchmark: `python -m benchmarks --scale N [--json]`.

N = 1 is one county (the demo); N = 100 a province (~2,800 workbooks, ~100,000 problems, ~10,000 leads).
Every timing is taken in this one run on this machine, and the ratios compare stages against
baselines measured in the same run: the bare python-calamine read of the same files (parse_s) and
papermill on an empty notebook (kernel_baseline_s).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
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


def _rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024  # Linux reports KiB


def run(scale: int, workdir: Path, problems_per_county: int = 1000, with_reports: bool = True) -> dict:
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
    summary = ingest(raw, db)
    res["ingest_s"] = round(time.perf_counter() - t, 3)
    res["rows_loaded"] = summary["rows_loaded"]
    assert summary["loaded_by_kind"] == exp["rows_by_kind"], "ingest disagrees with the generator's truth"

    t = time.perf_counter()
    ingest(raw, db)
    res["reingest_s"] = round(time.perf_counter() - t, 3)

    meetings = next(raw.rglob("会议台账.csv"))
    meetings.write_bytes(meetings.read_bytes() + "2020年6月2日,书记专题会议,基准测试新增\r\n".encode("gbk"))
    t = time.perf_counter()
    ingest(raw, db)
    res["one_file_changed_s"] = round(time.perf_counter() - t, 3)

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
            t = time.perf_counter()
            rep = render_set(db, out, as_of=as_of)
            res["report_s"] = round(time.perf_counter() - t, 3)
        finally:
            os.environ.pop(QUERY_TIME_LOG, None)
        res["report_query_s"] = round(sum(float(x) for x in qlog.read_text().split()), 3) if qlog.exists() else 0.0
        res["n_queries"] = len(qlog.read_text().split()) if qlog.exists() else 0
        res["n_notebooks"] = len(rep["files"])
        res["report_html_mb"] = round(sum(Path(f).stat().st_size for f in rep["files"]) / 2**20, 2)
        # the target: report_s <= 2 x (notebooks x kernel_baseline_s) + the time of its queries
        res["report_budget_s"] = round(2 * res["n_notebooks"] * res["kernel_baseline_s"] + res["report_query_s"], 3)
        res["report_over_budget"] = round(res["report_s"] / res["report_budget_s"], 3)
    res["ingest_over_parse"] = round(res["ingest_s"] / res["parse_s"], 3)
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
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        res = run(a.scale, work, a.problems, with_reports=not a.no_reports)
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
