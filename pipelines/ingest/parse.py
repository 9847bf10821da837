"""Parse one file into typed rows: read → header → classify rows → typed values + cell findings.

The result depends only on the file's bytes and the contract (so it can be cached by
SHA-256); resolving rounds and units against the registers happens later, in build.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from pipelines import memo as _memo
from pipelines.contract import Contract, Kind, header_signature, nfkc, norm_header
from pipelines.ingest import layouts as LY
from pipelines.ingest import values as V
from pipelines.ingest.read import Sheet, read_file
from pipelines.ingest.structure import (
    LETTERS,
    RowInfo,
    choice_grids,
    classify_rows,
    col_letter,
    describe_header,
    find_header,
    judge,
    read_choice,
    second_readings,
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
    row: int | None = None  # Excel row of the cell when it is not the record's row (a transposed sheet)
    # what kind of finding (rules.yaml, ingest:): a value that cannot be read, or one read and not believed
    code: str = "cell_unparsed"

    def __reduce__(self):
        return Finding, (self.column, self.field, self.raw, self.expected, self.row, self.code)


@dataclass(slots=True)
class ParsedRow:
    row: int  # 1-based, as Excel shows it
    cls: str
    values: dict | None = None  # canonical column → typed value (data rows only)
    cells: str = "[]"  # the row's non-empty cells as JSON [[column letter, header, text], …]: provenance
    findings: list[Finding] | tuple = ()
    missing: list[str] | tuple = ()
    subheading: str | None = None
    dims: list[tuple[str, float, str]] | tuple = ()  # (dimension, score, column letter)

    def __reduce__(self):
        # positional re-construction unpickles about twice as fast as slot-by-slot state (parse cache, workers)
        return ParsedRow, (self.row, self.cls, self.values, self.cells, self.findings, self.missing,
                           self.subheading, self.dims)


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
    cols: dict = field(default_factory=dict)  # canonical column → its column letter
    # how the kind was decided (structure.judge): loaded | uncertain | unclassified | not_ledger
    decision: str = "unclassified"
    candidates: list = field(default_factory=list)  # [{kind, label, score, identified, headers}], best first
    reasons: list = field(default_factory=list)  # why uncertain (Chinese)
    unmatched: list = field(default_factory=list)  # [{column, header}] headers mapped to no column
    missing_columns: list = field(default_factory=list)  # required columns the header does not have
    signature: str = ""  # the normalised header texts, " | "-joined (how answers name a sheet's layout)
    # a second table on the same sheet under its own title and header (公安局's ledger, then 应急管理局's):
    # (the 1-based row of its title, the title); rows below take their unit and round from it, not from the sheet's
    sections: list = field(default_factory=list)

    def title_of(self, row: int) -> str:
        """The title that governs a row: the last section title above it, else the sheet's."""
        title = self.title
        for start, text in self.sections:
            if start < row:
                title = text
        return title


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


def _conv_date(v, text):
    d, problem = V.parse_date(v)
    return (d,), problem


def _conv_done_date(v, text):
    """A date something was done by (完成时间, 办结时间): a month alone ("2021年5月") is its last day, so the
    item is not counted done before the month is over nor found done before a feedback given that month."""
    d, problem = V.parse_date(v, month_end=True)
    if problem is not None and v.__class__ is str:
        # a period written for when it was done (2019年12月底, 2024年三季度, 2024年上半年): counted done from
        # the period's last day, as a month alone is; a date written with 前 (2024年10月前) is a deadline, no date.
        # Marked (PERIOD): a period alone never makes an empty status done (a plan writes 2024年底 too)
        end, term, _ = V.parse_deadline(v)
        if end is not None and term is not None and not _BEFORE.search(term):
            return (end, True), None
    return (d, None), problem


PERIOD = "\x00period"  # <date column> + PERIOD: the row's date was written as a period (see _derive)
_BEFORE = re.compile(r"前|截至|截止|以内|之内|内完成|力争|计划|预计|争取")


def _conv_deadline(v, text):
    d, term, problem = V.parse_deadline(v)
    return (d, term), problem


def _conv_count(unit: str | None):
    def conv(v, text):  # "2件3人" is 2 in a column counted in 件, 3 in one counted in 人
        n, problem = V.parse_count(v, unit=unit)
        return (n,), problem
    return conv


def _conv_int(v, text):
    n, problem = V.parse_int(v)
    return (n,), problem


def _conv_number(v, text):
    n, problem = V.parse_number(v)
    return (n,), problem


def _conv_period(v, text):
    p, problem = V.parse_period(v)
    return (p if p else (None, None, None)), problem


