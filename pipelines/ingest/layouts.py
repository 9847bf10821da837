"""Ledger layouts beyond one-record-per-row: transposed tables, several units or names in one cell,
rounds written as separate 届次 / 年度 / 轮次 columns, names under 组长 / 副组长 / 组员 columns,
numbered sub-headings ("1.关于…", "（一）…", "一是…") and sign-off footers.

Everything here is declared in config/contract.yaml (compose, transposed, several, names_into, part_of,
identify_also, row_classes.footer_patterns / subheading_levels); the parse and build steps call these
functions through small hooks. Pure functions, no I/O.

Provenance on a transposed sheet (fields down the first column, one record per column): a record is a
source column. Its src_row is the Excel row of the table's first field (the top of that column), and its
src_cells list every cell as [column letter, field name, text, Excel row], so each value still points at
its true cell; cell findings carry their own row. The field-name column counts as the sheet's one header
row; rows above the table are titles, rows below it footers (or outside_table when they are neither).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pipelines.ingest.structure as S  # structure calls back into this module (headings, footers)
from pipelines.contract import Contract, Kind, nfkc
from pipelines.ingest.read import Sheet
from pipelines.ingest.values import cell_text

SUB_SEP = " ｜ "  # between the levels of a nested sub-heading ("一、…方面 ｜ 1.关于…的整改")
_NUM_ONLY = re.compile(r"^\d+(\.0)?$")

# ---------------------------------------------------------------- sub-headings


def heading_level(text: str, contract: Contract) -> int | None:
    """The level (0 = outermost) of a sub-heading numbering at the start of text, per subheading_levels."""
    for i, rx in enumerate(contract.subheading_levels):
        if rx.match(text):
            return i
    return None


def heading(distinct: list[str], contract: Contract) -> tuple[str, int] | None:
    """(heading text, level) when a row's distinct texts form a sub-heading, else None.

    A heading row holds one distinct text ("1.关于…问题的整改", "（一）…方面", "一是…"), or a Chinese
    numeral beside one text ("一" | "政治建设方面"); the other cells are empty. A row whose first text is an
    Arabic number is a 序号 with its record ("1" | "1.建立台账…"), never a heading."""
    if not distinct or len(distinct) > 2 or _NUM_ONLY.match(distinct[0]):
        return None
    joined = nfkc("".join(distinct))
    lvl = heading_level(joined, contract)
    if lvl is not None:
        if len(distinct) == 1 and len(joined) > contract.subheading_max_chars:
            return None  # a long single text is a description that happens to start with a number
        return joined, lvl
    if len(distinct) == 2 and len(distinct[0]) <= 3:
        text = nfkc(distinct[0] + "、" + distinct[1])  # "一" in the 序号 column and "政治建设方面" beside it
        lvl = heading_level(text, contract)
        if lvl is not None and lvl == heading_level(nfkc(distinct[0] + "、"), contract):
            return text, lvl
    return None


def nest(current: str | None, text: str, level: int, contract: Contract) -> str:
    """The sub-heading path after a new heading: outer levels are kept, the same or deeper ones replaced."""
    kept = []
    for part in (current.split(SUB_SEP) if current else []):
        lv = heading_level(part, contract)
        if lv is not None and lv < level:
            kept.append(part)
    return SUB_SEP.join([*kept, text])


def heading_parts(sub: str) -> list[str]:
    return sub.split(SUB_SEP)


def heading_number(part: str, contract: Contract) -> str:
    """The numbering of one heading without its punctuation: "一、…" → 一, "（二）…" → 二, "3.…" → 3, "一是…" → 一."""
    m = contract.subheading.match(part)
    return m.group(0).strip("、.．（）() 是\t") if m else part[:4]


def heading_text(part: str, contract: Contract) -> str:
    m = contract.subheading.match(part)
    return part[m.end():].strip() if m else part


def qualified_number(sub: str, no: str, contract: Contract) -> str:
    """序号 restarting under each heading, qualified by every level's number ("二-3", "一-2-3")."""
    return "-".join([*(heading_number(p, contract) for p in heading_parts(sub)), str(no)])


def category_from_heading(sub: str, vocab) -> tuple[str | None, str]:
    """(code, the heading it came from): the outermost level the vocabulary knows (a fallback code only
    when no level matches), so "一、政治建设方面 ｜ 1.关于…的整改" is filed under 政治建设."""
    parts = heading_parts(sub)
    for part in parts:
        code = vocab.lookup(part)
        if code is not None and code != vocab.fallback:
            return code, part
    return vocab.lookup(parts[-1]), parts[-1]


