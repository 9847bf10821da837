"""Blank fill-in templates, one workbook per ledger kind, generated from the contract.

Each has a title row, the standard headers (required ones marked ＊ and red), a dropdown for every
vocabulary column (and, when a warehouse is given, for units and rounds from its registers), date
columns formatted as dates, and a 填表说明 sheet. The dropdown choices live in a single column of
填表说明 (one value per row, so that sheet can never be mistaken for a ledger); every choice is checked
to read back as its own code, so a filled-in template ingests with no finding.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.contract import Contract, Vocabulary, default_contract, norm_header
from pipelines.files import replacing
from pipelines.xlsx import DATE_FORMAT, HEADER_FILL, TITLE_FONT, append_text_row

NOTES_SHEET = "填表说明"
DATA_ROWS = 500  # rows pre-formatted and covered by the dropdowns
REQUIRED_MARK = "＊"
TYPE_HINTS = {"text": "文字", "id": "编号（按文字保存，前导 0 保留）", "date": "日期，如 2020-06-30",
              "deadline": "日期（如 2020-06-30），或“长期坚持”“立行立改”", "int": "整数", "count": "人数或件数（整数）",
              "number": "数值", "period": "年度，如 2020年度", "vocab": "从下拉列表中选择"}
NUMERIC = {"int", "count", "number"}


class TemplateError(ValueError):
    pass


def vocab_choices(vocab: Vocabulary) -> list[str]:
    """What a clerk picks for each code: its Chinese label, or the first synonym when the label would not
    read back as that code (so every choice ingests as exactly the code it stands for)."""
    out = []
    for code, syns in vocab.entries:
        label = vocab.label(code)
        if vocab.lookup(label) == code:
            out.append(label)
        elif syns and vocab.lookup(syns[0]) == code:
            out.append(syns[0])
    return out


def template_columns(contract: Contract, kind: str) -> list:
    """The columns of a kind's template: every contract column except combined date ranges (the start and
    end columns are there) and, for political-ecology, the long format (unit, period, dimension, score)."""
    k = contract.kinds[kind]
    return [s for s in k.columns.values() if s.type != "daterange"]


def resolve_kind(contract: Contract, name: str) -> str:
    if name in contract.kinds:
        return name
    for k in contract.kinds.values():
        if norm_header(k.label) == norm_header(name):
            return k.name
    known = "、".join(k.label for k in contract.kinds.values())
    raise TemplateError(f"没有台账类型「{name}」：可选 {known}")


def _registers(db_path: Path | None) -> dict[str, list[str]]:
    if db_path is None:
        return {}
    from pipelines.warehouse.db import connect_ro

    with connect_ro(Path(db_path)) as con:
        units = [r[0] for r in con.execute("""SELECT unit_name FROM int_units
                                              ORDER BY CASE unit_type WHEN 'township' THEN 0 WHEN 'department' THEN 1
                                              WHEN 'soe' THEN 2 WHEN 'institution' THEN 3 ELSE 4 END, unit_name""").fetchall()]
        rounds = [r[0] for r in con.execute("""SELECT round_name FROM int_rounds
                                               ORDER BY start_date DESC NULLS LAST, round_name""").fetchall()]
    return {"unit_name": units, "round_name": rounds}


def _lists_for(contract: Contract, kind: str, registers: dict[str, list[str]]) -> dict[str, tuple[list[str], str]]:
    """column → (choices, where they come from)."""
    out = {}
    for s in template_columns(contract, kind):
        if s.type == "vocab" and s.vocab in contract.vocabularies:
            out[s.name] = (vocab_choices(contract.vocabularies[s.vocab]), f"词表 {s.vocab}")
        elif s.name in registers and registers[s.name] and not (
                (kind == "units" and s.name == "unit_name") or (kind == "rounds" and s.name == "round_name")):
            out[s.name] = (registers[s.name], "党组织名册" if s.name == "unit_name" else "巡察轮次")
    return out


def write_template(contract: Contract, kind: str, path: Path, registers: dict[str, list[str]]) -> Path:
    k = contract.kinds[kind]
    cols = template_columns(contract, kind)
    lists = _lists_for(contract, kind, registers)
    wb = Workbook()
    ws = wb.active
    ws.title = k.label[:31]
    notes = wb.create_sheet(NOTES_SHEET)
    append_text_row(ws, [k.label])
    ws["A1"].font = TITLE_FONT
    heads = [contract.label(kind, s.name) + (REQUIRED_MARK if s.required else "") for s in cols]
    for i, (h, s) in enumerate(zip(heads, cols), 1):
        c = ws.cell(2, i, h)
        c.data_type = "s"
        c.font = Font(bold=True, color="B91C1C" if s.required else "000000")
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.comment = Comment(("必填。" if s.required else "") + TYPE_HINTS.get(s.type, "文字"), "xuncha")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(cols), 1))
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A3"
    last = 2 + DATA_ROWS
    for i, s in enumerate(cols, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 40 if s.name in ("description", "measures", "summary", "content") else \
            max(12, 2 * len(heads[i - 1]) + 2)
        if s.type in ("date", "deadline"):
            for r in range(3, last + 1):
                ws.cell(r, i).number_format = DATE_FORMAT
        elif s.type in ("id", "text", "vocab"):
            for r in range(3, last + 1):
                ws.cell(r, i).number_format = "@"  # text: 编号 "0123" keeps its zero
        if s.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1949,10,1)", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期格式", error="请填写日期，如 2020-06-30")
            dv.add(f"{letter}3:{letter}{last}")
            ws.add_data_validation(dv)
        elif s.type in NUMERIC:
            dv = DataValidation(type="decimal" if s.type == "number" else "whole", operator="greaterThanOrEqual",
                                formula1="0", allow_blank=True, showErrorMessage=True, errorTitle="数字",
                                error="请填写不小于 0 的数字（只填数字，不写“人”“件”）")
            dv.add(f"{letter}3:{letter}{last}")
            ws.add_data_validation(dv)

    # 填表说明: the instructions, then every dropdown's choices, all in column A (one value per row)
    lines = [f"{k.label} 填表说明", "",
             "1. 在「" + ws.title + "」工作表第 3 行起逐行填写，一行一条记录；不要改动第 2 行表头，不要插入合并单元格。",
             f"2. 表头带 {REQUIRED_MARK} 且为红色的列必须填写，缺少时该行不能入库。",
             "3. 带下拉箭头的列请从下拉列表中选择；日期列填写日期（如 2020-06-30）。",
             "4. 填好后把文件放进 data_raw/ 的任意文件夹，运行 xuncha ingest 即可入库；本工作表不会被当作台账读取。",
             "", "各列说明："]
    for s, h in zip(cols, heads):
        src = f"（下拉选项：{lists[s.name][1]}）" if s.name in lists else ""
        lines.append(f"· {h}：{('必填，' if s.required else '')}{TYPE_HINTS.get(s.type, '文字')}{src}")
    for line in lines:
        append_text_row(notes, [line])
    notes["A1"].font = TITLE_FONT
    row = notes.max_row + 2
    for i, s in enumerate(cols, 1):
        if s.name not in lists:
            continue
        choices, _src = lists[s.name]
        notes.cell(row, 1, f"下拉选项 · {heads[i - 1]}").font = Font(bold=True)
        start = row + 1
        for j, v in enumerate(choices):
            notes.cell(start + j, 1, v).data_type = "s"
        end = start + len(choices) - 1
        letter = get_column_letter(i)
        dv = DataValidation(type="list", formula1=f"'{NOTES_SHEET}'!$A${start}:$A${end}", allow_blank=True,
                            showErrorMessage=True, errorTitle="请从下拉列表选择",
                            error=f"「{heads[i - 1]}」只能填写下拉列表中的值")
        dv.add(f"{letter}3:{letter}{last}")
        ws.add_data_validation(dv)
        row = end + 2
    notes.column_dimensions["A"].width = 100
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        wb.save(tmp)
    return path


def write_templates(out_dir: Path, *, kinds: list[str] | None = None, db_path: Path | None = None,
                    contract: Contract | None = None) -> list[Path]:
    """One template per kind (file name: the kind's Chinese label). Returns the paths written."""
    contract = contract or default_contract()
    names = [resolve_kind(contract, k) for k in kinds] if kinds else list(contract.kinds)
    registers = _registers(db_path)
    return [write_template(contract, k, Path(out_dir) / f"{contract.kinds[k].label}.xlsx", registers) for k in names]
