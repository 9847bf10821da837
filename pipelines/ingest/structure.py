"""Sheet structure: find the header (one or two rows), classify the sheet kind by its
header signature, and classify every non-empty row as title / header / subheading /
footer / total / data. Pure functions over a read Sheet; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from pipelines import memo as _memo
from pipelines.contract import Contract, Kind, nfkc, norm_header, norm_header_cached, norm_value, qualified
from pipelines.ingest import layouts as L
from pipelines.ingest.read import Sheet
from pipelines.ingest.values import cell_text, find_period, parse_date

MIN_SUBSTRING_SYNONYM = 3


def _letters(idx: int) -> str:
    s = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        s = chr(65 + rem) + s
    return s


LETTERS = tuple(_letters(i) for i in range(16384))  # every column Excel allows (A … XFD)


def col_letter(idx: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    return LETTERS[idx] if idx < 16384 else _letters(idx)


def row_texts(row: list) -> list[str]:
    """cell_text of every cell of a row (strings, the common case, without a function call)."""
    return [(v.strip() if "\r" not in v else cell_text(v)) if v.__class__ is str else
            ("" if v is None else cell_text(v)) for v in row]


def match_columns(kind: Kind, headers: list[str]) -> tuple[dict[int, str], list[int]]:
    """Map normalised header texts to the kind's canonical columns.

    Exact synonym matches win (the earlier-listed synonym first); then a header containing a synonym of ≥3 characters
    (the longest such synonym) is accepted. Each canonical column is used once.
    Returns ({col_index: canonical}, [indices of unmatched non-empty headers]).
    """
    mapping: dict[int, str] = {}
    used: set[str] = set()
    # when two headers name the same column, the synonym listed first wins (问题编号 over 序号, 整改状态 over
    # a narrative 整改情况), then the leftmost
    exact = sorted((kind.rank[h], i, kind.exact[h]) for i, h in enumerate(headers) if h and h in kind.exact)
    for _rank, i, c in exact:
        if c not in used:
            mapping[i] = c
            used.add(c)
    for i, h in enumerate(headers):
        if not h or i in mapping or len(h) < MIN_SUBSTRING_SYNONYM:
            continue
        counted = h.endswith(_COUNT_ENDINGS)  # 被巡察单位数 is a number of units, not a unit's name
        for col in _fuzzy_columns(kind, h):
            if counted and kind.columns[col].type in _NAME_TYPES:
                continue
            if col not in used:
                mapping[i] = col
                used.add(col)
                break
    # the parts of a count column none of the headers names (党纪处分 | 政务处分, no 党纪政务处分): each part is
    # mapped to the column, and parse adds their cells up
    if kind.addends:
        parts = [(i, kind.addends[h]) for i, h in enumerate(headers) if h and i not in mapping and h in kind.addends]
        for i, col in parts:  # one part alone (党纪处分, no 政务处分) is not the whole: left to be asked
            if col not in used and sum(c == col for _i, c in parts) >= 2:
                mapping[i] = col
        used.update(col for i, col in parts if i in mapping)
    # a header the analyst said to ignore (「忽略此列」) is neither unmatched nor an assessment dimension; a
    # second status column (是否销号 beside 整改情况) is understood: it is read and compared (second_readings)
    seconds = second_readings(kind, headers, mapping)
    unmatched = [i for i, h in enumerate(headers)
                 if h and i not in mapping and h not in kind.ignore and i not in seconds]
    return mapping, unmatched


def second_readings(kind: Kind, headers: list[str], mapping: dict[int, str]) -> dict[int, str]:
    """Headers naming a status column (a vocabulary column that derives a status) the mapping already has
    from another header: {col_index: canonical}. Both say whether the item is done; the row keeps the first
    header's reading (the synonym listed first), and a second one that says otherwise is a finding."""
    used = set(mapping.values())
    return {i: kind.exact[h] for i, h in enumerate(headers)
            if h and i not in mapping and h not in kind.ignore and kind.exact.get(h) in used
            and kind.columns[kind.exact[h]].type == "vocab" and kind.columns[kind.exact[h]].derive}


class Choice(NamedTuple):
    col: int
    code: str
    label: str  # the option's header as written ("已完成")


class ChoiceGrid(NamedTuple):
    """Tick boxes: a status written as several columns, one ticked (√) per row: 整改进度 over 已完成 |
    正在整改 | 未整改, the option headers alone (已整改 | 未整改), or 是否完成 over 是 | 否. The row's status is
    the ticked option's header; the contract's choice_marks say what a tick and a blank are."""
    canon: str
    options: tuple[Choice, ...]
    label_row: int  # 0-based row of the option headers
    primary: bool  # the status column itself (False: a second reading beside a status column of words)
    group: str = ""  # the header over the options (整改进度), "" when they stand alone (or under a title)


