"""The history store: what the ledgers cannot reproduce, kept beside the warehouse in its own file.

The warehouse (``warehouse.duckdb``) is rebuilt from the inputs only and nothing but ``ingest`` writes it.
Run history, validation results and the month-over-month metric history live here instead
(``history.duckdb`` next to ``warehouse.duckdb``; another warehouse name ``X.duckdb`` gets
``X.history.duckdb``), so they survive every rebuild and ``validate``, ``metrics`` and ``report`` leave the
warehouse untouched: analysts may keep it open read-only while reports render.

Ledgers are overwritten month by month, so "change since last month" must come from what was recorded
then, not from recomputing today's ledgers with an older date.

Writes are short DuckDB transactions on this file; reads open it read-only for the one query and close
it again, so a notebook left open in JupyterLab never blocks the next monthly run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from pathlib import Path

import duckdb

from pipelines.files import signature

DDL = {
    "ingest_runs": """CREATE TABLE IF NOT EXISTS ingest_runs (run_id VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, seconds DOUBLE, files_parsed INTEGER, files_cached INTEGER, code_version VARCHAR,
        contract_fingerprint VARCHAR, summary VARCHAR)""",
    "validation_runs": """CREATE TABLE IF NOT EXISTS validation_runs (run_id VARCHAR, ran_at TIMESTAMP,
        data_hash VARCHAR, status VARCHAR, n_errors INTEGER, n_warnings INTEGER, counts VARCHAR,
        code_version VARCHAR)""",
    "validation_findings": """CREATE TABLE IF NOT EXISTS validation_findings (run_id VARCHAR, rule VARCHAR,
        severity VARCHAR, message VARCHAR, file VARCHAR, sheet VARCHAR, "row" INTEGER, value VARCHAR,
        title VARCHAR)""",
    "metric_history": """CREATE TABLE IF NOT EXISTS metric_history (period VARCHAR, as_of DATE,
        recorded_at TIMESTAMP, data_hash VARCHAR, validation_status VARCHAR, metrics VARCHAR)""",
}
META_DDL = "CREATE TABLE IF NOT EXISTS history_meta (migrated_from VARCHAR, migrated_at TIMESTAMP, tables VARCHAR)"


class HistoryBusy(OSError):
    pass


def path_for(db_path) -> Path:
    """data_clean/warehouse.duckdb → data_clean/history.duckdb; wh.duckdb → wh.history.duckdb."""
    db_path = Path(db_path)
    name = "history.duckdb" if db_path.stem == "warehouse" else f"{db_path.stem}.history.duckdb"
    return db_path.with_name(name)


def db_path_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The warehouse file a connection reads (for the kit, which only holds the connection)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]) if row and row[0] else None


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _open(path: Path, read_only: bool, tries: int = 40, stack: contextlib.ExitStack | None = None
          ) -> duckdb.DuckDBPyConnection:
    """Open the history file; another process writing it right now is waited for (about 10 seconds). With a
    stack, the file is attached to the process's DuckDB instance (warehouse.db.attached: cheaper than an
    instance of its own) and detached when the stack closes."""
    from pipelines.warehouse.db import attached

    for attempt in range(tries):
        try:
            if stack is not None:
                return stack.enter_context(attached(path, read_only=read_only))
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == tries - 1:
                raise HistoryBusy(f"历史记录库 {path} 正被其他程序占用（{str(exc)[:120]}）：请关闭打开它的程序后重试") from None
            time.sleep(0.25)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def writing(db_path):
    """A read-write connection to the history store of this warehouse, its tables created; the first time,
    the history tables an older warehouse kept inside itself are carried over (once)."""
    db_path = Path(db_path)
    path = path_for(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        con = _open(path, read_only=False, stack=stack)
        for ddl in DDL.values():
            con.execute(ddl)
        # one row per period and county ('' = the whole warehouse: one county's, or a region's totals)
        con.execute("ALTER TABLE metric_history ADD COLUMN IF NOT EXISTS county VARCHAR")
        # the seconds of each ingest stage, as JSON {stage: seconds} (build.STAGES); older runs have none
        con.execute("ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS stages VARCHAR")
        con.execute(META_DDL)
        if con.execute("SELECT count(*) FROM history_meta").fetchone()[0] == 0:
            _migrate(con, db_path)
        yield con


def _migrate(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """Copy ingest_runs / validation_runs / validation_findings / metric_history out of an old warehouse."""
    from pipelines.warehouse.db import attach_sql, unique_alias

    copied: list[str] = []
    old_wh = unique_alias("old_wh")  # the connection may be one of several on the process's shared instance
    if db_path.exists():
        try:
            con.execute(attach_sql(db_path, old_wh, read_only=True))
        except duckdb.Error:
            pass  # an unreadable (or locked) old warehouse: nothing to carry over
        else:
            try:
                have = {r[0] for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [old_wh]).fetchall()}
                main = con.execute("SELECT current_database()").fetchone()[0]
                for name in DDL:
                    if name not in have:
                        continue
                    cols = [r[0] for r in con.execute(
                        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
                        "ORDER BY column_index", [main, name]).fetchall()]
                    old = {r[0] for r in con.execute(
                        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ?",
                        [old_wh, name]).fetchall()}
                    sel = ", ".join(f'"{c}"' if c in old else "NULL" for c in cols)
                    con.execute(f'INSERT INTO "{main}"."{name}" SELECT {sel} FROM {old_wh}."{name}"')
                    copied.append(name)
            finally:
                con.execute(f"DETACH {old_wh}")
    con.execute("INSERT INTO history_meta VALUES (?, ?, ?)", [str(db_path) if copied else None, now(),
                                                             ",".join(copied)])


def _signature(path: Path) -> tuple | None:
    """What changes whenever the store is written (its file or its write-ahead log): None when it is missing."""
    sig = signature(path)
    return None if sig is None else (sig, signature(f"{path}.wal"))


_READS: dict[tuple, tuple[tuple, list[tuple]]] = {}  # (file, sql, params) -> (signature when read, rows)


def read(db_path, sql: str, params: list | None = None) -> list[tuple]:
    """One query on the history store, read-only; no store yet means no rows.

    The rows of the same query are reused while the store's file and log are unchanged: opening the store
    costs ~20-30 ms, and a region's pages ask it the same few questions hundreds of times."""
    path = path_for(db_path)
    sig = _signature(path)
    if sig is None:
        return []
    key = (str(path), sql, tuple(params or ()))
    hit = _READS.get(key)
    if hit is not None and hit[0] == sig:
        return list(hit[1])
    con = _open(path, read_only=True)
    try:
        rows = con.execute(sql, params or []).fetchall()
    except duckdb.CatalogException:
        rows = []  # a store written by an older version without this table
    finally:
        con.close()
    if len(_READS) >= 256:
        _READS.clear()
    _READS[key] = (sig, rows)
    return list(rows)


