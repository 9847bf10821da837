"""Sheet structure: find the header (one or two rows), classify the sheet kind by its
header signature, and classify every non-empty row as title / header / subheading /
footer / total / data. Pure functions over a read Sheet; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.contract import Contract, Kind, nfkc, norm_header
from pipelines.ingest.read import Sheet
from pipelines.ingest.values import cell_text

MIN_SUBSTRING_SYNONYM = 3


def col_letter(idx: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    s = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        s = chr(65 + rem) + s
    return s


def match_columns(kind: Kind, headers: list[str]) -> tuple[dict[int, str], list[int]]:
    """Map normalised header texts to the kind's canonical columns.

    Exact synonym matches win; then a header containing a synonym of ≥3 characters
    (the longest such synonym) is accepted. Each canonical column is used once.
    Returns ({col_index: canonical}, [indices of unmatched non-empty headers]).
    """
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for i, h in enumerate(headers):
        if not h:
            continue
        c = kind.exact.get(h)
        if c and c not in used:
            mapping[i] = c
            used.add(c)
    for i, h in enumerate(headers):
        if not h or i in mapping or len(h) < MIN_SUBSTRING_SYNONYM:
            continue
        for syn, col in kind.fuzzy:
            if col not in used and syn in h:
                mapping[i] = col
                used.add(col)
                break
    unmatched = [i for i, h in enumerate(headers) if h and i not in mapping]
    return mapping, unmatched


def satisfies(kind: Kind, fields: set[str]) -> bool:
    if not all(f in fields for f in kind.identify_all):
        return False
    if kind.identify_any and not any(f in fields for f in kind.identify_any):
        # an assessment sheet is identified by dimension columns instead
        return False
    return True


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
    row = sheet.rows[r] if r < len(sheet.rows) else []
    out = []
    for c, v in enumerate(row):
        if (r, c) in hfill and cell_text(v) == "":
            v = hfill[(r, c)]
        out.append(cell_text(v))
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


def _score(kind: Kind, mapping: dict[int, str], unmatched: list[int]) -> float:
    fields = set(mapping.values())
    if not satisfies(kind, fields):
        if not (kind.dimensions and all(f in fields for f in kind.identify_all)):
            return -1
    # more matched canonical columns is better; identifying columns weigh more
    s = len(fields) + 0.5 * sum(1 for f in fields if f in kind.identify_all or f in kind.identify_any)
    if kind.dimensions and "dimension" not in fields:
        # wide assessment sheets: unmatched non-empty headers are dimension candidates
        s += 0.25 * len(unmatched)
    return s


MAX_HEADER_CELL = 40


def _norm_cells(texts: list[str]) -> list[str]:
    """Normalised header candidates; long cells (data, not headers) become a non-matching marker."""
    return [norm_header(t) if len(t) <= MAX_HEADER_CELL else ("\x00" if t else "") for t in texts]


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

    for r in range(limit):
        top, ntop = row(r)
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
            names = ntop if pair is None else [x for p_ in pair for x in p_[1:]]
            plausible = {k for h in names for k in contract.kinds_by_header.get(h, ())}
            for h in names:
                if h and h not in contract.kinds_by_header and len(h) >= 3:
                    plausible.update(k for syn, ks in contract.fuzzy_all if syn in h for k in ks)
            for kind in (k for k in contract.kinds.values() if k.name in plausible):
                norm = ntop if pair is None else _pick_pair(kind, pair)
                mapping, unmatched = match_columns(kind, norm)
                sc = _score(kind, mapping, unmatched) - (0.01 if n == 2 else 0)
                if sc <= 0:
                    continue
                if best is None or sc > best.score + 1e-9:
                    best = HeaderGuess(kind.name, hr, n, norm, raw_texts, mapping, unmatched, sc)
    return best


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


@dataclass
class RowInfo:
    row: int  # 0-based
    cls: str  # data | title | header | subheading | footer | total | unclassified_sheet | ...
    texts: list[str] = field(default_factory=list)
    subheading: str | None = None


_NUM_ONLY = re.compile(r"^\d+(\.0)?$")


def classify_rows(sheet: Sheet, header: HeaderGuess | None, contract: Contract) -> list[RowInfo]:
    """Classify every non-empty row (blank rows are left out)."""
    out: list[RowInfo] = []
    first_data = header.row + 1 if header else len(sheet.rows)
    header_norm = set(t for t in header.texts if t) if header else set()
    header_raw = {t for t in (header.raw_texts if header else []) if t}
    in_footer = False
    current_sub: str | None = None
    for r, row in enumerate(sheet.rows):
        texts = [cell_text(v) for v in row]
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
        first = nfkc(nonempty[0]).strip()
        if in_footer or first.startswith(contract.footer_prefixes):
            in_footer = True
            out.append(RowInfo(r, "footer", texts))
            continue
        if header_raw.intersection(nonempty[:3]) and \
                len({norm_header(t) for t in nonempty} & header_norm) >= max(2, len(header_norm) // 2):
            out.append(RowInfo(r, "header", texts))
            continue
        distinct = list(dict.fromkeys(nonempty))
        joined = "".join(distinct)
        if any(norm_header(t) in contract.total_words for t in texts[:4] if t):
            out.append(RowInfo(r, "total", texts))
            continue
        if len(distinct) <= 2 and contract.subheading.match(nfkc(joined)):
            current_sub = nfkc(joined)
            out.append(RowInfo(r, "subheading", texts, subheading=current_sub))
            continue
        if len(distinct) == 2 and _NUM_ONLY.match(distinct[0]) is None and contract.subheading.match(
                nfkc(distinct[0] + "、")) and len(distinct[0]) <= 3:
            # "一" in the 序号 column and "政治建设方面" beside it
            current_sub = nfkc(distinct[0] + "、" + distinct[1])
            out.append(RowInfo(r, "subheading", texts, subheading=current_sub))
            continue
        out.append(RowInfo(r, "data", texts, subheading=current_sub))
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