GRID_MIN_MARKS = 0.6  # of the filled cells under the options, at least this share are tick marks
_VS16 = "\ufe0f"  # the emoji presentation selector (✔️): not part of the mark


TICK, BLANK, OTHER = 1, 0, -1


def _box(text: str, label: str, marks: tuple[frozenset, frozenset]) -> int:
    """What one box holds: TICK (a tick mark, or the option's own header written in it), BLANK (empty, or a
    mark that leaves it unticked: × 否 □), or OTHER (anything else: ○, a date, a word)."""
    v = norm_value(text)
    if _VS16 in v:
        v = v.replace(_VS16, "")
    if not v:
        return BLANK
    if v in marks[0] or v == norm_value(label):
        return TICK
    return BLANK if v in marks[1] else OTHER


def choice_grids(sheet: Sheet, header: HeaderGuess, contract: Contract, infos: list[RowInfo]) -> list[ChoiceGrid]:
    """The sheet's tick-box status columns. Options are header cells the status vocabulary reads (exactly or
    as a phrase, never by "contains"), at least two of them, naming different statuses, side by side, and
    the cells under them tick marks or blanks (GRID_MIN_MARKS of the filled ones, at least one a tick).
    They are either
    - headers no column explains, in the header row or the sub row of a two-row header, all under one group
      header and with no unexplained header beside them in that group (立行立改 | 限期整改 | 长期坚持 is a
      choice of category, not of status); a bare 是 | 否 counts only under a header naming the status
      (是否完成 over 是 | 否; 是否逾期 or 是否属实 over 是 | 否 is another question), or
    - the row just below a status header spanning them (整改进度 merged over 已完成 | 正在整改 | 未整改), when
      that row holds nothing else.
    A column whose own header names the status (是否销号) is a column of answers, never an option. Anything
    else is not a grid and is read as before (a column of words, or an unmatched header)."""
    questions = contract.choice_questions
    kind = contract.kinds[header.kind]
    derived = [c for c, spec in kind.columns.items() if spec.type == "vocab" and spec.derive]
    if not contract.choice_marks[0] or not derived:
        return []
    seconds = second_readings(kind, header.texts, header.mapping)
    data = [ri for ri in infos if ri.cls == "data"]
    below = header.row + 1
    below_info = next((ri for ri in data if ri.row == below), None)
    width = max(len(header.raw_texts), max((len(ri.texts) for ri in data), default=0))
    unknown = {c for c in range(width) if c not in header.mapping and c not in seconds}
    label_texts = header.raw_texts if header.n_rows == 1 else row_texts(sheet.rows[header.row])
    grids: list[ChoiceGrid] = []
    taken: set[int] = set()
    for canon in derived:
        vocab = contract.vocabularies[kind.columns[canon].vocab]
        mapped = [c for c, k in header.mapping.items() if k == canon]
        named = set(mapped) | {c for c, k in seconds.items() if k == canon}
        tries: list[tuple[int, list[str], set[int]]] = [(header.row, label_texts, unknown)]
        if header.n_rows == 1 and named and below_info is not None:
            tries.append((below, below_info.texts, named))
        for lr, texts, allowed in tries:
            opts = []
            for c, t in enumerate(texts):
                if not t or c in taken or c not in allowed or norm_value(t).startswith(questions):
                    continue  # 是否按期完成 is a question: the 是 / 否 under it answers it
                code, how = vocab.classify(t)
                if code is not None and how in ("exact", "phrase", "answered"):
                    opts.append(Choice(c, code, t))
            if len(opts) < 2 or len({o.code for o in opts}) < 2:
                continue
            cols = sorted(o.col for o in opts)
            if cols[-1] - cols[0] != len(cols) - 1:
                continue  # not side by side
            if lr == below:
                if len(opts) != sum(1 for t in texts if t):
                    continue  # the row below the header holds something besides option headers: it is data
                group = header.raw_texts[cols[0]]
            else:
                over = _texts_above(sheet, lr, cols[0] - 1, cols[-1] + 1)
                groups = {over[c] for c in cols}
                if len(groups) != 1:
                    continue  # under different group headers
                group = groups.pop()
                if any(over[n] == group and n in unknown and n < len(texts) and texts[n] for n in
                       (cols[0] - 1, cols[-1] + 1) if n >= 0):
                    continue  # an unexplained header beside them in their group: a choice of something else
                names = kind.exact.get(contract.header_norm(group)) if group else None
                if names is not None and names != canon:
                    continue  # under another column's header (整改类型 over 立行立改 | 长期坚持)
                if names != canon and any(len(norm_value(o.label)) < 2 for o in opts):
                    continue  # a bare 是 | 否 answers the question above it, which is not the status
            marks = other = 0
            for ri in data:
                if ri.row == lr:
                    continue
                for o in opts:
                    got = _box(ri.texts[o.col], o.label, contract.choice_marks) if o.col < len(ri.texts) else BLANK
                    marks += got == TICK
                    other += got == OTHER
            if marks == 0 or marks < GRID_MIN_MARKS * (marks + other):
                continue
            shown = group if lr == below or (group and kind.exact.get(contract.header_norm(group))) else ""
            grids.append(ChoiceGrid(canon, tuple(opts), lr, primary=not mapped or mapped[0] in cols, group=shown))
            taken |= set(cols)
            break
    return grids


