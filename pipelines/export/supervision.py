"""督办清单/: one workbook per unit with problems not rectified as of the date, and 汇总.xlsx.

The rows and flags (open, overdue, days overdue, long-term) come from mart_supervision; this module
only lays them out: overdue first, long-term items in their own section, never counted as overdue.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipelines.contract import Contract
from pipelines.files import replacing
from pipelines.xlsx import TITLE_FONT, append_text_row, finish_table, header_row, print_setup

HEADS = ["序号", "轮次", "问题编号", "问题描述", "整改措施", "整改时限", "责任单位", "责任人", "整改情况", "是否逾期",
         "逾期天数", "来源文件", "工作表", "行号"]
WIDTHS = [6, 18, 8, 42, 32, 11, 12, 8, 10, 7, 7, 22, 10, 6]
WRAP = (2, 4, 5, 7, 12)  # columns whose long text wraps (round, problem, measures, unit, source file)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def file_name(unit: str) -> str:
    """A unit's name as a file name on Windows and Linux (characters a path cannot hold become _)."""
    name = _UNSAFE.sub("_", unit).strip(" .") or "未命名单位"
    return name[:120]


def _status(contract: Contract, r: dict, as_of: dt.date) -> str:
    if r["status"] is None:
        return f"{r['status_raw']}（未识别）" if r["status_raw"] else "未填"
    text = contract.code_label("problem_status", r["status"])
    if r["status"] == "rectified":  # marked done, but only after the as-of date
        text += f"（{r['rectified_date']} 完成，晚于统计截至日）" if r["rectified_date"] else ""
    return text


def _row(contract: Contract, i: int, r: dict, as_of: dt.date) -> list:
    return [i, r["round_name"], r["problem_no"], r["description"], r["measures"], r["deadline"] or r["deadline_text"],
            r["responsible_unit"], r["responsible_person"], _status(contract, r, as_of), "是" if r["overdue"] else "否",
            r["days_overdue"], r["src_file"], r["src_sheet"], r["src_row"]]


def _wrap(ws, header_at: int) -> None:
    """Long texts wrap, and each row is as tall as its longest wrapped cell (Excel, WPS and LibreOffice do
    not all recompute row heights of a generated file)."""
    for row in ws.iter_rows(min_row=header_at + 1):
        lines = 1
        for c in row:
            c.alignment = Alignment(vertical="top", wrap_text=c.column in WRAP)
            if c.column in WRAP and isinstance(c.value, str):
                chars = sum(2 if ord(ch) > 0x2E80 else 1 for ch in c.value)
                lines = max(lines, -(-chars // max(int(WIDTHS[c.column - 1]) - 1, 1)))
        ws.row_dimensions[row[0].row].height = 15 * min(lines, 12)


def _unit_workbook(contract: Contract, unit: str, rows: list[dict], as_of: dt.date, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "督办清单"
    append_text_row(ws, [f"{unit} 巡察反馈问题整改督办清单"])
    ws["A1"].font = TITLE_FONT
    regular = [r for r in rows if not r["long_term"]]
    long_term = [r for r in rows if r["long_term"]]
    n_over = sum(1 for r in rows if r["overdue"])
    append_text_row(ws, [f"统计截至 {as_of.year}年{as_of.month}月{as_of.day}日：尚未完成整改 {len(rows)} 个，"
                         f"其中逾期 {n_over} 个、长期坚持 {len(long_term)} 个。逾期问题排在最前。"])
    at = header_row(ws, HEADS)
    for i, r in enumerate(regular, 1):
        append_text_row(ws, _row(contract, i, r, as_of))
        if r["overdue"]:
            for c in (ws.cell(ws._current_row, 10), ws.cell(ws._current_row, 11)):
                c.font = Font(color="B91C1C", bold=True)
    _wrap(ws, at)
    finish_table(ws, at, WIDTHS)
    print_setup(ws, at)
    ws.print_area = f"A1:K{ws.max_row}"  # on paper without the source columns (they stay in the sheet)
    if long_term:
        lt = wb.create_sheet("长期坚持")
        append_text_row(lt, [f"{unit} 长期坚持的整改事项（持续推进，不计入逾期）"])
        lt["A1"].font = TITLE_FONT
        at2 = header_row(lt, HEADS)
        for i, r in enumerate(long_term, 1):
            append_text_row(lt, _row(contract, i, r, as_of))
        _wrap(lt, at2)
        finish_table(lt, at2, WIDTHS)
        print_setup(lt, at2)
        lt.print_area = f"A1:K{lt.max_row}"
    with replacing(path) as tmp:
        wb.save(tmp)


def write_supervision(con: duckdb.DuckDBPyConnection, contract: Contract, folder: Path, as_of: dt.date) -> dict:
    """Write 督办清单/<单位>.xlsx for every unit with open problems, and 督办清单/汇总.xlsx.
    Returns {"units": n, "open": n, "overdue": n, "long_term": n, "files": {unit: file name}}."""
    cur = con.execute("""SELECT * FROM mart_supervision(?)
                         ORDER BY unit_name, overdue DESC, days_overdue DESC NULLS LAST, deadline NULLS LAST,
                                  round_start NULLS LAST, round_name, src_file, src_sheet, src_row""", [as_of])
    names = [d[0] for d in cur.description]
    by_unit: dict[str, list[dict]] = {}
    for row in cur.fetchall():
        r = dict(zip(names, row))
        by_unit.setdefault(r["unit_name"], []).append(r)
    summary = con.execute("SELECT * FROM mart_supervision_units(?)", [as_of]).fetchall()
    sum_names = [d[0] for d in con.description]
    # a fresh folder each run: a unit that has caught up must not keep last month's list
    tmp_dir = folder.with_name(f".{folder.name}.{as_of.isoformat()}.tmp")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    files: dict[str, str] = {}
    taken: set[str] = {"汇总"}
    for unit, rows in by_unit.items():
        base = file_name(unit)
        n = 2
        stem = base
        while stem.lower() in taken:  # two units whose names differ only in characters a path cannot hold
            stem, n = f"{base}_{n}", n + 1
        taken.add(stem.lower())
        files[unit] = f"{stem}.xlsx"
        _unit_workbook(contract, unit, rows, as_of, tmp_dir / files[unit])
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    append_text_row(ws, [f"巡察反馈问题整改督办汇总（统计截至 {as_of.isoformat()}）"])
    ws["A1"].font = TITLE_FONT
    at = header_row(ws, ["序号", "单位", "单位类别", "未完成整改", "其中逾期", "长期坚持", "最长逾期天数", "督办清单文件"])
    totals = [0, 0, 0]
    for i, row in enumerate(summary, 1):
        s = dict(zip(sum_names, row))
        append_text_row(ws, [i, s["unit_name"], contract.code_label("unit_type", s["unit_type"]) if s["unit_type"] else None,
                             s["n_open"], s["n_overdue"], s["n_long_term"], s["max_days_overdue"],
                             files.get(s["unit_name"])])
        totals = [totals[0] + s["n_open"], totals[1] + s["n_overdue"], totals[2] + s["n_long_term"]]
    finish_table(ws, at, [6, 28, 12, 12, 10, 10, 14, 30])
    print_setup(ws, at, landscape=False)
    append_text_row(ws, [None, "合计", None, *totals])
    with replacing(tmp_dir / "汇总.xlsx") as tmp:
        wb.save(tmp)
    old = folder.with_name(f".{folder.name}.{as_of.isoformat()}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp_dir.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return {"units": len(by_unit), "open": totals[0], "overdue": totals[1], "long_term": totals[2], "files": files}
