"""Writing workbooks people open in Excel/WPS: ledger text is stored as text, never as a formula.

openpyxl stores any string that starts with "=" as a formula, and Excel evaluates cells that start
with = + - @ when a CSV is opened. Every exported workbook (findings.xlsx, 汇总台账.xlsx, 督办清单,
templates) writes through these helpers.
"""

from __future__ import annotations

import datetime as dt

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F3F4F6")
TITLE_FONT = Font(bold=True, size=14)


def append_text_row(ws, values: list) -> None:
    """Append a row whose strings are stored as text: "=1+1" stays the text "=1+1", never a formula.
    Dates get a date format, so Excel shows 2020-06-30 rather than a serial number."""
    ws.append(values)
    r = ws._current_row  # the row just appended (ws[ws.max_row] would scan every cell: quadratic)
    for i, v in enumerate(values, 1):
        if isinstance(v, str):
            ws.cell(r, i).data_type = "s"
        elif isinstance(v, (dt.date, dt.datetime)):
            ws.cell(r, i).number_format = DATE_FORMAT


def csv_safe(value):
    """For CSV exports: neutralise cells that a spreadsheet would evaluate (= + - @ tab CR)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def header_row(ws, heads: list[str], row: int | None = None) -> int:
    """Write a bold header row (at `row`, default: the next row) and return its number."""
    if row is None:
        append_text_row(ws, heads)
        row = ws._current_row
    else:
        for i, h in enumerate(heads):
            ws.cell(row, i + 1, h).data_type = "s"
    for cell in ws[row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    return row


def finish_table(ws, header_at: int, widths: list[float] | None = None, *, max_width: float = 60) -> None:
    """Frozen header, autofilter over the table, column widths (given, or from the longest text)."""
    ws.freeze_panes = ws.cell(header_at + 1, 1)
    if ws.max_column and ws.max_row >= header_at:
        ws.auto_filter.ref = f"A{header_at}:{get_column_letter(ws.max_column)}{max(ws.max_row, header_at)}"
    for i in range(1, ws.max_column + 1):
        letter = get_column_letter(i)
        if widths and i <= len(widths):
            w = widths[i - 1]
        else:
            longest = 0
            for (cell,) in ws.iter_rows(min_row=header_at, min_col=i, max_col=i, max_row=min(ws.max_row, 500)):
                v = cell.value
                if v is None:
                    continue
                text = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
                longest = max(longest, sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
            w = min(max(longest + 2, 8), max_width)
        ws.column_dimensions[letter].width = w


def print_setup(ws, header_at: int, *, landscape: bool = True) -> None:
    """A4, every column on one page width, the header repeated on each printed page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_at}:{header_at}"
