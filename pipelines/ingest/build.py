"""Ingest as a few pure stages, wired in one declarative list (STAGES, at the end of this module):

    discover → scope → parse → place → resolve → tables → write

Each stage is a function of the run's frozen settings (Run) and the values earlier stages returned; it returns
a new value and writes into none of its inputs -- in particular never into a ParsedFile / ParsedSheet /
ParsedRow, which the parse cache holds. The one exception is `write`, which consumes the table rows it is
given (each table is released once written, so the largest warehouse never holds two copies).

- discover: every file under data_raw with its size, time and SHA-256; byte-identical copies marked duplicate.
- scope:    what this run must do: nothing (the inputs are those the warehouse was built from), one county (only
            that county's folder changed: incremental.py), or everything. Refuses a far smaller input.
- parse:    a ParsedFile per file to read, from the parse cache or parsed now (in worker processes).
- place:    every source row as a data item (or a skipped row), placed into its county (counties.py), with each
            county's registers; a row no county's register places is held (unknown_county).
- resolve:  per county, the same function for a full build and a one-county rebuild (resolve_county): names
            against the county's registers, several records from one row, sub-headings, de-duplication.
- tables:   the warehouse rows, the per-file counts and the ingest summary, as a value.
- write:    the warehouse written atomically (a new file swapped in, or the county's rows replaced in a copy).

Every non-empty raw row ends as exactly one of loaded / quarantined / skipped; the raw_rows table records which,
with provenance, so nothing is lost. How long each stage took is kept in the history store's run record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pipelines import __version__, fingerprint
from pipelines import memo as _memo
from pipelines.answers import usage as answer_usage
from pipelines.contract import Contract, default_contract, norm_value
from pipelines.ingest import counties as CT
from pipelines.ingest import incremental as INC
from pipelines.ingest import layouts as LY
from pipelines.ingest import schema as S
from pipelines.ingest.cache import FILE_NAME as CACHE_FILE
from pipelines.ingest.cache import ParseCache
from pipelines.ingest.parse import ParsedFile, ParsedRow, ParsedSheet, parse_file
from pipelines.ingest.read import SUPPORTED, ReadError
from pipelines.ingest.resolve import (
    RoundInfo,
    RoundResolver,
    UnitInfo,
    UnitResolver,
    clean,
    infer_county,
)
from pipelines.warehouse import db as W

IGNORED_NAMES = re.compile(r"^(~\$|\.|readme)", re.I)
IGNORED_SUFFIXES = {".md", ".json"}
_ALIAS_SPLIT = re.compile(r"[、,;，；/|\n]+")


@dataclass(frozen=True, eq=False)
class FileRec:
    """One file under data_raw as a stage sees it. Frozen: a stage that learns more (its parse, that it failed)
    returns a new FileRec (dataclasses.replace)."""
    path: Path
    rel: str
    sha256: str = ""
    size: int = 0
    mtime: float = 0.0
    status: str = "pending"  # pending (to parse) | ingested | duplicate | failed | ignored
    error: str | None = None
    duplicate_of: str | None = None
    parsed: ParsedFile | None = None
    cached: bool = False  # its parse came from the parse cache

    @functools.cached_property
    def folder_parts(self) -> list[str]:
        """Folder names from the nearest up (used to find the round, and to narrow ambiguous names)."""
        return list(Path(self.rel).parent.parts)[::-1]


@dataclass(slots=True)
class Item:
    """One data row on its way to a staging table. Made by `place`; `resolve` works on its own copies."""
    f: FileRec
    sheet: ParsedSheet
    pr: ParsedRow
    kind: str
    # the row's values: in `place`, the parsed row's own dict (read only) except for register rows, which
    # `place` tidies in a copy; in `resolve`, always a copy of its own (the parsed row is never written)
    values: dict
    outcome: str = "loaded"
    reason: str | None = None
    reason_code: str | None = None
    suggestions: list[str] | tuple = ()
    skip_class: str | None = None
    derived: bool = False  # a further record of a source row that holds several (names, units): row counted once
    county: str | None = None  # the county the row belongs to (pipelines/ingest/counties.py)

    def copy(self) -> Item:
        """The same row with values of its own (what one stage hands on, the next may not write into)."""
        return Item(self.f, self.sheet, self.pr, self.kind, dict(self.values), self.outcome, self.reason,
                    self.reason_code, self.suggestions, self.skip_class, self.derived, self.county)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _walk(raw_dir: Path) -> list[tuple[str, ...]]:
    """Every regular file under raw_dir (symbolic links to files followed, to folders not), as its path parts
    relative to raw_dir, in the order sorted(raw_dir.rglob("*")) gives: one directory listing per folder, without
    a Path object per entry."""
    out: list[tuple[str, ...]] = []

    def visit(folder: str, parts: tuple[str, ...]) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    visit(e.path, (*parts, e.name))
                elif e.is_file():
                    out.append((*parts, e.name))
            except OSError:
                continue

    visit(str(raw_dir), ())
    out.sort(key=(lambda t: tuple(map(os.path.normcase, t))) if os.name == "nt" else None)  # as Path sorts
    return out


def discover_files(raw_dir: Path, contract: Contract) -> tuple[FileRec, ...]:
    """Every file under raw_dir (sorted), with its size, time and hash; a Word note or a photo is ignored, a
    non-spreadsheet or unreadable file failed, and of byte-identical files the oldest (then shortest-named) is
    read while the others are duplicates."""
    non_ledger = {str(x).lower() for x in contract.settings.get("non_ledger_suffixes") or ()}
    recs: list[FileRec] = []
    for parts in _walk(raw_dir):
        if any(IGNORED_NAMES.match(part) for part in parts):
            continue
        rel = "/".join(parts)
        p = raw_dir.joinpath(*parts)
        suffix = p.suffix.lower()
        if suffix in IGNORED_SUFFIXES:
            continue
        try:
            st = os.stat(p)
        except OSError:
            continue  # gone since it was listed (or a broken link): as if it had not been there
        status, error, sha = "pending", None, ""
        if suffix in non_ledger:  # a Word note or a photo beside the ledgers is normal
            status, error = "ignored", contract.code_label("file_status", "ignored")
        elif suffix not in SUPPORTED:
            status, error = "failed", (f"不是电子表格文件（{suffix or '无扩展名'}）：只支持 .xlsx .xlsm .xls .csv，"
                                       "请转换后再放入")
        else:
            try:
                sha = sha256_file(p)
            except OSError as exc:
                status, error = "failed", f"无法读取文件（{exc.strerror}）：请检查文件权限"
        recs.append(FileRec(path=p, rel=rel, sha256=sha, size=st.st_size, mtime=st.st_mtime, status=status,
                            error=error))
    primary_by_sha: dict[str, FileRec] = {}
    duplicate_of: dict[str, str] = {}
    for f in sorted((f for f in recs if f.sha256 and f.status == "pending"), key=lambda f: (f.mtime, len(f.rel), f.rel)):
        if f.sha256 in primary_by_sha:
            duplicate_of[f.rel] = primary_by_sha[f.sha256].rel
        else:
            primary_by_sha[f.sha256] = f
    return tuple(dataclasses.replace(f, status="duplicate", duplicate_of=duplicate_of[f.rel])
                 if f.rel in duplicate_of else f for f in recs)


def parser_fingerprint(contract: Contract) -> str:
    """The parse cache's key: the contract (with settings and answers) and the code a parse depends on."""
    h = hashlib.sha256(contract.fingerprint.encode() + __version__.encode() + fingerprint.parse_code().encode())
    return h.hexdigest()[:16]


