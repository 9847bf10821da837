"""The declarative data contract (config/contract.yaml) and county settings, loaded once.

Everything an analyst may want to extend (header synonyms, vocabularies, required
fields, row classes, thresholds) lives in the YAML files; this module only reads
them and offers the normalisation that header and vocabulary matching share.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines import memo

CONFIG_DIR = Path(__file__).parent / "config"

_BRACKETED = re.compile(r"[(\[【{<《][^()\[\]【】{}<>《》]*[)\]】}>》]")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\"'“”‘’`·•:：;；,，、。.!！?？*＊#＃]")
_NOISE = re.compile(r"[\s(\[【{<《)\]】}>》\"'“”‘’`·•:：;；,，、。.!！?？*＊#＃]")


def nfkc(text: str) -> str:
    """Full-width → half-width and compatibility forms (（ → (, ：→ :, Ａ → A)."""
    return unicodedata.normalize("NFKC", text)


def norm_header(text: object) -> str:
    """Normalise a header cell: NFKC, drop line breaks/spaces, bracketed annotations and punctuation.

    "整改\n时限" → "整改时限"; "责 任 人" → "责任人"; "责任人（签字）" → "责任人";
    "移交线索（件）" → "移交线索".
    """
    if text is None:
        return ""
    s = str(text)
    if _NOISE.search(s) is None and unicodedata.is_normalized("NFKC", s):
        return s  # nothing to remove (the common case): the full normalisation would return it unchanged
    return _norm_header_full(s)


def _norm_header_full(s: str) -> str:
    prev = None
    while prev != s:  # to a fixed point: removing characters can make new NFKC compositions
        prev = s
        s = _SPACE.sub("", nfkc(s))
        s = _BRACKETED.sub("", s)
        s = _PUNCT.sub("", s).strip()
    return s


_VALUE_NOISE = re.compile(r"[()\[\]【】]")


@lru_cache(maxsize=1 << 16)
def norm_header_cached(text: str) -> str:
    """norm_header for the short texts tested on every row (totals, repeated headers)."""
    return norm_header(text)


_BRACKET_CHARS = re.compile(r"[(\[【{<《)\]】}>》]")


def keep_qualifiers(text: str, qualifiers: tuple[str, ...]) -> str:
    """The header text with the brackets of an annotation that holds a qualifier (contract's header_qualifiers:
    计划, 要求 …) dropped and its words kept, so that normalising does not remove them: "完成时间（计划）" is a
    planned date, not 完成时间. Annotations without one (units such as （件）, 签字) are left for norm_header."""
    if not qualifiers or not text:
        return text
    s = nfkc(text)
    if _BRACKET_CHARS.search(s) is None:
        return text

    def unbracket(m: re.Match) -> str:
        inner = m.group(0)[1:-1]
        return inner if any(q in inner for q in qualifiers) else m.group(0)
    return _BRACKETED.sub(unbracket, s)


def norm_header_keeping(text: object, qualifiers: tuple[str, ...]) -> str:
    """norm_header, except that an annotation holding a qualifier keeps its words (keep_qualifiers): how the
    contract's synonyms and a sheet's header cells are both normalised (Contract.header_norm memoises it)."""
    return norm_header(keep_qualifiers(str(text), qualifiers)) if text is not None else ""


def qualified(header: str, synonym: str, qualifiers: tuple[str, ...]) -> bool:
    """Whether a normalised header that contains a synonym says more than it with a qualifier word: the rest of
    "计划完成时间" once 完成时间 is taken out is 计划, so it is not the 完成时间 column (nor 要求办结时间 the
    办结时间 one). The synonym's own words do not count (a synonym may itself contain one)."""
    if not qualifiers:
        return False
    rest = header.replace(synonym, "\x00", 1)
    return any(q in rest for q in qualifiers)


# whitespace, punctuation and brackets in one class: deleting them in one pass is the same as class by class
_VALUE_DELETE = re.compile(r"\s|" + _PUNCT.pattern + "|" + _VALUE_NOISE.pattern)


def norm_value(text: object) -> str:
    """Normalise a vocabulary value: NFKC, no spaces, quotes, punctuation or brackets ("乡（镇）" → "乡镇")."""
    if text is None:
        return ""
    s = str(text)
    if not unicodedata.is_normalized("NFKC", s):
        s = nfkc(s)
    return _VALUE_DELETE.sub("", s)


@dataclass(frozen=True)
class Column:
    name: str
    synonyms: tuple[str, ...]
    type: str = "text"
    vocab: str | None = None
    required: bool = False
    context: bool = False
    fill_down: bool = False
    unit: str | None = None  # count columns: the measure word to take from "2件3人"
    from_subheading: bool = False  # empty → the sub-heading row above ("一、政治建设方面")
    into: tuple[str, ...] = ()  # daterange columns: the (start, end) columns a "X至Y" cell fills
    label: str | None = None  # how messages name the column (default: its first synonym)
    # status columns: (date column, code) — an empty cell (or no such column) with that date → that code;
    # the staging table gets <col>_source (column / narrative / date / NULL = unknown)
    derive: tuple[str, str] | None = None
    several: bool = False  # a cell may name several values ("县财政局、县审计局"): one record per value
    names_into: tuple[str, ...] = ()  # a column of names under a role header (组长): (name column, role column)
    part_of: str | None = None  # a component of another column (届次 + 轮次 → round_name), see Contract.compose
    min: float | str | None = None  # count/number columns: validation range (a number or a setting's name)
    max: float | str | None = None
    # count columns: headers of its parts (党纪处分 | 政务处分 for 党纪政务处分): with no header naming the column
    # itself, the parts' cells are added up into it
    addends: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Kind:
    name: str
    label: str
    columns: dict[str, Column]
    identify_all: tuple[str, ...]
    identify_any: tuple[str, ...]
    key: tuple[str, ...]
    personal: tuple[str, ...] = ()
    dimensions: bool = False
    # (other kind, its column): a header naming one of these means the sheet is probably not this kind
    contradicts: tuple[tuple[str, str], ...] = ()
    identify_also: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # other (all, any) signatures
    check_key: bool = True  # validation checks the key is unique (false: a rules.yaml rule does it instead)
    same_record: tuple[str, ...] = ()  # columns that identify one record across files whatever its number
    # normalised header → column name (exact synonyms), and the synonym's place in that column's list
    exact: dict[str, str] = field(default_factory=dict)
    rank: dict[str, int] = field(default_factory=dict)
    # (synonym, column) for synonyms of ≥3 characters, longest first (for "header contains synonym")
    fuzzy: list[tuple[str, str]] = field(default_factory=list)
    # normalised headers the analyst said to ignore (「忽略此列」): never unmatched, never a dimension
    ignore: frozenset = frozenset()
    # the contract's header_qualifiers: a header containing a synonym and one of these is not that column
    qualifiers: tuple[str, ...] = ()
    # the contract's header_totals: under a group header naming a count (发现问题), a sub header that is only
    # its total (总数, 件数) is that count; any other sub header (其中：立行立改, 人数) is a column of its own
    totals: frozenset = frozenset()
    # a title with one of these words (审计) and none of title_unless (巡察) says the sheet is another ledger
    title_words: tuple[str, ...] = ()
    title_unless: tuple[str, ...] = ()
    # a title naming a plan (整改任务清单, 整改方案) and none of plan_unless (落实情况): with no status column, the
    # date a status is derived from (完成时间) is when the item is due, not when it was done
    plan_words: tuple[str, ...] = ()
    plan_unless: tuple[str, ...] = ()
    # a column whose cell merged down over rows makes them one record (问题 over its measures), see parse
    merged_record: str | None = None
    # rows repeating the same record fold into one only when its number is repeated too (leads: two leads of one
    # unit are often summarised alike)
    repeats_need_number: bool = False
    # normalised header → the count column it is a part of (Column.addends)
    addends: dict[str, str] = field(default_factory=dict)
    # units: remark columns (备注) whose text about the scope (不纳入巡察范围, 撤并) stands for 是否纳入巡察范围
    scope_headers: tuple[str, ...] = ()
    scope_words: tuple[str, ...] = ()
    # wide assessments: header words of numeric columns that are no dimension (排名), and of deductions (扣分)
    not_dimensions: tuple[str, ...] = ()
    deductions: tuple[str, ...] = ()


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class ReaderRules:
    """How status phrases are read (status_reading: in the contract): marker words by class, their scope."""
    scope: int
    split: re.Pattern  # clause separators
    markers: dict  # marker word → class (negation, hedge, pending, deadline, contrast …)
    marker_lengths: tuple[int, ...]  # distinct marker lengths, longest first
    affirm: tuple[str, ...]
    affirm_voids: dict  # marker class → "between" (已 between marker and word) or "clause" (已 anywhere before)
    not_markers: tuple[str, ...]
    topic_start: tuple[str, ...] = ()
    topic_end: tuple[str, ...] = ()
    marker_pat: re.Pattern | None = None  # the longest marker at each place
    blank: re.Pattern | None = None  # restated problems (topic) and not_markers: read as blanks
    portions: tuple = ()  # (pattern with groups part [and whole], whole): a stated part of the work is a hedge
    doubt: tuple[str, ...] = ()  # characters that make any status text unknown ("已完成？")
    affirm_not: tuple[str, ...] = ()  # 已 + another verb (已明确6月底前完成): not an affirmation of the work
    unticked: re.Pattern | None = None  # an unticked box written in the cell (□未完成): removed before reading
    label: re.Pattern | None = None  # a column's name written before the value (完成情况：已完成)
    empty_values: frozenset = frozenset()  # what after such a label says nothing (完成时间：无)
    # marker classes that count only before the word they govern (要求完成 / 若…即可完成), not standing free
    # (已完成整改，并要求举一反三)
    attached_only: frozenset = frozenset()
    # marker classes that stand free only when no word of the work done comes after them: a first step
    # (已落实责任人) or a fault (不规范) followed by 整改到位 / 已纠正 is what was done about it
    # (apart: the later word must not follow it directly: 材料报送完毕 is the step done, not the work)
    cleared_by_later: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusReading:
    """Per vocabulary: which codes are "positive" and what a marked positive word becomes (None = unknown)."""
    positive: frozenset
    outcome: dict  # marker class → code or None
    mixed: str | None
    precedence: tuple[str, ...]
    keeps_positive: frozenset


@dataclass(frozen=True, eq=False)
class Vocabulary:
    name: str
    entries: list[tuple[str, tuple[str, ...]]]  # (code, synonyms) in priority order
    fallback: str | None
    labels: dict[str, str] = field(default_factory=dict)  # code → the Chinese name users see
    dominant: tuple[str, ...] = ()  # codes that decide a text naming several (dominant: in the contract)
    # words the analyst confirmed (本县口径.xlsx): normalised word → code, matched exactly and before the list,
    # never as a substring (an answered "办毕" must not turn "未办毕" into rectified)
    answered: dict[str, str] = field(default_factory=dict)
    reading: StatusReading | None = None  # set: phrases are read by the rule-based reader, not "contains"
    rules: ReaderRules | None = None
    # derived once (see __post_init__): word or code → code; (word → code, pattern of the longest word) for the reader
    _exact_index: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _index: tuple = field(default=(), init=False, repr=False, compare=False)
    _done_chars: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)  # of the done words

    def __post_init__(self) -> None:
        ex: dict[str, str] = {}  # the first entry (in file order) that has a word wins
        idx: dict[str, str] = {}
        for code, syns in self.entries:
            ex.setdefault(code, code)
            for w in syns:
                ex.setdefault(w, code)
                if len(w) >= 2:
                    idx.setdefault(w, code)
        object.__setattr__(self, "_exact_index", ex)
        object.__setattr__(self, "_index", (idx, _alternation(idx)))
        pos = self.reading.positive if self.reading is not None else ()
        object.__setattr__(self, "_done_chars", frozenset(
            ch for code, syns in self.entries if code in pos for w in (code, *syns) for ch in w))

    def label(self, code: object) -> str:
        """The code's Chinese name (labels: in the contract); an unknown code is shown as it is."""
        return self.labels.get(str(code), str(code))

    @property
    def codes(self) -> list[str]:
        return [c for c, _ in self.entries]

    def lookup(self, raw: object) -> str | None:
        """The code of a cell's text, or None when it cannot be read with confidence.

        Exact synonym or code first (after normalisation). Then, for a vocabulary listed in status_reading,
        the phrase reader (negation, hedge and pending markers; see the contract); for the others the first
        entry (in file order) whose ≥2-char synonym occurs, then the fallback."""
        return self.classify(raw)[0]

    def classify(self, raw: object) -> tuple[str | None, str | None]:
        """(code, how): how is "exact" (a vocabulary word), "phrase" (read from a sentence), "contains",
        "fallback", or None when unknown. Memoised per distinct text."""
        if raw.__class__ is not str:
            return self._classify(raw)
        t = memo.table(self, "classify")
        res = t.get(raw)
        return res if res is not None else memo.put(t, raw, self._classify(raw))

    def guess(self, text: object) -> str | None:
        """A best guess for a word the vocabulary does not know (for the question workbook, never for
        loading): the confident reading if there is one; else the reader without its scope limit and with
        "mixed" for what it cannot place; else the closest synonym by difflib (ratio ≥ 0.6); else None."""
        code = self.lookup(text)
        if code is not None or not isinstance(text, str) or not text.strip():
            return code
        if self.reading is not None:
            code = self._read(text, lenient=True)
            if code is not None:
                return code
        import difflib

        v = norm_value(text)
        words = {w: c for c, syns in reversed(self.entries) for w in syns}
        best = difflib.get_close_matches(v, list(words), n=1, cutoff=0.6)
        return words[best[0]] if best else None

    def _classify(self, raw: object) -> tuple[str | None, str | None]:
        if self.answered:  # the analyst's answers (本县口径.xlsx): whole words, before everything else
            hit = self.answered.get(norm_value(raw))
            if hit is not None:
                return hit, "answered"
        if self.rules is not None and self.rules.doubt and raw.__class__ is str and \
                any(d in nfkc(raw) for d in self.rules.doubt):
            return None, None  # "已完成？": the writer was not sure either
        code = self._exact(raw)
        if code is not None:
            return code, "exact"
        if self.reading is not None:
            if raw.__class__ is not str:
                raw = str(raw)
            code = self._read(raw)
            return (code, "phrase") if code is not None else (None, None)
        bare = None  # the text without its bracketed notes, when it has any
        if raw.__class__ is str:
            text = nfkc(raw)
            bare = _BRACKETED.sub("", text)
            if bare == text:
                bare = None
        code = None
        if bare is not None and self.fallback is not None and norm_value(bare):
            # with a fallback the first listed word decides: a note in brackets must not outrank the text
            # ("县委巡察工作领导小组会议（听取县委巡察办汇报）" is a leading-group meeting, not 巡察办's own)
            code = self._exact(bare) or self._contains(bare)
        if code is None:
            code = self._contains(raw)
        if code is None and bare is not None and self.fallback is None:
            code = self._exact(bare) or self._contains(bare)  # "好（优秀）" is 好
        if code is not None:
            return code, "contains"
        if self.fallback and norm_value(raw):
            return self.fallback, "fallback"
        return None, None

    def _exact(self, raw: object) -> str | None:
        v = norm_value(raw)
        if not v:
            return None
        return self._exact_index.get(v)

    def _contains(self, raw: object) -> str | None:
        """The code whose ≥2-character word the text contains. With a fallback, the first entry in file order
        wins (those lists are ordered, e.g. 领导小组办公室 before 领导小组), among the words not inside a longer
        matched one (常务副组长 is 副组长, not 组长). Without one, a text naming words
        of two codes ("常规巡察，同步开展延伸巡察", "经初核予以了结") is unknown and asked, never settled by
        list order; a word inside a longer matched word ("延伸" in "延伸巡察") does not count twice."""
        v = norm_value(raw)
        if not v:
            return None
        hits = [(code, s) for code, syns in self.entries for s in syns if len(s) >= 2 and s in v]
        if not hits:
            return None
        words = {s for _c, s in hits}
        # a word inside a longer matched word ("组长" in "常务副组长", "延伸" in "延伸巡察") never decides
        kept = [c for c, s in hits if not any(s != w and s in w for w in words)]
        if self.fallback is not None:
            return kept[0]  # the first entry in file order
        codes = set(kept)
        dominant = [c for c in self.dominant if c in codes]  # "专项巡察回头看" is a look-back round
        if dominant:
            return dominant[0]
        return codes.pop() if len(codes) == 1 else None

    # --- the phrase reader (status_reading: in the contract)

    def _words(self) -> tuple[dict, re.Pattern | None]:
        """word → code (≥2 characters, the first entry wins), and one pattern finding the longest word at each place."""
        return self._index

    def _read(self, raw: str, lenient: bool = False) -> str | None:
        rules, rd = self.rules, self.reading
        idx, word_pat = self._words()
        text = _SPACE.sub("", nfkc(raw))
        if rules.label is not None:
            m = rules.label.match(text)
            if m is not None:
                if norm_value(m.group(1)) in rules.empty_values:
                    return None  # "完成时间：" with nothing after it
                text = m.group(1)
                exact = self._exact(text)
                if exact is not None:
                    return exact
        if rules.unticked is not None:
            text = rules.unticked.sub("", text)
        if rules.portions:
            text = _mark_portions(text, rules.portions)
        text = _DIGITS.sub("0", text)  # a date's digits count as one character
        # restated problems ("针对…问题") and words that only look like markers ("不断", "提前") are blanked out,
        # keeping every other character where it is
        if rules.blank is not None:
            text = rules.blank.sub(_blank, text)
        plain: list[str] = []  # positive words read as written
        other: list[tuple[str | None, str | None]] = []  # (code, word) of the other words and of marked positives
        free = False
        lone_negation = plain_free = False  # free markers: a negation in a clause of its own, any other
        positive = rd.positive
        clauses = [cl for cl in rules.split.split(text) if cl]
        all_toks = [[(m.start(), m.end(), m.group(), idx[m.group()]) for m in word_pat.finditer(cl)] if word_pat else []
                    for cl in clauses]
        # for each clause: whether a later clause has a positive word (for cleared_by_later)
        later = [False] * len(clauses)
        for k in range(len(clauses) - 2, -1, -1):
            later[k] = later[k + 1] or any(t[3] in positive for t in all_toks[k + 1])
        for k, cl in enumerate(clauses):
            toks = all_toks[k]
            marks = []  # [start, end, class, attached]
            if rules.marker_pat is not None:
                for m in rules.marker_pat.finditer(cl):
                    i, j = m.span()
                    inside = next((t for t in toks if t[0] <= i and j <= t[1]), None)
                    if inside is None or inside[3] not in positive:
                        marks.append([i, j, rules.markers[m.group()], inside is not None])
            applied: set[int] = set()
            for ts, te, w, code in toks:
                if code not in positive:
                    other.append((code, w))
                    continue
                best = None
                for mi, m in enumerate(marks):
                    if m[1] > ts:
                        break
                    if m[2] not in rd.outcome or m[2] in rules.cleared_by_later:
                        continue  # contrast words, first steps and faults only matter when they stand free
                    how = rules.affirm_voids.get(m[2])
                    # clause: 已 anywhere before the word ("已于6月底前完成"); between: not right after the marker
                    seg = cl[m[1] + 1 if how == "between" else 0:te] if how else ""
                    for w in rules.affirm_not if how else ():
                        seg = seg.replace(w, "")
                    if how and any(a in seg for a in rules.affirm):
                        m[3] = True
                        continue
                    best = mi
                if best is None:
                    plain.append(code)
                    continue
                m = marks[best]
                if ts - m[1] <= rules.scope or best in applied or lenient:
                    applied.add(best)
                    m[3] = True
                    out = rd.outcome[m[2]]
                    if out is None and lenient:
                        out = rd.mixed
                    other.append((out, None))
                else:
                    return None  # a marker too far away to tell whether it governs the word
            for m in marks:
                if not m[3]:
                    if m[2] in rules.attached_only:
                        continue
                    how = rules.cleared_by_later.get(m[2])
                    if how is not None and (later[k] or any(
                            t[3] in positive and t[0] >= m[1] + (how == "apart") for t in toks)):
                        continue
                    free = True
                    if m[2] in rd.outcome and rd.outcome[m[2]] is None and not lenient:
                        return None  # a question or a doubt standing free ("完成时间：", "可能已完成")
                    if m[2] == "negation" and not any(t[3] in positive for t in toks):
                        # "已完成整改，未造成不良影响": a negation of something named (not the work itself, as in
                        # "完成：否", "（虚假整改）") may deny the harm, not the work
                        rest = cl[:m[0]] + cl[m[1]:]
                        if any(ch not in self._done_chars and ch != _BLANK for ch in rest):
                            lone_negation = True
                    elif m[2] != "negation":
                        plain_free = True
        if any(c is None for c, _ in other):
            return None
        if plain:
            others = {c for c, w in other if w is None or w not in rd.keeps_positive}
            if not others and not free:
                return plain[0]
            if lone_negation and not others and not plain_free and not lenient:
                # a done word and, in another clause, a negation of something unnamed ("已整改，资金未追回" is
                # not done, "已整改，未造成损失" is): which one it is takes a reader, so it is asked
                return None
            if rd.mixed is None:
                return None
            cands = others | {rd.mixed}
            return next((c for c in rd.precedence if c in cands), rd.mixed)
        codes = {c for c, _ in other}
        if len(codes) == 1:
            return codes.pop()
        return next((c for c in rd.precedence if c in codes), None)