# ---------------------------------------------------------------- footers


FOOTER_MAX_CELLS = 3  # a sign-off row has a label, perhaps a name and a date; a record fills more cells


def is_footer(first: str, contract: Contract, n_cells: int = 1) -> bool:
    """A sign-off row written after the table (…（签字背书）, 单位（盖章）, 年　月　日, 主要负责人签字：):
    its first text matches a footer pattern and it has at most FOOTER_MAX_CELLS non-empty cells."""
    if not contract.footer_patterns or len(first) > 60 or n_cells > FOOTER_MAX_CELLS:
        return False
    t = first if first.isascii() else nfkc(first)
    return any(rx.search(t) for rx in contract.footer_patterns)


# ---------------------------------------------------------------- several values in one cell

_SEPARATORS = re.compile(r"[、,，;；/\n\r]+")
_LABEL = re.compile(r"^\s*[^、,，;；:：\s]{1,8}\s*[:：]\s*")  # "巡察对象：", "成员："
_SPACES = re.compile(r"[\s\u3000]+")
# a cell (or a piece of one) that holds no name: a dash, a slash, 无, 空缺 (副组长: —)
_NO_NAME = re.compile(r"^[—–\-－─/／×xX*＊.。·…\s]*$|^(?:无|暂无|空缺|暂缺|待定|缺|空|未定)$")
_MORE = re.compile(r"\s*等\s*[\d一二三四五六七八九十]*\s*(?:个|家)?\s*(?:单位|党组织|部门)?\s*$")


def split_names(text: str) -> list[str]:
    """Several person names in one cell ("张三、李四" / "张三，李四" / "张三 李四"). A space inside one
    name is layout padding ("张　三" is one name): two single characters side by side are one name ("王　伟 赵　敏
    孙志强" is 王伟, 赵敏, 孙志强), and when a single character is left over the piece is one name. A word longer
    than a name (MAX_NAME characters) that names a post ("县人大常委会副主任") is the post of the name before it,
    not a person; a long word that names none (阿不都热合曼) is a person."""
    text = _LABEL.sub("", text or "", count=1)
    out = []
    for piece in _SEPARATORS.split(text):
        piece = piece.strip()
        if not piece or _NO_NAME.match(piece):
            continue
        words = [w for w in _SPACES.split(piece) if w]
        names = _pair_padded(words) if len(words) > 1 else None
        if names is None:
            out.append(_SPACES.sub("", piece))
            continue
        for w in names:
            if out and len(w) > MAX_NAME and _POST.search(w):
                out[-1] = f"{out[-1]}（{w}）"  # 郭富城 县人大常委会副主任: a post, kept with its person
            else:
                out.append(w)  # a long name (阿不都热合曼) is still a person
    return out


MAX_NAME = 4  # Han names are two to four characters: a longer word is a post only when it names one
_POST = re.compile(r"主任|局长|书记|部长|科长|处长|所长|站长|队长|县长|镇长|乡长|主席|委员|专员|干部|组长|副|正科|级")


def _pair_padded(words: list[str]) -> list[str] | None:
    """Space-separated words as names: each single character joined with the single character after it; None
    when a single character has no partner (the whole piece is then one name)."""
    names, i = [], 0
    while i < len(words):
        if len(words[i]) >= 2:
            names.append(words[i])
            i += 1
        elif i + 1 < len(words) and len(words[i + 1]) == 1:
            names.append(words[i] + words[i + 1])
            i += 2
        else:
            return None
    return names


def split_units(text: str) -> list[str]:
    """Several units in one cell ("巡察对象：县财政局、县审计局", "县财政局，县审计局等2个单位"). A separator inside
    brackets is part of one unit's name: "县委统战部（民宗局、侨办）" is one unit."""
    text = _MORE.sub("", _LABEL.sub("", text or "", count=1))
    parts = [p.strip() for p in _split_outside_brackets(text) if p.strip()]
    if len(parts) == 1 and _SPACES.search(parts[0]):
        words = [w for w in _SPACES.split(parts[0]) if w]
        if all(len(w) >= 3 for w in words):
            parts = words  # "县财政局 县审计局": a name is never split below three characters
    return parts