_WORKER: dict = {}
_EMPTY_WORKBOOK = "工作簿中没有任何内容（所有工作表均为空）：请确认是否存错了文件"


def _init_worker(contract: Contract, cache: list | None) -> None:
    """Each parse worker receives the contract once, not with every file (cache: whether an in-process parse
    must also be pickled for the parse cache; the main process writes it). Its garbage collector runs (a
    worker is forked from a main process that pauses its own while it gathers the parses)."""
    _WORKER["contract"], _WORKER["cache"] = contract, cache is not None
    gc.enable()


def cache_key(sha256: str, rel: str, contract: Contract) -> str:
    """A parse depends on the file's bytes, and on its name only when the analyst answered a sheet's kind
    by file name (then the same bytes under another name may parse differently)."""
    if getattr(contract, "answers_name_files", False):
        return f"{sha256}-{hashlib.sha256(rel.encode()).hexdigest()[:12]}"
    return sha256


def _parse_job(job: tuple[str, str, str], in_process: bool = False) -> tuple[str, object, bytes | None, str | None]:
    """Parse one file and hand it back: (path, the parse as objects when run in-process, it pickled for the
    parse cache and, from a worker, for the main process (one pickling for both), the reason it could not be
    read)."""
    path, sha256, rel = job
    try:
        parsed = parse_file(Path(path), _WORKER["contract"], rel)
    except ReadError as exc:
        return path, None, None, str(exc)
    except MemoryError:
        return path, None, None, "文件过大，内存不足：请拆分后再放入"
    except Exception as exc:  # any reader bug must not stop the other files
        return path, None, None, f"读取失败（{type(exc).__name__}: {str(exc)[:160]}）：请在 Excel 中打开确认后另存为 .xlsx"
    if not any(sh.rows for sh in parsed.sheets):  # blank rows are never kept, so no rows = no content
        return path, None, None, _EMPTY_WORKBOOK
    blob = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL) if (not in_process or _WORKER["cache"]) else None
    return path, parsed if in_process else None, blob, None