def _alternation(words) -> re.Pattern | None:
    """One pattern matching, at each place, the longest of the words (alternatives longest first)."""
    ws = sorted(set(words), key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, ws))) if ws else None


_BLANK = "\x00"  # stands in for each character of a blanked-out span while a phrase is read


def _blank(m: re.Match) -> str:
    return _BLANK * len(m.group())


def _reader_rules(sr: dict) -> ReaderRules:
    markers: dict[str, str] = {}
    for cls, words in (sr.get("markers") or {}).items():
        for w in words or ():
            markers.setdefault(nfkc(str(w)), str(cls))
    seps = str(sr.get("separators", "，,；;。！!？?\n"))
    seps = nfkc(seps) + seps
    topic = sr.get("topic") or {}
    not_markers = tuple(nfkc(str(w)) for w in sr.get("not_markers") or ())
    t_start = tuple(nfkc(str(w)) for w in topic.get("start") or ())
    t_end = tuple(nfkc(str(w)) for w in topic.get("end") or ())
    blanks = []
    # from a start word to the nearest end word after it, within one clause: a restated problem (topic), a
    # stated requirement ("按照巡察组反馈要求", spans); a span never reaches across its not_across words
    for sp in [topic, *(sr.get("spans") or ())]:
        starts = [nfkc(str(w)) for w in sp.get("start") or ()]
        ends = [nfkc(str(w)) for w in sp.get("end") or ()]
        if not (starts and ends):
            continue
        across = [nfkc(str(w)) for w in sp.get("not_across") or ()]
        ch = f"[^{re.escape(seps)}]" if not across else f"(?:(?!{_alternation(across).pattern})[^{re.escape(seps)}])"
        within = sp.get("within")
        gap = f"{ch}*?" if within is None else f"{ch}{{0,{int(within)}}}?"
        blanks.append(f"(?:{_alternation(starts).pattern}){gap}(?:{_alternation(ends).pattern})")
    for pair in sr.get("titles") or ():  # a document's name between title marks (《…》) is not a statement
        a, b = nfkc(str(pair[0])), nfkc(str(pair[1]))
        blanks.append(f"{re.escape(a)}[^{re.escape(a + b)}]*{re.escape(b)}")
    if not_markers:
        blanks.append(_alternation(not_markers).pattern)
    portions = tuple((re.compile(str(p["pattern"])), float(p.get("whole", 100))) for p in sr.get("portions") or ())
    if portions:
        markers.setdefault(PORTION, "hedge")
    return ReaderRules(
        scope=int(sr.get("scope", 10)),
        split=re.compile("[" + re.escape(seps) + "]"),
        markers=markers,
        marker_lengths=tuple(sorted({len(w) for w in markers}, reverse=True)),
        affirm=tuple(nfkc(str(a)) for a in sr.get("affirm") or ()),
        affirm_voids={str(k): str(v) for k, v in (sr.get("affirm_voids") or {}).items()},
        attached_only=frozenset(str(c) for c in sr.get("attached_only") or ()),
        cleared_by_later={str(c): str(how) for c, how in (sr.get("cleared_by_later") or {}).items()},
        not_markers=not_markers,
        topic_start=t_start,
        topic_end=t_end,
        marker_pat=_alternation(markers),
        blank=re.compile("|".join(blanks)) if blanks else None,
        portions=portions,
        doubt=tuple(nfkc(str(d)) for d in sr.get("doubt") or ()),
        affirm_not=tuple(nfkc(str(a)) for a in sr.get("affirm_not") or ()),
        label=re.compile("^(?:" + "|".join(map(re.escape, (nfkc(str(w)) for w in sr["labels"]))) + ")[:：](.*)$", re.S)
        if sr.get("labels") else None,
        empty_values=frozenset(norm_value(w) for w in sr.get("empty_values") or ()) | {""},
        unticked=re.compile("|".join(f"(?:{p})" for p in sr.get("unticked") or ())) if sr.get("unticked") else None,
    )


