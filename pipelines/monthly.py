"""`xuncha monthly`: ingest → validate → report → index → export for one period, for a scheduler.

Idempotent (the same period again replaces that period's reports and history row), one run at
a time (a lock file), a log file per run (the newest 24 kept), a clear last line, and exit codes:
  0  reports written, data passed validation (warnings allowed)
  1  reports written but marked: validation found errors, some files could not be read, or the export failed
  2  bad usage (period)
  3  the run failed (the message says why); the previous reports and warehouse are untouched
  75 another monthly run is in progress (try later)
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines.ingest.build import ShrinkRefused
from pipelines.metrics import BadDate, period_end
from pipelines.warehouse.db import pid_alive

KEEP_LOGS = 24
EXIT_OK, EXIT_MARKED, EXIT_USAGE, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3, 75


class Locked(RuntimeError):
    pass


@contextmanager
def run_lock(path: Path):
    """An exclusive lock file holding the owner's pid; a lock left by a dead process is taken over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid_text, _, since = path.read_text(encoding="utf-8").partition(" ")
                pid = int(pid_text)
            except (OSError, ValueError):
                pid, since = -1, ""
            if pid > 0 and pid_alive(pid):
                raise Locked(f"另一个 monthly 任务正在运行（进程 {pid}，开始于 {since.strip()}）：本次不重复运行") from None
            path.unlink(missing_ok=True)  # stale: its owner is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {dt.datetime.now().isoformat(timespec='seconds')}")
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
        return
    raise Locked(f"无法获得运行锁 {path}")


def previous_month(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _logger(log_dir: Path, period: str) -> tuple[logging.Logger, Path]:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"monthly-{period}-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    logger = logging.getLogger(f"xuncha.monthly.{path.stem}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logs = sorted(log_dir.glob("monthly-*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[:-KEEP_LOGS]:
        old.unlink(missing_ok=True)
    return logger, path


from pipelines.warehouse.db import UnknownCounty  # noqa: E402


def run_monthly(raw: Path, db: Path, out: Path, period: str | None = None, *,
                allow_shrink: bool = False, contract=None, county: str = "") -> tuple[int, str]:
    """Returns (exit code, the last line to print). contract: workspace.load(cfg) (default: the packaged one)."""
    period = period or previous_month()
    try:
        as_of = period_end(period)
    except BadDate as exc:
        return EXIT_USAGE, f"monthly 参数错误：{exc}"
    raw, db, out = Path(raw), Path(db), Path(out)
    if raw.is_file():
        return EXIT_USAGE, f"monthly 参数错误：--raw 应是放台账的文件夹，{raw} 是一个文件：请指定它所在的文件夹（{raw.parent}）"
    if not raw.is_dir():
        return EXIT_USAGE, f"monthly 参数错误：原始数据文件夹不存在：{raw}（请用 --raw 指定）"
    try:
        with run_lock(db.parent / ".monthly.lock"):
            log, log_path = _logger(db.parent / "logs", period)
            try:
                return _run(raw, db, out, period, as_of, log, log_path, allow_shrink, contract, county)
            except UnknownCounty as exc:
                log.error("usage: %s", exc)
                return EXIT_USAGE, f"monthly 参数错误：{exc}"
            except ShrinkRefused as exc:  # before anything was written: warehouse and reports as they were
                log.error("refused: %s", exc)
                return EXIT_FAILED, f"monthly {period} 未运行：{exc}（日志 {log_path}）"
            except Exception as exc:  # the scheduler needs one clear line, the log keeps the detail
                log.exception("monthly 运行失败")
                return EXIT_FAILED, f"monthly {period} 失败：{exc}（详见日志 {log_path}）"
            finally:
                for h in list(log.handlers):
                    h.close()
                    log.removeHandler(h)
    except Locked as exc:
        return EXIT_LOCKED, f"monthly {period} 未运行：{exc}"


def _run(raw: Path, db: Path, out: Path, period: str, as_of: dt.date, log: logging.Logger,
         log_path: Path, allow_shrink: bool = False, contract=None, county: str = "") -> tuple[int, str]:
    from pipelines.export import ExportError, run_export
    from pipelines.ingest.build import ingest
    from pipelines.report.layout import NOTEBOOKS
    from pipelines.report.render import render_set
    from pipelines.validate.run import validate

    t0 = time.perf_counter()
    log.info("期间 %s（截至 %s），台账 %s，仓库 %s，报告 %s", period, as_of, raw, db, out)
    summary = ingest(raw, db, allow_shrink=allow_shrink, contract=contract)
    log.info("入库：%s 个文件，入库 %s 行，隔离 %s 行，读取失败 %s 个，不是台账已忽略 %s 个", summary["files_seen"],
             summary["rows_loaded"], summary["rows_quarantined"], len(summary["files_failed"]),
             len(summary.get("files_ignored", [])))
    for f in summary["files_failed"]:
        log.info("读取失败：%s：%s", f["file"], f["error"])
    result = validate(db, out, contract=contract)
    from pipelines.contract import default_contract

    log.info("校验：%s（错误 %s 条，警告 %s 条）", (contract or default_contract()).code_label("validation_status", result["status"]),
             result["n_errors"], result["n_warnings"])
    from pipelines.metrics import data_age_warning
    from pipelines.warehouse.db import connect_ro

    with connect_ro(db) as con:
        age_warning = data_age_warning(con, as_of)
    if age_warning:
        log.warning(age_warning)
    res = render_set(db, out, as_of=as_of, contract=contract, county=county)  # several counties: each set + overview
    keep = {f"{n}.html" for n, _ in NOTEBOOKS} | ({"overview.html"} if res.get("overview") else set())
    for stale in (out / period).glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    log.info("报告：%s 个页面，在 %s", len(res["files"]), out / period)
    try:  # the reports are in place by now: a failed export marks the run instead of undoing them
        exp = run_export(db, out, as_of=as_of, contract=contract, county=county)
        briefs = [p["brief_docx"] for p in exp["counties"].values()] if "counties" in exp else [exp["brief_docx"]]
        log.info("导出：汇总台账 %s，督办清单 %s 个单位，%s", exp["rows_by_kind"], exp["supervision_units"],
                 "、".join(briefs))
        export_error = None
    except (ExportError, OSError, ImportError) as exc:
        log.exception("导出失败")
        exp, export_error = None, str(exc)
    failed = summary["files_failed"]
    each = f"（{len(exp['counties'])} 个县各一份）" if exp and "counties" in exp else ""
    docs = (f"、汇总台账、{exp['supervision_units']} 份督办清单和月度简报.docx{each}" if exp else "")
    parts = [f"monthly {period}：已生成 {len(res['files'])} 个报告{docs} → {out / period}"]
    if export_error:
        parts.append(f"导出汇总台账/督办清单/月度简报.docx 失败：{export_error}")
    if result["status"] == "fail":
        parts.append(f"校验未通过（{result['n_errors']} 条错误，报告已标注），问题清单 {result['page']}")
    elif result["status"] == "warn":
        parts.append(f"校验通过（{result['n_warnings']} 条警告）")
    else:
        parts.append("校验通过")
    if age_warning:
        parts.append(age_warning)
    if failed:
        parts.append(f"{len(failed)} 个文件读取失败：" + "；".join(f"{f['file']}（{f['error']}）" for f in failed[:3]))
    parts.append(f"用时 {time.perf_counter() - t0:.0f} 秒，日志 {log_path}")
    line = "；".join(parts)
    log.info(line)
    code = EXIT_MARKED if (result["status"] == "fail" or failed or export_error) else EXIT_OK
    return code, line
