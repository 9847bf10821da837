"""The region's overview (全市/全省概览): every county's headline figures side by side, the region's totals,
rankings with the counties past a threshold marked, and each county's change since the last recorded period.

Pure functions over a warehouse connection and the history store; the overview notebook only draws what
they return. Each county is measured on its own rows (pipelines.warehouse.db.scope), the totals are the
summed counts (rates from the sums, never averaged: pipelines.metrics.sum_metrics).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines import history
from pipelines.metrics import compute_by_county, sum_metrics
from pipelines.warehouse.db import unscope

# the overview table's columns, in order (English metric keys; Chinese names from contract.yaml metrics:)
COLUMNS = ["units_in_scope", "units_covered", "coverage_rate", "problems_total", "problems_rectified",
           "rectification_rate", "problems_overdue", "leads_transferred", "leads_closed", "lead_closure_rate",
           "people_disciplined", "people_org_handled", "problems_status_unknown", "leads_status_unknown"]
# the rankings: metric → True when higher is better (overdue problems: fewer is better)
RANKED = {"coverage_rate": True, "rectification_rate": True, "problems_overdue": False, "lead_closure_rate": True}
DEFAULT_THRESHOLDS = {"coverage_rate": 0.8, "rectification_rate": 0.9, "problems_overdue": 20,
                      "lead_closure_rate": 0.8}


def by_county(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict]:
    """county → its headline metrics (as `xuncha metrics --json --county` gives them). The connection is
    left as it was given (unscoped)."""
    return compute_by_county(unscope(con), as_of)


def figures(per_county: dict[str, dict], total_label: str = "合计") -> pd.DataFrame:
    """One row per county (in name order) and a last row for the region's total; columns COLUMNS."""
    rows = [{"county": c, **{k: m.get(k) for k in COLUMNS}} for c, m in per_county.items()]
    total = sum_metrics(list(per_county.values())) if per_county else {}
    rows.append({"county": total_label, **{k: total.get(k) for k in COLUMNS}})
    df = pd.DataFrame(rows, columns=["county", *COLUMNS])
    for k in ("people_disciplined", "people_org_handled"):
        df[k] = df[k].astype("Int64")  # unknown (no count written) stays empty (—), the others stay whole numbers
    return df


def not_supplied(per_county: dict[str, dict]) -> dict[str, list[str]]:
    """county → the ledger kinds it did not supply (its figures counted from them are unknown and left out of the
    region's totals), for the counties that lack any."""
    return {c: list(m["not_supplied"]) for c, m in per_county.items() if m.get("not_supplied")}


def thresholds(settings: dict | None) -> dict:
    """settings.yaml `overview_thresholds` over the defaults (only the keys it writes)."""
    out = dict(DEFAULT_THRESHOLDS)
    out.update({k: v for k, v in ((settings or {}).get("overview_thresholds") or {}).items() if k in RANKED})
    return out


def ranking(per_county: dict[str, dict], key: str, limit) -> pd.DataFrame:
    """Counties ranked on one metric (best first; ties by name), with `flagged` for those below the threshold
    (above it, for overdue problems). A county without the figure (no problems: no rate) ranks last, unflagged."""
    higher = RANKED[key]
    rows = [(c, m.get(key)) for c, m in per_county.items()]
    known = sorted((r for r in rows if r[1] is not None), key=lambda r: (-r[1] if higher else r[1], r[0]))
    rows = known + sorted(r for r in rows if r[1] is None)
    out = pd.DataFrame({"county": [r[0] for r in rows], "value": pd.Series([r[1] for r in rows], dtype=object)})
    out.insert(0, "rank", range(1, len(out) + 1))
    if limit is None:
        out["flagged"] = False
    else:
        out["flagged"] = [v is not None and (v < limit if higher else v > limit) for v in out["value"]]
    return out


def changes(con_or_path, period: str, per_county: dict[str, dict]) -> pd.DataFrame:
    """Each county's change since its last recorded period before `period` (history store): the period
    compared with ("2020-05"), and the change of each ranked metric (None: no earlier record)."""
    rows = []
    for c, m in per_county.items():
        prev_period, prev = history.previous(con_or_path, period, county=c)
        row = {"county": c, "compared_with": prev_period}
        for k in RANKED:
            row[k] = (m[k] - prev[k]) if prev and prev.get(k) is not None and m.get(k) is not None else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["county", "compared_with", *RANKED])
