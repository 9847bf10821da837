"""Month-over-month history of the headline metrics, kept in the warehouse.

Ledgers are overwritten month by month, so "change since last month" must come from
what was recorded then, not from recomputing today's ledgers with an older date.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from pipelines.warehouse import db as W


def record(db_path, period: str, as_of: dt.date, metrics: dict, validation_status: str | None) -> None:
    """Store (or replace) one period's headline metrics."""

    def write(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("DELETE FROM metric_history WHERE period = ?", [period])
        con.execute("INSERT INTO metric_history VALUES (?, ?, ?, ?, ?, ?)",
                    [period, as_of, W.now(), W.data_hash(con), validation_status,
                     json.dumps(metrics, ensure_ascii=False)])

    W.update_warehouse(db_path, write)


def previous(con: duckdb.DuckDBPyConnection, period: str) -> tuple[str | None, dict | None]:
    """The latest recorded period before `period`, and its metrics."""
    try:
        row = con.execute("""SELECT period, metrics FROM metric_history WHERE period < ?
                             ORDER BY period DESC LIMIT 1""", [period]).fetchone()
    except duckdb.Error:
        return None, None
    return (row[0], json.loads(row[1])) if row else (None, None)


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
