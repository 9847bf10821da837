"""Sheet structure: find the header (one or two rows), classify the sheet kind by its
header signature, and classify every non-empty row as title / header / subheading /
footer / total / data. Pure functions over a read Sheet; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from pipelines.contract import MEMO_LIMIT, Contract, Kind, nfkc, norm_header, norm_header_cached
from pipelines.ingest import layouts as L
from pipelines.ingest.read import Sheet
from pipelines.ingest.values import cell_text, find_period

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
        for col in _fuzzy_columns(kind, h):
            if col not in used:
                mapping[i] = col
                used.add(col)
                break
    unmatched = [i for i, h in enumerate(headers) if h and i not in mapping]
    return mapping, unmatched


def _fuzzy_columns(kind: Kind, h: str) -> list[str]:
    """The kind's columns whose ≥3-character synonym occurs in header text h, in synonym order (memoised)."""
    hit = kind.fuzzy_memo.get(h)
    if hit is None:
        hit = [col for syn, col in kind.fuzzy if syn in h]
        if len(kind.fuzzy_memo) < MEMO_LIMIT:
            kind.fuzzy_memo[h] = hit
    return hit


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


def _norm_cells(texts: list[str]) -> list[str]:
    """Normalised header candidates; long cells (data, not headers) become a non-matching marker."""
    return [norm_header_cached(t) if len(t) <= MAX_HEADER_CELL else ("\x00" if t else "") for t in texts]


def find_header(sheet: Sheet, contract: Contract) -> HeaderGuess | None:
    scan = int(contract.settings.get("header_scan_rows", 20))
    limit = min(scan, len(sheet.rows))
    hfill = horizontal_fill(sheet, limit + 1)
    best: HeaderGuess | None = None
    texts_cache: dict[int, tuple[list[str], list[str]]] = {}

    def row(r: int) -> tuple[list[str], list[str]]:
        if r not in texts_cache:
            raw = _row_texts(sheet, r, hfill)
            texts_cache[r] = (raw, _norm_cells(raw))
        return texts_cache[r]

    period_seen = find_period(sheet.name) is not None
    for r in range(limit):
        top, ntop = row(r)
        ctx = _PERIOD_CTX if period_seen else frozenset()
        if not period_seen and top and len(set(t for t in top if t)) <= 2:
            period_seen = find_period(" ".join(dict.fromkeys(t for t in top if t))) is not None  # a title row
        if sum(1 for t in top if t) < 2:
            continue
        candidates = []
        if any(n in contract.all_exact for n in ntop):
            candidates.append((r, 1, top, None))
        if r + 1 < len(sheet.rows):
            sub, nsub = row(r + 1)
            if any(t for t in sub) and (any(n in contract.all_exact for n in nsub) or candidates):
                width = max(len(top), len(sub))
                pair = []
                for c in range(width):
                    g = top[c] if c < len(top) else ""
                    s_ = sub[c] if c < len(sub) else ""
                    ng = ntop[c] if c < len(ntop) else ""
                    ns = nsub[c] if c < len(nsub) else ""
                    if g and s_ and g != s_:
                        pair.append((f"{g}/{s_}", ng, ns, norm_header(g + s_)))
                    else:
                        pair.append((s_ or g, "", ns or ng, ""))
                candidates.append((r + 1, 2, [p[0] for p in pair], pair))
        for hr, n, raw_texts, pair in candidates:
            if best is not None and _upper_bound(contract, ntop, pair) <= best.score + 1e-9:
                continue  # cannot beat the header already found (most rows below a header are data)
            for kind, norm, mapping, unmatched, sc in _evaluate(contract, ntop, pair, n, ctx):
                if best is None or sc > best.score + 1e-9:
                    best = HeaderGuess(kind, hr, n, norm, raw_texts, mapping, unmatched, sc)
    return best


def _matchable(contract: Contract, h: str) -> frozenset[str]:
    """Kinds in which header text h could map a column: exactly, or by containing a ≥3-character synonym."""
    memo = contract.memo.setdefault("matchable", {})
    ks = memo.get(h)
    if ks is None:
        ks = frozenset(contract.kinds_by_header.get(h, ())) | (
            frozenset(_fuzzy_kinds(contract, h)) if len(h) >= MIN_SUBSTRING_SYNONYM else frozenset())
        if len(memo) < MEMO_LIMIT:
            memo[h] = ks
    return ks


