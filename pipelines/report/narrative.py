"""The brief's opening paragraph, in the register of an office's own work report.

Pure: figures come from the marts (metrics.compute), the previous period's figures from the metric
history; a sentence whose ledger is missing drops out instead of saying 0. Used by the monthly_brief
notebook and by 月度简报.docx, so both say the same thing.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.contract import Contract, default_contract
from pipelines.metrics import compute

# the order in which round kinds are named ("6轮常规巡察、1轮专项巡察、1轮“回头看”")
KIND_ORDER = ["regular", "special", "lookback", "extension", "mobile", "cross"]


def _present(con: duckdb.DuckDBPyConnection, kind: str) -> bool:
    try:
        return bool(con.execute(f"SELECT count(*) FROM stg_{kind}").fetchone()[0])
    except duckdb.Error:
        return False


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


def _change(now: dict, before: dict | None, key: str, kind: str = "count", unit: str = "个") -> str:
    """'（较上期增加12个）' / '（较上期提高1.2个百分点）'; nothing without history or when unchanged."""
    if not before or before.get(key) is None or now.get(key) is None:
        return ""
    d = now[key] - before[key]
    if kind == "rate":
        pp = round(d * 100, 1)
        return "" if pp == 0 else f"（较上期{'提高' if pp > 0 else '下降'}{abs(pp):g}个百分点）"
    return "" if d == 0 else f"（较上期{'增加' if d > 0 else '减少'}{abs(d)}{unit}）"


def _people(m: dict, previous: dict | None) -> str:
    """给予党纪政务处分…人、组织处理…人; a count no ledger wrote is said to be missing, not 0."""
    if m["people_disciplined"] is None and m["people_org_handled"] is None:
        return "（线索台账未填写党纪政务处分、组织处理人数）"
    return "，" + "、".join(
        f"{label}{m[k]}人{_change(m, previous, k, unit='人')}" if m[k] is not None else f"{label}人数未填写"
        for label, k in (("给予党纪政务处分", "people_disciplined"), ("组织处理", "people_org_handled")))


def _round_kind(contract: Contract, kind: str, n: int) -> str:
    name = contract.code_label("round_kind", kind)
    if kind == "lookback":
        name = "“回头看”"
    return f"{n}轮{name}"


def brief_sentences(con: duckdb.DuckDBPyConnection, as_of: dt.date, previous: dict | None = None, *,
                    metrics: dict | None = None, contract: Contract | None = None) -> list[str]:
    """The narrative as sentences. `previous`: the metrics recorded for the previous period (history),
    which adds 较上期 changes; None on the first period."""
    contract = contract or default_contract()
    m = metrics or compute(con, as_of)
    date = f"截至{as_of.year}年{as_of.month}月{as_of.day}日"  # with the year: the same brief whenever it is re-run
    out: list[str] = []
    clauses = []
    kinds = m["rounds_by_kind"] or {}
    if _present(con, "rounds") and kinds:
        order = sorted(kinds, key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else 99, k))
        clauses.append("共组织开展" + "、".join(_round_kind(contract, k, kinds[k]) for k in order))
    if _present(con, "units") and _present(con, "inspections") and m["coverage_rate"] is not None:
        clauses.append(f"全县巡察覆盖率达到{_pct(m['coverage_rate'])}{_change(m, previous, 'coverage_rate', 'rate')}")
    if clauses:
        out.append(f"{date}，" + "，".join(clauses) + "。")
    parts = []
    if _present(con, "problems") and m["problems_total"]:
        parts.append(f"市县巡察反馈的{m['problems_total']}个问题，已整改完毕{m['problems_rectified']}个"
                     f"{_change(m, previous, 'problems_rectified')}，整改率{_pct(m['rectification_rate'])}"
                     f"{_change(m, previous, 'rectification_rate', 'rate')}")
    if _present(con, "leads") and m["leads_transferred"]:
        parts.append(f"移交问题线索{m['leads_transferred']}个{_change(m, previous, 'leads_transferred')}，"
                     f"已办结{m['leads_closed']}个{_change(m, previous, 'leads_closed')}" + _people(m, previous))
    if parts:
        sentence = "；".join(parts) + "。"
        out.append(sentence if out else f"{date}，{sentence}")
    if _present(con, "problems") and m["problems_total"]:
        n = m["problems_overdue"]
        out.append(f"目前逾期未完成整改的问题{n}个{_change(m, previous, 'problems_overdue')}，需督促相关单位加快整改。" if n
                   else "目前没有逾期未完成整改的问题。")
    mt = m["meetings_by_type"] or {}
    if _present(con, "meetings") and (mt.get("leading_group") or mt.get("secretary")):
        bits = []
        if mt.get("leading_group"):
            bits.append(f"巡察工作领导小组会议{mt['leading_group']}次")
        if mt.get("secretary"):
            bits.append(f"书记专题会议{mt['secretary']}次")
        out.append("召开" + "、".join(bits) + "，研究部署巡察工作。")
    return out