def _conv_date_range(v, text):
    start, end, problem = V.parse_date_range(v)
    return (start, end), problem


def _plan_column(kind: Kind, col: str, contract: Contract) -> tuple[tuple[str, ...], object]:
    """(output columns, converter) for one canonical column; converter None means text as written.
    Converters map (cell value, its text) → (outputs, problem) and are pure, so they are memoised."""
    spec = kind.columns[col]
    t = spec.type
    if t == "date":
        done_by = any(c.derive and c.derive[0] == col for c in kind.columns.values())
        return ((col, col + PERIOD), _conv_done_date) if done_by else ((col,), _conv_date)
    if t == "deadline":
        return (col, col + "_text"), _conv_deadline
    if t == "count":
        return (col,), _conv_count(spec.unit)
    if t == "int":
        return (col,), _conv_int
    if t == "number":
        return (col,), _conv_number
    if t == "period":
        return (col, col + "_start", col + "_end"), _conv_period
    if t == "daterange":
        return spec.into, _conv_date_range
    if t == "vocab":
        vocab = contract.vocabularies[spec.vocab]
        if spec.derive:
            classify = vocab.classify

            def conv(v, text):  # status columns also say where their code came from
                if not text:
                    return (None, None, None), None
                code, how = classify(text)
                return (code, text, _SOURCE.get(how) if code is not None else None), None
            return (col, col + "_raw", col + "_source"), conv
        lookup = vocab.lookup
        # an unknown vocabulary word is reported by validation (rule vocab_*), not here
        return (col, col + "_raw"), lambda v, text: ((lookup(text) if text else None, text or None), None)
    return (col,), None


# how a status cell was read → its <col>_source: a vocabulary word is the status column speaking, a sentence
# read by the phrase reader is a narrative; "date" is set when the cell is empty and the date column decides
_SOURCE = {"exact": "column", "contains": "column", "fallback": "column", "phrase": "narrative"}


# a date written inside a status sentence (已于2019年12月10日办结, 2021.6.30已完成整改, 已于2024年3月完成)
_DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\s*(?:年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?|[./-](\d{1,2})[./-](\d{1,2})(?!\d))")


# what follows the date when it is the date the thing was done: 2019年12月10日办结, 2021.6.30已完成整改, …前完成
_DONE_AFTER = re.compile(r"[\s日号]*(?:前|以前|之前)?[\s，,]*(?:已经|已|均已|全部|予以|正式)?\s*"
                         r"(?:办结|完成|了结|结案|整改到位|整改完毕|销号|审结|办毕|办理完毕|整改完成)")
_OTHER_DATE = re.compile(r"\d{1,2}\s*月|\d{1,2}\s*[日号]|\d{1,2}[./]\d{1,2}")


def _date_in(text: str):
    """The one date a status sentence names (a month alone: its last day), else None (none, or several)."""
    ms = list(_DATE_IN_TEXT.finditer(text))
    found = {(int(m[1]), int(m[2] or m[4]), int(m[3] or m[5]) if (m[3] or m[5]) else None) for m in ms}
    if len(found) != 1 or _OTHER_DATE.search(_DATE_IN_TEXT.sub("", text)):
        return None  # none, or another date written without its year (2019年8月立案，10月办结)
    if not all(_DONE_AFTER.match(text, m.end()) for m in ms):
        return None  # the date of something else (2019年8月1日立案，已办结; 已完成（2019年8月反馈）)
    y, mo, d = found.pop()
    return V.parse_date(f"{y}年{mo}月{d}日" if d else f"{y}年{mo}月", month_end=True)[0]


def _derive(vals: dict, derived: list, missing):
    """Empty status cell (or no status column) with the derivation date present → the derived code. A status
    read as done whose date column is empty takes the one date its sentence names (已于2019年12月10日办结), so
    the item is not counted done before that date."""
    for col, date_col, code, required in derived:
        period = vals.pop(date_col + PERIOD, None)
        if vals.get(col) == code and vals.get(date_col) is None and (raw := vals.get(col + "_raw")):
            if (d := _date_in(raw)) is not None:
                vals[date_col] = d
            continue
        if vals.get(col) is None and not vals.get(col + "_raw"):
            if vals.get(date_col) is not None and not period:
                vals[col], vals[col + "_source"] = code, "date"
            else:
                vals.setdefault(col, None)
                vals[col + "_source"] = None
                if required:
                    missing = [*missing, col]
    return missing


def _converted(conv, memo: dict, v: object, text: str) -> tuple:
    """conv(v, text), memoised for text cells (a ledger repeats the same dates, words and counts)."""
    if v.__class__ is not str:
        return conv(v, text)
    res = memo.get(v)
    return res if res is not None else _memo.put(memo, v, conv(v, text))