def _parse_all(todo: list[FileRec], contract: Contract, workers: int | None, progress,
               to_cache: list[tuple[str, bytes]] | None) -> dict[str, tuple[ParsedFile | None, str | None]]:
    """rel → (its ParsedFile, or None and the reason it could not be read), parsed in worker processes when
    there are enough files; each parse's bytes (key, pickle) are added to to_cache, for the parse cache."""
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(todo) >= 8 else 1
    by_path = {str(f.path): f for f in todo}
    if workers > 1:
        # largest files first, in small chunks: no worker is left with a long last chunk while the other waits
        # (the results are keyed by file, so the order they come in does not matter)
        todo = sorted(todo, key=lambda f: -f.size)
    jobs = [(str(f.path), f.sha256, f.rel) for f in todo]
    out: dict[str, tuple[ParsedFile | None, str | None]] = {}

    def gathered(path: str, parsed, blob: bytes | None, err: str | None) -> None:
        f = by_path[path]
        if blob is not None:
            if parsed is None:
                parsed = pickle.loads(blob)
            if to_cache is not None:
                to_cache.append((cache_key(f.sha256, f.rel, contract), blob))
        out[f.rel] = (parsed, err)
        if progress:
            progress(f.rel)

    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(contract, None)) as ex:
            for res in ex.map(_parse_job, jobs, chunksize=max(1, min(8, len(jobs) // (workers * 8)))):
                gathered(*res)
    else:
        _init_worker(contract, to_cache)
        for job in jobs:
            gathered(*_parse_job(job, in_process=True))
    return out


# ---------------------------------------------------------------- resolution


def _loc(it: Item) -> str:
    return f"{it.f.rel}「{it.sheet.name}」第{it.pr.row}行"


def _quarantine(it: Item, code: str, reason: str, suggestions: list[str] | None = None) -> None:
    it.outcome, it.reason_code, it.reason = "quarantined", code, reason
    it.suggestions = suggestions or []


_WS = re.compile(r"\s+")


def tidy(text: object) -> str:
    """A register name as written, without stray whitespace (matching uses resolve.clean)."""
    return _WS.sub("", str(text or ""))


def _scope_remark(it: Item, kind) -> str | None:
    """With no 是否纳入巡察范围 cell: a remark that speaks of the unit's scope ("不纳入巡察范围（垂管）",
    "2024年机构改革撤并") is what the register says of it (units.scope_remarks in the contract)."""
    if not kind.scope_headers:
        return None
    for cell in json.loads(it.pr.cells):
        header, text = cell[1], cell[2]
        if any(h in header for h in kind.scope_headers) and any(w in text for w in kind.scope_words):
            return text
    return None


def _build_units(items: list[Item], county_setting: str | None, contract: Contract
                 ) -> tuple[list[UnitInfo], str | None]:
    raw_names = [it.values.get("unit_name") for it in items if it.values.get("unit_name")]
    county = county_setting or infer_county(raw_names)
    # villages/communities with the same name under different townships get the township as prefix
    parents_by_name: dict[str, set] = defaultdict(set)
    for it in items:
        if it.values.get("unit_type") in ("village", "community") and it.values.get("unit_name"):
            parents_by_name[clean(it.values["unit_name"])].add(clean(it.values.get("parent")))
    units: dict[str, UnitInfo] = {}
    for it in items:
        v = it.values
        name = tidy(v.get("unit_name"))
        if len(parents_by_name.get(clean(name), ())) > 1 and v.get("parent"):
            name = tidy(v["parent"]) + name
        v["unit_name"] = name
        aliases = [tidy(a) for a in _ALIAS_SPLIT.split(v.get("aliases") or "") if clean(a)]
        v["aliases"] = "、".join(aliases) or None
        in_scope = v.get("in_scope")
        if in_scope is None and not v.get("in_scope_raw"):
            remark = _scope_remark(it, contract.kinds["units"])
            if remark:
                v["in_scope_raw"], in_scope = remark, contract.vocabularies["yes_no"].lookup(remark)
        if in_scope is None and not v.get("in_scope_raw"):
            in_scope = "no" if v.get("unit_type") in ("village", "community") else "yes"
        # a word the 是/否 list cannot read (暂缓巡察, —) is unknown and asked, never the default
        v["in_scope"] = None if in_scope is None else in_scope == "yes"
        if name not in units:
            units[name] = UnitInfo(name, v.get("unit_type"), tidy(v.get("parent")) or None, v["in_scope"], aliases)
    return list(units.values()), county


def level_from_name(name: str, contract: Contract) -> str:
    """A round's level when its register gives none: the sender its name states ("市委第二轮巡察", "州委…",
    "省委第三巡视组"), by the level vocabulary's words; a county round when the name names no other sender."""
    voc = contract.vocabularies.get("level")
    for code, words in (voc.entries if voc else ()):
        if code != "county" and any(len(w) >= 2 and w in name for w in words):
            return code
    return "county"


def _build_rounds(items: list[Item], contract: Contract) -> list[RoundInfo]:
    rounds: dict[str, RoundInfo] = {}
    for it in items:
        v = it.values
        v["round_name"] = tidy(v.get("round_name"))
        if v.get("level") is None and not v.get("level_raw"):  # a level word the vocabulary lacks stays unknown
            v["level"] = level_from_name(v["round_name"], contract)
        year = None
        for d in (v.get("start_date"), v.get("end_date")):
            if d:
                year = d.year
                break
        if v["round_name"] not in rounds:
            rounds[v["round_name"]] = RoundInfo(v["round_name"], v.get("round_kind"), v["level"], v.get("topic"), year)
    return list(rounds.values())


def _from_subheading(it: Item, specs: list, contract: Contract) -> None:
    """Columns declared from_subheading (specs) take the sub-heading row above when empty: a vocabulary
    keeps the heading as its raw text; a text column gets the heading without its numbering ("一、")."""
    v = it.values
    for col, spec in specs:  # nested headings: the outermost level the vocabulary knows (layouts)
        if spec.type == "vocab":
            if not v.get(col + "_raw"):
                v[col], v[col + "_raw"] = LY.category_from_heading(it.pr.subheading, contract.vocabularies[spec.vocab])
        elif not v.get(col):
            v[col] = LY.heading_text(LY.heading_parts(it.pr.subheading)[0], contract)


def _resolution(it: Item, col: str, text, resolver, contract: Contract) -> tuple:
    """How round_name / unit_name resolves: from the column, else the title rows, else the folder names; an
    ambiguous name is narrowed by the folder names and title (e.g. a county's folder). ("value", name) |
    ("quarantine", code, reason, suggestions) | ("keep",). It depends only on the sheet and the text, so
    _resolve_group works it out once per sheet and distinct text."""
    spec = contract.kinds[it.kind].columns.get(col)
    if spec is None:
        return ("keep",)
    what = "轮次" if col == "round_name" else "单位"
    title = it.sheet.title_of(it.pr.row)
    context = [*it.f.folder_parts, title or "", it.sheet.name]
    if text:
        r = resolver.resolve_in(text, context)
        if r.value:
            return ("value", r.value)
        sugg = "；可能是：" + "、".join(r.suggestions) if r.suggestions else ""
        fix = "请改为登记表中的名称，或在名册的“简称/别名”列补充该写法" if col == "unit_name" else \
            "请改为巡察轮次登记表中的轮次名称"
        return ("quarantine", f"unknown_{col.split('_')[0]}", f"{r.reason}{sugg}。{fix}", r.suggestions)
    if not spec.context:
        if spec.required:
            return ("quarantine", "missing_required", f"缺少必填项「{contract.label(it.kind, col)}」：请在原表补全")
        return ("keep",)
    if col == "round_name":
        found = resolver.find_in_text(title, context) if title else None
        for part in it.f.folder_parts:
            if found:
                break
            found = resolver.find_in_text(part, context)
        if found is None and it.kind != "round_stats":
            found = resolver.find_in_text(Path(it.f.rel).stem, context)
    else:
        # a single-unit ledger names its unit in the title, else in the sheet tab or the file name
        found = None
        for place in (title, it.sheet.name, Path(it.f.rel).stem):
            if place and found is None:
                found = resolver.find_in_text(place, it.f.folder_parts)
    if found:
        return ("value", found)
    if spec.required:
        where = "标题行或文件夹名" if col == "round_name" else "标题行、工作表名或文件名"
        return ("quarantine", f"missing_{col.split('_')[0]}",
                f"无法确定{what}：表中没有「{contract.label(it.kind, col)}」列，{where}中也未找到已登记的{what}。"
                f"请在表中加一列「{contract.label(it.kind, col)}」或在标题中写明{what}")
    return ("keep",)


def _newer(a: Item, b: Item) -> bool:
    """True when item a comes from the newer file (统计截至 in the title, else modification time)."""
    da = a.sheet.stated_as_of or dt.date.fromtimestamp(a.f.mtime)
    db = b.sheet.stated_as_of or dt.date.fromtimestamp(b.f.mtime)
    if da != db:
        return da > db
    if a.sheet.hidden != b.sheet.hidden:  # an old copy hidden in the workbook loses to the sheet in use
        return not a.sheet.hidden
    return (a.f.mtime, a.f.rel) > (b.f.mtime, b.f.rel)


def _dedupe(items: list[Item], key: tuple[str, ...], conflicts: list[dict], fields: list[str],
           same: tuple[str, ...] = (), norm: dict | None = None) -> None:
    """One record counted once. Identical records in different sheets or files collapse. Two records of one
    key, or of one `same_record` identity (the contract's: for problems, the round, unit and description --
    the office's 汇总 beside per-unit ledgers, a copy numbered 001…, last month's version kept as a hidden
    sheet), in different sheets or files keep the newer (its 统计截至, else the file's time; a visible sheet
    over a hidden one) and the conflict is reported. Within one sheet both rows stay (validation reports
    them). Records are compared on the staging table's fields (a column a file lacks counts as empty).

    `norm` (a _SameText) makes each distinct text's identity form once; each row's keys are made once."""
    seen_content: dict[tuple, Item] = {}
    by_key: dict[tuple, Item] = {}
    by_same: dict[tuple, Item] = {}
    same_text = (norm if norm is not None else _SameText()).__getitem__
    indexes = [(index, cols) for index, cols in ((by_key, key), (by_same, same)) if cols]
    for it in items:
        if it.outcome != "loaded":
            continue
        get = it.values.get
        ck = tuple(map(get, fields))
        prev = seen_content.get(ck)
        if prev is not None and (prev.f.rel, prev.sheet.name) != (it.f.rel, it.sheet.name):
            # the same record in another file, or in another sheet of this one (a 汇总 sheet
            # beside per-unit sheets): counted once
            it.outcome, it.skip_class = "skipped", "duplicate_record"
            it.reason = f"与 {_loc(prev)} 完全相同，已合并"
            continue
        if prev is None:
            seen_content[ck] = it
        for index, cols in indexes:
            k = tuple(map(same_text, map(get, cols)))
            if None in k or "" in k:
                continue
            other = index.get(k)
            if other is None or other.outcome != "loaded":
                index[k] = it
                continue
            if (other.f.rel, other.sheet.name) == (it.f.rel, it.sheet.name):
                continue  # same sheet: both kept, reported by validation (unique key rule)
            keep, drop = (it, other) if _newer(it, other) else (other, it)
            index[k] = keep
            _supersede(keep, drop, k, conflicts)
            if drop is it:
                break


# a list number written before an item's text ("1.", "2、", "（二）", "(3)", "①", "第一条"): a 汇总 numbers the
# items it copies from the units' ledgers, so the number is not part of the record's identity
_ITEM_NUMBER = re.compile(r"^\s*(?:(?:[（(]\s*[一二三四五六七八九十百零\d]+\s*[)）]|[一二三四五六七八九十百零\d]+\s*[.．、,，:：)）]"
                          r"(?!\d)|[\u2460-\u2473\u2776-\u277f]|第[一二三四五六七八九十百零\d]+[条项个点])\s*)+")


def _same_text(v):
    """Record identities compare texts without spacing and punctuation differences, and without a list
    number in front."""
    if not isinstance(v, str):
        return v
    stripped = _ITEM_NUMBER.sub("", v, count=1)
    return norm_value(stripped if stripped.strip() else v)


class _SameText(dict):
    """_same_text memoised per distinct text (looked up as same[v]): a table of pipelines/memo.py's kind, bounded
    by memo.LIMIT and keeping nothing under XUNCHA_MEMO=0; made for one county's resolution and gone with it.
    Only texts are kept: a number or date is its own identity (1 and 1.0 stay as they are written)."""

    __slots__ = ()

    def __missing__(self, v):
        n = _same_text(v)
        if _memo.ENABLED and isinstance(v, str):
            _memo.put(self, v, n)
        return n


def _supersede(keep: Item, drop: Item, k: tuple, conflicts: list[dict]) -> None:
    diff = [c for c in sorted(set(keep.values) | set(drop.values))
            if not c.startswith("_") and keep.values.get(c) != drop.values.get(c)]
    drop.outcome = "skipped"
    if set(diff) <= {"problem_no", "lead_no"}:  # the same record numbered differently (1 and 001)
        drop.skip_class, drop.reason = "duplicate_record", f"与 {_loc(keep)} 是同一记录（仅编号不同），已合并"
        return
    drop.skip_class = "superseded"
    where = "工作表" if keep.f.rel == drop.f.rel else "文件"
    drop.reason = f"同一记录在较新的{where} {_loc(keep)} 中内容不同，以较新的为准"
    conflicts.append({"kind": keep.kind, "key": " / ".join(str(x) for x in k), "kept": keep, "dropped": drop,
                      "fields": diff})


def _answered_names(units: list[UnitInfo], rounds: list[RoundInfo], contract: Contract,
                    written: set[str] | None = None, county: str | None = None
                    ) -> tuple[list[UnitInfo], list[RoundInfo]]:
    """The analyst's 「名称」 answers (本县口径.xlsx): a name that means a register entry becomes one of its
    aliases; 「新增到名册」 adds an entry (a unit of the answered type, in scope by the contract's default;
    a county round of the answered kind). A name pointing at an entry no longer in the register applies to
    nothing (and is reported as unused). county: answers given for this county hold over those for all."""
    names, new = contract.names_for(county)
    if not (names or new):
        return units, rounds
    by_name = {u.name: u for u in units}
    for seen, target in names.get("unit", {}).items():
        if target in by_name and tidy(seen) not in by_name[target].aliases:
            by_name[target].aliases.append(tidy(seen))
    for seen, utype in new.get("unit", {}).items():
        if written is not None and tidy(seen) not in written:
            continue  # several counties: a new unit joins only the register of the county whose ledgers write it
        if tidy(seen) not in by_name:
            units.append(UnitInfo(tidy(seen), utype, None, utype not in ("village", "community"), []))
    round_names = {r.name for r in rounds}
    for seen, rkind in new.get("round", {}).items():
        if written is not None and tidy(seen) not in written:
            continue
        if tidy(seen) not in round_names:
            rounds.append(RoundInfo(tidy(seen), rkind, level_from_name(tidy(seen), contract)))
    return units, rounds


def _sheet_hold(sh: ParsedSheet, contract: Contract) -> tuple[str, str, list[str]] | None:
    """(reason code, reason, suggestions) when a whole sheet's rows are held: its kind is uncertain, or its
    header lacks a required column. One cause, said once per sheet in words that point at the header."""
    if sh.kind is None:
        return None
    if sh.decision == "uncertain":
        names = [c["label"] for c in sh.candidates[:2]]
        return ("sheet_uncertain",
                f"工作表类型待确认（可能是{'或'.join(f'「{n}」' for n in names)}）：{'；'.join(sh.reasons)}。"
                "请在 reports/quality/待确认事项.xlsx 的「表类型」中确认", names)
    if sh.missing_columns:
        return ("sheet_missing_column", missing_column_message(sh, contract), [])
    return None


def missing_column_message(sh: ParsedSheet, contract: Contract) -> str:
    """The sheet-level reason for a required column the header does not have, with the closest header seen."""
    kind = contract.kinds[sh.kind]
    parts = []
    for col in sh.missing_columns:
        label = contract.label(sh.kind, col)
        near = closest_header(kind.columns[col].synonyms, [u["header"] for u in sh.unmatched])
        hint = f"最接近的是「{near}」，如果它就是「{label}」，" if near else ""
        parts.append(f"缺少必填列「{label}」（{hint}请在 待确认事项.xlsx 的「列名」中确认，或把表头改为「{label}」）")
    seen = "、".join(h for h in sh.header if h)[:200]
    return f"该表按「{kind.label}」读取，但{'；'.join(parts)}。看到的表头：{seen}"


def closest_header(synonyms: tuple[str, ...], headers: list[str]) -> str | None:
    """The seen header most like one of the column's synonyms (difflib), or None when nothing is close."""
    import difflib

    from pipelines.contract import norm_header

    best, score = None, 0.0
    for h in headers:
        n = norm_header(h)
        for syn in synonyms:
            r = difflib.SequenceMatcher(None, n, syn).ratio()
            if r > score:
                best, score = h, r
    return best if score >= 0.4 else None
def _derived(it: Item, values: dict) -> Item:
    """A further record of the same source row (same provenance), with some values of its own."""
    return Item(it.f, it.sheet, it.pr, it.kind, {**it.values, **values}, derived=True, county=it.county)


@dataclass(frozen=True)
class CountyRows:
    """One county's data rows by kind, and its registers' resolvers, as `place` hands them to `resolve`."""
    county: str | None
    items: Mapping[str, list[Item]]
    regs: tuple[UnitResolver, RoundResolver]


@dataclass(frozen=True)
class Placed:
    """What `place` returns: every source row of the files read, placed into its county."""
    groups: tuple[CountyRows, ...]  # per county, in order of first appearance
    held: tuple[Item, ...]  # rows no county's register places (quarantined, unknown_county)
    skipped: tuple[tuple, ...]  # (FileRec, ParsedSheet, ParsedRow, row class): titles, totals, blanks …
    kinds: tuple[str, ...]  # the kinds of the rows, in order of first appearance
    county: str | None  # the one county's name (None: several, or a one-county rebuild)
    counties: tuple[str, ...]
    rel_county: Mapping[str, str | None]  # file → its county (None: placed row by row)


@dataclass(frozen=True)
class CountyResolution:
    """One county's rows after resolution (its own registers, its own de-duplication)."""
    items: Mapping[str, list[Item]]
    conflicts: tuple[dict, ...]


@dataclass(frozen=True)
class Resolution:
    """What `resolve` returns, and what the warehouse rows are made of (schema.tables)."""
    items: Mapping[str, list[Item]]  # by kind: every county's rows, then the held ones
    skipped: tuple[tuple, ...]
    conflicts: tuple[dict, ...]
    county: str | None
    counties: tuple[str, ...]
    rel_county: Mapping[str, str | None]


def place_rows(files: tuple[FileRec, ...], contract: Contract, only: str | None = None) -> Placed | None:
    """Every data row of the parsed files as an Item, placed into its county with that county's registers.

    One county (no several named): every row is its, the county named by the settings or inferred from the
    register. Several: each file's county (counties.assign_files); a row of a file none places goes to the
    county whose register has its unit, or is held. `only` (a one-county rebuild): the files must all place
    themselves in that county by their registers and folder, else None (only a full build can say where
    they belong)."""
    items, skipped = data_items(files, contract)
    kinds = tuple(items)
    setting = contract.settings.get("county_name") if only is None else None
    rel_county, counties, several = CT.assign_files(files, items, setting)
    if only is not None:
        if counties != [only] or any(rel_county.get(f.rel) != only for f in files):
            return None
        for its in items.values():
            for it in its:
                it.county = only
        regs = _registers(items, only, contract, _written_names(items, contract))
        return Placed((CountyRows(only, items, regs),), (), tuple(skipped), kinds, None, (only,),
                      MappingProxyType({f.rel: only for f in files}))
    if not several:  # one county: every row is its (its name: the settings', else inferred from the register)
        regs = _registers(items, setting, contract, None)
        county = regs[0].county
        for its in items.values():
            for it in its:
                it.county = county or ""  # a county never named: one value all the same (joins are per county)
        return Placed((CountyRows(county or "", items, regs),), (), tuple(skipped), kinds, county,
                      (county,) if county else (), MappingProxyType({f.rel: county or "" for f in files}))
    groups: dict[str, dict[str, list[Item]]] = {c: defaultdict(list) for c in counties}
    unplaced: list[Item] = []
    for kind, its in items.items():
        for it in its:
            it.county = rel_county.get(it.f.rel)
            if it.county is None:
                unplaced.append(it)
            else:
                groups[it.county][kind].append(it)
    regs = {c: _registers(groups[c], c, contract, _written_names(groups[c], contract)) for c in counties}
    for it in unplaced:
        _place_row(it, regs, counties, groups)
    return Placed(tuple(CountyRows(c, dict(groups[c]), regs[c]) for c in counties),
                  tuple(it for it in unplaced if it.county is None), tuple(skipped), kinds, None, tuple(counties),
                  MappingProxyType(dict(rel_county)))


def resolve_county(rows: CountyRows, contract: Contract) -> CountyResolution:
    """One county's rows resolved against its own registers, and its duplicates merged (never across
    counties). The one function both a full build (for each county) and a one-county rebuild use. Works on
    copies: the rows it is given are left as they were (the only copy of each row's values that ingest makes,
    unless it is a register row: data_items)."""
    copy = Item.copy
    items = {kind: list(map(copy, its)) for kind, its in rows.items.items()}
    conflicts: list[dict] = []
    _resolve_group(items, rows.regs, contract, conflicts)
    return CountyResolution(MappingProxyType(items), tuple(conflicts))


def resolve_placed(placed: Placed, contract: Contract) -> Resolution:
    """Each county resolved on its own (resolve_county), then all counties' rows together by kind, followed by
    the rows held because their county cannot be told."""
    merged: dict[str, list[Item]] = defaultdict(list)
    conflicts: list[dict] = []
    for group in placed.groups:
        part = resolve_county(group, contract)
        for kind, its in part.items.items():
            merged[kind].extend(its)
        conflicts.extend(part.conflicts)
    for it in placed.held:
        merged[it.kind].append(it)
    for kind in placed.kinds:
        merged.setdefault(kind, [])
    return Resolution(MappingProxyType(dict(merged)), placed.skipped, tuple(conflicts), placed.county,
                      placed.counties, placed.rel_county)


def data_items(files: tuple[FileRec, ...], contract: Contract) -> tuple[dict[str, list[Item]], list[tuple]]:
    """Every data row of the parsed files as an Item by kind (held at once when its sheet is held or a required
    cell is empty), and the rows that are not data (titles, totals, blanks) as skipped. A register row's Item has
    a copy of its parsed row's values (place tidies its names); any other Item reads the parsed row's own values,
    which nothing in place writes (resolve_county copies every Item before it writes): the parse, which the parse
    cache holds, is never written."""
    items: dict[str, list[Item]] = defaultdict(list)
    skipped_rows: list[tuple[FileRec, ParsedSheet, ParsedRow, str]] = []
    for f in files:
        if f.status != "ingested":
            continue
        for sh in f.parsed.sheets:
            held = _sheet_hold(sh, contract)
            register = sh.kind in _REGISTERS
            for pr in sh.rows:
                if pr.cls != "data":
                    skipped_rows.append((f, sh, pr, pr.cls))
                    continue
                it = Item(f, sh, pr, sh.kind, dict(pr.values) if register else pr.values)
                if held:
                    _quarantine(it, *held)
                elif pr.missing:
                    unread = {fd.field: fd for fd in pr.findings if fd.field in pr.missing}
                    empty = [c for c in pr.missing if c not in unread]
                    said = []
                    if empty:
                        said.append(f"缺少必填项{'、'.join(f'「{contract.label(sh.kind, c)}」' for c in empty)}")
                    for c, fd in unread.items():
                        said.append(f"必填项「{contract.label(sh.kind, c)}」的值「{fd.raw}」（{fd.column}{fd.row or pr.row}）"
                                    f"无法识别，应为{fd.expected}")
                    _quarantine(it, "missing_required", f"{'；'.join(said)}：请在原表第{pr.row}行"
                                f"{'补全' if not unread else '改正'}")
                items[sh.kind].append(it)
    return dict(items), skipped_rows


_REGISTERS = ("units", "rounds")  # the kinds whose rows make a county's registers (place writes their values)


def _written_names(items: dict[str, list[Item]], contract: Contract) -> set[str] | None:
    """The unit and round names a county's ledgers write (for answers that add a name to the register), or None
    when no answer adds one (then nothing asks)."""
    if not any(news.get(k) for news in (contract.new_names, *contract.county_new_names.values())
               for k in ("unit", "round")):
        return None
    raw = set()
    for kind, its in items.items():
        if kind in _REGISTERS:
            continue
        for it in its:
            get = it.values.get
            raw.add(get("unit_name"))
            raw.add(get("round_name"))
    return {tidy(x) for x in raw if x}  # each distinct text tidied once


def _registers(items: dict[str, list[Item]], county_setting: str | None, contract: Contract,
               written: set[str] | None) -> tuple[UnitResolver, RoundResolver]:
    """One county's unit and round resolvers, from its own registers (and the analyst's name answers)."""
    units, county = _build_units([i for i in items.get("units", ()) if i.outcome == "loaded"], county_setting,
                                 contract)
    rounds = _build_rounds([i for i in items.get("rounds", ()) if i.outcome == "loaded"], contract)
    here = county_setting or county  # one county never named in the settings: the one its register names
    units, rounds = _answered_names(units, rounds, contract, written, here)
    urs = UnitResolver(units, county)
    rrs = RoundResolver(rounds)
    for seen, target in contract.names_for(here)[0].get("round", {}).items():
        if target in rrs.rounds:
            rrs.exact[clean(seen)] = target  # an answered round name is one more way to write that round
    return urs, rrs


def _place_row(it: Item, regs: dict, counties: list[str], groups: dict) -> None:
    """A row of a file no county folder, register or title places: the county whose register has its unit
    (all its units, for a cell naming several), when exactly one has; otherwise held, naming the candidates."""
    if it.outcome != "loaded":
        return  # already held (its sheet's kind awaits an answer, a required cell is empty): said once
    text = it.values.get("unit_name")
    hits: list[str] = []
    if text and it.kind not in _REGISTERS:
        context = [*it.f.folder_parts, it.sheet.title or "", it.sheet.name]
        parts = LY.split_units(str(text)) or [str(text)]
        for c in counties:
            urs = regs[c][0]
            if urs.resolve_in(text, context, False).value or all(urs.resolve_in(p, context, False).value for p in parts):
                hits.append(c)
    if len(hits) == 1:
        it.county = hits[0]
        groups[hits[0]][it.kind].append(it)
        return
    where = f"「{text}」在 {'、'.join(hits)} 的名册中都有，" if hits else ""
    _quarantine(it, "unknown_county",
                f"无法确定这一行属于哪个县：{where}文件「{it.f.rel}」不在以县命名的文件夹中，所在文件夹也没有某个县的"
                f"党组织名册，标题中也没有写明县名。请把文件放进该县的文件夹（如「{counties[0]}/」），或在标题中写明县名",
                hits)


def _resolve_group(items: dict[str, list[Item]], regs: tuple, contract: Contract, conflicts: list[dict]) -> None:
    """Resolve one county's rows against its own registers, and merge its duplicates (never across counties)."""
    urs, rrs = regs
    LY.expand_items(items, urs, contract, _derived, _quarantine)  # several names / units in one source row
    memo = _memo.table(urs, "row_context")  # (sheet, column, text) → outcome: lives as long as the registers
    steps = (("round_name", rrs), ("unit_name", urs))
    for kind, its in items.items():
        if kind in _REGISTERS:
            continue
        from_sub = [(c, spec) for c, spec in contract.kinds[kind].columns.items() if spec.from_subheading]
        for it in its:
            if it.outcome != "loaded":
                continue
            v = it.values
            section = it.sheet.title_of(it.pr.row) if it.sheet.sections else None  # a second table's title
            for col, resolver in steps:  # _resolve_context, inlined: it runs twice for every row
                text = v.get(col)
                key = (id(it.sheet), col, text, section)
                outcome = memo.get(key)
                if outcome is None:
                    outcome = _memo.put(memo, key, _resolution(it, col, text, resolver, contract))
                if outcome[0] == "value":
                    v[col] = outcome[1]
                elif outcome[0] == "quarantine":
                    _quarantine(it, *outcome[1:])
                    break
            else:
                if from_sub and it.pr.subheading:
                    _from_subheading(it, from_sub, contract)
    norm = _SameText()  # each distinct text's identity form, for this county's de-duplication
    for kind, its in items.items():
        fields = [c for c, _ in S.stg_columns(contract, kind) if c not in S.PROV_NAMES]
        _dedupe(its, contract.kinds[kind].key if kind != "assessments" else (), conflicts, fields,
                contract.kinds[kind].same_record, norm)


# ---------------------------------------------------------------- entry point


def _prepare_cache(cache_dir: Path) -> Path | None:
    """The parse cache's folder for this parser version (None when it cannot be made: the run is only slower).
    Caches of other parser versions (left by an upgrade or a contract edit) are removed."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.parent.iterdir():
            if old.is_dir() and old != cache_dir and re.fullmatch(r"[0-9a-f]{16}", old.name):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        return None
    return cache_dir


def _input_fingerprint(files: list[FileRec], config_fp: str) -> str:
    """Everything the warehouse depends on: each file's path, bytes, size and time, the contract and code
    (every module and SQL file of the package, so an upgrade rebuilds the warehouse on the next run)."""
    h = hashlib.sha256(config_fp.encode())
    for f in sorted(files, key=lambda f: f.rel):
        h.update(json.dumps([f.rel, f.sha256, f.size, int(f.mtime), f.status, f.error], ensure_ascii=False).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class LastBuild:
    """What the warehouse records of the build it holds."""
    input_fp: str | None  # None when another xuncha version built it (never reused as it is)
    summary: dict
    config_fp: str | None


@contextlib.contextmanager
def _warehouse_ro(db_path: Path):
    """One read-only connection to the warehouse for everything `scope` reads, or None when there is no
    warehouse or it cannot be opened (an old or damaged one is simply rebuilt). A warehouse another program
    holds read-write raises WarehouseLocked: it could neither be compared with nor replaced."""
    with contextlib.ExitStack() as stack:
        con = None
        if db_path.is_file():
            try:  # attached to the process's DuckDB instance: cheaper than opening one (W.attached)
                con = stack.enter_context(W.attached(db_path, read_only=True))
            except Exception as exc:
                if W.is_lock_error(exc):
                    raise W.WarehouseLocked(W.locked_message(db_path, exc)) from None
                con = None
        yield con


def _last_build(con) -> LastBuild | None:
    """The build the warehouse holds, read once per ingest; None without a readable record of it."""
    if con is None:
        return None
    try:
        row = con.execute("SELECT input_fingerprint, summary, code_version, config_fingerprint FROM warehouse_meta "
                          "LIMIT 1").fetchone()
    except Exception:
        return None
    if not row or not row[1]:
        return None
    # a warehouse another xuncha version wrote is never reused as it is (compared for shrinking all the same)
    return LastBuild(row[0] if row[2] == __version__ else None, json.loads(row[1]), row[3])


class ShrinkRefused(RuntimeError):
    """The input is far smaller than what the warehouse was built from (or empty): not replaced."""


def _check_shrink(raw_dir: Path, last: dict | None, n_files: int, n_rows: int | None, ratio: float) -> None:
    """Refuse to replace a warehouse with one built from an empty or far smaller input: an unmounted share or a
    half-copied folder must not silently wipe the figures (--allow-shrink accepts it deliberately)."""
    keep = "数据仓库和报告保持不变。如确需按现在的内容重建，请加 --allow-shrink"
    if n_files == 0:
        raise ShrinkRefused(f"「{raw_dir}」中没有任何台账文件（.xlsx .xlsm .xls .csv）：可能是共享文件夹未挂载或路径写错。{keep}")
    if last is None:
        return
    pf = int(last.get("files_ingested", 0)) + int(last.get("files_duplicate", 0))
    pr = int(last.get("rows_read", 0))
    if pf and n_files < ratio * pf:
        raise ShrinkRefused(f"「{raw_dir}」中只有 {n_files} 个台账文件，上次入库时有 {pf} 个（少于 {ratio:.0%}）："
                            f"可能有文件夹未复制完整或被移走。{keep}")
    if n_rows is not None and pr and n_rows < ratio * pr:
        raise ShrinkRefused(f"本次只读到 {n_rows} 行数据，上次入库时有 {pr} 行（少于 {ratio:.0%}）：可能有台账被清空或"
                            f"替换成了模板。{keep}")


# ---------------------------------------------------------------- the stages


@dataclass(frozen=True)
class Run:
    """What every stage may read, fixed before the first one runs."""
    raw_dir: Path
    db_path: Path
    contract: Contract
    workers: int | None
    progress: Callable[[str], None] | None
    cache_dir: Path
    crash_after: str | None
    allow_shrink: bool
    started: dt.datetime
    t0: float
    parser_fp: str


@dataclass(frozen=True)
class Scope:
    """What `scope` decides this build must do."""
    files: tuple[FileRec, ...]  # every file discovered
    part: tuple[FileRec, ...]  # the files this build reads: all of them, or the changed county's
    plan: INC.Plan | None  # the one county rebuilt (incremental.py), or None: everything
    last_summary: dict | None  # the summary of the build the warehouse holds
    input_fp: str
    config_fp: str
    n_ledgers: int
    shrink_ratio: float

    def everything(self) -> Scope:
        return dataclasses.replace(self, part=self.files, plan=None)


@dataclass(frozen=True)
class Parsed:
    """What `parse` returns: the scope's files, each one to read now ingested (with its parse) or failed."""
    files: tuple[FileRec, ...]
    n_parsed: int  # parsed now (the others came from the parse cache)


@dataclass(frozen=True)
class Built:
    """What `tables` returns: the warehouse rows by table, and the ingest summary."""
    tables: dict
    summary: dict
    files_parsed: int
    files_cached: int


@dataclass(frozen=True)
class Done:
    """The ingest's answer (its summary): no further stage runs."""
    summary: dict


@dataclass(frozen=True)
class Again:
    """Run again from stage `at`, with these earlier values replaced (a one-county rebuild whose files turn out
    not to place themselves in that county becomes a full build)."""
    at: str
    values: Mapping


@dataclass(frozen=True)
class Stage:
    """One step of ingest: fn(run, *the values of the stages named in `needs`) → a new value (or Done /
    Again). "stages" names the seconds each earlier stage took."""
    name: str
    fn: Callable
    needs: tuple[str, ...] = ()


def _discover(run: Run) -> tuple[FileRec, ...]:
    return discover_files(run.raw_dir, run.contract)


def _scope(run: Run, files: tuple[FileRec, ...]) -> Scope | Done:
    """Nothing to do when the inputs are those the warehouse was built from (Done: its summary is the answer);
    one county when only its folder changed; else everything. An empty or far smaller input is refused."""
    ratio = float(run.contract.settings.get("shrink_min_ratio", 0.5))
    n_ledgers = sum(1 for f in files if f.path.suffix.lower() in SUPPORTED)
    config_fp = INC.config_fingerprint(run.parser_fp)
    input_fp = _input_fingerprint(files, config_fp)
    with _warehouse_ro(run.db_path) as con:
        last = _last_build(con)
        last_summary = last.summary if last else None
        if not run.allow_shrink:
            _check_shrink(run.raw_dir, last_summary, n_ledgers, None, ratio)
        if last is not None and last.input_fp == input_fp:
            return Done(last_summary)  # nothing changed since the warehouse was built
        plan = None
        if last is not None and last.input_fp is not None:  # the same version built it: perhaps one county changed
            plan = INC.plan(con, last.summary, last.config_fp, list(files), run.contract, config_fp)
    return Scope(files, tuple(plan.files) if plan else files, plan, last_summary, input_fp, config_fp, n_ledgers,
                 ratio)


def _without_gc(fn: Callable) -> Callable:
    """A stage that gathers or makes rows (parse: the workers' parses unpickled, or the cache's; place, resolve,
    tables) runs with Python's cyclic garbage collector paused: each makes hundreds of thousands of small objects
    and frees almost none, so each collection would only walk again the millions of objects already held (about
    a third of the tail's time at N = 100, and half of unpickling the parses). Nothing these stages make is cyclic
    garbage; the collector runs again as before once the stage ends (the parse workers run theirs: _init_worker)."""

    @functools.wraps(fn)
    def stage(*args):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args)
        finally:
            if was:
                gc.enable()

    return stage


@_without_gc
def _parse(run: Run, scope: Scope) -> Parsed:
    """Each pending file's parse: from the cache when its bytes were parsed before, else parsed now (in
    parallel)."""
    done: dict[str, FileRec] = {}
    todo: list[FileRec] = []
    pending = [f for f in scope.part if f.status == "pending"]
    folder = _prepare_cache(run.cache_dir) if pending else None
    cache = ParseCache.open(folder)
    try:
        for f in pending:
            blob = cache.get(cache_key(f.sha256, f.rel, run.contract)) if cache is not None else None
            if blob is not None:
                try:
                    done[f.rel] = dataclasses.replace(f, parsed=pickle.loads(blob), status="ingested", cached=True)
                    if run.progress:
                        run.progress(f.rel)
                    continue
                except Exception:
                    pass  # an entry this code cannot read: parsed again
            todo.append(f)
    finally:
        if cache is not None:
            cache.close()
    if todo:
        to_cache: list[tuple[str, bytes]] | None = [] if cache is not None else None
        try:
            parses = _parse_all(todo, run.contract, run.workers, run.progress, to_cache)
        finally:  # in the main process, in one transaction, once the workers are done (see cache.py); what was
            if to_cache:  # parsed is kept even when the parse stops (a worker killed, Ctrl-C)
                store = ParseCache.open(folder)
                if store is not None:
                    store = store.put_many(to_cache)
                if store is not None:
                    store.close()
                del to_cache
        for f in todo:
            parsed, err = parses[f.rel]
            done[f.rel] = dataclasses.replace(f, status="failed", error=err) if err else \
                dataclasses.replace(f, parsed=parsed, status="ingested")
    return Parsed(tuple(done.get(f.rel, f) for f in scope.part), len(todo))


@_without_gc
def _place(run: Run, scope: Scope, parsed: Parsed) -> Placed | Again:
    placed = place_rows(parsed.files, run.contract, scope.plan.county if scope.plan else None)
    if placed is None:  # the changed county's files do not place themselves in it: rebuild everything
        return Again("parse", {"scope": scope.everything()})
    return placed


@_without_gc
def _resolve(run: Run, placed: Placed) -> Resolution:
    return resolve_placed(placed, run.contract)


@_without_gc
def _tables(run: Run, scope: Scope, parsed: Parsed, res: Resolution) -> Built:
    """The warehouse rows and the summary (a one-county rebuild: the last summary with that county's part
    replaced). A build that would read far fewer rows than the last one is refused here."""
    tables, counts = S.tables(parsed.files, res, run.contract)
    summary = S.summary(parsed.files, res, tables, counts)
    if scope.plan is None:
        summary["county"] = res.county
        summary["counties"] = S.county_summary(tables)
    else:
        summary = INC.merged_summary(scope.plan, scope.files, parsed.files, summary, tables)
        summary["county"] = None
    if not run.allow_shrink:
        _check_shrink(run.raw_dir, scope.last_summary, scope.n_ledgers, summary["rows_read"], scope.shrink_ratio)
    summary["answers"] = answer_usage(run.contract, tables)  # hash, count applied, and what matched nothing
    return Built(tables, summary, parsed.n_parsed, sum(1 for f in parsed.files if f.cached))


def _write(run: Run, scope: Scope, built: Built, seconds: Mapping[str, float]) -> Done:
    """The warehouse written atomically (write_warehouse releases each table's rows once written), then parses
    of files no longer in data_raw dropped from the cache."""
    record = _run_record(run, scope, built, seconds)
    if scope.plan is None:
        W.write_warehouse(run.db_path, built.tables, record, crash_after=run.crash_after)
    else:
        plan, tables = scope.plan, built.tables
        W.update_warehouse(run.db_path, lambda tmp, crash: INC.apply(run.db_path, tmp, plan, tables, record, crash),
                           record, crash_after=run.crash_after)
    _prune_cache(run.cache_dir, {cache_key(f.sha256, f.rel, run.contract) for f in scope.files if f.sha256})
    return Done(built.summary)


STAGES: tuple[Stage, ...] = (
    Stage("discover", _discover),
    Stage("scope", _scope, ("discover",)),
    Stage("parse", _parse, ("scope",)),
    Stage("place", _place, ("scope", "parse")),
    Stage("resolve", _resolve, ("place",)),
    Stage("tables", _tables, ("scope", "parse", "resolve")),
    Stage("write", _write, ("scope", "tables", "stages")),
)


def run_stages(run: Run, stages: tuple[Stage, ...] = STAGES) -> dict:
    """Run the stages in order, each on the values it names; returns the summary a stage answers with (Done).
    A value is released once the last stage that reads it has it, so a large build holds each only as long as
    it is needed. The seconds of each stage are kept ("stages": what the run record stores)."""
    index = {st.name: i for i, st in enumerate(stages)}
    last_use = {name: i for i, st in enumerate(stages) for name in st.needs}
    values: dict[str, object] = {}
    seconds: dict[str, float] = {}
    i = 0
    while i < len(stages):
        st = stages[i]
        values["stages"] = MappingProxyType(dict(seconds))
        args = [values[name] for name in st.needs]
        for name in st.needs:
            if last_use[name] == i:
                del values[name]
        t = time.perf_counter()
        out = st.fn(run, *args)
        del args
        seconds[st.name] = round(seconds.get(st.name, 0.0) + time.perf_counter() - t, 3)
        if isinstance(out, Done):
            return out.summary
        if isinstance(out, Again):
            values.update(out.values)
            i = index[out.at]
            continue
        values[st.name] = out
        i += 1
    raise RuntimeError("ingest: no stage gave the summary")


def ingest(raw_dir: Path, db_path: Path, *, contract: Contract | None = None, workers: int | None = None,
           progress=None, cache_dir: Path | None = None, crash_after: str | None = None,
           allow_shrink: bool = False) -> dict:
    """Build the warehouse from every file under raw_dir by running STAGES. Returns the ingest summary
    (ARCHITECTURE.md). Raises ShrinkRefused (nothing written) when raw_dir holds no ledgers or far fewer than
    last time."""
    contract = contract or default_contract()
    started = dt.datetime.now()
    t0 = time.perf_counter()
    raw_dir, db_path = Path(raw_dir), Path(db_path)
    if raw_dir.is_file():
        raise NotADirectoryError(f"--raw 应是放台账的文件夹，{raw_dir} 是一个文件：请用 --raw 指定它所在的文件夹"
                                 f"（{raw_dir.parent}），或把它放进一个文件夹再指定该文件夹")
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"原始数据文件夹不存在：{raw_dir}（请用 --raw 指定，或先运行 xuncha demo）")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise W.WarehouseUnwritable(f"无法在 {db_path.parent} 建立数据仓库（{exc.strerror}）："
                                    "请检查路径是否被同名文件占用、磁盘空间和文件夹权限，或用 --db 指定其他位置") from None
    parser_fp = parser_fingerprint(contract)
    run = Run(raw_dir, db_path, contract, workers, progress, cache_dir or db_path.parent / ".cache" / "parse" / parser_fp,
              crash_after, allow_shrink, started, t0, parser_fp)
    return run_stages(run)


def _run_record(run: Run, scope: Scope, built: Built, seconds: Mapping[str, float]) -> dict:
    """What the history store and warehouse_meta record of this build (the history store also keeps the seconds
    of each stage; the write's own is added when the new warehouse is in place)."""
    return {
        "run_id": run.started.strftime("%Y%m%dT%H%M%S%f"),
        "started_at": run.started,
        "finished_at": dt.datetime.now(),
        "seconds": round(time.perf_counter() - run.t0, 3),
        "files_parsed": built.files_parsed,
        "files_cached": built.files_cached,
        "code_version": __version__,
        "contract_fingerprint": run.contract.fingerprint,
        "summary": json.dumps(built.summary, ensure_ascii=False, default=str),
        "input_fingerprint": scope.input_fp,
        "config_fingerprint": scope.config_fp,
        "stages": dict(seconds),
        "write_started": time.perf_counter(),
    }


def _prune_cache(cache_dir: Path, keep: set[str]) -> None:
    """Drop cached parses of files no longer in data_raw, so a monthly job's cache does not grow forever
    (best effort, after the warehouse is safely written)."""
    if not (cache_dir / CACHE_FILE).exists():
        return
    cache = ParseCache.open(cache_dir)
    if cache is not None:
        cache.keep_only(keep)
        cache.close()