_OPEN, _CLOSE = "(（[【〔", ")）]】〕"
_BRACKET_OR_SEPARATOR = re.compile(r"[(（\[【〔)）\]】〕]|" + _SEPARATORS.pattern)


def _split_outside_brackets(text: str) -> list[str]:
    """_SEPARATORS.split, except within brackets."""
    if not any(ch in text for ch in _OPEN):
        return _SEPARATORS.split(text)
    parts, start, depth = [], 0, 0
    for m in _BRACKET_OR_SEPARATOR.finditer(text):
        tok = m.group()
        if tok in _OPEN:
            depth += 1
        elif tok in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start:m.start()])
            start = m.end()
    parts.append(text[start:])
    return parts


# ---------------------------------------------------------------- per-row hook (parse time)


def row_hook(kind: Kind, header, contract: Contract):
    """A function (values, missing) → missing applied to every data row of a sheet, or None when the sheet
    needs nothing: composes a column from its parts (届次 + 轮次 → 轮次名称) and turns name columns
    (组长 / 副组长 / 组员, or a name cell holding several names) into one member record per name; the
    records after the first travel in values["_more"] and become records of their own in build."""
    mapped = set(header.mapping.values())
    heads = {canon: header.raw_texts[c] for c, canon in header.mapping.items() if c < len(header.raw_texts)}
    steps = []
    for target, rule in contract.compose.items():
        parts = [c for c, spec in kind.columns.items() if spec.part_of == target and c in mapped]
        if parts and target in kind.columns:
            steps.append(_composer(target, rule))
    name_cols = [c for c, spec in kind.columns.items() if spec.names_into and c in mapped]
    several = [c for c, spec in kind.columns.items() if spec.several and c in mapped and not spec.names_into
               and any(s.names_into and s.names_into[0] == c for s in kind.columns.values())]
    if name_cols or several:
        steps.append(_namer(kind, contract, name_cols, several, heads, mapped))
    if not steps:
        return None

    def hook(vals: dict, missing):
        for step in steps:
            missing = step(vals, missing)
        return missing
    return hook


def _composer(target: str, rule: dict):
    parts_rx: dict = rule["parts"]
    formats = rule["formats"]

    def step(vals: dict, missing):
        got = {}
        for col, rx in parts_rx.items():
            v = vals.get(col)
            if v is None or v == "":
                continue
            m = rx.search(nfkc(str(v)).strip())
            if m:
                got[col] = m.group(1) if m.groups() else m.group(0)
        if target not in got:
            return missing  # the column already names the round in full (or is empty): left as written
        for needs, fmt in formats:
            if all(n in got for n in needs):
                vals[target] = fmt.format(**got)
                break
        return missing
    return step


def _namer(kind: Kind, contract: Contract, name_cols: list[str], several: list[str], heads: dict, mapped: set):
    specs = kind.columns

    def step(vals: dict, missing):
        records: list[dict] = []
        for col in [*several, *name_cols]:
            text = vals.get(col)
            if not text:
                continue
            if col in several:
                names = split_names(str(text))
                if not names:
                    vals[col] = None  # "—": nobody (a required name is then missing and the row held)
                    continue
                if len(names) < 2 and not name_cols:
                    continue  # one name: left exactly as written
                # beside 组长/副组长 columns, a 成员 column's header is its people's role too
                name_col = col
                role_col = specs[name_cols[0]].names_into[1] if name_cols and \
                    specs[name_cols[0]].names_into[1] not in mapped else None
            else:
                names = split_names(str(text))
                name_col, role_col = specs[col].names_into[0], specs[col].names_into[1]
            for name in names:
                rec = {name_col: name}
                if role_col:  # the role is the column's header (组长 → leader), looked up in the role vocabulary
                    raw = heads.get(col) or contract.label(kind.name, col)
                    rec[role_col + "_raw"] = raw
                    rec[role_col] = contract.vocabularies[specs[role_col].vocab].lookup(raw)
                records.append(rec)
        for col in name_cols:
            vals[col] = None
        if not records:
            return missing
        vals.update(records[0])
        if len(records) > 1:
            vals["_more"] = records[1:]
        filled = {k for r in records for k in r}
        return [m for m in missing if m not in filled] if missing else missing
    return step


# ---------------------------------------------------------------- transposed tables


