"""Resolving free-text unit and round names against the registers. Pure and deterministic.

Units: exact name → alias → normalised name (strip 中共, the county's name, a leading
县 (区 in a district), trailing 党组/党委/委员会, brackets; …办公室 is …办); otherwise unresolved with the closest
register names as suggestions. Rounds: exact name → a register name inside the text
→ the round's signature (第N轮, year, 届, 县委/市委, 专项/回头看) when it is unique.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines import memo as _memo
from pipelines.contract import nfkc
from pipelines.ingest.values import cn_to_int

_NONE = object()  # a memo miss (None is a found answer: no unit named)
_WS = re.compile(r"[\s\"'“”‘’「」『』《》]+")
_BRACKETS = re.compile(r"[()\[\]【】（）]")
_TRAILING = re.compile(r"(党组|党委|委员会|党总支|党支部|党工委)$")


@lru_cache(maxsize=1 << 16)
def _clean(text: str) -> str:
    return _WS.sub("", nfkc(text)).strip()


def clean(text: object) -> str:
    """A name without whitespace or quotes, NFKC-normalised (memoised: registers repeat names)."""
    return _clean(text if text.__class__ is str else str(text or ""))


def infer_county(names: list[str]) -> str | None:
    """The county's name, inferred as the most common 'XX县/区/市/旗' prefix in the unit register."""
    counts: Counter[str] = Counter()
    for n in names:
        s = clean(n)
        if s.startswith("中共"):
            s = s[2:]
        m = re.match(r"^([^\d\s县区市旗]{1,6}?(?:自治县|县|区|市|旗))", s)
        if m and len(m.group(1)) >= 2:
            counts[m.group(1)] += 1
    if not counts:
        return None
    name, n = counts.most_common(1)[0]
    return name if n >= 2 else None


def norm_unit(name: object, county: str | None) -> str:
    s = _BRACKETS.sub("", clean(name))
    if s.startswith("中共"):
        s = s[2:]
    if county:
        for c in (county, county[:-1] if len(county) > 2 else None):
            if c and s.startswith(c):
                s = s[len(c):]
                break
    prev = None
    while prev != s:
        prev = s
        s = _TRAILING.sub("", s)
    if len(s) > 2 and (s[0] == "县" or (county and s[0] == county[-1] and s[0] in "区市旗")):
        s = s[1:]  # 县财政局; in a district, 区财政局
    if s.endswith("办公室") and len(s) > 3:
        s = s[:-2]  # 县委办 is how everybody writes 县委办公室
    return s


@dataclass
class UnitInfo:
    name: str
    unit_type: str | None
    parent: str | None
    in_scope: bool
    aliases: list[str] = field(default_factory=list)


@dataclass
class Resolution:
    value: str | None
    how: str | None  # exact | alias | normalised | title | folder | column
    suggestions: list[str] = field(default_factory=list)
    reason: str | None = None
    candidates: list[str] = field(default_factory=list)  # when ambiguous: every matching register name

    def narrowed(self, context: list[str], hits_for=None) -> "Resolution":
        """An ambiguous match made unique by context (folder names, title): the one candidate whose
        register name contains a context token, e.g. the county folder "临泽县". hits_for(token), when
        given, says which candidates a (cleaned) token points at."""
        if self.value or len(self.candidates) < 2:
            return self
        for token in context:
            t = clean(token)
            if len(t) < 2:
                continue
            hits = hits_for(t) if hits_for else [c for c in self.candidates if t in clean(c)]
            if len(hits) == 1:
                return Resolution(hits[0], "context")
        return self