def _cells_json(cells: list) -> str:
    try:
        return orjson.dumps(cells).decode()
    except TypeError:  # text orjson refuses (lone surrogates): the standard library escapes it
        return json.dumps(cells, ensure_ascii=False)


def _required_here(spec) -> bool:
    """Required, and checked while parsing: a round or unit missing from its column may still come from
    the title or folder (resolved later); a period from the title or sheet name is known here."""
    return spec.required and (not spec.context or spec.type == "period")


def _section_titles(infos: list[RowInfo], header_row: int, words: tuple[str, ...]) -> tuple[list[RowInfo], list]:
    """Tables one after another on one sheet: the header written again below, with a one-cell title row just
    above it ("山丹县应急管理局巡察反馈问题整改台账"). That row was read as a record (held for a missing 问题) and
    the rows below were given the first table's unit. It is a title (row class title) and starts a section."""
    sections = []
    out = list(infos)
    for i, ri in enumerate(out):
        if ri.cls != "header" or ri.row <= header_row or i == 0:
            continue
        prev = out[i - 1]
        texts = {t for t in prev.texts if t}
        if prev.row > header_row and prev.cls == "data" and len(texts) == 1:
            text = texts.pop()
            if any(w in nfkc(text) for w in words):  # a lone measure or note above the header is no title
                out[i - 1] = RowInfo(prev.row, "title", prev.texts)
                sections.append((prev.row + 1, text))
    return out, sections


def _plan_dates(header, kind: Kind, title: str, ticked: set[str]):
    """A plan (整改任务清单, 整改方案: plan_titles in the contract) says when each item is to be done. With no
    status column, its 完成时间 is that deadline: read as the completion date, every planned item would count as
    rectified. The date column becomes the kind's deadline column (when it has a free one)."""
    if not kind.plan_words or not any(w in title for w in kind.plan_words) or any(w in title for w in kind.plan_unless):
        return header
    mapped = set(header.mapping.values()) | ticked
    deadline = next((n for n, s in kind.columns.items() if s.type == "deadline" and n not in mapped), None)
    dates = {s.derive[0] for n, s in kind.columns.items() if s.derive and n not in mapped and s.derive[0] in mapped}
    if deadline is None or len(dates) != 1:
        return header
    (date_col,) = dates
    cols = [i for i, c in header.mapping.items() if c == date_col]
    if len(cols) != 1:
        return header
    return replace(header, mapping={**header.mapping, cols[0]: deadline})