# ------------------------------------------------------------------ writers


def insert_ingest(con: duckdb.DuckDBPyConnection, run: dict) -> None:
    """One ingest run, into a store opened by writing()."""
    cols = ("run_id", "started_at", "finished_at", "seconds", "files_parsed", "files_cached", "code_version",
            "contract_fingerprint", "summary")
    con.execute(f"INSERT INTO ingest_runs ({', '.join(cols)}, stages) VALUES ({', '.join('?' * len(cols))}, ?)",
                [run[k] for k in cols] + [json.dumps(run["stages"]) if run.get("stages") else None])


def record_validation(db_path, run: dict, findings: list[dict]) -> None:
    """One validation run; the findings table keeps the latest run's findings only (as the fix list does)."""
    import pandas as pd

    cols = ["rule", "severity", "message", "file", "sheet", "row", "value", "title"]
    df = pd.DataFrame([[run["run_id"]] + [f[c] for c in cols] for f in findings], columns=["run_id", *cols],
                      dtype=object)
    with writing(db_path) as con:
        con.execute("BEGIN")
        con.execute("INSERT INTO validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [run[k] for k in ("run_id", "ran_at", "data_hash", "status", "n_errors", "n_warnings",
                                      "counts", "code_version")])
        con.execute("DELETE FROM validation_findings")
        if len(df):
            con.register("_incoming", df)
            con.execute('INSERT INTO validation_findings SELECT run_id, rule, severity, message, file, sheet, '
                        'CAST("row" AS INTEGER), value, title FROM _incoming')
            con.unregister("_incoming")
        con.execute("COMMIT")


