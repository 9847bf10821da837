"""Parse one file into typed rows: read → header → classify rows → typed values + cell findings.

The result depends only on the file's bytes and the contract (so it can be cached by
SHA-256); resolving rounds and units against the registers happens later, in build.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract import Contract, Kind, nfkc
from pipelines.ingest import values as V
from pipelines.ingest.read import Sheet, read_file
from pipelines.ingest.structure import (
    classify_rows,
    col_letter,
    describe_header,
    find_header,
    title_text,
)

_AS_OF = re.compile(r"(?:统计)?截[至止](?:时间|日期)?[:：]?\s*(\d{4}\s*[年./\-]\s*\d{1,2}\s*[月./\-]\s*\d{1,2}\s*日?|\d{4}\s*年\s*\d{1,2}\s*月)")
SEQ_HEADERS = {"序号"}


@dataclass(slots=True)
class Finding:
    column: str  # Excel column letter
    field: str
    raw: str
    expected: str

    def __reduce__(self):
        return Finding, (self.column, self.field, self.raw, self.expected)


@dataclass(slots=True)
class ParsedRow:
    row: int  # 1-based, as Excel shows it
    cls: str
    raw: list[tuple[str, str, str]] = field(default_factory=list)  # (column letter, header, text)
    values: dict = field(default_factory=dict)
    raw_values: dict = field(default_factory=dict)  # canonical → cell text as read
    cols: dict = field(default_factory=dict)  # canonical → column letter
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    subheading: str | None = None
    dims: list[tuple[str, float, str]] = field(default_factory=list)  # (dimension, score, column)
    cells_json: str | None = None  # filled once when the warehouse tables are built

    def __reduce__(self):
        # positional re-construction unpickles about twice as fast as slot-by-slot state (parse cache, workers)
        return ParsedRow, (self.row, self.cls, self.raw, self.values, self.raw_values, self.cols, self.findings,
                           self.missing, self.subheading, self.dims, None)


@dataclass
class ParsedSheet:
    name: str
    kind: str | None
    hidden: bool
    header_row: int | None  # 1-based
    header: list[str]
    title: str
    stated_as_of: dt.date | None
    rows: list[ParsedRow]
    n_blank: int = 0


@dataclass
class ParsedFile:
    sheets: list[ParsedSheet]


def stated_as_of(text: str) -> dt.date | None:
    m = _AS_OF.search(nfkc(text))
    if not m:
        return None
    d, _ = V.parse_date(m.group(1).replace(" ", ""), month_end=True)
    return d


def _vertical_fill(sheet: Sheet) -> dict[tuple[int, int], object]:
    fill: dict[tuple[int, int], object] = {}
    for r0, c0, r1, c1 in sheet.merged:
        if r1 == r0 or r0 >= len(sheet.rows) or c0 >= len(sheet.rows[r0]):
            continue
        v = sheet.rows[r0][c0]
        for r in range(r0 + 1, r1 + 1):
            for c in range(c0, c1 + 1):
                fill[(r, c)] = v
    return fill


def _typed(kind: Kind, col: str, v: object, pr: ParsedRow, letter: str, contract: Contract) -> None:
    spec = kind.columns[col]
    text = V.cell_text(v)
    pr.raw_values[col] = text
    pr.cols[col] = letter
    t = spec.type
    problem = None
    if t in ("text", "id"):
        pr.values[col] = text or None
    elif t == "date":
        pr.values[col], problem = V.parse_date(v)
    elif t == "deadline":
        d, term, problem = V.parse_deadline(v)
        pr.values[col] = d
        pr.values[col + "_text"] = term
    elif t == "count":
        pr.values[col], problem = V.parse_count(v, unit="件" if col.startswith("leads_") else None)
    elif t == "int":
        pr.values[col], problem = V.parse_int(v)
    elif t == "number":
        pr.values[col], problem = V.parse_number(v)
    elif t == "period":
        p, problem = V.parse_period(v)
        pr.values[col] = p[0] if p else None
        pr.values[col + "_start"] = p[1] if p else None
        pr.values[col + "_end"] = p[2] if p else None
    elif t == "vocab":
        vocab = contract.vocabularies[spec.vocab]
        code = vocab.lookup(text) if text else None
        pr.values[col] = code
        pr.values[col + "_raw"] = text or None
        # an unknown vocabulary word is reported by validation (rule vocab_*), not here
    else:
        pr.values[col] = text or None
    if problem and text:
        pr.findings.append(Finding(letter, col, text, problem))


def _plain_cells(texts: list[str]) -> list[tuple[str, str, str]]:
    return [(col_letter(c), "", t) for c, t in enumerate(texts) if t]


def parse_sheet(sheet: Sheet, contract: Contract) -> ParsedSheet:
    header = find_header(sheet, contract)
    infos = classify_rows(sheet, header, contract)
    n_nonempty_rows = {ri.row for ri in infos}
    n_blank = sum(1 for r in range(len(sheet.rows)) if r not in n_nonempty_rows)
    title = title_text(infos)
    ps = ParsedSheet(
        name=sheet.name,
        kind=header.kind if header else None,
        hidden=sheet.hidden,
        header_row=(header.row + 1) if header else None,
        header=header.raw_texts if header else [describe_header(sheet)],
        title=title,
        stated_as_of=stated_as_of(title) if title else None,
        rows=[],
        n_blank=n_blank,
    )
    if header is None:
        ps.rows = [ParsedRow(ri.row + 1, ri.cls, raw=_plain_cells(ri.texts)) for ri in infos]
        return ps
    kind = contract.kinds[header.kind]
    vfill = _vertical_fill(sheet) if sheet.has_merge_info else {}
    dim_cols = []
    if kind.dimensions and "dimension" not in header.mapping.values():
        dim_cols = [i for i in header.unmatched if header.texts[i] not in contract.known_headers]
    seq_col = next((i for i, c in header.mapping.items()
                    if header.texts[i] in SEQ_HEADERS and c in ("problem_no", "lead_no")), None)
    for ri in infos:
        pr = ParsedRow(ri.row + 1, ri.cls, subheading=ri.subheading)
        if ri.cls != "data":
            pr.raw = _plain_cells(ri.texts)
            ps.rows.append(pr)
            continue
        row = sheet.rows[ri.row]
        pr.raw = [(col_letter(c), header.raw_texts[c] if c < len(header.raw_texts) else "", t)
                  for c, t in enumerate(ri.texts) if t]
        for c, canon in header.mapping.items():
            v = row[c] if c < len(row) else None
            if V.is_blank(v) and kind.columns[canon].fill_down and (ri.row, c) in vfill:
                v = vfill[(ri.row, c)]
            _typed(kind, canon, v, pr, col_letter(c), contract)
        for c in dim_cols:
            v = row[c] if c < len(row) else None
            if V.is_blank(v):
                continue
            num, problem = V.parse_number(v)
            if num is not None:
                pr.dims.append((header.raw_texts[c].replace("\n", ""), num, col_letter(c)))
            else:
                pr.findings.append(Finding(col_letter(c), header.raw_texts[c], V.cell_text(v),
                                           f"评价维度「{header.raw_texts[c]}」的得分应为数值"))
        for canon, spec in kind.columns.items():
            if spec.required and not spec.context and pr.values.get(canon) is None and not pr.raw_values.get(canon):
                pr.missing.append(canon)
        ps.rows.append(pr)
    if seq_col is not None:
        _qualify_restarting_numbers(ps, header.mapping[seq_col], contract)
    return ps


def _qualify_restarting_numbers(ps: ParsedSheet, no_col: str, contract: Contract) -> None:
    """序号 that restarts under each "一、…" sub-heading is qualified by it ("二-3"), so keys stay unique."""
    data = [pr for pr in ps.rows if pr.cls == "data" and pr.values.get(no_col)]
    first_section: dict[str, str | None] = {}
    restarts = False
    for pr in data:
        sec = first_section.setdefault(pr.values[no_col], pr.subheading)
        if sec != pr.subheading:
            restarts = True
            break
    if not restarts:
        return
    for pr in data:
        if pr.subheading:
            m = contract.subheading.match(pr.subheading)
            prefix = m.group(0).strip("、.．（）() ") if m else pr.subheading[:4]
            pr.values[no_col] = f"{prefix}-{pr.values[no_col]}"


def parse_file(path: Path, contract: Contract) -> ParsedFile:
    """Parse every sheet of one file. Raises ReadError when the file cannot be read at all."""
    max_rows = int(contract.settings.get("max_rows_per_sheet") or 500_000)
    return ParsedFile(sheets=[parse_sheet(s, contract) for s in read_file(path, max_rows)])