def _texts_above(sheet: Sheet, r: int, c0: int, c1: int) -> dict[int, str]:
    """The header text over columns c0..c1 of row r (a merged group cell spread over its range); a cell
    merged down into row r is its own text, not a group over it."""
    if r == 0:
        return {c: "" for c in range(c0, c1 + 1)}
    fill = horizontal_fill(sheet, r)
    above, here = _row_texts(sheet, r - 1, fill), _row_texts(sheet, r, fill)
    out = {}
    for c in range(c0, c1 + 1):
        t = above[c] if 0 <= c < len(above) else ""
        out[c] = "" if t and c < len(here) and here[c] == t else t
    return out


def read_choice(grid: ChoiceGrid, texts: list[str], contract: Contract, vocab) -> tuple[str | None, str] | None:
    """A row's (code, raw text) from its tick boxes: one option ticked → its code and header; none → None
    (the row says nothing); one option holding a status word of the vocabulary itself ("正在整改" written
    across the boxes) → that word's reading; several ticked, or an option holding something else → no code,
    and the raw text says what each option holds ("已完成：√；正在整改：√"), so the analyst is asked (an
    answer to that text is the code)."""
    hits, said = [], []
    for o in grid.options:
        got = _box(texts[o.col], o.label, contract.choice_marks) if o.col < len(texts) else BLANK
        if got == TICK:
            hits.append(o)
        elif got == OTHER:
            said.append(o)
    if not hits and not said:
        return None
    if len(hits) == 1 and not said:
        return hits[0].code, hits[0].label
    if not hits and len(said) == 1:
        t = texts[said[0].col]
        code, how = vocab.classify(t)
        if code is not None and how in ("exact", "answered"):
            return code, t
    raw = "；".join(f"{o.label}：{texts[o.col]}" for o in sorted(hits + said, key=lambda o: o.col))
    return vocab.answered.get(norm_value(raw)), raw  # the analyst's answer to this very text, else unknown


_COUNT_ENDINGS = ("数", "数量", "个数", "人数", "件数", "次数")
_COUNTED = frozenset({"count", "int", "number"})
_NAME_TYPES = ("text", "id", "vocab")


def _fuzzy_columns(kind: Kind, h: str) -> list[str]:
    """The kind's columns whose ≥3-character synonym occurs in header text h, in synonym order (memoised)."""
    t = _memo.table(kind, "fuzzy_columns")
    hit = t.get(h)
    return hit if hit is not None else _memo.put(t, h, [
        col for syn, col in kind.fuzzy
        if syn in h and not (kind.columns[col].type in FACT_TYPES and qualified(h, syn, kind.qualifiers))])


# columns that state a fact (a date, a status, a number): a header that also says 计划 or 要求 is a plan or a
# requirement, not that fact (计划完成时间 is no 完成时间); a text column (整改措施) means the same either way
FACT_TYPES = frozenset({"date", "vocab", "count", "int", "number"})


def satisfies(kind: Kind, fields: set[str]) -> bool:
    """The kind's signature (identify), or one of its other signatures (identify_also), is present."""
    if _signature(kind.identify_all, kind.identify_any, fields):
        return True
    # an assessment sheet without its signature is identified by dimension columns instead (see _score)
    return any(_signature(a, b, fields) for a, b in kind.identify_also)


def _signature(all_: tuple[str, ...], any_: tuple[str, ...], fields: set[str]) -> bool:
    return all(f in fields for f in all_) and (not any_ or any(f in fields for f in any_))


@dataclass
class HeaderGuess:
    kind: str
    row: int  # 0-based index of the (last) header row
    n_rows: int  # 1 or 2
    texts: list[str]  # normalised header per column
    raw_texts: list[str]  # header as written (joined group/sub for two-row headers)
    mapping: dict[int, str]
    unmatched: list[int]
    score: float
    forced: bool = False  # the kind was given by the analyst (an answer), not decided here