PORTION = "\ue000"  # stands in for a stated part of the work ("80%") while a phrase is read: a hedge marker
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(s: str) -> int | None:
    """Chinese numerals up to 99 (三 → 3, 十二 → 12, 二十一 → 21) or arabic digits."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    if not s or any(ch not in _CN_DIGITS and ch != "十" for ch in s):
        return None
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        o = _CN_DIGITS.get(ones, None) if ones else 0
        if t is None or o is None:
            return None
        return t * 10 + o
    if len(s) == 1:
        return _CN_DIGITS[s]
    return None


def _number(text: str) -> float | None:
    """An amount as written: 80, 2.5, 八十, 九 (Chinese numerals up to 九十九)."""
    try:
        return float(text)
    except ValueError:
        n = cn_to_int(text)
        return None if n is None else float(n)


def _mark_portions(text: str, portions: tuple) -> str:
    """Each stated part of the work that is less than the whole ("已完成80%", "完成九成", "5项已完成2项") replaced
    by PORTION, which the reader takes as a hedge: the work is not all done. 100% and 5项完成5项 are left alone."""
    for pat, whole in portions:
        text = pat.sub(lambda m, w=whole: _portion(m, w), text)
    return text


def _portion(m: re.Match, whole: float) -> str:
    if "part" not in m.re.groupindex:  # a wording that always names a part ("除…外已完成")
        return PORTION
    part = _number(m.group("part"))
    w = _number(m.group("whole")) if "whole" in m.re.groupindex and m.group("whole") else whole
    if part is None or w is None or part >= w:
        return m.group()
    return m.group()[:m.start("part") - m.start()] + PORTION  # 5项已完成2项 → 5项已完成▯: the rest is read


def _status_reading(vname: str, vd: dict, codes: list[str], classes: set[str]) -> StatusReading:
    def code(key):
        c = vd.get(key)
        if c is not None and str(c) not in codes:
            raise ValueError(f"contract.yaml 的 status_reading.vocabularies.{vname}.{key}「{c}」不是词表 {vname} "
                             f"中的代码（应为 {'、'.join(codes)} 之一，或 null 表示未知）")
        return None if c is None else str(c)

    positive = frozenset(str(c) for c in vd.get("positive") or ())
    for c in positive:
        if c not in codes:
            raise ValueError(f"contract.yaml 的 status_reading.vocabularies.{vname}.positive 中「{c}」不是词表代码")
    return StatusReading(
        positive=positive,
        outcome={cls: code(cls) for cls in classes if cls in vd},
        mixed=code("mixed"),
        precedence=tuple(str(c) for c in vd.get("precedence") or () if str(c) in codes),
        keeps_positive=frozenset(norm_value(w) for w in vd.get("keeps_positive") or ()),
    )


@dataclass(frozen=True, eq=False)
class Contract:
    kinds: dict[str, Kind]
    vocabularies: dict[str, Vocabulary]
    footer_prefixes: tuple[str, ...]
    total_words: tuple[str, ...]
    subheading: re.Pattern  # any sub-heading numbering (the union of subheading_levels)
    settings: dict
    fingerprint: str
    subheading_levels: tuple[re.Pattern, ...] = ()  # sub-heading numberings, outermost first
    subheading_max_chars: int = 80
    footer_patterns: tuple[re.Pattern, ...] = ()
    total_pattern: re.Pattern | None = None  # a cell that makes its row a total ("县审计局小计", "共3个问题…")
    compose: dict = field(default_factory=dict)  # column → {"parts": {col: regex}, "formats": [(needs, format)]}
    transposed: dict = field(default_factory=dict)  # {"min_fields": n, "scan_rows": n}
    all_exact: frozenset = frozenset()
    kinds_by_header: dict = field(default_factory=dict)  # normalised header → kinds that know it exactly
    fuzzy_all: tuple = ()  # (synonym of ≥3 characters, kinds) for headers that only contain a synonym
    known_headers: frozenset = frozenset()  # every synonym, plus 序号/备注…: never an assessment dimension
    fuzzy_index: dict = field(default_factory=dict)  # first two characters → [(synonym, kinds)] of fuzzy_all
    status_words: frozenset = frozenset()  # words of the value vocabularies (settings): a row of them is data
    header_qualifiers: tuple[str, ...] = ()  # words that make a header a plan or a requirement (keep_qualifiers)
    header_totals: frozenset = frozenset()  # sub headers that are their group's own count (Kind.totals)
    # tick boxes (choice_marks: in the contract): (normalised texts that tick an option, texts that leave it blank)
    choice_marks: tuple = (frozenset(), frozenset())
    choice_questions: tuple[str, ...] = ()  # headers starting so ask a question (是否…): never a tick box
    # the analyst's answers (本县口径.xlsx) that are not contract data: sheet kinds and names
    # sheet_answers: (file, sheet) → kind | "not_ledger"; header_answers: header signature → kind | "not_ledger"
    sheet_answers: dict = field(default_factory=dict)
    header_answers: dict = field(default_factory=dict)
    # names: {"unit": {as written: register name}, "round": {…}}; new_names: {"unit": {as written: type code}, …}
    name_answers: dict = field(default_factory=dict)
    new_names: dict = field(default_factory=dict)
    # the same, answered for one county of several: {county: {"unit": {as written: …}, …}} (they win in that county)
    county_name_answers: dict = field(default_factory=dict)
    county_new_names: dict = field(default_factory=dict)
    answers_info: dict = field(default_factory=dict)  # {file, sha256, n_answers} when an answers workbook applies
    # a one-cell row above a header written again is the title of a second table when it says one of these
    section_title_words: tuple[str, ...] = ()

    @property
    def answers_name_files(self) -> bool:
        """Whether a parse depends on the file's name (a 「表类型」 answer names a file), not only its bytes."""
        return bool(self.sheet_answers)

    def names_for(self, county: str | None) -> tuple[dict, dict]:
        """(name answers, new names) that hold in a county: every county's, with that county's own over them."""
        own, new = self.county_name_answers.get(county or "") or {}, self.county_new_names.get(county or "") or {}
        if not own and not new:
            return self.name_answers, self.new_names
        cats = {*self.name_answers, *self.new_names, *own, *new}
        # a name this county answered for itself is answered only so: every county's answer for it goes
        mine = {cat: {*own.get(cat, {}), *new.get(cat, {})} for cat in cats}

        def merge(every: dict, ours: dict) -> dict:
            return {cat: {**{k: v for k, v in every.get(cat, {}).items() if k not in mine[cat]}, **ours.get(cat, {})}
                    for cat in cats}
        return merge(self.name_answers, own), merge(self.new_names, new)

    def sheet_kind_answer(self, file_rel: str | None, sheet_name: str, header_signature: str | None = None
                          ) -> str | None:
        """The analyst's answer to 「表类型」 for a sheet: a kind name, "not_ledger", or None (no answer).
        An answer names a file and sheet; it also holds for any other sheet whose header row is identical
        (header_signature: the normalised header texts joined by " | ", see header_signature())."""
        if file_rel is not None:
            hit = self.sheet_answers.get((file_rel, sheet_name))
            if hit is not None:
                return hit
        if header_signature:
            return self.header_answers.get(header_signature)
        return None
    codes: dict = field(default_factory=dict)  # group → {internal code → Chinese name} (file_status, reason…)
    metrics: dict = field(default_factory=dict)  # metric key → {label, unit, by}

    def kind(self, name: str) -> Kind:
        return self.kinds[name]

    def header_norm(self, text: str) -> str:
        """A sheet's header cell as the contract's synonyms are normalised: norm_header, except that an
        annotation holding a qualifier keeps its words (keep_qualifiers). Memoised per distinct text."""
        if not self.header_qualifiers:
            return norm_header_cached(text)
        t = memo.table(self, "header_norm")
        hit = t.get(text)
        return hit if hit is not None else memo.put(t, text, norm_header_keeping(text, self.header_qualifiers))

    def code_label(self, vocab: str, code: object) -> str:
        """The Chinese name of a code: a vocabulary's (problem_status/rectified → 已整改), else one of the
        codes: groups (file_status/ignored → 不是台账，已忽略), else the kind's label (group "kind"). The one
        place labels live; an unknown code is shown as it is."""
        v = self.vocabularies.get(vocab)
        if v is not None:
            return v.label(code)
        if vocab == "kind":
            k = self.kinds.get(str(code))
            return k.label if k is not None else str(code)
        return self.codes.get(vocab, {}).get(str(code), str(code))

    def metric_label(self, key: str) -> tuple[str, str]:
        """(Chinese name, unit) of a `xuncha metrics` key (metrics: in the contract)."""
        m = self.metrics.get(key) or {}
        return str(m.get("label", key)), str(m.get("unit", "") or "")

    def label(self, kind: str, col: str) -> str:
        """The column's name as analysts write it (its first header synonym), for messages."""
        c = self.kinds[kind].columns.get(col)
        if c and c.label:
            return c.label
        return c.synonyms[0] if c and c.synonyms else col


