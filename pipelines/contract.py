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

CONFIG_DIR = Path(__file__).parent / "config"
MEMO_LIMIT = 200_000  # entries per memo: bounded, so a sheet of unique long texts cannot grow it forever

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


def norm_value(text: object) -> str:
    """Normalise a vocabulary value: NFKC, no spaces, quotes, punctuation or brackets ("乡（镇）" → "乡镇")."""
    if text is None:
        return ""
    s = _SPACE.sub("", nfkc(str(text)))
    return _VALUE_NOISE.sub("", _PUNCT.sub("", s))


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


@dataclass
class Kind:
    name: str
    label: str
    columns: dict[str, Column]
    identify_all: tuple[str, ...]
    identify_any: tuple[str, ...]
    key: tuple[str, ...]
    personal: tuple[str, ...] = ()
    dimensions: bool = False
    # normalised header → column name (exact synonyms), and the synonym's place in that column's list
    exact: dict[str, str] = field(default_factory=dict)
    rank: dict[str, int] = field(default_factory=dict)
    # (synonym, column) for synonyms of ≥3 characters, longest first (for "header contains synonym")
    fuzzy: list[tuple[str, str]] = field(default_factory=list)
    # header text → the columns whose fuzzy synonym it contains (per process; see structure._fuzzy_columns)
    fuzzy_memo: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Vocabulary:
    name: str
    entries: list[tuple[str, tuple[str, ...]]]  # (code, synonyms) in priority order
    fallback: str | None
    labels: dict[str, str] = field(default_factory=dict)  # code → the Chinese name users see
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def label(self, code: object) -> str:
        """The code's Chinese name (labels: in the contract); an unknown code is shown as it is."""
        return self.labels.get(str(code), str(code))

    @property
    def codes(self) -> list[str]:
        return [c for c, _ in self.entries]

    def lookup(self, raw: object) -> str | None:
        """Exact synonym or code first, then the first entry (in file order) whose ≥2-char synonym occurs."""
        if raw.__class__ is not str:
            return self._lookup(raw)
        try:
            return self.memo[raw]
        except KeyError:
            code = self._lookup(raw)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[raw] = code
            return code

    def _lookup(self, raw: object) -> str | None:
        code = self._match(raw)
        if code is None and raw.__class__ is str:
            text = nfkc(raw)
            bare = _BRACKETED.sub("", text)
            if bare != text:
                code = self._match(bare)  # "好（优秀）" is 好
        return code if code is not None else (self.fallback if norm_value(raw) else None)

    def _match(self, raw: object) -> str | None:
        v = norm_value(raw)
        if not v:
            return None
        for code, syns in self.entries:
            if v == code or v in syns:
                return code
        for code, syns in self.entries:
            for s in syns:
                if len(s) >= 2 and s in v:
                    return code
        return None


@dataclass
class Contract:
    kinds: dict[str, Kind]
    vocabularies: dict[str, Vocabulary]
    footer_prefixes: tuple[str, ...]
    total_words: tuple[str, ...]
    subheading: re.Pattern
    settings: dict
    fingerprint: str
    all_exact: frozenset = frozenset()
    kinds_by_header: dict = field(default_factory=dict)  # normalised header → kinds that know it exactly
    fuzzy_all: tuple = ()  # (synonym of ≥3 characters, kinds) for headers that only contain a synonym
    known_headers: frozenset = frozenset()  # every synonym, plus 序号/备注…: never an assessment dimension
    # per-process memo of pure functions of the contract (header candidates, vocabulary lookups): ledgers
    # repeat the same headers and words thousands of times
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    codes: dict = field(default_factory=dict)  # group → {internal code → Chinese name} (file_status, reason…)
    metrics: dict = field(default_factory=dict)  # metric key → {label, unit, by}

    def kind(self, name: str) -> Kind:
        return self.kinds[name]

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


def _load_yaml(path: Path) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader) or {}


def load_contract(contract_path: Path | None = None, settings_path: Path | None = None, *,
                  settings_paths: list[Path] | None = None) -> Contract:
    """The contract file with the settings; several settings files are overlaid in order (later keys win)."""
    contract_path = contract_path or CONFIG_DIR / "contract.yaml"
    if settings_paths is None:
        settings_paths = [settings_path or CONFIG_DIR / "settings.yaml"]
    raw = _load_yaml(contract_path)
    settings: dict = {}
    for sp in settings_paths:
        settings.update({k: v for k, v in _load_yaml(sp).items() if v is not None or k not in settings})
    kinds: dict[str, Kind] = {}
    for kname, kd in raw["kinds"].items():
        cols = {}
        for cname, cd in kd["columns"].items():
            syns = tuple(dict.fromkeys(norm_header(s) for s in cd.get("synonyms", []) if norm_header(s)))
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
            )
        ident = kd.get("identify", {})
        kind = Kind(
            name=kname,
            label=kd.get("label", kname),
            columns=cols,
            identify_all=tuple(ident.get("all", [])),
            identify_any=tuple(ident.get("any", [])),
            key=tuple(kd.get("key", [])),
            personal=tuple(kd.get("personal", [])),
            dimensions=bool(kd.get("dimensions", False)),
        )
        for c in cols.values():
            for i, s in enumerate(c.synonyms):
                if s not in kind.exact:
                    kind.exact[s], kind.rank[s] = c.name, i
        kind.fuzzy = sorted(((s, c.name) for c in cols.values() for s in c.synonyms if len(s) >= 3),
                            key=lambda x: -len(x[0]))
        kinds[kname] = kind
    vocabs = {}
    for vname, vd in raw["vocabularies"].items():
        vd = dict(vd)
        fb = vd.pop("fallback", None)
        labels = {str(k): str(v) for k, v in (vd.pop("labels", None) or {}).items()}
        entries = [(str(code), tuple(norm_value(s) for s in syns)) for code, syns in vd.items()]
        vocabs[vname] = Vocabulary(vname, entries, fb, labels)
    rc = raw.get("row_classes", {})
    fp = hashlib.sha256(contract_path.read_bytes() + b"".join(sp.read_bytes() for sp in settings_paths)).hexdigest()[:16]
    return Contract(
        kinds=kinds,
        vocabularies=vocabs,
        footer_prefixes=tuple(nfkc(p) for p in rc.get("footer_prefixes", [])),
        total_words=tuple(rc.get("total_words", [])),
        subheading=re.compile(rc.get("subheading_pattern", r"^[一二三四五六七八九十]+、")),
        settings=settings,
        fingerprint=fp,
        codes={str(g): {str(k): str(v) for k, v in (m or {}).items()} for g, m in (raw.get("codes") or {}).items()},
        metrics={str(k): dict(v or {}) for k, v in (raw.get("metrics") or {}).items()},
        all_exact=frozenset(h for k in kinds.values() for h in k.exact),
        kinds_by_header=_kinds_by_header(kinds),
        fuzzy_all=tuple((syn, tuple(ks)) for syn, ks in _fuzzy_all(kinds).items()),
        known_headers=frozenset(h for k in kinds.values() for c in k.columns.values() for h in c.synonyms)
        | {norm_header(h) for h in ("序号", "备注", "说明", "编号")},
    )


def _fuzzy_all(kinds: dict[str, Kind]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in kinds.values():
        for syn, _col in k.fuzzy:
            out.setdefault(syn, []).append(k.name)
    return out


def _kinds_by_header(kinds: dict[str, Kind]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for k in kinds.values():
        for h in k.exact:
            out.setdefault(h, []).append(k.name)
    return {h: tuple(v) for h, v in out.items()}


@lru_cache(maxsize=1)
def default_contract() -> Contract:
    return load_contract()