@dataclass
class Transposed:
    """A transposed sheet seen as ordinary rows: the rows above the table as they are, the field names as
    the header row, then one row per source column (a record)."""
    view: Sheet
    header: object  # structure.HeaderGuess of the view
    label_col: int
    block: list[int]  # source rows (0-based) of the fields: view column j is source row block[j]
    record_cols: list[int]  # source column of each record (view row header.row + 1 + k)
    sheet: Sheet


def find_transposed(sheet: Sheet, contract: Contract, header) -> Transposed | None:
    """Field names down the first column matching at least min_fields columns of a kind (and its
    signature), with values to their right. None for an ordinary sheet (those with ≥3 header columns
    are never tried)."""
    conf = contract.transposed
    if not conf or (header is not None and len(header.mapping) >= 3):
        return None
    scan = min(len(sheet.rows), int(conf.get("scan_rows", 60)))
    c0 = None
    for r in range(scan):
        row = sheet.rows[r]
        for c, v in enumerate(row):
            if v is not None and v != "" and (c0 is None or c < c0):
                c0 = c
                break
    if c0 is None:
        return None
    labels = []
    for r in range(scan):
        row = sheet.rows[r]
        t = cell_text(row[c0]) if c0 < len(row) else ""
        has_value = any(v is not None and cell_text(v) for v in row[c0 + 1:])
        labels.append(contract.header_norm(t) if t and has_value and len(t) <= 40 else "")
    best = None
    for kind in contract.kinds.values():
        mapping, _ = S.match_columns(kind, labels)
        fields = set(mapping.values())
        if len(fields) < int(conf.get("min_fields", 3)) or not S.satisfies(kind, fields):
            continue
        if best is None or len(fields) > len(best[1]):
            best = (kind, fields, mapping)
    if best is None or (header is not None and len(header.mapping) >= len(best[1])):
        return None
    kind, _, rows_mapped = best
    first, last = min(rows_mapped), max(rows_mapped)
    # the table runs on below its last known field while the first column still names fields (备注 …)
    while last + 1 < len(sheet.rows) and _label_row(sheet.rows[last + 1], c0, contract):
        last += 1
    block = [r for r in range(first, last + 1) if any(v is not None and cell_text(v) for v in sheet.rows[r])]
    width = max((len(sheet.rows[r]) for r in block), default=0)
    record_cols = [c for c in range(c0 + 1, width)
                   if any(c < len(sheet.rows[r]) and cell_text(sheet.rows[r][c]) for r in block)]
    if not record_cols:
        return None
    raw_labels = [cell_text(sheet.rows[r][c0]) if c0 < len(sheet.rows[r]) else "" for r in block]
    norm = [contract.header_norm(t) for t in raw_labels]
    mapping, unmatched = S.match_columns(kind, norm)
    rows = [list(sheet.rows[r]) for r in range(first)]  # titles stay where they are
    rows.append(list(raw_labels))
    for c in record_cols:
        rows.append([sheet.rows[r][c] if c < len(sheet.rows[r]) else None for r in block])
    pos = {r: j for j, r in enumerate(block)}
    rec = {c: first + 1 + k for k, c in enumerate(record_cols)}
    merged = [m for m in sheet.merged if m[2] < first]
    for r0, a, r1, b in sheet.merged:  # a value merged across records is "同上" down the view
        if r0 in pos and r1 in pos and a in rec:
            kept = [rec[c] for c in range(a, b + 1) if c in rec]
            merged.append((kept[0], pos[r0], kept[-1], pos[r1]))
    view = Sheet(sheet.name, rows, merged, sheet.hidden, sheet.has_merge_info)
    hg = S.HeaderGuess(kind.name, first, 1, norm, raw_labels, mapping, unmatched, float(len(mapping)))
    return Transposed(view, hg, c0, block, record_cols, sheet)


def _label_row(row: list, c0: int, contract: Contract) -> bool:
    t = cell_text(row[c0]) if c0 < len(row) else ""
    if not t or len(t) > 20:
        return False
    first = t if t.isascii() else nfkc(t)
    return not first.startswith(contract.footer_prefixes) and not is_footer(t, contract) and \
        any(v is not None and cell_text(v) for v in row[c0 + 1:])