class ContractError(ValueError):
    """A contract or settings file that cannot be used: the message names the file, the line and how to fix it."""


_FULLWIDTH_SEP = re.compile(r"[，、；]")


def header_signature(texts) -> str:
    """A header row as one text (its normalised non-empty cells joined by " | "): how a 「表类型」 answer
    recognises other sheets with the identical header row."""
    return " | ".join(h for h in (norm_header(t) for t in texts) if h)


def _yaml_hint(problem: str, line_text: str) -> str:
    if "\t" in line_text or "'\\t'" in problem or "tab" in problem.lower():
        return "行首用了 Tab 键缩进：YAML 只能用空格缩进，请把 Tab 换成空格"
    if "：" in line_text and ":" not in line_text:
        return "这一行的冒号是全角的“：”：YAML 的键和值之间要用半角冒号加一个空格（如 `label: 问题整改`）"
    if "mapping values are not allowed" in problem:
        return "冒号的位置不对：多半是缩进与上一行不一致，或值里有“: ”（含冒号的值请用引号括起来）"
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return "缩进与上下文不一致：同一层的条目要用相同个数的空格缩进"
    if "flow sequence" in problem or "expected ',' or ']'" in problem:
        return "方括号列表没有正确结束：列表写作 `[词一, 词二]`，用半角逗号分隔，以 `]` 结束"
    if "duplicate" in problem.lower():
        return "同一层有两个相同的键：请合并为一个"
    return "请对照文件中相邻的条目检查缩进、冒号和引号"


