"""Which county every file (and, for a region-level file, every row) belongs to. Pure and deterministic.

A city office keeps every county's ledgers in one data_raw; a county's units and rounds are only ever
matched against that county's own registers (县财政局 of one county is not 县财政局 of another). A county is
recognised, in this order, from
  1. its unit (or round) register: the register's title ("民乐县党组织名册", "中共民乐县委巡察轮次登记表") when
     the register's own names bear it out, else the most common county prefix of its units' full names;
  2. the county's top folder: a top folder named like a county ("民乐县/"), or one whose registers all
     belong to one county (every file in it then belongs to that county);
  3. settings.yaml `county_name`, when the ledgers name no county at all (one county).
With one county every file is that county's, exactly as before. With several, a file none of this places
is read row by row: a row whose unit is a register unit of exactly one county belongs to it (a city round's
list of inspected units across counties); any other row is held (quarantined, reason `unknown_county`) with
the counties it could be, never guessed.
"""

from __future__ import annotations

import re

from pipelines.ingest.resolve import clean, infer_county

_HAN = r"[\u4e00-\u9fff]"
# a county-level division's full name: 民乐县, 甘州区, 玉门市, 肃北蒙古族自治县, 阿拉善左旗
_COUNTY_AT = re.compile(rf"({_HAN}{{1,8}}?(?:自治县|县|区|市|旗))")
_COUNTY_FOLDER = re.compile(rf"^{_HAN}{{1,10}}(?:县|区|市|旗)$")
# words ending like a county that name no county
_NOT_COUNTY = {"社区", "小区", "园区", "城区", "景区", "辖区", "片区", "街区", "市区", "地区", "新区", "开发区", "本县",
               "全县", "全区", "全市", "该县", "各县", "本区", "本市", "县区", "城市"}
_LEADING_WORDS = ("中共", "中国共产党")
_PROVINCE = re.compile(rf"^{_HAN}{{2,8}}?(?:省|自治区)")


def looks_like_county(name: str | None) -> bool:
    if not name or name in _NOT_COUNTY or len(name) < 2:
        return False
    return not name.startswith(("全", "本", "各", "该", "县", "区", "市", "旗"))


def county_in_text(text: object) -> str | None:
    """The county named at the start of a title: 民乐县党组织名册 → 民乐县; 中共甘州区委… → 甘州区;
    张掖市甘州区党组织名册 → 甘州区 (a city followed by its district); 党组织名册 → None."""
    s = clean(text)
    for w in _LEADING_WORDS:
        if s.startswith(w):
            s = s[len(w):]
    s = _PROVINCE.sub("", s)
    m = _COUNTY_AT.match(s)
    if not m:
        return None
    name = m.group(1)
    if name.endswith("市"):  # 张掖市甘州区: the city, then its district or county
        m2 = _COUNTY_AT.match(s[m.end():])
        if m2 and not m2.group(1).endswith("市") and looks_like_county(m2.group(1)):
            name = m2.group(1)
    return name if looks_like_county(name) else None


def register_county(titles: list[str], names: list[str]) -> str | None:
    """A register file's county: its title, when at least one of its names bears the county's name (a
    title alone could be a heading like 城区党组织名册), else the common prefix of its units' full names."""
    for t in titles:
        c = county_in_text(t)
        if c and any(c in clean(n) for n in names):
            return c
    c = infer_county(names)
    return c if looks_like_county(c) else None


def top_folder(rel: str) -> str | None:
    """The first folder of a data_raw-relative path ("/"-separated, as discover_files writes it), or None for a
    file directly in data_raw."""
    head, sep, _ = rel.partition("/")
    return head if sep else None


def assign_files(files, items: dict, setting: str | None) -> tuple[dict[str, str | None], list[str], bool]:
    """(file rel → county or None, the counties in order of first appearance, several?).

    `items` are the parsed data rows by kind (build.Item); only the loaded register rows are looked at."""
    reg_names: dict[str, list[str]] = {}
    reg_titles: dict[str, list[str]] = {}
    for kind in ("units", "rounds"):
        col = "unit_name" if kind == "units" else "round_name"
        for it in items.get(kind, ()):
            if it.outcome != "loaded":
                continue
            rel = it.f.rel
            if kind == "units" and it.values.get(col):
                reg_names.setdefault(rel, []).append(str(it.values[col]))
            reg_titles.setdefault(rel, [])
            if it.sheet.title and it.sheet.title not in reg_titles[rel]:
                reg_titles[rel].append(it.sheet.title)
    by_register: dict[str, str] = {}
    for rel in reg_titles:
        c = register_county(reg_titles[rel], reg_names.get(rel, []))
        if c is None and rel not in reg_names:  # a round register alone: its title names the county
            c = next((x for x in map(county_in_text, reg_titles[rel]) if x), None)
        if c:
            by_register[rel] = c
    folder_of: dict[str, set[str]] = {}
    for rel, c in by_register.items():
        top = top_folder(rel)
        if top:
            folder_of.setdefault(top, set()).add(c)
    tops = {top_folder(f.rel) for f in files} - {None}
    named_folders = {t: t for t in tops if _COUNTY_FOLDER.match(t) and looks_like_county(t)}
    known = list(dict.fromkeys([*by_register.values(), *(named_folders[t] for t in sorted(named_folders))]))
    if len(known) <= 1:
        # one county (today's case): every file is its; the settings' name first, as the unit normalisation uses
        one = setting or (known[0] if known else None)
        return {f.rel: one for f in files}, [one] if one else [], False
    out: dict[str, str | None] = {}
    for f in files:
        c = by_register.get(f.rel)
        top = top_folder(f.rel)
        if c is None and top is not None:
            if top in named_folders:
                c = named_folders[top]
            elif len(folder_of.get(top, ())) == 1:
                c = next(iter(folder_of[top]))
        if c is None and f.parsed is not None:
            said = {county_in_text(sh.title) for sh in f.parsed.sheets if sh.title} - {None}
            said &= set(known)
            if len(said) == 1:
                c = said.pop()
        out[f.rel] = c
    return out, known, True