def _upper_bound(contract: Contract, ntop: list[str], pair) -> float:
    """The highest score (see _score) any kind could give this candidate: each column maps at most one
    field, worth at most 1.5, and a dimension sheet adds 0.25 per other non-empty column."""
    counts: dict[str, int] = {}
    nonempty = 0
    for names in ([(h,) for h in ntop] if pair is None else [p_[1:] for p_ in pair]):
        ks: set[str] = set()
        for h in names:
            if h:
                ks |= _matchable(contract, h)
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
    index = contract.memo.get("fuzzy_index")
    if index is None:
        index = {}
        for syn, kinds in contract.fuzzy_all:
            index.setdefault(syn[:2], []).append((syn, kinds))
        contract.memo["fuzzy_index"] = index
    out: set[str] = set()
    for i in range(len(h) - 2):
        for syn, kinds in index.get(h[i:i + 2], ()):
            if h.startswith(syn, i):
                out.update(kinds)
    return out


def _plausible_kinds(contract: Contract, names) -> set[str]:
    """Kinds that know a header exactly, or one of whose synonyms a header contains (memoised per text)."""
    memo = contract.memo.setdefault("kinds_of_header", {})
    plausible: set[str] = set()
    for h in names:
        if not h:
            continue
        ks = memo.get(h)
        if ks is None:
            ks = contract.kinds_by_header.get(h)
            if ks is None:
                ks = _fuzzy_kinds(contract, h) if len(h) >= 3 else ()
            ks = frozenset(ks)
            if len(memo) < MEMO_LIMIT:
                memo[h] = ks
        plausible |= ks
    return plausible


def _evaluate(contract: Contract, ntop: list[str], pair, n: int, ctx: frozenset = frozenset()) -> list[tuple]:
    """Every kind a header candidate could be, with its column mapping and score (> 0 only). Memoised:
    a ledger set repeats a handful of header layouts across thousands of files."""
    memo = contract.memo.setdefault("header_candidates", {})
    key = (tuple(ntop), n, ctx) if pair is None else (tuple(pair), n, ctx)
    hit = memo.get(key)
    if hit is not None:
        return hit
    names = ntop if pair is None else [x for p_ in pair for x in p_[1:]]
    plausible = _plausible_kinds(contract, names)
    out = []
    for kind in (k for k in contract.kinds.values() if k.name in plausible):
        norm = ntop if pair is None else _pick_pair(kind, pair)
        mapping, unmatched = match_columns(kind, norm)
        sc = _score(kind, mapping, unmatched, ctx, norm) - (0.01 if n == 2 else 0)
        if sc > 0:
            out.append((kind.name, norm, mapping, unmatched, sc))
    if len(memo) < 50_000:
        memo[key] = out
    return out


def _pick_pair(kind: Kind, pair: list[tuple[str, str, str, str]]) -> list[str]:
    """For a two-row header pick, per column, the sub header if it is a known synonym, else group+sub."""
    out = []
    for _raw, ng, ns, both in pair:
        if not both:
            out.append(ns)
        elif ns in kind.exact:
            out.append(ns)
        elif both in kind.exact:
            out.append(both)
        elif ng in kind.exact and not ns:
            out.append(ng)
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
    footer, totals = contract.footer_prefixes, contract.total_words
    in_footer = False
    current_sub: str | None = None
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
        if in_footer or (first if first.isascii() else nfkc(first)).lstrip().startswith(footer) or \
                L.is_footer(first, contract, len(nonempty)):
            in_footer = True
            out.append(RowInfo(r, "footer", texts))
            continue
        if not header_raw.isdisjoint(nonempty[:3]) and \
                len({norm_header_cached(t) for t in nonempty} & header_norm) >= repeat_min:
            out.append(RowInfo(r, "header", texts))
            continue
        if any(t and (len(t) <= _SHORT or _mentions(t, totals)) and norm_header_cached(t) in totals
               for t in texts[:4]):
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