class _Narrowing:
    """resolve(text) narrowed by context, memoised (a ledger repeats the same names thousands of times)."""

    def _narrow(self, r: Resolution, context: list[str]) -> Resolution:
        """Resolution.narrowed, with each (candidates, token) test worked out once: a province's ledgers
        ask the same ambiguous name once per sheet, with the same county folders as context. Kept in the
        resolver's memo table (pipelines/memo.py, as every memo of ingest), keyed by the candidates themselves."""
        hits_memo = _memo.table(self, "context_hits")
        cands = tuple(r.candidates)

        def hits_for(t: str) -> list[str]:
            hits = hits_memo.get((cands, t))
            if hits is None:
                hits = _memo.put(hits_memo, (cands, t), [c for c in cands if self._context_hit(c, t)])
            return hits

        return r.narrowed(context, hits_for)

    def _context_hit(self, candidate: str, token: str) -> bool:
        return token in clean(candidate)

    def resolve(self, text: object, suggest: bool = True) -> Resolution:
        """A name resolved against the register (memoised). suggest=False: the same answer, except that a name
        not found has no suggestions (for callers that read only the value)."""
        memo = _memo.table(self, "resolve")
        key = str(text or "")
        r = memo.get(key)
        if r is not None:
            return r
        if suggest:
            return _memo.put(memo, key, self._resolve(text, True))
        quick = _memo.table(self, "resolve_value")
        r = quick.get(key)
        return r if r is not None else _memo.put(quick, key, self._resolve(text, False))

    def resolve_in(self, text: object, context: list[str], suggest: bool = True) -> Resolution:
        """resolve(text) narrowed by context. suggest=False: a caller that reads only the value (a title or
        folder searched for a name) is spared the suggestions for a name not found (difflib)."""
        memo = _memo.table(self, "resolve_in" if suggest else "resolve_in_value")
        key = (str(text or ""), tuple(context))
        r = memo.get(key)
        if r is None:
            r = self._narrow(self.resolve(text, suggest), context)
            if r.value is None and len(r.candidates) > 1:
                # a context token that itself names one of the candidates ("第一轮（2022）" as a folder)
                for token in context:
                    own = self.resolve(token, False) if token else None
                    if own is not None and own.value in r.candidates:
                        r = Resolution(own.value, "context")
                        break
            _memo.put(memo, key, r)
        return r


class UnitResolver(_Narrowing):
    def __init__(self, units: list[UnitInfo], county: str | None):
        self.units = {u.name: u for u in units}
        self.county = county
        self.exact = {clean(u.name): u.name for u in units}
        self.alias: dict[str, set[str]] = {}
        self.normal: dict[str, set[str]] = {}
        norms = _memo.table(self, "norm_unit")  # each form's norm_unit, worked out once while the register is built

        def norm(text: str) -> str:
            n = norms.get(text)
            return n if n is not None else _memo.put(norms, text, norm_unit(text, county))

        villages = [self._village_forms(u) for u in units]
        for u, forms in zip(units, villages):
            for a in u.aliases:
                self.alias.setdefault(clean(a), set()).add(u.name)
            for n in [u.name, *u.aliases, *forms]:
                key = norm(n)
                if key:
                    self.normal.setdefault(key, set()).add(u.name)
        self._ctx_forms = {u.name: (clean(u.name), clean(u.parent) if u.parent else "") for u in units}
        self._choices = sorted(self.units)
        self._pool = {norm(u): u for u in self._choices}
        # every written form that may appear inside a title → its unit (None when two units share it)
        self._needles: dict[str, set[str]] = {}
        for u, forms in zip(units, villages):
            written = {clean(x) for x in (u.name, *u.aliases)}  # as the register writes them
            derived = {clean(x) for x in (norm(u.name), *forms)} - written
            # a derived short form (县委办公室 → 委办) needs 3 characters before it counts inside free text
            for c in {x for x in written if len(x) >= 2} | {x for x in derived if len(x) >= 3}:
                self._needles.setdefault(c, set()).add(u.name)
        self._max_needle = max((len(k) for k in self._needles), default=0)

    @staticmethod
    def _village_forms(u: UnitInfo) -> list[str]:
        """A village or community is written with or without its township: 红星村 and 宣化镇红星村 both
        name 宣化镇红星村党支部 (the register prefixes the township when two townships share a village name);
        a bare name shared by several townships is ambiguous and is narrowed by folder or title."""
        if not u.parent:
            return []
        name, parent = clean(u.name), clean(u.parent)
        bare = name[len(parent):] if name.startswith(parent) and len(name) > len(parent) else name
        return [bare, parent + bare]

    def _context_hit(self, candidate: str, token: str) -> bool:
        """A folder or title names the candidate, or (villages) the township it belongs to."""
        name, parent = self._ctx_forms[candidate]
        return token in name or (len(parent) >= 2 and parent in token)

    def _resolve(self, text: object, suggest: bool = True) -> Resolution:
        s = clean(text)
        if not s:
            return Resolution(None, None, reason="单位为空")
        if s in self.exact:
            return Resolution(self.exact[s], "exact")
        hits = self.alias.get(s)
        if hits and len(hits) == 1:
            return Resolution(next(iter(hits)), "alias")
        key = norm_unit(s, self.county)
        hits = self.normal.get(key)
        if hits and len(hits) == 1:
            return Resolution(next(iter(hits)), "normalised")
        if hits:
            return Resolution(None, None, sorted(hits)[:5], f"单位名称「{s}」对应名册中多个单位，无法确定",
                              sorted(hits))
        sugg = self.suggest(s) if suggest else []
        return Resolution(None, None, sugg, f"单位「{s}」不在党组织名册中")

    def suggest(self, s: str, n: int = 3) -> list[str]:
        key = norm_unit(s, self.county)
        close = difflib.get_close_matches(key, list(self._pool), n=n, cutoff=0.4)
        return [self._pool[c] for c in close]

    def find_in_text(self, text: str, context: list[str] | None = None) -> str | None:
        """A register unit named inside a title: the longest name, alias or normalised name it contains
        (narrowed by context when several units share that form)."""
        memo = _memo.table(self, "find_in_text")
        key = (text, tuple(context or ()))
        found = memo.get(key, _NONE)
        if found is not _NONE:
            return found
        t = clean(text)
        found = None
        for length in range(min(len(t), self._max_needle), 1, -1):
            hits: set[str] = set()
            for i in range(len(t) - length + 1):
                hits |= self._needles.get(t[i:i + length], set())
            if hits:
                r = Resolution(next(iter(hits)) if len(hits) == 1 else None, "title", candidates=sorted(hits))
                found = r.narrowed(context or []).value
                break
        return _memo.put(memo, key, found)