def parse_sheet(sheet: Sheet, contract: Contract, rel: str | None = None, header=None) -> ParsedSheet:
    """rel: the file's path relative to data_raw (an analyst's answer may name the sheet's kind by file).
    header: given for the row view of a transposed sheet (layouts.find_transposed), else found here."""
    if header is None:
        header = find_header(sheet, contract)
        signature = header_signature(header.raw_texts if header else describe_header(sheet).split(" | "))
        ask = getattr(contract, "sheet_kind_answer", None)
        answer = ask(rel or "", sheet.name, signature) if ask is not None else None
        if answer == "not_ledger":
            return _not_ledger(sheet, signature)
        if answer in contract.kinds:
            header = find_header(sheet, contract, only=answer) or header
        else:
            tv = LY.find_transposed(sheet, contract, header)
            if tv is not None:
                return LY.restore(tv, parse_sheet(tv.view, contract, rel, tv.header), contract, _cells_json, ParsedRow)
    else:
        signature = header_signature(header.raw_texts)
    infos = classify_rows(sheet, header, contract)
    # tick boxes (已完成 | 正在整改 | 未整改 with a √ in one): the options are understood, and a row of option
    # headers under the status header is part of the header, not a record
    grids = choice_grids(sheet, header, contract, infos) if header is not None else []
    grid_cols = frozenset(o.col for g in grids for o in g.options)
    label_rows = {g.label_row for g in grids if g.label_row != header.row} if grids else set()
    if label_rows:
        infos = [RowInfo(ri.row, "header", ri.texts) if ri.row in label_rows else ri for ri in infos]
    n_blank = len(sheet.rows) - len(infos)
    title = title_text(infos)
    sections: list = []
    if header is not None:
        infos, sections = _section_titles(infos, header.row, contract.section_title_words)
    if header is not None and title:
        header = _plan_dates(header, contract.kinds[header.kind], title, {g.canon for g in grids})
    verdict = judge(contract, header, infos, _PERIOD_CTX if (V.find_period(sheet.name) or V.find_period(title))
                    else frozenset(), understood=grid_cols)
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
        decision=verdict.decision,
        candidates=verdict.candidates,
        reasons=verdict.reasons,
        unmatched=verdict.unmatched,
        signature=signature,
        sections=sections,
    )
    widest = max(map(len, sheet.rows), default=0)
    L = LETTERS if widest <= len(LETTERS) else [col_letter(i) for i in range(widest)]  # a CSV may be wider
    rows_out = ps.rows
    if header is None:
        for ri in infos:
            rows_out.append(ParsedRow(ri.row + 1, ri.cls, cells=_cells_json(
                [[L[c], "", t] for c, t in enumerate(ri.texts) if t])))
        return ps
    kind = contract.kinds[header.kind]
    vfill = _vertical_fill(sheet) if sheet.has_merge_info else {}
    dim_cols = []
    if kind.dimensions and "dimension" not in header.mapping.values():
        # the dimension's name as normalised ("政治建设（30分）" is 政治建设: the bracket gives its full marks)
        dim_cols = [(i, header.texts[i]) for i in header.unmatched if header.texts[i] not in contract.known_headers
                    and not any(w in header.texts[i] for w in kind.not_dimensions)]  # 排名 is no score
    # 扣分: taken off the total; a column of additions and deductions (加减分, 加扣分) keeps the signs as written
    deducted = {i for i, label in dim_cols if any(w in label for w in kind.deductions) and "加" not in label}
    seq_col = next((i for i, c in header.mapping.items()
                    if header.texts[i] in SEQ_HEADERS and c in ("problem_no", "lead_no")), None)
    ps.cols = {canon: L[c] for c, canon in header.mapping.items()}
    for g in grids:
        ps.cols.setdefault(g.canon, L[g.options[0].col])
    plan = []
    mapped = set(header.mapping.values())
    # a count made of parts (党纪处分 | 政务处分 → 党纪政务处分): each part after the first is read into its own
    # key and added up at the end of the row (summed: column → those keys)
    parts_of: dict[str, list[int]] = {}
    for c, canon in sorted(header.mapping.items()):
        if kind.columns[canon].addends:
            parts_of.setdefault(canon, []).append(c)
    summed = {canon: [f"{canon}\x00{c}" for c in cs[1:]] for canon, cs in parts_of.items() if len(cs) > 1}
    for c, canon in header.mapping.items():
        if c in grid_cols:
            continue  # an option of tick boxes: read with the others below
        keys, conv = _plan_column(kind, canon, contract)
        spec = kind.columns[canon]
        if canon in summed and c != parts_of[canon][0]:
            keys = (f"{canon}\x00{c}",)
        if spec.type == "daterange" and mapped.intersection(spec.into):
            continue  # separate start/end columns win over a combined one
        memo = _memo.table(contract, ("conv", kind.name, canon)) if conv else None
        plan.append((c, canon, keys, conv, memo, spec.fill_down and bool(vfill),
                     _required_here(spec) and not spec.derive))  # derived columns: checked after derivation
    derived = [(canon, spec.derive[0], spec.derive[1], _required_here(spec))
               for canon, spec in kind.columns.items() if spec.derive]
    # a completion date after the ledger's own 统计截至 cannot say the item was done by then (it is a planned
    # date written in the wrong column, or a wrong year): the cell is a finding, the date is not kept, and it
    # does not make the status 已整改/已办结
    as_of = ps.stated_as_of
    by_canon = {canon: c for c, canon in header.mapping.items()}
    late_cols = [(date_col, by_canon[date_col]) for _s, date_col, _code, _r in derived
                 if date_col in by_canon] if as_of is not None else []
    # a second status column (整改情况 beside 是否销号): read the same way; the first one decides, the second
    # fills it when empty, and a second one that says otherwise about being done is a finding on its cell
    seconds = []
    for c, canon in second_readings(kind, header.texts, header.mapping).items():
        if c in grid_cols:
            continue
        spec = kind.columns[canon]
        _keys, conv = _plan_column(kind, canon, contract)
        first = by_canon[canon]
        seconds.append((c, canon, conv, _memo.table(contract, ("conv", kind.name, canon)), spec.derive[1], first,
                        contract.vocabularies[spec.vocab]))
    # one column giving the measures and the state together (整改措施及落实情况, 整改措施及完成情况) on a sheet with
    # no status column: its sentences are read for the state too ("修订议事规则，已完成整改"); one that names no
    # state ("修订议事规则") leaves it unknown
    combined = []
    for canon, spec in kind.columns.items():
        if spec.type != "vocab" or not spec.derive or canon in mapped:
            continue
        names = [n for n in map(norm_header, spec.synonyms) if len(n) >= 3]
        for c, other in header.mapping.items():
            h = header.texts[c]
            if c not in grid_cols and kind.columns[other].type == "text" and any(n in h and n != h for n in names):
                combined.append((c, canon, _plan_column(kind, canon, contract)[1],
                                 _memo.table(contract, ("conv", kind.name, canon))))
                break
    stated = {}  # a period stated only in the title or the sheet name ("2021年度政治生态评价")
    for canon, spec in kind.columns.items():
        if spec.type == "period" and spec.context and canon not in mapped:
            p = V.find_period(title) or V.find_period(sheet.name)
            if p:
                stated.update({canon: p[0], canon + "_start": p[1], canon + "_end": p[2]})
    # a required column the header does not have is a fact about the sheet, not about each row: the rows are
    # held with one sheet-level reason (build.data_items), not sent to "fill cells" that are full
    ps.missing_columns = [canon for canon, spec in kind.columns.items()
                          if _required_here(spec) and not spec.derive and canon not in mapped
                          and canon not in stated and canon not in _filled_by_layout(kind, mapped)]
    # ...except those a layout fills row by row (names under 组长/组员): the row hook checks them per row
    unmapped_required: list = [c for c in sorted(_filled_by_layout(kind, mapped))
                                if _required_here(kind.columns[c]) and c not in mapped]
    heads = list(header.raw_texts)
    ticks = []
    for g in grids:
        spec = kind.columns[g.canon]
        ticks.append((g, spec.derive[1], by_canon.get(g.canon), contract.vocabularies[spec.vocab]))
        for o in g.options:  # provenance names the option under its group: 整改进度/已完成
            if g.group and "/" not in heads[o.col] and g.group != o.label:
                heads[o.col] = f"{g.group}/{o.label}"
            elif not heads[o.col]:
                heads[o.col] = o.label
    hook = LY.row_hook(kind, header, contract)  # 届次+轮次 → round name; 组长/组员 names → member records
    number_memo = _memo.table(contract, "dimension_scores")
    for ri in infos:
        r0 = ri.row
        texts = ri.texts
        if ri.cls != "data":
            rows_out.append(ParsedRow(r0 + 1, ri.cls, subheading=ri.subheading, cells=_cells_json(
                [[L[c], "", t] for c, t in enumerate(texts) if t])))
            continue
        row = sheet.rows[r0]
        width = len(row)
        if len(heads) < width:
            heads += [""] * (width - len(heads))
        vals: dict = dict(stated) if stated else {}
        findings: list | tuple = ()
        missing: list | tuple = unmapped_required
        for c, canon, keys, conv, memo, fill, required in plan:
            if c < width:
                v, text = row[c], texts[c]
            else:
                v, text = None, ""
            if fill and not text and (r0, c) in vfill:
                v = vfill[(r0, c)]
                text = V.cell_text(v)
            if conv is None:
                vals[canon] = text or None
                if required and not text:
                    missing = [*missing, canon]
                continue
            outs, problem = _converted(conv, memo, v, text)
            if len(keys) == 1:
                vals[keys[0]] = outs[0]
            else:
                vals.update(zip(keys, outs))
            if text:
                if problem:
                    if not findings:
                        findings = []
                    findings.append(Finding(L[c], canon, text, problem))
                    if required and outs[0] is None:
                        missing = [*missing, canon]  # a required value that cannot be read is as good as none
            elif required and outs[0] is None:
                missing = [*missing, canon]
        for dcol, c in late_cols:
            d = vals.get(dcol)
            if d is not None and d > as_of:
                if c < width and (V.parse_date(row[c])[0] or d) <= as_of:
                    vals[dcol] = as_of  # "2024年1月" in a ledger as of 1月15日: done by then
                    continue
                vals[dcol] = None
                if not findings:
                    findings = []
                findings.append(Finding(L[c], dcol, (texts[c] if c < width else "") or d.isoformat(),
                                        f"不晚于统计截至日期（{as_of.year}年{as_of.month}月{as_of.day}日）的日期",
                                        code="date_after_as_of"))
        for c, canon, conv, memo, done, first, vocab in seconds:
            text = texts[c] if c < width else ""
            if not text:
                continue
            (code, _raw, source), _p = _converted(conv, memo, row[c], text)
            if code is None:
                continue
            if vals.get(canon) is None and not vals.get(canon + "_raw"):
                vals[canon], vals[canon + "_raw"], vals[canon + "_source"] = code, text, source
            elif vals.get(canon) is not None and (code == done) != (vals[canon] == done):
                if not findings:
                    findings = []
                findings.append(Finding(
                    L[c], canon, text, f"与{L[first]}列「{heads[first]}」一致（该列「{vals[canon + '_raw']}」计为"
                    f"{vocab.label(vals[canon])}，本格读作{vocab.label(code)}）", code="status_disagree"))
        for c, canon, conv, memo in combined:
            text = texts[c] if c < width else ""
            if text and vals.get(canon) is None and not vals.get(canon + "_raw"):
                (code, raw, source), _p = _converted(conv, memo, row[c], text)
                if code is not None:
                    vals[canon], vals[canon + "_raw"], vals[canon + "_source"] = code, raw, source
        for g, done, first, vocab in ticks:
            got = read_choice(g, texts, contract, vocab)
            if got is None:
                continue  # nothing ticked: the row says nothing (a completion date may still decide)
            code, raw = got
            canon = g.canon
            if g.primary:
                vals[canon], vals[canon + "_raw"], vals[canon + "_source"] = code, raw, "column" if code else None
            elif code is None:
                if vals.get(canon) is None and not vals.get(canon + "_raw"):
                    vals[canon + "_raw"] = raw  # the words column is empty and the ticks unclear: asked
                continue  # beside a status column of words, an unclear tick leaves that column's reading alone
            elif vals.get(canon) is None and not vals.get(canon + "_raw"):
                vals[canon], vals[canon + "_raw"], vals[canon + "_source"] = code, raw, "column"
            elif vals.get(canon) is not None and (code == done) != (vals[canon] == done):
                if not findings:
                    findings = []
                findings.append(Finding(
                    L[g.options[0].col], canon, raw, f"与{L[first]}列「{heads[first]}」一致（该列「{vals[canon + '_raw']}」"
                    f"计为{vocab.label(vals[canon])}，勾选的「{raw}」读作{vocab.label(code)}）", code="status_disagree"))
        if summed:
            for canon, extra in summed.items():
                vals[canon] = _sum_known([vals.get(canon), *(vals.pop(k, None) for k in extra)])
        if hook is not None:
            missing = hook(vals, missing)
        if derived:
            missing = _derive(vals, derived, missing)
        dims: list | tuple = ()
        for c, label in dim_cols:
            if c >= width or not texts[c]:
                continue
            (num,), problem = _converted(_conv_number, number_memo, row[c], texts[c])
            if num is not None:
                if not dims:
                    dims = []
                dims.append((label, -abs(num) if c in deducted else num, L[c]))
            else:
                if not findings:
                    findings = []
                findings.append(Finding(L[c], header.raw_texts[c], texts[c], f"评价维度「{header.raw_texts[c]}」的得分应为数值"))
        rows_out.append(ParsedRow(r0 + 1, "data", vals, _cells_json(
            [[L[c], heads[c], t] for c, t in enumerate(texts) if t]), findings, missing, ri.subheading, dims))
    if kind.merged_record:
        _merge_record_parts(ps, sheet, kind, header, contract)
    if seq_col is not None:
        _qualify_restarting_numbers(ps, header.mapping[seq_col], contract)
    _check_body(ps, kind, header, contract)
    return ps


