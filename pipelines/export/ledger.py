"""汇总台账.xlsx: every loaded ledger row, one sheet per kind, with Chinese headers and typed values.

Rows come from the staging tables as loaded (the canonical, typed rows: nothing is recomputed here);
vocabulary codes are shown by their contract labels, each row ends with its source file, sheet and
row, and a first sheet 说明 says as of when, whether the data passed validation and how many rows
were held back (and where to see them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from openpyxl import Workbook

from pipelines.contract import Contract
from pipelines.files import replacing
from pipelines.xlsx import TITLE_FONT, append_text_row, finish_table, header_row, print_setup

PROV_HEADS = ["来源文件", "工作表", "行号"]
STATUS_WORDS = {"pass": "通过", "warn": "通过（有警告）", "fail": "未通过", None: "未校验"}


def _cell(contract: Contract, spec, row: dict, name: str):
    """The value as a person reads it: a label for a code, the text of a term deadline, 是/否."""
    if spec.type == "vocab":
        code, raw = row.get(name), row.get(name + "_raw")
        if code is None:
            return f"{raw}（未识别）" if raw not in (None, "") else None
        return contract.code_label(spec.vocab, code)
    if spec.type == "deadline":
        return row.get(name) or row.get(name + "_text")
    v = row.get(name)
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def _columns(contract: Contract, kind: str, show_names: bool) -> list:
    k = contract.kinds[kind]
    return [spec for name, spec in k.columns.items()
            if spec.type != "daterange" and (show_names or name not in k.personal)]


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def kind_rows(con: duckdb.DuckDBPyConnection, contract: Contract, kind: str, show_names: bool) -> tuple[list, list]:
    """(headers, rows) of one kind's sheet: one row per loaded source row."""
    if kind == "assessments":
        return _assessment_rows(con, contract)
    specs = _columns(contract, kind, show_names)
    heads = [contract.label(kind, s.name) for s in specs] + PROV_HEADS
    out = []
    for r in _fetch(con, f"SELECT * FROM stg_{kind} ORDER BY src_file, src_sheet, src_row"):
        out.append([_cell(contract, s, r, s.name) for s in specs] + [r["src_file"], r["src_sheet"], r["src_row"]])
    return heads, out


def _assessment_rows(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[list, list]:
    """Political-ecology rows: one per source row (wide: all dimensions of a unit; long: one dimension),
    dimension scores as columns, with the unit-period's total and grade."""
    scores = _fetch(con, """SELECT src_file, src_sheet, src_row, unit_name, period, dimension, score
                            FROM stg_assessment_scores ORDER BY src_file, src_sheet, src_row, src_column""")
    heads_rows = _fetch(con, """SELECT unit_name, period, total, grade_final, grade_raw, grade,
                                       src_file, src_sheet, src_row FROM stg_assessments""")
    by_unit = {(h["unit_name"], h["period"]): h for h in heads_rows}
    rows: dict[tuple, dict] = {}
    dims: list[str] = []
    for s in scores:
        key = (s["src_file"], s["src_sheet"], s["src_row"])
        r = rows.setdefault(key, {"unit_name": s["unit_name"], "period": s["period"], "scores": {}})
        r["scores"][s["dimension"]] = s["score"]
        if s["dimension"] not in dims:
            dims.append(s["dimension"])
    for h in heads_rows:  # a row with a total but no dimension score
        rows.setdefault((h["src_file"], h["src_sheet"], h["src_row"]),
                        {"unit_name": h["unit_name"], "period": h["period"], "scores": {}})
    label = contract.label
    heads = [label("assessments", "unit_name"), label("assessments", "period"), *dims,
             label("assessments", "total"), label("assessments", "grade")] + PROV_HEADS
    out = []
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2])):
        r = rows[key]
        h = by_unit.get((r["unit_name"], r["period"]), {})
        grade = h.get("grade_final")
        grade_text = contract.code_label("grade", grade) if grade else (
            f"{h['grade_raw']}（未识别）" if h.get("grade_raw") else None)
        out.append([r["unit_name"], r["period"], *(r["scores"].get(d) for d in dims), h.get("total"), grade_text,
                    *key])
    return heads, out


def kinds_present(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    """The ledger kinds that have loaded rows, in contract order."""
    present = []
    for kind in contract.kinds:
        table = "stg_assessment_scores" if kind == "assessments" else f"stg_{kind}"
        try:
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except duckdb.Error:
            n = 0
        if kind == "assessments" and not n:
            n = con.execute("SELECT count(*) FROM stg_assessments").fetchone()[0]
        if n:
            present.append(kind)
    return present


def write_ledger(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, as_of: dt.date,
                 validation: dict, *, show_names: bool = False, quality_page: str = "reports/quality/") -> dict:
    """Write 汇总台账.xlsx; returns {kind: rows written}."""
    wb = Workbook()
    about = wb.active
    about.title = "说明"
    counts: dict[str, int] = {}
    sheets = []
    for kind in kinds_present(con, contract):
        heads, rows = kind_rows(con, contract, kind, show_names)
        name = contract.kinds[kind].label[:31]
        ws = wb.create_sheet(name)
        at = header_row(ws, heads)
        for r in rows:
            append_text_row(ws, r)
        finish_table(ws, at)
        print_setup(ws, at)
        counts[kind] = len(rows)
        sheets.append((name, len(rows)))
    held = dict(con.execute("SELECT kind, count(*) FROM quarantine GROUP BY 1").fetchall())
    append_text_row(about, ["巡察工作汇总台账"])
    about["A1"].font = TITLE_FONT
    v = validation
    status = STATUS_WORDS.get(v.get("status"), str(v.get("status")))
    if v.get("status") in ("fail", "warn"):
        status += f"（错误 {v.get('n_errors') or 0} 条，警告 {v.get('n_warnings') or 0} 条）"
    lines = [
        ["统计截至", as_of],
        ["生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")],
        ["数据校验", status],
        ["未入库（隔离）的行", sum(held.values())],
        ["隔离行在哪里看", f"{quality_page}findings.xlsx 的「隔离区」工作表，或数据质量页 {quality_page}index.html"],
        ["人名", "已包含（--show-names）" if show_names else "未包含：线索台账的被反映人等个人信息列已隐去（需要时用 --show-names）"],
        ["说明", "每行末尾的 来源文件 / 工作表 / 行号 指向原始台账中的那一行；各表为入库后的标准列，状态、类型用中文名称"],
    ]
    for line in lines:
        append_text_row(about, line)
    append_text_row(about, [])
    at = header_row(about, ["工作表", "行数", "隔离行数"])
    for (name, n), kind in zip(sheets, counts):
        append_text_row(about, [name, n, held.get(kind, 0)])
    for kind, n in sorted(held.items()):
        if kind not in counts:
            append_text_row(about, [contract.kinds[kind].label if kind in contract.kinds else kind, 0, n])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 80
    about.column_dimensions["C"].width = 12
    del at
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        wb.save(tmp)
    return counts