_ORD = re.compile(r"第([一二三四五六七八九十\d]{1,3})轮")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_TERM = re.compile(r"([一二三四五六七八九十\d]{1,3})届")


@dataclass
class RoundInfo:
    name: str
    kind: str | None
    level: str  # county | city
    topic: str | None = None
    year: int | None = None


_FULL_DATE = re.compile(r"(?:统计)?截[至止]?.{0,4}?\d{4}\s*[年./\-]\s*\d{1,2}(?:\s*[月./\-]\s*\d{1,2}\s*日?)?|\d{4}\s*[年./\-]\s*\d{1,2}\s*[月./\-]\s*\d{1,2}\s*日?|\d{4}年\d{1,2}月")


# the Party committees that send inspections, by level (a round's name or a ledger's title names one)
_COMMITTEES = ((("市委", "州委", "地委", "盟委"), "city"), (("省委",), "province"), (("县委", "区委", "旗委"), "county"))


def round_signature(text: str) -> dict:
    t = _FULL_DATE.sub("", clean(text))
    sig: dict = {}
    m = _ORD.search(t)
    if m:
        sig["ordinal"] = cn_to_int(m.group(1))
    m = _YEAR.search(t)
    if m:
        sig["year"] = int(m.group(1))
    m = _TERM.search(t)
    if m:
        sig["term"] = cn_to_int(m.group(1))
    # the first committee named decides, in the order city, province, county; 巡视 is the province's
    level = next((lv for words, lv in _COMMITTEES if any(w in t for w in words) or (lv == "province" and "巡视" in t)),
                 None)
    if level is not None:
        sig["level"] = level
    for word, kind in (("回头看", "lookback"), ("专项", "special"), ("延伸", "extension"), ("机动", "mobile"),
                       ("提级", "cross"), ("交叉", "cross")):
        if word in t:
            sig.setdefault("kind", kind)
    return sig