def _sum_known(ns: list):
    """The sum of the counts written (None: none written, never a confident 0)."""
    known = [n for n in ns if n is not None]
    return sum(known) if known else None


def _merge_record_parts(ps: ParsedSheet, sheet: Sheet, kind: Kind, header, contract: Contract) -> None:
    """One problem written over several rows: its 问题 cell merged down over rows that each give one measure and
    its own state (已完成 / 已完成 / 正在推进); one lead over a row per person (问题线索 merged, 处分 1 | 组织处理 1).
    Before, the first row alone made the record (rectified) and the others were held for a missing description.
    The rows below become part of the first row's record (row class continuation: skipped and classified), see
    _combine."""
    col = kind.merged_record
    ci = next((i for i, c in header.mapping.items() if c == col), None)
    if ci is None:
        return
    mapped = set(header.mapping.values())
    same = [c for c in kind.key if c in mapped and c != col]
    by_row = {pr.row: pr for pr in ps.rows}
    for r0, c0, r1, c1 in sheet.merged:
        if r1 == r0 or not (c0 <= ci <= c1):
            continue
        anchor = by_row.get(r0 + 1)
        if anchor is None or anchor.cls != "data" or not anchor.values or not anchor.values.get(col):
            continue
        parts = [by_row[r + 1] for r in range(r0 + 1, r1 + 1)
                 if r + 1 in by_row and by_row[r + 1].cls == "data" and not (by_row[r + 1].values or {}).get(col)
                 and not _numbered_apart(by_row[r + 1], anchor, same)]
        if not parts:
            continue
        _absorb(anchor, parts, kind, contract, ps.cols)
    # the same problem repeated on each of its measure rows (序号 and 问题 written again on every row, one after
    # the other): one record. Any other row (a title, a header, a sub-heading) ends the run. For a kind whose
    # records are often summarised alike (two leads of one unit: 违规吃喝), only with its number written again too
    if not same or (kind.repeats_need_number and not any(kind.columns[c].type == "id" for c in same)):
        return
    anchor, parts = None, []
    for pr in [*ps.rows, None]:
        if pr is not None and pr.cls != "data":
            if pr.cls == "continuation":
                continue  # already part of a merged record above
            if parts:
                _absorb(anchor, parts, kind, contract, ps.cols)
            anchor, parts = None, []
            continue
        if pr is not None and anchor is not None and pr.values.get(col) and \
                all(pr.values.get(c) is not None and pr.values.get(c) == anchor.values.get(c) for c in (col, *same)):
            parts.append(pr)
            continue
        if parts:
            _absorb(anchor, parts, kind, contract, ps.cols)
        anchor, parts = pr, []


