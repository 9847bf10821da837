"""Headline metrics (DATA_CONTRACT section 6) read from the SQL marts, as one JSON-able dict."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

import duckdb

from pipelines.warehouse.db import connect_ro

METRIC_KEYS = ["as_of", "rounds_by_kind", "units_in_scope", "units_covered", "coverage_rate", "villages_total",
               "villages_covered", "problems_total", "problems_rectified", "rectification_rate", "problems_overdue",
               "leads_transferred", "leads_closed", "lead_closure_rate", "people_disciplined", "people_org_handled",
               "ecology_assessed_by_type", "checklist_items", "meetings_by_type", "teams_total", "teams_3n",
               # problems / leads counted in problems_total / leads_transferred whose status is unknown (never
               # silently in a numerator: the rates keep their definitions, these make the gap visible)
               "problems_status_unknown", "leads_status_unknown"]

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class BadDate(ValueError):
    pass


def period_end(period: str) -> dt.date:
    """'2020-06' → 2020-06-30 (a period means as of the last day of that month)."""
    m = _PERIOD.match(str(period).strip())
    if not m or not (1 <= int(m[2]) <= 12) or not (1900 <= int(m[1]) <= 2100):
        raise BadDate(f"期间「{period}」格式不对：应为 YYYY-MM，例如 2020-06")
    y, mo = int(m[1]), int(m[2])
    return dt.date(y, mo, calendar.monthrange(y, mo)[1])


def parse_as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadDate(f"日期「{text}」格式不对：应为 YYYY-MM-DD，例如 2020-06-30") from None


def default_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """Without --as-of: the latest 统计截至 date stated in a title, else today."""
    row = con.execute("SELECT max(stated_as_of) FROM sheets").fetchone()
    return row[0] if row and row[0] else dt.date.today()


def _by(con, sql: str, as_of: dt.date) -> dict:
    return {k: int(v) for k, v in con.execute(sql, [as_of]).fetchall() if k is not None}


def compute(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict:
    row = con.execute("SELECT * FROM mart_headline(?)", [as_of]).fetchone()
    cols = [d[0] for d in con.description]
    head = dict(zip(cols, row))
    out = {
        "as_of": as_of.isoformat(),
        "rounds_by_kind": _by(con, """SELECT round_kind, count(*) FROM mart_rounds(?) WHERE is_county AND started
                                     GROUP BY 1 ORDER BY 1""", as_of),
        "ecology_assessed_by_type": _by(con, """SELECT unit_type, count(DISTINCT unit_name) FROM mart_ecology(?)
                                               GROUP BY 1 ORDER BY 1""", as_of),
        "meetings_by_type": _by(con, "SELECT meeting_type, count(*) FROM mart_meetings(?) GROUP BY 1 ORDER BY 1",
                                as_of),
    }
    for k in METRIC_KEYS:
        if k not in out:
            v = head[k]
            out[k] = float(v) if isinstance(v, float) else (int(v) if v is not None else None)
    return {k: out[k] for k in METRIC_KEYS}


def metrics(db_path: Path, as_of: dt.date | None = None) -> dict:
    with connect_ro(db_path) as con:
        return compute(con, as_of or default_as_of(con))