def _committee_level(text: str) -> str | None:
    """The level of the Party committee a title or folder names (市委 → city); None for none or several.
    Narrower than round_signature: 巡视 in a title ("巡视巡察上下联动") names no inspecting body."""
    t = clean(text)
    found = {lv for words, lv in _COMMITTEES if any(w in t for w in words)}
    return found.pop() if len(found) == 1 else None


class RoundResolver(_Narrowing):
    def __init__(self, rounds: list[RoundInfo]):
        self.rounds = {r.name: r for r in rounds}
        self.exact = {clean(r.name): r.name for r in rounds}
        self.sigs = {r.name: round_signature(r.name) for r in rounds}
        for r in rounds:
            if r.year and "year" not in self.sigs[r.name]:
                self.sigs[r.name]["year"] = r.year
            self.sigs[r.name].setdefault("level", r.level)
            if r.kind:
                self.sigs[r.name].setdefault("kind", r.kind)

    def _by_signature(self, text: str) -> list[str]:
        sig = round_signature(text)
        if "ordinal" not in sig and "kind" not in sig:
            return []
        cands = []
        for name, rs in self.sigs.items():
            ok = True
            for k in ("ordinal", "term", "year", "level"):
                if k in sig and k in rs and sig[k] != rs[k]:
                    ok = False
                elif k == "ordinal" and k in sig and k not in rs:
                    ok = False
            if "ordinal" not in sig and sig.get("kind") != rs.get("kind"):
                ok = False
            if ok:
                cands.append(name)
        if len(cands) > 1 and "level" not in sig:
            county = [c for c in cands if self.sigs[c].get("level") == "county"]
            if county:
                cands = county
        if len(cands) > 1 and "ordinal" not in sig:
            topic = [c for c in cands if self.rounds[c].topic and clean(self.rounds[c].topic) in clean(text)]
            if topic:
                cands = topic
        return cands

    def _resolve(self, text: object, suggest: bool = True) -> Resolution:
        s = clean(text)
        if not s:
            return Resolution(None, None, reason="轮次为空")
        if s in self.exact:
            return Resolution(self.exact[s], "exact")
        inside = [n for c, n in self.exact.items() if c and c in s]
        if inside:
            return Resolution(max(inside, key=len), "contained")
        cands = self._by_signature(s)
        if len(cands) == 1:
            return Resolution(cands[0], "signature")
        if cands:
            return Resolution(None, None, sorted(cands)[:5], f"轮次「{s}」对应多个轮次，无法确定", sorted(cands))
        close = difflib.get_close_matches(s, list(self.rounds), n=3, cutoff=0.3) if suggest else []
        return Resolution(None, None, close, f"轮次「{s}」不在巡察轮次登记表中")

    _LEVEL_WORD = {lv: words[0] for words, lv in _COMMITTEES}  # the committee a round of that level names

    def resolve_in(self, text: object, context: list[str], suggest: bool = True) -> Resolution:
        """As for any name; and a round written without its level ("第五轮") in a sheet whose title or folder
        names one level ("市委第五巡察组巡察…") is the round of that level, not the county's round of the same
        number that a bare ordinal otherwise means."""
        levels = _memo.table(self, "context_level")
        key = tuple(context)
        lv = levels.get(key)
        if lv is None:
            found = {_committee_level(t) for t in context if t} - {None}
            lv = _memo.put(levels, key, found.pop() if len(found) == 1 else "")
        r = super().resolve_in(text, context, suggest)
        if not lv or r.how != "signature" or "level" in round_signature(text):
            return r
        same = self.sigs.get(r.value, {}).get("level")
        if same == lv:
            return r
        other = self._resolve(self._LEVEL_WORD.get(lv, "") + clean(text), suggest)
        if other.value is not None or other.candidates:
            return other
        return Resolution(None, None, [r.value], f"轮次「{clean(text)}」没写是哪一级的巡察，标题或文件夹写的是"
                                                 f"{self._LEVEL_WORD.get(lv, lv)}，登记表中只有{r.value}", [r.value])

    def find_in_text(self, text: str, context: list[str] | None = None) -> str | None:
        """A round named in a title or folder name; None when absent or still ambiguous after context."""
        if not text:
            return None
        return self.resolve_in(text, context or [], suggest=False).value