def _row_texts(sheet: Sheet, r: int, hfill: dict[tuple[int, int], object]) -> list[str]:
    out = row_texts(sheet.rows[r]) if r < len(sheet.rows) else []
    if hfill:
        for c in range(len(out)):
            if not out[c] and (r, c) in hfill:
                out[c] = cell_text(hfill[(r, c)])
    return out


def horizontal_fill(sheet: Sheet, upto: int) -> dict[tuple[int, int], object]:
    """Values of horizontally merged cells spread over their range (for group header cells)."""
    fill: dict[tuple[int, int], object] = {}
    for r0, c0, r1, c1 in sheet.merged:
        if r0 > upto:
            continue
        if r0 >= len(sheet.rows) or c0 >= len(sheet.rows[r0]):
            continue
        v = sheet.rows[r0][c0]
        for r in range(r0, min(r1, upto) + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    fill[(r, c)] = v
    return fill


def _score(kind: Kind, mapping: dict[int, str], unmatched: list[int], ctx: frozenset = frozenset(),
           texts: list[str] | None = None) -> float:
    """ctx: fields the sheet states outside the header (the period in its title or name); they count
    towards identifying the kind, not towards the score."""
    fields = set(mapping.values())
    known = fields | {f for f in ctx if f in kind.columns and kind.columns[f].context}
    if not satisfies(kind, known):
        if not (kind.dimensions and all(f in known for f in kind.identify_all)):
            return -1
    # more matched canonical columns is better; identifying columns weigh more
    s = len(fields) + 0.5 * sum(1 for f in fields if f in kind.identify_all or f in kind.identify_any)
    if kind.dimensions and "dimension" not in fields:
        # wide assessment sheets: unmatched non-empty headers are dimension candidates (distinct names: a
        # group cell merged over the dimensions repeats one text and names none of them)
        s += 0.25 * (len({texts[i] for i in unmatched}) if texts is not None else len(unmatched))
    return s


MAX_HEADER_CELL = 40
_PERIOD_CTX = frozenset({"period"})


def _norm_cells(texts: list[str], contract: Contract) -> list[str]:
    """Normalised header candidates; long cells (data, not headers) become a non-matching marker."""
    norm = contract.header_norm
    return [norm(t) if len(t) <= MAX_HEADER_CELL else ("\x00" if t else "") for t in texts]


def find_header(sheet: Sheet, contract: Contract, only: str | None = None) -> HeaderGuess | None:
    """The best header row (or pair of rows) and the kind it names. only: the kind the analyst said the
    sheet is (its identifying columns are then not required, any matched column counts)."""
    scan = int(contract.settings.get("header_scan_rows", 20))
    limit = min(scan, len(sheet.rows))
    hfill = horizontal_fill(sheet, limit + 1)
    best: HeaderGuess | None = None
    texts_cache: dict[int, tuple[list[str], list[str]]] = {}

    def row(r: int) -> tuple[list[str], list[str]]:
        if r not in texts_cache:
            raw = _row_texts(sheet, r, hfill)
            texts_cache[r] = (raw, _norm_cells(raw, contract))
        return texts_cache[r]

    exact = contract.all_exact
    period_seen = find_period(sheet.name) is not None
    for r in range(limit):
        top, ntop = row(r)
        ctx = _PERIOD_CTX if period_seen else frozenset()
        if not period_seen and top and len(set(t for t in top if t)) <= 2:
            period_seen = find_period(" ".join(dict.fromkeys(t for t in top if t))) is not None  # a title row
        if sum(1 for t in top if t) < 2:
            continue
        # a candidate needs a known header text in this row (one row) or the next (two rows): a row with
        # neither is passed over before the costlier test below (most rows scanned are the ledger's body)
        top_known = any(n in exact for n in ntop)
        sub, nsub = row(r + 1) if r + 1 < len(sheet.rows) else ([], [])
        has_sub = any(sub)
        sub_known = has_sub and any(n in exact for n in nsub)
        if not (top_known or sub_known):
            continue
        if _looks_like_values(contract, top, ntop):
            continue  # dates, numbers and status words are the body of a ledger, not its header
        candidates = []
        if top_known:
            candidates.append((r, 1, top, None))
        if has_sub and (sub_known or candidates):
            width = max(len(top), len(sub))
            pair = []
            for c in range(width):
                g = top[c] if c < len(top) else ""
                s_ = sub[c] if c < len(sub) else ""
                ng = ntop[c] if c < len(ntop) else ""
                ns = nsub[c] if c < len(nsub) else ""
                if g and s_ and g != s_:
                    pair.append((f"{g}/{s_}", ng, ns, contract.header_norm(g + s_)))
                else:
                    pair.append((s_ or g, "", ns or ng, ""))
            candidates.append((r + 1, 2, [p[0] for p in pair], pair))
        for hr, n, raw_texts, pair in candidates:
            # a candidate ending on a group row (发现问题 merged over 总数 | 其中：立行立改 in the row below) is not
            # the header: it would repeat 发现问题 and read the sub headers as a data row; on a tie it loses to
            # the group and sub rows together (or to the sub header row alone, as before)
            lift = -GROUPED_PENALTY if hr + 1 < len(sheet.rows) and _grouped(row(hr)[0], row(hr + 1)[0]) else 0.0
            if best is not None and only is None and \
                    _upper_bound(contract, ntop, pair) + lift <= best.score + 1e-9:
                continue  # cannot beat the header already found (most rows below a header are data)
            for kind, norm, mapping, unmatched, sc in _evaluate(contract, ntop, pair, n, ctx, only):
                sc += lift
                if best is None or sc > best.score + 1e-9:
                    best = HeaderGuess(kind, hr, n, norm, raw_texts, mapping, unmatched, sc, only is not None)
    return best


GROUPED_PENALTY = 0.02  # more than the two-row penalty (_evaluate), less than any matched column


def _grouped(top: list[str], sub: list[str]) -> bool:
    """A header cell repeated over neighbouring columns (a merged group cell, filled) above different sub
    header cells, in a row of several header texts (a title merged over the whole table is no group)."""
    if len({t for t in top if t}) < 2:
        return False
    return any(top[c] and top[c] == top[c - 1] and c < len(sub) and sub[c] and sub[c - 1] and sub[c] != sub[c - 1]
               for c in range(1, len(top)))


def _looks_like_values(contract: Contract, texts: list[str], norm: list[str]) -> bool:
    """A row whose cells are mostly values (dates, numbers, status words such as 已整改) is a data row,
    even when some of its words are also header words. Known header texts never count as values."""
    memo = _memo.table(contract, "value_like")
    n = valueish = 0
    for t, h in zip(texts, norm):
        if not t:
            continue
        n += 1
        v = memo.get(t)
        if v is None:
            v = _memo.put(memo, t, h not in contract.all_exact and _is_value(contract, t))
        valueish += v
    return valueish >= 2 and valueish * 3 >= n


_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?%?$")


def _is_value(contract: Contract, text: str) -> bool:
    t = nfkc(text).strip()
    if _NUMBER.match(t):
        return True
    if len(t) >= 6 and parse_date(t)[0] is not None:
        return True
    return norm_value(t) in contract.status_words


def _matchable(contract: Contract, h: str, memo: dict | None = None) -> frozenset[str]:
    """Kinds in which header text h could map a column: exactly, or by containing a ≥3-character synonym.
    memo: the contract's "matchable" table, when the caller already holds it."""
    if memo is None:
        memo = _memo.table(contract, "matchable")
    ks = memo.get(h)
    if ks is None:
        ks = _memo.put(memo, h, frozenset(contract.kinds_by_header.get(h, ())) | (
            frozenset(_fuzzy_kinds(contract, h)) if len(h) >= MIN_SUBSTRING_SYNONYM else frozenset()))
    return ks


def _upper_bound(contract: Contract, ntop: list[str], pair) -> float:
    """The highest score (see _score) any kind could give this candidate: each column maps at most one
    field, worth at most 1.5, and a dimension sheet adds 0.25 per other non-empty column.

    A column of a two-row candidate counts for the kinds that could match the text _pick_pair can give it:
    the sub header (exactly or by a synonym inside it), or group+sub only where a kind knows it exactly;
    the group header only when the sub cell is empty. (Every one of its texts counted before, so a header
    row paired with the first data row under it, whose group+sub texts contain the header's own synonyms,
    was never passed over and was matched for every kind.)"""
    counts: dict[str, int] = {}
    nonempty = 0
    memo = _memo.table(contract, "matchable")
    exact = contract.kinds_by_header
    for names in ([(h,) for h in ntop] if pair is None else [p_[1:] for p_ in pair]):
        ks: set[str] = set()
        if len(names) == 1 or not names[2]:  # one row, or a column _pick_pair takes as it is (sub or group)
            for h in names:
                if h:
                    ks |= _matchable(contract, h, memo)
        else:
            ng, ns, both = names
            ks.update(exact.get(both, ()))
            if ns or ng:
                ks |= _matchable(contract, ns or ng, memo)
            if ns in contract.header_totals:  # 发现问题 over 总数: the group's own count (_pick_pair)
                ks.update(exact.get(ng, ()))
        if any(names):
            nonempty += 1
        for k in ks:
            counts[k] = counts.get(k, 0) + 1
    best = 0.0
    for k, c in counts.items():
        kind = contract.kinds[k]
        b = 1.5 * min(c, len(kind.columns)) + (0.25 * nonempty if kind.dimensions else 0)
        best = max(best, b)
    return best


def _fuzzy_kinds(contract: Contract, h: str) -> set[str]:
    """Kinds with a ≥3-character synonym inside h. Synonyms are indexed by their first two characters,
    so a long cell costs one lookup per character instead of a test per synonym."""
    index = contract.fuzzy_index
    out: set[str] = set()
    for i in range(len(h) - 2):
        for syn, kinds in index.get(h[i:i + 2], ()):
            if h.startswith(syn, i):
                out.update(kinds)
    return out


def _plausible_kinds(contract: Contract, names) -> set[str]:
    """Kinds that know a header exactly, or one of whose synonyms a header contains (memoised per text)."""
    memo = _memo.table(contract, "kinds_of_header")
    plausible: set[str] = set()
    for h in names:
        if not h:
            continue
        ks = memo.get(h)
        if ks is None:
            ks = contract.kinds_by_header.get(h)
            if ks is None:
                ks = _fuzzy_kinds(contract, h) if len(h) >= 3 else ()
            ks = _memo.put(memo, h, frozenset(ks))
        plausible |= ks
    return plausible


def _evaluate(contract: Contract, ntop: list[str], pair, n: int, ctx: frozenset = frozenset(),
              only: str | None = None) -> list[tuple]:
    """Every kind a header candidate could be, with its column mapping and score (> 0 only). Memoised:
    a ledger set repeats a handful of header layouts across thousands of files. only: the one kind to
    try, identified or not (the analyst's answer)."""
    memo = _memo.table(contract, "header_candidates")
    key = (tuple(ntop), n, ctx, only) if pair is None else (tuple(pair), n, ctx, only)
    hit = memo.get(key)
    if hit is not None:
        return hit
    names = ntop if pair is None else [x for p_ in pair for x in p_[1:]]
    plausible = _plausible_kinds(contract, names) if only is None else {only}
    out = []
    for kind in (k for k in contract.kinds.values() if k.name in plausible):
        norm = ntop if pair is None else _pick_pair(kind, pair)
        # the kind's reading of these header texts (a title row paired with the header picks the header's
        # own texts: the same reading as the header alone, looked up instead of matched again)
        kmemo = _memo.table(kind, "evaluated")
        kkey = (tuple(norm), n, ctx, only)
        got = kmemo.get(kkey)
        if got is None:
            mapping, unmatched = match_columns(kind, norm)
            if only is None:
                sc = _score(kind, mapping, unmatched, ctx, norm) - (0.01 if n == 2 else 0)
            else:
                sc = len(mapping) - (0.01 if n == 2 else 0)
            got = _memo.put(kmemo, kkey, (mapping, unmatched, sc))
        mapping, unmatched, sc = got
        if sc > 0:
            out.append((kind.name, norm, mapping, unmatched, sc))
    _memo.put(memo, key, out)
    return out


def _pick_pair(kind: Kind, pair: list[tuple[str, str, str, str]]) -> list[str]:
    """For a two-row header pick, per column, the sub header if it is a known synonym, else group+sub."""
    out = []
    for _raw, ng, ns, both in pair:
        if not both:
            out.append(ns)
        elif ns in kind.exact or ns in kind.addends:
            out.append(ns)
        elif both in kind.exact:
            out.append(both)
        elif ng in kind.exact and (not ns or (ns in kind.totals and kind.columns[kind.exact[ng]].type in _COUNTED)):
            out.append(ng)  # 发现问题 over 总数 | 其中：立行立改: the total is the group's own count
        else:
            out.append(ns or ng)
    return out


class RowInfo(NamedTuple):
    row: int  # 0-based
    cls: str  # data | title | header | subheading | footer | total | unclassified_sheet | ...
    texts: list[str]
    subheading: str | None = None


_SHORT = 40  # longer cells (descriptions) are normalised only when they contain a total word


_WS = re.compile(r"\s+")


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether a long cell contains one of the words once spaces are dropped ("合 计（…）")."""
    squeezed = _WS.sub("", text)
    return any(w in squeezed for w in words)


def classify_rows(sheet: Sheet, header: HeaderGuess | None, contract: Contract) -> list[RowInfo]:
    """Classify every non-empty row (blank rows are left out)."""
    out: list[RowInfo] = []
    first_data = header.row + 1 if header else len(sheet.rows)
    header_norm = set(t for t in header.texts if t) if header else set()
    header_raw = {t for t in (header.raw_texts if header else []) if t}
    repeat_min = max(2, len(header_norm) // 2)
    footer, totals, tp = contract.footer_prefixes, contract.total_words, contract.total_pattern
    in_footer = False
    current_sub: str | None = None
    footer_start = _memo.table(contract, "footer_start")  # first text → it starts with a footer prefix
    total_text = _memo.table(contract, "total_text")  # text → it is a total word (合计, 总计 …)
    for r, row in enumerate(sheet.rows):
        if not row:
            continue
        texts = row_texts(row)
        nonempty = [t for t in texts if t]
        if not nonempty:
            continue
        if header is None:
            out.append(RowInfo(r, "unclassified_sheet", texts))
            continue
        if r < first_data:
            cls = "header" if r > header.row - header.n_rows else "title"
            out.append(RowInfo(r, cls, texts))
            continue
        first = nonempty[0]
        starts = footer_start.get(first)
        if starts is None:
            starts = _memo.put(footer_start, first,
                               (first if first.isascii() else nfkc(first)).lstrip().startswith(footer))
        if in_footer or starts or L.is_footer(first, contract, len(nonempty)):
            in_footer = True
            out.append(RowInfo(r, "footer", texts))
            continue
        if not header_raw.isdisjoint(nonempty[:3]) and \
                len({contract.header_norm(t) for t in nonempty} & header_norm) >= repeat_min:
            out.append(RowInfo(r, "header", texts))
            continue
        total = False
        for t in texts[:4]:
            if t:
                hit = total_text.get(t)
                if hit is None:
                    hit = _memo.put(total_text, t, ((len(t) <= _SHORT or _mentions(t, totals))
                                                    and norm_header_cached(t) in totals)
                                    or (tp is not None and tp.match(nfkc(t)) is not None))
                if hit:
                    total = True
                    break
        if total:
            out.append(RowInfo(r, "total", texts))
            continue
        distinct = list(dict.fromkeys(nonempty)) if len(nonempty) <= 2 or len(set(nonempty)) <= 2 else None
        if distinct is not None:
            h = L.heading(distinct, contract)  # "一、…方面", "（一）…", "1.关于…的整改", "一是…"
            if h is not None:
                current_sub = L.nest(current_sub, h[0], h[1], contract)
                out.append(RowInfo(r, "subheading", texts, current_sub))
                continue
        out.append(RowInfo(r, "data", texts, current_sub))
    return out


def title_text(rows: list[RowInfo]) -> str:
    """Text of the title rows above the header (for round, unit and 统计截至 context)."""
    parts = []
    for ri in rows:
        if ri.cls == "title":
            parts.extend(dict.fromkeys(t for t in ri.texts if t))
    return " ".join(parts)


def describe_header(sheet: Sheet) -> str:
    """For an unclassified sheet: the first row that looks like a header (≥2 non-empty cells)."""
    for row in sheet.rows[:30]:
        texts = [cell_text(v) for v in row]
        if sum(1 for t in texts if t) >= 2:
            return " | ".join(t for t in texts if t)[:300]
    for row in sheet.rows[:30]:
        texts = [cell_text(v) for v in row if cell_text(v)]
        if texts:
            return " | ".join(texts)[:300]
    return ""


# ---------------------------------------------------------------- the sheet's kind, decided on evidence


@dataclass
class Judgement:
    decision: str  # loaded | uncertain | unclassified | not_ledger
    candidates: list[dict]  # [{kind, label, score, identified, headers}] best first
    reasons: list[str]  # why the sheet is uncertain (Chinese, for the analyst)
    unmatched: list[dict]  # [{column, header}] headers that map to no column of the chosen kind


GENERIC_HEADERS = ("序号", "备注", "说明", "编号", "其他", "附件", "备考")


def candidates_of(contract: Contract, header: HeaderGuess, ctx: frozenset = frozenset()) -> list[dict]:
    """Every kind that maps at least one of the header's columns, with its score ("identified": the kind's
    identifying columns are all there), best first: the evidence behind a decision, shown to the analyst.
    Memoised per header (a ledger set repeats a few layouts); each call gets its own copies."""
    memo = _memo.table(contract, "candidates_of")
    key = (tuple(header.texts), tuple(header.raw_texts), ctx)
    hit = memo.get(key)
    if hit is None:
        hit = _memo.put(memo, key, _candidates_of(contract, header, ctx))
    return [{**c, "headers": list(c["headers"])} for c in hit]


def _candidates_of(contract: Contract, header: HeaderGuess, ctx: frozenset) -> list[dict]:
    out = []
    for kind in contract.kinds.values():
        mapping, unmatched = match_columns(kind, header.texts)
        if not mapping:
            continue
        sc = _score(kind, mapping, unmatched, ctx, header.texts)
        out.append({"kind": kind.name, "label": kind.label, "identified": sc > 0,
                    "score": round(sc if sc > 0 else float(len(mapping)), 2),
                    "headers": [header.raw_texts[i] for i in sorted(mapping)]})
    out.sort(key=lambda c: (not c["identified"], -c["score"], c["kind"]))
    return out


def _column_label(kind: Kind, col: str) -> str:
    c = kind.columns[col]
    return c.label or (c.synonyms[0] if c.synonyms else col)


def judge(contract: Contract, header: HeaderGuess | None, infos: list[RowInfo], ctx: frozenset = frozenset(),
          understood: frozenset = frozenset()) -> Judgement:
    """Load a sheet as a kind only when that kind wins clearly. A close second, a column that belongs to
    another kind (declared as contradicting in the contract), too few of the headers explained, or rows
    that look like data above the header make the sheet uncertain: its rows are held and the analyst asked.
    understood: columns explained otherwise (the options of tick boxes, choice_grids): not unmatched."""
    if header is None:
        return Judgement("unclassified", [], [], [])
    kind = contract.kinds[header.kind]
    letters = [col_letter(i) for i in range(len(header.texts))]
    unmatched = [{"column": letters[i], "header": header.raw_texts[i]} for i in header.unmatched
                 if header.raw_texts[i] and i not in understood]
    cands = candidates_of(contract, header, ctx)
    if header.forced:
        return Judgement("loaded", cands, [], unmatched)
    st = contract.settings
    reasons: list[str] = []
    best = header.score
    rivals = [c for c in cands if c["identified"] and c["kind"] != kind.name]
    margin = float(st.get("kind_margin", 1.0))
    if rivals and rivals[0]["score"] > best - margin:
        r = rivals[0]
        reasons.append(f"也像「{r['label']}」（得分 {r['score']:.1f}，「{kind.label}」{best:.1f}），两者差距不足 {margin:g}")
    for i in header.unmatched:
        h = header.texts[i]
        if not h or i in understood:
            continue
        for other, col in kind.contradicts:
            k2 = contract.kinds.get(other)
            if k2 is None:
                continue
            if k2.exact.get(h) == col or (len(h) >= MIN_SUBSTRING_SYNONYM and col in _fuzzy_columns(k2, h)):
                reasons.append(f"表头「{header.raw_texts[i]}」是「{k2.label}」的「{_column_label(k2, col)}」列，"
                               f"「{kind.label}」中不应有这一列")
                break
    if kind.title_words:
        written = title_text(infos)
        title = nfkc(written)
        said = [w for w in kind.title_words if w in title]
        if said and not any(w in title for w in kind.title_unless):
            reasons.append(f"标题「{written[:40]}」写的是「{said[0]}」，没有提到"
                           f"{'、'.join(kind.title_unless[:2])}：这张表可能不是「{kind.label}」")
    generic = {norm_header(g) for g in GENERIC_HEADERS}
    dims = kind.dimensions and "dimension" not in header.mapping.values()
    countable = [i for i, h in enumerate(header.texts) if h and h not in generic]
    explained = [i for i in countable if i in header.mapping or i in understood
                 or (dims and h_not_known(contract, header.texts[i]))]
    min_cov = float(st.get("min_header_coverage", 0.4))
    if len(countable) >= 4 and len(explained) < min_cov * len(countable):
        others = [header.raw_texts[i] for i in countable if i not in explained]
        reasons.append(f"只有 {len(explained)}/{len(countable)} 个表头能对上「{kind.label}」的标准列，"
                       f"其余如：{'、'.join(others[:5])}")
    width = sum(1 for t in header.raw_texts if t)
    need = max(3, (width + 1) // 2)
    above = [ri.row + 1 for ri in infos if ri.cls == "title" and sum(1 for t in ri.texts if t) >= need]
    if len(above) >= 2:
        reasons.append(f"表头（第{header.row + 1}行）之上有 {len(above)} 行看起来是数据（第{above[0]}行起），"
                       "可能选错了表头行")
    return Judgement("uncertain" if reasons else "loaded", cands, reasons, unmatched)


def h_not_known(contract: Contract, h: str) -> bool:
    """A wide assessment's dimension column: a header no kind knows (序号, 备注 … are never dimensions)."""
    return h not in contract.known_headers
