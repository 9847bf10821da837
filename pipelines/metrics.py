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

# counts that are None (unknown) when there is something to count but no ledger wrote what they need (people:
# no 处分人数 column or every cell blank; 3+N: no member's 专业), never a confident 0: key → what it counts among
UNKNOWN_UNLESS_WRITTEN = {"people_disciplined": "leads_transferred", "people_org_handled": "leads_transferred",
                          "teams_3n": "teams_total"}

def people_text(n) -> str:
    """A count of people for a page or a document; None (no ledger wrote one) is said, not shown as 0."""
    return "台账未填写" if n is None else f"{n} 人"


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


def latest_stated(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest 统计截至 date any ledger states in its title (None when none states one)."""
    try:
        row = con.execute("SELECT max(stated_as_of) FROM sheets").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row and row[0] else None


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def data_age_warning(con: duckdb.DuckDBPyConnection, as_of: dt.date, max_days: int | None = None) -> str | None:
    """A warning when the ledgers' latest 统计截至 is long before the report date (or after it): the report
    would otherwise show old figures under a new date without saying so. None when the dates agree or the
    ledgers state no date. The tolerance is settings.yaml's data_age_warn_days."""
    from pipelines.contract import default_contract

    latest = latest_stated(con)
    if latest is None:
        return None
    days = max_days if max_days is not None else int(default_contract().settings.get("data_age_warn_days", 45))
    if latest > as_of:
        return (f"台账最新数据截至 {cn_date(latest)}，晚于本期截至日 {cn_date(as_of)}：本期只统计截至日之前的情况，"
                f"如要看最新数据请用 --period {latest:%Y-%m}")
    if (as_of - latest).days > days:
        return (f"台账最新数据截至 {cn_date(latest)}，比本期截至日 {cn_date(as_of)} 早 {(as_of - latest).days} 天："
                f"本期数字反映的是 {cn_date(latest)} 的情况，请确认是否已放入最新台账，或用 --period {latest:%Y-%m}")
    return None


# the metrics counted by a code (round kind, unit type, meeting type): the query of each, per county
_GROUPED = {
    "rounds_by_kind": "SELECT county, round_kind, count(*) FROM mart_rounds(?) WHERE is_county AND started "
                      "GROUP BY 1, 2 ORDER BY 1, 2",
    "ecology_assessed_by_type": "SELECT county, unit_type, count(DISTINCT (county, unit_name)) FROM mart_ecology(?) "
                                "GROUP BY 1, 2 ORDER BY 1, 2",
    "meetings_by_type": "SELECT county, meeting_type, count(*) FROM mart_meetings(?) GROUP BY 1, 2 ORDER BY 1, 2",
}


# the kinds of ledger with rows loaded, per county (NULL: rows whose county could not be told, which a county's
# scope() shows too)
_SUPPLIED = ("SELECT county, list(DISTINCT kind) FROM sheets WHERE decision = 'loaded' AND rows_loaded > 0 "
             "AND kind IS NOT NULL GROUP BY county")


def metric_needs(contract=None) -> dict[str, list[str]]:
    """metric key → the ledger kinds it is counted from (contract.yaml metrics: needs)."""
    from pipelines.contract import default_contract

    c = contract or default_contract()
    return {k: list((c.metrics.get(k) or {}).get("needs") or []) for k in METRIC_KEYS}


def kinds_named(kinds, contract) -> str:
    """Ledger kinds as a sentence names them: 「巡察反馈问题整改台账」、「问题线索移交台账」."""
    return "、".join(f"「{contract.code_label('kind', k)}」" for k in kinds)


def _supplied(con: duckdb.DuckDBPyConnection) -> dict:
    return {county: set(kinds) for county, kinds in con.execute(_SUPPLIED).fetchall()}


def _metrics_of(as_of: dt.date, head: dict, grouped: dict, supplied: set[str] | None = None,
                needs: dict[str, list[str]] | None = None) -> dict:
    """The metrics in METRIC_KEYS order. A metric whose ledger kind none of the county's sheets loaded
    (`supplied`: the kinds that did; None: not checked) is None, never a confident 0, and the missing kinds
    are listed under not_supplied (a key present only then)."""
    out = {"as_of": as_of.isoformat(), **grouped}
    for k in METRIC_KEYS:
        if k not in out:
            v = head[k]
            out[k] = float(v) if isinstance(v, float) else (int(v) if v is not None else None)
    res = {k: out[k] for k in METRIC_KEYS}
    if supplied is not None:
        missing = set()
        for k, kinds in (needs if needs is not None else metric_needs()).items():
            lacking = [kd for kd in kinds if kd not in supplied]
            if lacking:
                res[k] = None
                missing.update(lacking)
        if missing:
            res["not_supplied"] = sorted(missing)
    return res


def _grouped(con: duckdb.DuckDBPyConnection, as_of: dt.date, by_county: bool) -> dict:
    """The _GROUPED counts: {county: {metric: {code: n}}} (by_county), else {None: ...} summed over counties;
    codes in order, a row without a code left out."""
    out: dict = {}
    for key, sql in _GROUPED.items():
        for county, code, n in con.execute(sql, [as_of]).fetchall():
            if code is not None:
                d = out.setdefault(county if by_county else None, {k: {} for k in _GROUPED})[key]
                d[code] = d.get(code, 0) + int(n)
    return {c: {k: dict(sorted(v.items())) for k, v in g.items()} for c, g in out.items()}


def compute(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict:
    """The headline metrics (DATA_CONTRACT section 6) of what the connection shows: the warehouse, or the one
    county a scope() connection is narrowed to."""
    row = con.execute("SELECT * FROM mart_headline(?)", [as_of]).fetchone()
    head = dict(zip([d[0] for d in con.description], row))
    supplied = set().union(*_supplied(con).values())
    return _metrics_of(as_of, head, _grouped(con, as_of, False).get(None) or {k: {} for k in _GROUPED}, supplied)


def compute_by_county(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict]:
    """county → compute() of that county alone, for every county of an unscoped warehouse, in a few queries (not
    a scope and a compute per county: a province's hundred counties took ~8 s that way, twice per report run).
    The same numbers as compute(scope(con, county), as_of) (tests/test_counties.py)."""
    from pipelines.warehouse.db import counties

    names = counties(con)
    rows = con.execute("SELECT * FROM mart_headline_by_county(?)", [as_of]).fetchall()
    cols = [d[0] for d in con.description]  # (the connection's: a report's timed connection wraps its results)
    heads = {r[0]: dict(zip(cols, r)) for r in rows}
    nothing = {c: (None if c in RATES else 0) for c in cols}  # a county with no row anywhere: as compute() says
    grouped = _grouped(con, as_of, True)
    supplied = _supplied(con)
    shared = supplied.get(None, set())
    needs = metric_needs()  # once, not once per county
    return {c: _metrics_of(as_of, heads.get(c) or nothing, grouped.get(c) or {k: {} for k in _GROUPED},
                           supplied.get(c, set()) | shared, needs)
            for c in names}


# each rate and the counts it is made of: a region's rate is its summed counts' ratio, never an average
RATES = {"coverage_rate": ("units_covered", "units_in_scope"),
         "rectification_rate": ("problems_rectified", "problems_total"),
         "lead_closure_rate": ("leads_closed", "leads_transferred")}


def sum_metrics(parts: list[dict]) -> dict:
    """The region's totals of several counties' metrics: counts and counts by kind/type added up, rates
    computed from the summed counts (DATA_CONTRACT section 6 applied to the region)."""
    out: dict = {"as_of": parts[0]["as_of"] if parts else None}
    for k in METRIC_KEYS:
        if k == "as_of" or k in RATES:
            continue
        vals = [p.get(k) for p in parts]
        if parts and all(v is None for v in vals) and any(p.get("not_supplied") for p in parts):
            out[k] = None  # no county supplied the ledger it is counted from
        elif any(isinstance(v, dict) for v in vals):
            d: dict[str, int] = {}
            for v in vals:
                for code, n in (v or {}).items():
                    d[code] = d.get(code, 0) + n
            out[k] = dict(sorted(d.items()))
        elif k in UNKNOWN_UNLESS_WRITTEN:
            # no county with something to count wrote it: unknown; else the counts written
            among = UNKNOWN_UNLESS_WRITTEN[k]
            known = [int(v) for p, v in zip(parts, vals) if v is not None and (p.get(among) or 0)]
            n = sum(int(p.get(among) or 0) for p in parts)
            out[k] = None if n and not known else sum(int(v or 0) for v in vals)
        else:
            out[k] = sum(int(v or 0) for v in vals)
    for k, (num, den) in RATES.items():
        # over the counties whose numerator is known: a county with a register but no inspections list adds
        # neither its units in scope nor its covered ones
        known = [p for p in parts if p.get(num) is not None]
        d = sum(int(p.get(den) or 0) for p in known)
        out[k] = sum(int(p[num]) for p in known) / d if known and d else None
    res = {k: out[k] for k in METRIC_KEYS}
    missing = sorted({kd for p in parts for kd in p.get("not_supplied") or ()})
    if missing:  # some county lacks these: its figures are left out of the sums (by_county shows which)
        res["not_supplied"] = missing
    return res


def compute_region(con: duckdb.DuckDBPyConnection, as_of: dt.date, county: str | None = None) -> dict:
    """metrics --json: one county's figures (county given, or a one-county warehouse) exactly as before; for a
    warehouse of several counties the totals under the same keys plus by_county (county → the same keys).
    Each county is measured on its own rows (every mart joins within one county; compute_by_county gives what
    scope() and compute() give for each), so no unit or round is shared between counties."""
    from pipelines.warehouse.db import counties, scope

    names = counties(con)
    if county or len(names) <= 1:
        return compute(scope(con, county), as_of)
    from pipelines.warehouse.db import unscope

    unscope(con)
    by = compute_by_county(con, as_of)
    out = sum_metrics(list(by.values()))
    out["as_of"] = as_of.isoformat()
    out["by_county"] = by
    return out


def metrics(db_path: Path, as_of: dt.date | None = None, county: str | None = None) -> dict:
    from pipelines.warehouse.db import scope

    with connect_ro(db_path) as con:
        scope(con, county)  # a county's own latest 统计截至 is its default date, as if it were alone
        return compute_region(con, as_of or default_as_of(con), county)


def _number(v, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "%":
        return f"{v * 100:.1f}%"
    return f"{v} {unit}".rstrip()


def metric_rows(m: dict, contract=None) -> list[tuple[str, str]]:
    """`xuncha metrics` as (Chinese name, value with its unit) rows for people: rates as percentages,
    grouped counts spelled out with their Chinese names. Names and units come from the contract (metrics:)."""
    from pipelines.contract import default_contract

    c = contract or default_contract()
    rows = []
    lacking = set(m.get("not_supplied") or ())
    needs = metric_needs(c)
    for k, v in m.items():
        if k == "not_supplied":
            continue
        name, unit = c.metric_label(k)
        if v is None and lacking.intersection(needs.get(k) or ()):
            text = "未提供（没有收到" + kinds_named([kd for kd in needs[k] if kd in lacking], c) + "）"
        elif k == "as_of" and v:
            d = dt.date.fromisoformat(str(v))
            text = f"{d.year}年{d.month}月{d.day}日"
        elif isinstance(v, dict):
            by = (c.metrics.get(k) or {}).get("by")
            total = sum(v.values())
            parts = "、".join(f"{c.code_label(by, code)} {n}" for code, n in v.items())
            text = f"共 {total} {unit}" + (f"（{parts}）" if parts else "")
        else:
            text = _number(v, unit)
        rows.append((name, text))
    return rows