def record(db_path, period: str, as_of: dt.date, metrics: dict, validation_status: str | None,
           data_hash: str | None = None, county: str = "", by_county: dict | None = None) -> None:
    """Store (or replace) one period's headline metrics: the whole warehouse's (county ''), or one county's;
    by_county (county → metrics) stores each county's row of the same period in the same transaction."""
    rows = [(county or "", metrics), *((c, m) for c, m in (by_county or {}).items())]
    with writing(db_path) as con:
        con.execute("BEGIN")
        for c, m in rows:
            con.execute("DELETE FROM metric_history WHERE period = ? AND coalesce(county, '') = ?", [period, c])
            con.execute("INSERT INTO metric_history (period, as_of, recorded_at, data_hash, validation_status, "
                        "metrics, county) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [period, as_of, now(), data_hash, validation_status, json.dumps(m, ensure_ascii=False), c])
        con.execute("COMMIT")


# ------------------------------------------------------------------ readers


def previous(con_or_path, period: str, county: str | None = None) -> tuple[str | None, dict | None]:
    """The latest recorded period before `period`, and its metrics (a warehouse connection or path): of the
    county given, else of the county the connection is narrowed to (scope), else of the whole warehouse."""
    is_con = hasattr(con_or_path, "execute")
    db_path = db_path_of(con_or_path) if is_con else con_or_path  # (a timed one too)
    if db_path is None:
        return None, None
    if county is None:
        from pipelines.warehouse.db import scoped_county

        county = scoped_county(con_or_path) if is_con else None
    try:
        rows = read(db_path, "SELECT period, metrics FROM metric_history WHERE period < ? AND coalesce(county, '') = ? "
                    "ORDER BY period DESC LIMIT 1", [period, county or ""])
    except duckdb.BinderException:  # a store written before counties: every row is the whole warehouse's
        rows = [] if county else read(db_path, "SELECT period, metrics FROM metric_history WHERE period < ? "
                                      "ORDER BY period DESC LIMIT 1", [period])
    return (rows[0][0], json.loads(rows[0][1])) if rows else (None, None)


def latest_validation(db_path, data_hash: str | None) -> dict:
    """The latest validation run of exactly this data (by the warehouse's data hash)."""
    rows = read(db_path, """SELECT run_id, status, n_errors, n_warnings, ran_at, counts FROM validation_runs
                            WHERE data_hash = ? ORDER BY ran_at DESC, run_id DESC LIMIT 1""", [data_hash]) \
        if data_hash else []
    if not rows:
        return {"run_id": None, "status": None, "n_errors": None, "n_warnings": None, "ran_at": None, "counts": {}}
    r = rows[0]
    return {"run_id": r[0], "status": r[1], "n_errors": r[2], "n_warnings": r[3], "ran_at": r[4],
            "counts": json.loads(r[5]) if r[5] else {}}


def findings_by_rule(db_path, run_id: str | None) -> list[tuple[str, str, str, int]]:
    """(rule, title, severity, number of findings) of one validation run, errors first, most frequent first."""
    if not run_id:
        return []
    return read(db_path, """SELECT rule, coalesce(title, rule), severity, count(*) AS n FROM validation_findings
                            WHERE run_id = ? GROUP BY ALL ORDER BY severity, n DESC, rule""", [run_id])


def compare_label(period: str, prev_period: str | None) -> str:
    """How a change is named: "较上月" when the previous record is the month just before, else the month it
    compares with ("较2020年3月"), so a gap in the monthly runs is never shown as last month."""
    if not prev_period:
        return "较上期"
    y, m = (int(x) for x in period.split("-"))
    before = f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"
    if prev_period == before:
        return "较上月"
    py, pm = (int(x) for x in prev_period.split("-"))
    return f"较{py}年{pm}月"


def delta(now: dict, before: dict | None, key: str, kind: str = "count", label: str = "较上期", unit: str = "") -> str | None:
    """'较上月 +12 个' / '较2020年3月 +1.5 个百分点' / None when there is no earlier record."""
    if not before or before.get(key) is None or now.get(key) is None:
        return None
    d = now[key] - before[key]
    if kind == "rate":
        return f"{label} {d * 100:+.1f} 个百分点"
    return f"{label} {d:+d}" + (f" {unit}" if unit else "")