def _read_yaml(path: Path) -> dict:
    """A YAML file as a dict; a syntax error becomes a ContractError naming the file, the line and a hint."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContractError(f"{path}：不是 UTF-8 编码的文本。请用记事本“另存为”并选择 UTF-8 编码") from None
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        lines = text.splitlines()
        line_text = lines[line - 1] if line and line - 1 < len(lines) else ""
        problem = str(getattr(exc, "problem", "") or exc)
        # the parser often stops on the line after the slip (a full-width colon makes the line a plain text)
        before = lines[line - 2] if line and line >= 2 and line - 2 < len(lines) else ""
        if "：" in before and ":" not in before and "：" not in line_text:
            line, line_text = line - 1, before
        where = f"第 {line} 行" if line else ""
        shown = f"：`{line_text.strip()[:80]}`" if line_text.strip() else ""
        raise ContractError(f"{path} {where}格式错误{shown}。{_yaml_hint(problem, line_text)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContractError(f"{path}：文件内容应是“键: 值”的形式，现在是一个{type(data).__name__}。请对照默认文件检查")
    return data


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def _check_words(path: Path, text: str, where: str, words, what: str) -> None:
    """A list of header or vocabulary words: a list, each word without a full-width separator."""
    if words is None:
        return
    if isinstance(words, str):
        line = _line_of(text, words)
        sep = " 并用了全角分隔符" if _FULLWIDTH_SEP.search(words) else ""
        raise ContractError(
            f"{path} 第 {line} 行：{where} 的{what}应是一个列表，现在是一段文字「{words}」{sep}。"
            f"请写成 `[{', '.join(w for w in _FULLWIDTH_SEP.split(words) if w)}]`（方括号、半角逗号加空格）")
    if not isinstance(words, list):
        raise ContractError(f"{path} 第 {_line_of(text, where.split('.')[-1])} 行：{where} 的{what}应是一个列表"
                            f"（如 `[词一, 词二]`）")
    for w in words:
        if isinstance(w, str) and _FULLWIDTH_SEP.search(w):
            parts = [x for x in _FULLWIDTH_SEP.split(w) if x]
            raise ContractError(
                f"{path} 第 {_line_of(text, w)} 行：{where} 的{what}「{w}」里有全角的“，”“、”或“；”，"
                f"会被当成一个词。列表的词之间要用半角逗号加空格分隔：`{', '.join(parts)}`")


def read_contract_dict(path: Path) -> dict:
    """The contract file as a plain dict, checked for the mistakes people make when editing it by hand."""
    path = Path(path)
    raw = _read_yaml(path)
    text = path.read_text(encoding="utf-8")
    for key in ("kinds", "vocabularies"):
        if not isinstance(raw.get(key), dict):
            raise ContractError(f"{path}：缺少顶层的 `{key}:` 部分（或它的缩进不对）。请对照默认的 contract.yaml")
    for kname, kd in raw["kinds"].items():
        if not isinstance(kd, dict) or not isinstance(kd.get("columns"), dict):
            raise ContractError(f"{path} 第 {_line_of(text, f'{kname}:')} 行：台账类型 `{kname}` 缺少 `columns:`"
                                f"（或缩进不对）")
        for cname, cd in kd["columns"].items():
            if not isinstance(cd, dict):
                raise ContractError(f"{path} 第 {_line_of(text, f'{cname}:')} 行：列 `{kname}.{cname}` 应写成 "
                                    f"`{{synonyms: [...], type: ...}}` 的形式")
            _check_words(path, text, f"{kname}.{cname}", cd.get("synonyms"), "表头写法（synonyms）")
            if cd.get("vocab") and cd["vocab"] not in raw["vocabularies"]:
                raise ContractError(f"{path} 第 {_line_of(text, f'{cname}:')} 行：列 `{kname}.{cname}` 用的词表 "
                                    f"`{cd['vocab']}` 在 vocabularies 中不存在")
    for vname, vd in raw["vocabularies"].items():
        if not isinstance(vd, dict):
            raise ContractError(f"{path} 第 {_line_of(text, f'{vname}:')} 行：词表 `{vname}` 应是“代码: [词, …]”的形式")
        for code, words in vd.items():
            if code in ("fallback", "labels"):
                continue
            _check_words(path, text, f"{vname}.{code}", words, "词语")
    return raw


def read_settings(paths: list[Path]) -> dict:
    settings: dict = {}
    for sp in paths:
        settings.update({k: v for k, v in _read_yaml(sp).items() if v is not None or k not in settings})
    return settings


def load_contract(contract_path: Path | None = None, settings_path: Path | None = None, *,
                  settings_paths: list[Path] | None = None, fingerprint_files: list[Path] = ()) -> Contract:
    """The contract file with the settings; several settings files are overlaid in order (later keys win).

    The fingerprint covers the contract, every settings file and `fingerprint_files` (the analyst's answers
    workbook): a change to any of them gives a new parse cache and rebuilds the warehouse."""
    contract_path = contract_path or CONFIG_DIR / "contract.yaml"
    if settings_paths is None:
        settings_paths = [settings_path or CONFIG_DIR / "settings.yaml"]
    raw = read_contract_dict(contract_path)
    settings = read_settings(settings_paths)
    fp_bytes = contract_path.read_bytes() + b"".join(Path(p).read_bytes() for p in [*settings_paths, *fingerprint_files]
                                                     if Path(p).is_file())
    return build_contract(raw, settings, fp_bytes)


def build_contract(raw: dict, settings: dict, fingerprint_bytes: bytes) -> Contract:
    """A Contract from the contract dict (read_contract_dict, possibly with the analyst's answers applied).
    fingerprint_bytes: everything the contract was made from (the parse cache and warehouse depend on it)."""
    kinds: dict[str, Kind] = {}
    quals = tuple(dict.fromkeys(nfkc(str(q)).strip() for q in raw.get("header_qualifiers") or [] if str(q).strip()))
    totals = frozenset(h for h in (norm_header(w) for w in raw.get("header_totals") or []) if h)

    def hnorm(text: object) -> str:
        return norm_header_keeping(text, quals)
    for kname, kd in raw["kinds"].items():
        cols = {}
        for cname, cd in kd["columns"].items():
            syns = tuple(dict.fromkeys(hnorm(s) for s in cd.get("synonyms", []) if hnorm(s)))
            cols[cname] = Column(
                name=cname,
                synonyms=syns,
                type=cd.get("type", "text"),
                vocab=cd.get("vocab"),
                required=bool(cd.get("required", False)),
                context=bool(cd.get("context", False)),
                fill_down=bool(cd.get("fill_down", False)),
                unit=cd.get("unit"),
                from_subheading=bool(cd.get("from_subheading", False)),
                into=tuple(cd.get("into", ())),
                label=cd.get("label"),
                derive=(str(cd["derive"]["date"]), str(cd["derive"]["code"])) if cd.get("derive") else None,
                several=bool(cd.get("several", False)),
                names_into=tuple(cd.get("names_into", ())),
                part_of=cd.get("part_of"),
                min=cd.get("min"),
                max=cd.get("max"),
                addends=tuple(dict.fromkeys(hnorm(s) for s in cd.get("addends", []) or [] if hnorm(s))),
            )
        ident = kd.get("identify", {})
        exact: dict[str, str] = {}
        rank: dict[str, int] = {}
        for c in cols.values():
            for i, s in enumerate(c.synonyms):
                if s not in exact:
                    exact[s], rank[s] = c.name, i
        kind = Kind(
            name=kname,
            label=kd.get("label", kname),
            columns=cols,
            identify_all=tuple(ident.get("all", [])),
            identify_any=tuple(ident.get("any", [])),
            key=tuple(kd.get("key", [])),
            personal=tuple(kd.get("personal", [])),
            dimensions=bool(kd.get("dimensions", False)),
            ignore=frozenset(h for h in (hnorm(x) for x in kd.get("ignore", []) or []) if h),
            qualifiers=quals,
            totals=totals,
            not_dimensions=tuple(hnorm(w) for w in kd.get("not_dimensions") or [] if hnorm(w)),
            deductions=tuple(hnorm(w) for w in kd.get("deductions") or [] if hnorm(w)),
            title_words=tuple(nfkc(str(w)) for w in (kd.get("title_contradicts") or {}).get("words") or []),
            title_unless=tuple(nfkc(str(w)) for w in (kd.get("title_contradicts") or {}).get("unless") or []),
            plan_words=tuple(nfkc(str(w)) for w in (kd.get("plan_titles") or {}).get("words") or []),
            plan_unless=tuple(nfkc(str(w)) for w in (kd.get("plan_titles") or {}).get("unless") or []),
            merged_record=str(kd["merged_record"]) if kd.get("merged_record") else None,
            repeats_need_number=bool(kd.get("repeats_need_number", False)),
            scope_headers=tuple(nfkc(str(w)) for w in (kd.get("scope_remarks") or {}).get("headers") or []),
            scope_words=tuple(nfkc(str(w)) for w in (kd.get("scope_remarks") or {}).get("words") or []),
            contradicts=tuple(tuple(str(x).split(".", 1)) for x in kd.get("contradicts", []) if "." in str(x)),
            identify_also=tuple((tuple(a.get("all", [])), tuple(a.get("any", [])))
                                for a in kd.get("identify_also", []) or []),
            check_key=bool(kd.get("check_key", True)),
            same_record=tuple(kd.get("same_record", []) or []),
            exact=exact,
            rank=rank,
            addends={a: c.name for c in cols.values() for a in c.addends if a not in exact},
            fuzzy=sorted(((s, c.name) for c in cols.values() for s in c.synonyms if len(s) >= 3),
                         key=lambda x: -len(x[0])),
        )
        kinds[kname] = kind
    sr = raw.get("status_reading") or {}
    rules = _reader_rules(sr) if sr else None
    classes = set((sr.get("markers") or {}).keys())
    vocabs = {}
    for vname, vd in raw["vocabularies"].items():
        vd = dict(vd)
        fb = vd.pop("fallback", None)
        labels = {str(k): str(v) for k, v in (vd.pop("labels", None) or {}).items()}
        dominant = tuple(str(c) for c in (vd.pop("dominant", None) or []))
        answered = {norm_value(w): str(c) for w, c in (vd.pop("answered", None) or {}).items() if norm_value(w)}
        entries = [(str(code), tuple(norm_value(s) for s in syns)) for code, syns in vd.items()]
        reading = None
        if rules is not None and vname in (sr.get("vocabularies") or {}):
            reading = _status_reading(vname, sr["vocabularies"][vname] or {}, [c for c, _ in entries], classes)
        vocabs[vname] = Vocabulary(vname, entries, fb, labels, answered=answered, dominant=dominant, reading=reading,
                                   rules=rules if reading is not None else None)
    rc = raw.get("row_classes", {})
    # sub-heading numberings, outermost first (an older contract gives one subheading_pattern)
    levels = rc.get("subheading_levels") or [rc.get("subheading_pattern", r"^[一二三四五六七八九十]+、")]
    compose = {}
    for col, cd in (raw.get("compose") or {}).items():
        compose[col] = {"parts": {c: re.compile(rx) for c, rx in (cd.get("parts") or {}).items()},
                        "formats": [(tuple(f["needs"]), f["format"]) for f in cd.get("formats") or []]}
    fp = hashlib.sha256(fingerprint_bytes).hexdigest()[:16]
    answers = raw.get("answers") or {}
    return Contract(
        kinds=kinds,
        vocabularies=vocabs,
        footer_prefixes=tuple(nfkc(p) for p in rc.get("footer_prefixes", [])),
        total_words=tuple(rc.get("total_words", [])),
        section_title_words=tuple(nfkc(str(w)) for w in rc.get("section_title_words") or ()),
        subheading=re.compile("|".join(f"(?:{p})" for p in levels)),
        settings=settings,
        fingerprint=fp,
        subheading_levels=tuple(re.compile(p) for p in levels),
        subheading_max_chars=int(rc.get("subheading_max_chars", 80)),
        footer_patterns=tuple(re.compile(p) for p in rc.get("footer_patterns", []) or []),
        total_pattern=re.compile("|".join(f"(?:{p})" for p in rc["total_patterns"])) if rc.get("total_patterns") else None,
        compose=compose,
        transposed=dict(raw.get("transposed") or {}),
        codes={str(g): {str(k): str(v) for k, v in (m or {}).items()} for g, m in (raw.get("codes") or {}).items()},
        metrics={str(k): dict(v or {}) for k, v in (raw.get("metrics") or {}).items()},
        all_exact=frozenset(h for k in kinds.values() for h in k.exact),
        kinds_by_header=_kinds_by_header(kinds),
        fuzzy_all=tuple((syn, tuple(ks)) for syn, ks in _fuzzy_all(kinds).items()),
        known_headers=frozenset(h for k in kinds.values() for c in k.columns.values() for h in c.synonyms)
        | {norm_header(h) for h in ("序号", "备注", "说明", "编号")},
        fuzzy_index=_fuzzy_index(kinds),
        header_qualifiers=quals,
        header_totals=totals,
        choice_marks=tuple(frozenset(norm_value(w) for w in (raw.get("choice_marks") or {}).get(part) or []
                                     if norm_value(w)) for part in ("ticked", "blank")),
        choice_questions=tuple(norm_value(w) for w in (raw.get("choice_marks") or {}).get("question_prefixes") or []
                               if norm_value(w)),
        status_words=frozenset(w for name in settings.get("value_vocabularies", ("problem_status", "lead_status"))
                               if name in vocabs for _c, syns in vocabs[name].entries for w in syns if len(w) >= 2),
        sheet_answers=dict(answers.get("sheets", {})),
        header_answers=dict(answers.get("headers", {})),
        name_answers={k: dict(v) for k, v in answers.get("names", {}).items()},
        new_names={k: dict(v) for k, v in answers.get("new_names", {}).items()},
        county_name_answers={c: {k: dict(v) for k, v in m.items()} for c, m in answers.get("county_names", {}).items()},
        county_new_names={c: {k: dict(v) for k, v in m.items()} for c, m in answers.get("county_new_names", {}).items()},
        answers_info=dict(answers.get("info", {})),
    )


def _fuzzy_all(kinds: dict[str, Kind]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in kinds.values():
        for syn, _col in k.fuzzy:
            out.setdefault(syn, []).append(k.name)
    return out


def _fuzzy_index(kinds: dict[str, Kind]) -> dict[str, list]:
    """Fuzzy synonyms by their first two characters: a long header cell costs one lookup per character."""
    index: dict[str, list] = {}
    for syn, ks in _fuzzy_all(kinds).items():
        index.setdefault(syn[:2], []).append((syn, tuple(ks)))
    return index


def _kinds_by_header(kinds: dict[str, Kind]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for k in kinds.values():
        for h in [*k.exact, *k.addends]:
            out.setdefault(h, []).append(k.name)
    return {h: tuple(v) for h, v in out.items()}


def default_contract() -> Contract:
    """The contract of the working folder the process runs in: its config/ (see pipelines/workspace.py) over the
    packaged defaults; only the packaged files when the folder has no config/."""
    return _folder_contract((Path.cwd() / "config").resolve())


@lru_cache(maxsize=8)
def _folder_contract(cfg: Path) -> Contract:
    from pipelines.workspace import load

    return load(cfg)