def _numbered_apart(part: ParsedRow, anchor: ParsedRow, same: list[str]) -> bool:
    """A row under a merged 问题 that has its own number (序号 2 under 1's 问题) is another problem: it stays
    held for its missing description (and asked), not folded into the first."""
    return any(part.values.get(c) is not None and part.values.get(c) != anchor.values.get(c) for c in same)


def _absorb(anchor: ParsedRow, parts: list[ParsedRow], kind: Kind, contract: Contract,
            letters: dict | None = None) -> None:
    """Make parts (rows of the same record) part of anchor's record."""
    _combine(anchor, parts, kind, contract, letters)
    for pr in parts:
        if pr.findings:
            anchor.findings = [*anchor.findings, *(Finding(f.column, f.field, f.raw, f.expected, f.row or pr.row,
                                                           f.code) for f in pr.findings)]
        pr.cls, pr.values, pr.findings, pr.missing = "continuation", None, (), ()


def _combine(anchor: ParsedRow, parts: list[ParsedRow], kind: Kind, contract: Contract,
             letters: dict | None = None) -> None:
    """The record of anchor and its part rows: text columns joined (措施 1；措施 2), counts added up, the status
    combined (all the same → that; any part unreadable or silent → unknown; else done only when all are done,
    otherwise the vocabulary's mixed reading, 整改中), and a completion date kept only when all are done (the
    latest)."""
    rows = [anchor, *parts]
    vals = anchor.values
    letters = letters or {}
    for name, spec in kind.columns.items():
        if spec.type == "count":  # one lead over a row per person (处分 1 | 组织处理 1): the record's people
            ns = [r.values.get(name) for r in rows]
            known = [n for n in ns if n is not None]
            if len(known) > 1 and len(set(known)) == 1 and known[0] > 1:
                # the same count above 1 on every row (2 | 2): a person's row holds 0 or 1, so this is most likely
                # the record's total written again on each row, but it may be each row's own: neither is believed
                vals[name] = None
                anchor.findings = [*anchor.findings, Finding(
                    letters.get(name, ""), name, "、".join(str(n) for n in ns if n is not None),
                    f"一个计数（同一记录的 {len(known)} 行都写了 {known[0]}，不知道是每行各 {known[0]} 还是合计 "
                    f"{known[0]}：请只在第一行写合计，或合并这一格）")]
                continue
            vals[name] = _sum_known(ns)
        if spec.type == "text" and not spec.fill_down and not spec.context and name != kind.merged_record:
            texts = list(dict.fromkeys(t for t in (r.values.get(name) for r in rows) if t))
            if len(texts) > 1:
                vals[name] = "；".join(texts)
        if spec.type == "vocab" and spec.derive and spec.vocab in contract.vocabularies:
            vocab = contract.vocabularies[spec.vocab]
            date_col, done = spec.derive
            codes = [r.values.get(name) for r in rows]
            if len(set(codes)) == 1:
                code = codes[0]
            elif None in codes:
                code = None
            else:
                code = done if all(c == done for c in codes) else (vocab.reading.mixed if vocab.reading else None)
            raws = list(dict.fromkeys(t for t in (r.values.get(name + "_raw") for r in rows) if t))
            vals[name] = code
            vals[name + "_raw"] = "；".join(raws) or None
            sources = {r.values.get(name + "_source") for r in rows}
            vals[name + "_source"] = (sources.pop() if len(sources) == 1 else "column") if code is not None else None
            dates = [r.values.get(date_col) for r in rows]
            vals[date_col] = max((d for d in dates if d is not None), default=None) if code == done else None


