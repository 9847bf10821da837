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
    # (other kind, its column): a header naming one of these means the sheet is probably not this kind
    contradicts: tuple[tuple[str, str], ...] = ()
    # normalised header → column name (exact synonyms), and the synonym's place in that column's list
    exact: dict[str, str] = field(default_factory=dict)
    rank: dict[str, int] = field(default_factory=dict)
    # (synonym, column) for synonyms of ≥3 characters, longest first (for "header contains synonym")
    fuzzy: list[tuple[str, str]] = field(default_factory=list)
    # header text → the columns whose fuzzy synonym it contains (per process; see structure._fuzzy_columns)
    fuzzy_memo: dict = field(default_factory=dict, repr=False, compare=False)
    # normalised headers the analyst said to ignore (「忽略此列」): never unmatched, never a dimension
    ignore: frozenset = frozenset()


@dataclass
class Vocabulary:
    name: str
    entries: list[tuple[str, tuple[str, ...]]]  # (code, synonyms) in priority order
    fallback: str | None
    labels: dict[str, str] = field(default_factory=dict)  # code → the Chinese name users see
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    # words the analyst confirmed (本县口径.xlsx): normalised word → code, matched exactly and before the list,
    # never as a substring (an answered "办毕" must not turn "未办毕" into rectified)
    answered: dict[str, str] = field(default_factory=dict)

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
        if self.answered:
            hit = self.answered.get(norm_value(raw))
            if hit is not None:
                return hit
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
    # the analyst's answers (本县口径.xlsx) that are not contract data: sheet kinds and names
    # sheet_answers: (file, sheet) → kind | "not_ledger"; header_answers: header signature → kind | "not_ledger"
    sheet_answers: dict = field(default_factory=dict)
    header_answers: dict = field(default_factory=dict)
    # names: {"unit": {as written: register name}, "round": {…}}; new_names: {"unit": {as written: type code}, …}
    name_answers: dict = field(default_factory=dict)
    new_names: dict = field(default_factory=dict)
    answers_info: dict = field(default_factory=dict)  # {file, sha256, n_answers} when an answers workbook applies

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

    def kind(self, name: str) -> Kind:
        return self.kinds[name]

    def code_label(self, vocab: str, code: object) -> str:
        """The Chinese name of a vocabulary code (e.g. problem_status/rectified → 已整改): the one place labels live."""
        v = self.vocabularies.get(vocab)
        return v.label(code) if v is not None else str(code)

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
                  settings_paths: list[Path] | None = None) -> Contract:
    """The contract file with the settings; several settings files are overlaid in order (later keys win)."""
    contract_path = contract_path or CONFIG_DIR / "contract.yaml"
    if settings_paths is None:
        settings_paths = [settings_path or CONFIG_DIR / "settings.yaml"]
    raw = read_contract_dict(contract_path)
    settings = read_settings(settings_paths)
    fp_bytes = contract_path.read_bytes() + b"".join(sp.read_bytes() for sp in settings_paths)
    return build_contract(raw, settings, fp_bytes)


def build_contract(raw: dict, settings: dict, fingerprint_bytes: bytes) -> Contract:
    """A Contract from the contract dict (read_contract_dict, possibly with the analyst's answers applied).
    fingerprint_bytes: everything the contract was made from (the parse cache and warehouse depend on it)."""
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
            ignore=frozenset(h for h in (norm_header(x) for x in kd.get("ignore", []) or []) if h),
            contradicts=tuple(tuple(str(x).split(".", 1)) for x in kd.get("contradicts", []) if "." in str(x)),
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
        answered = {norm_value(w): str(c) for w, c in (vd.pop("answered", None) or {}).items() if norm_value(w)}
        entries = [(str(code), tuple(norm_value(s) for s in syns)) for code, syns in vd.items()]
        vocabs[vname] = Vocabulary(vname, entries, fb, labels, answered=answered)
    rc = raw.get("row_classes", {})
    fp = hashlib.sha256(fingerprint_bytes).hexdigest()[:16]
    answers = raw.get("answers") or {}
    return Contract(
        kinds=kinds,
        vocabularies=vocabs,
        footer_prefixes=tuple(nfkc(p) for p in rc.get("footer_prefixes", [])),
        total_words=tuple(rc.get("total_words", [])),
        subheading=re.compile(rc.get("subheading_pattern", r"^[一二三四五六七八九十]+、")),
        settings=settings,
        fingerprint=fp,
        all_exact=frozenset(h for k in kinds.values() for h in k.exact),
        kinds_by_header=_kinds_by_header(kinds),
        fuzzy_all=tuple((syn, tuple(ks)) for syn, ks in _fuzzy_all(kinds).items()),
        known_headers=frozenset(h for k in kinds.values() for c in k.columns.values() for h in c.synonyms)
        | {norm_header(h) for h in ("序号", "备注", "说明", "编号")},
        sheet_answers=dict(answers.get("sheets", {})),
        header_answers=dict(answers.get("headers", {})),
        name_answers={k: dict(v) for k, v in answers.get("names", {}).items()},
        new_names={k: dict(v) for k, v in answers.get("new_names", {}).items()},
        answers_info=dict(answers.get("info", {})),
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
