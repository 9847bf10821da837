"""Report filters as an analyst types them: a round by its full or a unique short name ("第五轮"), a unit
type by its Chinese name ("乡镇") or code ("township"). A filter that names nothing, or matches no record,
is an error that says what exists, never an all-zero page."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.contract import Contract, default_contract, norm_value


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    round_name: str | None = None
    unit_type: str | None = None  # a unit_type code
    text: str = ""  # "轮次：十四届县委第五轮巡察 · 单位类别：乡镇", for page titles; "" when nothing is filtered


def _choices(items: list[str], n: int = 12) -> str:
    return "、".join(items[:n]) + (f" 等 {len(items)} 个" if len(items) > n else "")


def resolve_round(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The round a filter names: its exact name, else the only round whose name contains the text."""
    names = [r[0] for r in con.execute("""SELECT round_name FROM int_rounds ORDER BY start_date NULLS LAST,
                                          round_name""").fetchall()]
    want = norm_value(text)
    exact = [n for n in names if norm_value(n) == want]
    if exact:
        return exact[0]
    hits = [n for n in names if want and want in norm_value(n)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise FilterError(f"轮次筛选「{text}」同时对上 {len(hits)} 个轮次（{_choices(hits)}）：请写得更完整，"
                          f"例如「{hits[0]}」")
    raise FilterError(f"轮次筛选「{text}」没有对上任何已登记的轮次。已登记的轮次：{_choices(names) or '（无）'}")


def resolve_unit_type(text: str, contract: Contract) -> str:
    """A unit type by code (township), Chinese name (乡镇) or any synonym the contract lists."""
    vocab = contract.vocabularies["unit_type"]
    raw = str(text).strip()
    if raw in vocab.codes:
        return raw
    code = vocab.lookup(raw)
    if code is None or norm_value(raw) not in {norm_value(contract.code_label("unit_type", code)), *dict(vocab.entries)[code]}:
        names = "、".join(contract.code_label("unit_type", c) for c in vocab.codes)
        raise FilterError(f"单位类别筛选「{text}」不是已知的类别：可选 {names}")
    return code


def resolve(con: duckdb.DuckDBPyConnection, round_filter: str = "", unit_type_filter: str = "",
            contract: Contract | None = None) -> Filters:
    """Resolve both filters and check that together they match at least one unit or record."""
    c = contract or default_contract()
    rnd = resolve_round(con, round_filter) if str(round_filter or "").strip() else None
    ut = resolve_unit_type(unit_type_filter, c) if str(unit_type_filter or "").strip() else None
    parts = []
    if rnd:
        parts.append(f"{c.code_label('filter', 'round_filter')}：{rnd}")
    if ut:
        parts.append(f"{c.code_label('filter', 'unit_type_filter')}：{c.code_label('unit_type', ut)}")
    if rnd or ut:
        n = con.execute("""SELECT (SELECT count(*) FROM int_units WHERE ? IS NULL OR unit_type = ?)
                                  * (SELECT count(*) FROM (SELECT round_name FROM stg_problems UNION ALL
                                     SELECT round_name FROM stg_leads UNION ALL SELECT round_name FROM stg_inspections)
                                     WHERE ? IS NULL OR round_name = ?)""", [ut, ut, rnd, rnd]).fetchone()[0]
        if rnd and ut:
            n = con.execute("""SELECT count(*) FROM (SELECT round_name, unit_name FROM stg_problems UNION ALL
                               SELECT round_name, unit_name FROM stg_leads UNION ALL
                               SELECT round_name, unit_name FROM stg_inspections) r
                               JOIN int_units u USING (unit_name) WHERE r.round_name = ? AND u.unit_type = ?""",
                            [rnd, ut]).fetchone()[0]
        if not n:
            raise FilterError(f"筛选条件（{' · '.join(parts)}）没有对上任何单位或记录，没有可画的内容："
                              "请换一个轮次或单位类别，或留空看全部")
    return Filters(rnd, ut, " · ".join(parts))