def restore(tv: Transposed, ps, contract: Contract, cells_json, parsed_row):
    """Point a parsed view back at the source sheet: records at their source column, every cell with its
    true column letter and row, findings at their cell; rows below the table are added as footers."""
    block, first = tv.block, tv.header.row
    top = block[0] + 1
    lab = tv.label_col
    heads = tv.header.raw_texts
    by_view_row = {first + 1 + k: c for k, c in enumerate(tv.record_cols)}
    for pr in ps.rows:
        r0 = pr.row - 1
        if r0 < first:
            continue  # a title row: copied as it is, same row and letters
        if r0 == first:
            pr.cells = cells_json([[S.col_letter(lab), "", t, block[j] + 1] for j, t in enumerate(heads) if t])
            continue
        c = by_view_row[r0]
        letter = S.col_letter(c)
        texts = S.row_texts(tv.view.rows[r0])
        pr.row = top
        pr.cells = cells_json([[letter, heads[j], t, block[j] + 1] for j, t in enumerate(texts) if t])
        for fd in pr.findings:
            j = _index(fd.column)
            fd.column, fd.row = letter, (block[j] + 1 if j < len(block) else None)
        if pr.dims:
            pr.dims = [(d, s, letter) for d, s, _ in pr.dims]
    src = tv.sheet
    below = []
    in_footer = False
    for r in range(block[-1] + 1, len(src.rows)):
        texts = S.row_texts(src.rows[r]) if src.rows[r] else []
        nonempty = [t for t in texts if t]
        if not nonempty:
            continue
        first_t = nonempty[0] if nonempty[0].isascii() else nfkc(nonempty[0])
        in_footer = in_footer or first_t.lstrip().startswith(contract.footer_prefixes) or \
            is_footer(nonempty[0], contract, len(nonempty))
        below.append(parsed_row(r + 1, "footer" if in_footer else "outside_table",
                                cells=cells_json([[S.col_letter(c), "", t]
                                                  for c, t in enumerate(texts) if t])))
    ps.rows.extend(below)
    ps.header_row = top
    ps.cols = {}
    ps.n_blank = sum(1 for row in src.rows if not any(v is not None and cell_text(v) for v in row))
    return ps


def _index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# ---------------------------------------------------------------- records from one source row (build time)


def expand_items(items_by_kind: dict, units, contract: Contract, make_item, quarantine) -> None:
    """One source row, several records: the names a parse gathered in values["_more"], and the units of a
    `several` unit cell ("县财政局、县审计局"), each resolved against the register. Every unit must resolve,
    or the row is held (quarantined) naming the part that did not. Extra records are marked derived: they
    are loaded like any record, but the source row is counted once (rows_read / rows_loaded count rows)."""
    for kind, its in items_by_kind.items():
        spec = contract.kinds[kind].columns.get("unit_name")
        split_unit = bool(spec and spec.several)
        if not split_unit and not any(it.values.get("_more") for it in its):
            continue
        out = []
        for it in its:
            more = it.values.pop("_more", None)
            group = [it]
            if more and it.outcome == "loaded":
                group += [make_item(it, rec) for rec in more]
            if split_unit:
                group = [x for g in group for x in _split_unit_item(g, units, make_item, quarantine)]
            out.extend(group)
        its[:] = out


def _split_unit_item(it, units, make_item, quarantine) -> list:
    text = it.values.get("unit_name")
    if it.outcome != "loaded" or not text:
        return [it]
    context = [*it.f.folder_parts, it.sheet.title or "", it.sheet.name]
    if units.resolve_in(text, context).value:
        return [it]
    parts = split_units(str(text))
    if len(parts) == 1:
        if parts[0] != str(text).strip():
            it.values["unit_name"] = parts[0]  # "巡察对象：县财政局": the label is not part of the name
        return [it]
    if not parts:
        return [it]
    res = [(p, units.resolve_in(p, context)) for p in parts]
    bad = [(p, r) for p, r in res if not r.value]
    if bad:
        named = "；".join(r.reason or f"单位「{p}」无法识别" for p, r in bad)
        sugg = [s for _, r in bad for s in r.suggestions]
        hint = "；可能是：" + "、".join(sugg) if sugg else ""
        quarantine(it, "unknown_unit",
                   f"该格写了 {len(parts)} 个单位（{'、'.join(parts)}），其中{named}{hint}。"
                   "请改为名册中的名称，或在名册的“简称/别名”列补充该写法；改好后这一行的各单位一起入库",
                   sugg)
        return [it]
    it.values["unit_name"] = res[0][1].value
    return [it, *(make_item(it, {"unit_name": r.value}) for _, r in res[1:])]