_PERIOD_CTX = frozenset({"period"})
_BODY_TYPES = {"count": "非负整数", "int": "整数", "number": "数值", "date": "日期"}


def _check_body(ps: ParsedSheet, kind: Kind, header, contract: Contract) -> None:
    """The body must agree with the kind: when most values under an identifying number or date column do
    not parse (a problems ledger read as round statistics has sentences under 反馈问题), the kind is in doubt."""
    if ps.decision != "loaded" or header.forced:
        return
    ident = set(kind.identify_all) | set(kind.identify_any)
    letters = {canon: letter for canon, letter in ps.cols.items()}
    for canon in ident:
        spec = kind.columns.get(canon)
        if spec is None or spec.type not in _BODY_TYPES or canon not in letters:
            continue
        filled = bad = 0
        example = ""
        for pr in ps.rows:
            if pr.cls != "data":
                continue
            if pr.values.get(canon) is not None:
                filled += 1
            for fd in pr.findings:
                if fd.field == canon:
                    filled += 1
                    bad += 1
                    example = example or fd.raw
        if filled >= 3 and bad * 2 >= filled:
            ps.decision = "uncertain"
            ps.reasons.append(f"「{contract.label(kind.name, canon)}」列（{letters[canon]}）{bad}/{filled} 个值不是"
                              f"{_BODY_TYPES[spec.type]}（如「{example[:20]}」），这张表可能不是「{kind.label}」")
    # a text column that identifies the kind (问题线索, 反馈问题) holding counts (3件, 2): one row per unit with its
    # numbers, a statistics table, not a list of leads or problems (each row would count as one)
    for canon in sorted(ident):
        spec = kind.columns.get(canon)
        if spec is None or spec.type != "text" or canon not in letters or ps.decision != "loaded":
            continue
        texts = [t for pr in ps.rows if pr.cls == "data" and (t := pr.values.get(canon))]
        counts = [t for t in texts if _COUNT_CELL.fullmatch(nfkc(t).strip())]
        if counts and (len(counts) * 2 >= len(texts) if len(counts) >= 2 else len(texts) == 1):
            ps.decision = "uncertain"
            shown = next((header.raw_texts[i] for i, c in header.mapping.items() if c == canon), "") or \
                contract.label(kind.name, canon)
            ps.reasons.append(f"「{shown}」列（{letters[canon]}）{len(counts)}/{len(texts)} "
                              f"个值是数量（如「{counts[0][:20]}」）：这张表可能是按单位汇总的统计表，不是逐条的"
                              f"「{kind.label}」（逐条的表每行一件）")


_COUNT_CELL = re.compile(r"(?:共|计|合计)?\d+\s*(?:件|个|条|项|起|人|次)?(?:\d+\s*人)?")


def _filled_by_layout(kind: Kind, mapped: set) -> set:
    """Columns the row hook fills from other columns: the names under 组长/组员 headers give member_name."""
    return {kind.columns[c].names_into[0] for c in mapped if kind.columns[c].names_into}


def _not_ledger(sheet: Sheet, signature: str) -> ParsedSheet:
    """The analyst said this sheet is not a ledger: every row is skipped as such (still counted and kept)."""
    ps = ParsedSheet(name=sheet.name, kind=None, hidden=sheet.hidden, header_row=None,
                     header=[describe_header(sheet)], title="", stated_as_of=None, rows=[],
                     decision="not_ledger", signature=signature)
    n = 0
    for r, row in enumerate(sheet.rows):
        texts = [V.cell_text(v) for v in row]
        if any(texts):
            n += 1
            ps.rows.append(ParsedRow(r + 1, "not_ledger", cells=_cells_json(
                [[col_letter(c), "", t] for c, t in enumerate(texts) if t])))
    ps.n_blank = len(sheet.rows) - n
    return ps


def _qualify_restarting_numbers(ps: ParsedSheet, no_col: str, contract: Contract) -> None:
    """序号 that restarts under each sub-heading is qualified by it ("二-3"), so keys stay unique."""
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
        if pr.subheading:  # every level's number: "二-3", or "一-2-3" under "一、…" and "2.…"
            pr.values[no_col] = LY.qualified_number(pr.subheading, pr.values[no_col], contract)


def parse_file(path: Path, contract: Contract, rel: str | None = None) -> ParsedFile:
    """Parse every sheet of one file. Raises ReadError when the file cannot be read at all."""
    max_rows = int(contract.settings.get("max_rows_per_sheet") or 500_000)
    return ParsedFile(sheets=[parse_sheet(s, contract, rel) for s in read_file(path, max_rows)])
