"""The analyst's answers: the question workbook (待确认事项.xlsx) and the county's own rules (本县口径.xlsx).

Both workbooks have the same sheets and columns:

- 「表类型」 a sheet the tool could not classify → a ledger kind (by its label) or 「不是台账」;
- 「列名」 a header not matched in a classified sheet → a standard column of that kind (by its label) or 「忽略此列」;
- 「词语」 a word outside a vocabulary → one of the vocabulary's classes (by its Chinese label);
- 「名称」 a unit or round name that did not resolve → a register name, or 「新增到名册」 with its 类型.

Each row has 「看到的」 (the text as the tool saw it), 「建议」 and 「确认」 (an Excel dropdown listing exactly the
allowed answers). Answers are Chinese labels; they are mapped back to contract codes here, and applied to the
contract dict before the Contract is built (see workspace.load), so the parse cache and the warehouse
fingerprint change exactly when an answer does.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract import Contract, ContractError, header_signature, norm_header, norm_value

KIND, COLUMN, WORD, NAME = "表类型", "列名", "词语", "名称"
SHEETS = (KIND, COLUMN, WORD, NAME)
SEEN, SUGGEST, ANSWER = "看到的", "建议", "确认"
NOT_LEDGER, IGNORE, NEW_NAME = "不是台账", "忽略此列", "新增到名册"
TYPE = "类型"  # 名称: the new register entry's type (only with 新增到名册)
# 名称: the county whose register the answer is about, when a warehouse holds several (县财政局 of one county is
# not 县财政局 of another); empty: every county (one county, or an answers workbook written before)
COUNTY = "县"
LISTS_SHEET = "可选答案"
GUIDE_SHEET = "说明"

# the columns of each sheet, in order (the same in the question workbook and in 本县口径.xlsx)
COLUMNS = {
    KIND: [SEEN, SUGGEST, ANSWER, "文件", "工作表", "表题", "为什么要问", "候选类型"],
    COLUMN: [SEEN, SUGGEST, ANSWER, "台账类型", "示例", "出现次数", "文件", "工作表"],
    WORD: [SEEN, SUGGEST, ANSWER, "台账类型", "列", "出现次数", "首次出现"],
    NAME: [SEEN, SUGGEST, ANSWER, TYPE, "类别", "县", "出现次数", "首次出现"],
}
HELP = {
    KIND: "这些工作表没能确定是哪类台账。请在「确认」中选择台账类型；不是台账（说明、汇总图表等）请选「不是台账」。",
    COLUMN: "这些表头没能对上标准列。请在「确认」中选择它对应的标准列；与统计无关的列选「忽略此列」。",
    WORD: "这些词不在词表中，相关行暂时无法统计。请在「确认」中选择它的含义。",
    NAME: "这些单位或轮次名称在名册中找不到。请选择名册中的名称；确实是新单位/新轮次的选「新增到名册」并选择「类型」。"
          "仓库中有几个县时每个县分别问（「县」列），答案只对该县生效；「县」为空的答案对各县都生效。",
}
NAME_CATEGORIES = {"单位": "unit", "轮次": "round"}
NAME_TYPE_VOCAB = {"unit": "unit_type", "round": "round_kind"}


class AnswerError(ValueError):
    """One answer that cannot be used: names the workbook's sheet and row."""


@dataclass
class Row:
    sheet: str
    values: dict  # column → text
    row: int = 0  # the Excel row it was read from (0: not read from a workbook)
    allowed: list[str] = field(default_factory=list)  # the 确认 dropdown
    allowed_type: list[str] = field(default_factory=list)  # the 类型 dropdown (名称 only)

    def get(self, col: str) -> str:
        v = self.values.get(col)
        return "" if v is None else str(v).strip()

    @property
    def key(self) -> tuple:
        return row_key(self.sheet, self.values)


def row_key(sheet: str, v: dict) -> tuple:
    """What a question is about: answering it twice replaces the earlier answer."""
    def g(c: str) -> str:
        return "" if v.get(c) is None else str(v.get(c)).strip()

    if sheet == KIND:
        return (KIND, g("文件"), g("工作表"))
    if sheet == COLUMN:
        return (COLUMN, g("台账类型"), norm_header(g(SEEN)))
    if sheet == WORD:
        return (WORD, g("台账类型"), g("列"), norm_value(g(SEEN)))
    return (NAME, g("类别"), g(COUNTY), "".join(g(SEEN).split()))


# ---------------------------------------------------------------- labels ↔ codes


def kind_labels(contract: Contract) -> dict[str, str]:
    """kind label → kind name."""
    return {k.label: k.name for k in contract.kinds.values()}


def column_labels(contract: Contract, kind: str) -> dict[str, str]:
    """column label → column name for one kind (a label two columns share gets the column's name added)."""
    out: dict[str, str] = {}
    for c in contract.kinds[kind].columns:
        lab = contract.label(kind, c)
        out[lab if lab not in out else f"{lab}（{c}）"] = c
    return out


def vocab_labels(contract: Contract, vocab: str) -> dict[str, str]:
    """class label → code, in the vocabulary's order."""
    v = contract.vocabularies[vocab]
    return {v.label(code): code for code in v.codes}


def allowed_answers(contract: Contract, sheet: str, values: dict, registers: dict[str, list[str]] | None = None
                    ) -> list[str] | None:
    """Exactly the answers 确认 may hold for this question; None when the question itself is not understood
    (a 台账类型 or 列 the contract does not know)."""
    def g(c: str) -> str:
        return "" if values.get(c) is None else str(values.get(c)).strip()

    if sheet == KIND:
        return [*kind_labels(contract), NOT_LEDGER]
    if sheet == COLUMN:
        kind = kind_labels(contract).get(g("台账类型"))
        return None if kind is None else [*column_labels(contract, kind), IGNORE]
    if sheet == WORD:
        vocab = word_vocab(contract, g("台账类型"), g("列"))
        return None if vocab is None else list(vocab_labels(contract, vocab))
    cat = NAME_CATEGORIES.get(g("类别"))
    if cat is None:
        return None
    regs = (registers or {}).get("by_county", {}).get(g(COUNTY), {}) if g(COUNTY) and registers else registers or {}
    return [*regs.get(cat, []), NEW_NAME]  # a county without a register of its own: only 新增到名册


def allowed_types(contract: Contract, values: dict) -> list[str]:
    cat = NAME_CATEGORIES.get(str(values.get("类别") or "").strip())
    return list(vocab_labels(contract, NAME_TYPE_VOCAB[cat])) if cat else []


def word_vocab(contract: Contract, kind_label: str, col_label: str) -> str | None:
    kind = kind_labels(contract).get(kind_label)
    if kind is None:
        return None
    col = column_labels(contract, kind).get(col_label)
    spec = contract.kinds[kind].columns.get(col) if col else None
    return spec.vocab if spec is not None and spec.vocab else None


# ---------------------------------------------------------------- reading and writing the workbooks


def read_workbook(path: Path) -> dict[str, list[Row]]:
    """Every row of the known sheets, by column name (columns may have been moved); blank rows are left out."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:
        raise AnswerError(f"无法打开 {path}（{type(exc).__name__}）：请确认它是用 Excel 保存的 .xlsx 文件") from None
    out: dict[str, list[Row]] = {}
    for sheet in SHEETS:
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        rows = ws.iter_rows(values_only=True)
        head = next(rows, None)
        if head is None:
            continue
        names = [str(h).strip() if h is not None else "" for h in head]
        missing = [c for c in (SEEN, ANSWER) if c not in names]
        if missing:
            raise AnswerError(f"{path.name}「{sheet}」：第 1 行缺少列「{'」「'.join(missing)}」。请不要改动表头行")
        got = []
        for r, vals in enumerate(rows, start=2):
            d = {n: (v if not isinstance(v, str) else v.strip()) for n, v in zip(names, vals) if n}
            if not any(v not in (None, "") for v in d.values()):
                continue
            got.append(Row(sheet, {k: ("" if v is None else str(v)) for k, v in d.items()}, r))
        out[sheet] = got
    return out


def _width(text: str) -> float:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_workbook(path: Path, rows: dict[str, list[Row]], *, intro: str = "") -> Path:
    """Write the question or answers workbook: one sheet per kind of question (only those with rows), frozen
    header row, readable widths, every value stored as text (a "=…" in a ledger never becomes a formula), and
    「确认」 (and 「类型」) as dropdowns listing exactly the allowed answers. Written atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    lists_ws = None
    list_cols: dict[tuple, str] = {}

    def formula(options: list[str]) -> str:
        nonlocal lists_ws
        inline = '"' + ",".join(options) + '"'
        if len(inline) <= 255 and not any("," in o or '"' in o for o in options):
            return inline
        key = tuple(options)
        if key not in list_cols:
            if lists_ws is None:
                lists_ws = wb.create_sheet(LISTS_SHEET)
                lists_ws.sheet_state = "hidden"
            col = len(list_cols) + 1
            for i, o in enumerate(options, start=1):
                c = lists_ws.cell(i, col, o)
                c.data_type = "s"
            from openpyxl.utils import get_column_letter

            letter = get_column_letter(col)
            list_cols[key] = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(options)}"
        return list_cols[key]

    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    for sheet in SHEETS:
        srows = rows.get(sheet) or []
        if not srows:
            continue
        ws = wb.create_sheet(sheet)
        cols = COLUMNS[sheet]
        for j, name in enumerate(cols, start=1):
            c = ws.cell(1, j, name)
            c.font = Font(bold=True)
            c.alignment = Alignment(vertical="center")
            if name in (ANSWER, TYPE):
                c.fill = answer_fill
        widths = [_width(n) + 4 for n in cols]
        groups: dict[tuple, list[str]] = {}
        type_groups: dict[tuple, list[str]] = {}
        for i, row in enumerate(srows, start=2):
            for j, name in enumerate(cols, start=1):
                v = row.values.get(name)
                v = "" if v is None else str(v)
                c = ws.cell(i, j, v if v else None)
                if v:
                    c.data_type = "s"
                c.alignment = Alignment(wrap_text=True, vertical="top")
                widths[j - 1] = max(widths[j - 1], min(_width(v) + 2, 60))
                if name in (ANSWER, TYPE):
                    c.fill = answer_fill
            ref_answer = f"{_letter(cols.index(ANSWER) + 1)}{i}"
            if row.allowed:
                groups.setdefault(tuple(row.allowed), []).append(ref_answer)
            if sheet == NAME and row.allowed_type:
                type_groups.setdefault(tuple(row.allowed_type), []).append(f"{_letter(cols.index(TYPE) + 1)}{i}")
        for options, refs in [*groups.items(), *type_groups.items()]:
            dv = DataValidation(type="list", formula1=formula(list(options)), allow_blank=True,
                                showDropDown=False, showErrorMessage=True, errorStyle="stop",
                                errorTitle="不在可选范围内", error="请从下拉列表中选择一项（可留空，以后再答）",
                                promptTitle="请选择", prompt="点击右侧箭头，从列表中选择", showInputMessage=True)
            ws.add_data_validation(dv)
            for ref in refs:
                dv.add(ref)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[_letter(j)].width = max(8, min(w, 60))
        ws.freeze_panes = "A2"
    guide = wb.create_sheet(GUIDE_SHEET, 0)
    guide.column_dimensions["A"].width = 12
    guide.column_dimensions["B"].width = 100
    guide.cell(1, 1, intro).font = Font(bold=True)
    r = 3
    for sheet in SHEETS:
        if rows.get(sheet):
            guide.cell(r, 1, sheet).font = Font(bold=True)
            guide.cell(r, 2, HELP[sheet]).alignment = Alignment(wrap_text=True)
            r += 1
    if r == 3:
        guide.cell(3, 1, "没有待确认的事项。")
    if len(wb.sheetnames) > 1 and wb.sheetnames[1] != LISTS_SHEET:
        wb.active = 1  # open on the first question sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


# ---------------------------------------------------------------- the county's answers applied to the contract


def read_answers(path: Path) -> list[Row]:
    """The answered rows of 本县口径.xlsx (rows without 确认 are notes, not answers)."""
    if not Path(path).is_file():
        return []
    try:
        book = read_workbook(Path(path))
    except AnswerError as exc:
        raise ContractError(str(exc)) from None
    # the help note under each table has text only in the first column: not an answer
    return [r for sheet in SHEETS for r in book.get(sheet, []) if r.get(ANSWER)]


def check_answer(contract: Contract, row: Row, registers: dict[str, list[str]] | None = None) -> str | None:
    """None when the row's answer can be used, else a Chinese message (without the sheet and row)."""
    ans = row.get(ANSWER)
    if not row.get(SEEN):
        return "「看到的」为空：这一行不是一个问题，请删除这一行或清空「确认」"
    allowed = allowed_answers(contract, row.sheet, row.values, registers)
    if allowed is None:
        what = {COLUMN: f"台账类型「{row.get('台账类型')}」", WORD: f"台账类型「{row.get('台账类型')}」的列「{row.get('列')}」",
                NAME: f"类别「{row.get('类别')}」"}.get(row.sheet, "")
        return f"这个问题已不存在：{what}不是当前口径中的名称（请重新运行 xuncha validate 生成新的待确认事项）"
    if row.sheet == NAME and registers is None:
        allowed = None  # at ingest time the register is not known yet: a name that is not in it stays unused
    if allowed is not None and ans not in allowed:
        shown = "、".join(allowed[:12]) + ("……" if len(allowed) > 12 else "")
        return f"「确认」填的是「{ans}」，不在可选答案中。可选：{shown}。请从下拉列表中选择"
    if row.sheet == NAME and ans == NEW_NAME and row.get(TYPE) not in allowed_types(contract, row.values):
        return (f"选了「{NEW_NAME}」但「{TYPE}」是「{row.get(TYPE)}」：请从「{TYPE}」的下拉列表中选择"
                f"（{'、'.join(allowed_types(contract, row.values))}）")
    return None


def apply(raw: dict, rows: list[Row], contract: Contract, source: Path | None = None) -> dict:
    """The contract dict with the answers applied (raw itself is not changed). contract: the contract built
    from raw without answers, for the labels. A bad answer raises ContractError naming the sheet and row."""
    raw = copy.deepcopy(raw)
    answers: dict = {"sheets": {}, "headers": {}, "names": {}, "new_names": {}, "county_names": {},
                     "county_new_names": {}}
    items = []
    name = Path(source).name if source else "本县口径.xlsx"
    for row in rows:
        problem = check_answer(contract, row)
        if problem:
            raise ContractError(f"{source or name}「{row.sheet}」第 {row.row} 行：{problem}。"
                                f"可直接在 Excel 中修改这一行，或删除它")
        seen, ans = row.get(SEEN), row.get(ANSWER)
        item = {"sheet": row.sheet, "seen": seen, "answer": ans}
        if row.sheet == KIND:
            code = NOT_LEDGER_CODE if ans == NOT_LEDGER else kind_labels(contract)[ans]
            answers["sheets"][(row.get("文件"), row.get("工作表"))] = code
            sig = header_signature(seen.split(" | "))
            if sig:
                answers["headers"][sig] = code
            item.update(file=row.get("文件"), sheet_name=row.get("工作表"), code=code, signature=sig)
        elif row.sheet == COLUMN:
            kind = kind_labels(contract)[row.get("台账类型")]
            kd = raw["kinds"][kind]
            if ans == IGNORE:
                kd.setdefault("ignore", []).append(seen)
                item.update(kind=kind, column=None)
            else:
                col = column_labels(contract, kind)[ans]
                cd = kd["columns"][col]
                cd["synonyms"] = [*cd.get("synonyms", []), seen]
                item.update(kind=kind, column=col)
        elif row.sheet == WORD:
            vocab = word_vocab(contract, row.get("台账类型"), row.get("列"))
            code = vocab_labels(contract, vocab)[ans]
            vd = raw["vocabularies"][vocab]
            vd["answered"] = {**(vd.get("answered") or {}), seen: code}
            item.update(vocab=vocab, code=code)
        else:
            cat = NAME_CATEGORIES[row.get("类别")]
            county = row.get(COUNTY)
            names, new = (answers["names"], answers["new_names"]) if not county else (
                answers["county_names"].setdefault(county, {}), answers["county_new_names"].setdefault(county, {}))
            if ans == NEW_NAME:
                code = vocab_labels(contract, NAME_TYPE_VOCAB[cat])[row.get(TYPE)]
                new.setdefault(cat, {})[seen] = code
                item.update(category=cat, new=True, code=code)
            else:
                names.setdefault(cat, {})[seen] = ans
                item.update(category=cat, new=False, register=ans)
            if county:
                item.update(county=county)
        items.append(item)
    answers["info"] = {"file": name, "sha256": answers_digest(items), "n_answers": len(items), "items": items}
    raw["answers"] = answers
    return raw


NOT_LEDGER_CODE = "not_ledger"


def answers_digest(items: list[dict]) -> str:
    """A hash of what the answers say (not of the file's bytes: re-saving the workbook in Excel changes
    nothing), so an unchanged answers workbook costs nothing on the next ingest."""
    canon = sorted(json.dumps({k: v for k, v in it.items()}, ensure_ascii=False, sort_keys=True) for it in items)
    return hashlib.sha256("\n".join(canon).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- which answers matched something


def usage(contract: Contract, tables: dict) -> dict:
    """For the ingest summary and the report manifest: how many answers applied, and those that matched
    nothing in this run (reported, never silently kept forever)."""
    info = contract.answers_info
    items = info.get("items") or []
    if not items:
        return {"file": info.get("file"), "sha256": info.get("sha256"), "n_answers": 0, "n_applied": 0,
                "unused": [], "uses": []}
    sheet_cols = [c for c, _ in tables.get("sheets", ([], []))[0]]
    sheets = tables.get("sheets", ([], []))[1]
    sig_at = sheet_cols.index("signature") if "signature" in sheet_cols else None
    headers_by_kind: dict[str, list[set]] = {}
    for r in sheets:
        headers_by_kind.setdefault(r[2], []).append({contract.header_norm(h) for h in (r[5] or "").split(" | ")})
    raw_cells = [r[8] or "" for r in tables.get("raw_rows", ([], []))[1]]
    raw_cols = [c for c, _ in tables.get("raw_rows", ([], []))[0]]
    raw_counties = [r[raw_cols.index("county")] for r in tables["raw_rows"][1]] if "county" in raw_cols else \
        [None] * len(raw_cells)
    uses = []
    for it in items:
        n = 0
        if it["sheet"] == COLUMN:
            h = contract.header_norm(it["seen"])
            n = sum(1 for hs in headers_by_kind.get(it["kind"], []) if h in hs)
        elif it["sheet"] == WORD:
            w = norm_value(it["seen"])
            for kname, kind in contract.kinds.items():
                for cname, spec in kind.columns.items():
                    if spec.vocab != it["vocab"]:
                        continue
                    tname = f"stg_{kname}"
                    if tname not in tables:
                        continue
                    cols = [c for c, _ in tables[tname][0]]
                    if cname + "_raw" not in cols:
                        continue
                    j = cols.index(cname + "_raw")
                    n += sum(1 for r in tables[tname][1] if r[j] is not None and norm_value(r[j]) == w)
        elif it["sheet"] == NAME:
            needle = json.dumps(it["seen"], ensure_ascii=False) + "]"
            if it.get("county"):
                n = sum(1 for c, k in zip(raw_cells, raw_counties) if k == it["county"] and needle in c)
            else:
                n = sum(1 for c in raw_cells if needle in c)
        else:  # the sheet named, or another sheet with the identical header row (sheets.signature)
            n = sum(1 for r in sheets if (r[0], r[1]) == (it.get("file"), it.get("sheet_name"))
                    or (sig_at is not None and it.get("signature") and r[sig_at] == it.get("signature")))
        uses.append({"sheet": it["sheet"], "seen": it["seen"], "answer": it["answer"], "used": n,
                     **({"county": it["county"]} if it.get("county") else {})})
    return {"file": info.get("file"), "sha256": info.get("sha256"), "n_answers": len(items),
            "n_applied": sum(1 for u in uses if u["used"]), "unused": [u for u in uses if not u["used"]],
            "uses": uses}


# ---------------------------------------------------------------- xuncha confirm


def confirm(question_file: Path, cfg: Path, db_path: Path) -> dict:
    """Check every answer of a filled question workbook and merge the answered rows into config/本县口径.xlsx.

    Returns {"errors": [messages naming sheet and row], "added": [rows], "changed": [rows], "pending": n,
    "file": path}. With any error nothing is written."""
    from pipelines import workspace
    from pipelines.validate.questions import collect, registers
    from pipelines.warehouse import db as W

    question_file, cfg = Path(question_file), workspace.config_dir(cfg)
    target = workspace.answers_file(cfg)
    if not question_file.is_file():
        raise AnswerError(f"找不到待确认事项文件 {question_file}：请先运行 xuncha validate（它写出 reports/quality/待确认事项.xlsx）")
    book = read_workbook(question_file)
    contract = workspace.load(cfg)
    base = base_contract(cfg)
    stored = {r.key: r for r in read_answers(target)}
    open_keys: set = set()
    regs: dict[str, list[str]] | None = None
    if Path(db_path).exists():
        with W.connect_ro(Path(db_path)) as con:
            regs = registers(con)
            open_keys = {r.key for rows in collect(con, contract).values() for r in rows}
    errors, answered, pending = [], [], 0
    for sheet in SHEETS:
        for row in book.get(sheet, []):
            if not row.get(ANSWER):
                pending += 1
                continue
            problem = check_answer(base, row, regs)
            if problem is None and regs is not None and row.key not in open_keys and row.key not in stored:
                problem = ("这个问题在最近一次入库中已不存在（台账可能已改正或已删除）：请重新运行 xuncha validate，"
                           "在新的待确认事项中回答")
            if problem:
                errors.append(f"{question_file.name}「{sheet}」第 {row.row} 行（看到的「{row.get(SEEN)}」）：{problem}")
            else:
                answered.append(row)
    if regs is None:
        errors.insert(0, f"找不到数据仓库 {db_path}：需要它来核对名册名称和问题是否仍然存在。请先运行 xuncha ingest，或用 --db 指定")
    result = {"errors": errors, "added": [], "changed": [], "unchanged": 0, "pending": pending, "file": str(target)}
    if errors:
        return result
    merged = dict(stored)
    for row in answered:
        clean_row = Row(row.sheet, {c: row.get(c) for c in COLUMNS[row.sheet]})
        old = merged.get(row.key)
        if old is None:
            result["added"].append(clean_row)
        elif (old.get(ANSWER), old.get(TYPE)) != (row.get(ANSWER), row.get(TYPE)):
            result["changed"].append(clean_row)
        else:
            result["unchanged"] += 1
            continue
        merged[row.key] = clean_row
    if result["added"] or result["changed"] or not target.exists():
        by_sheet: dict[str, list[Row]] = {s: [] for s in SHEETS}
        for r in merged.values():
            r.allowed = allowed_answers(base, r.sheet, r.values, regs) or []
            r.allowed_type = allowed_types(base, r.values) if r.sheet == NAME else []
            by_sheet[r.sheet].append(r)
        # the merged workbook must itself be usable: check it as ingest will read it
        apply(read_contract_raw(cfg), [r for rs in by_sheet.values() for r in rs], base, target)
        write_workbook(target, by_sheet, intro=ANSWERS_INTRO)
    return result


ANSWERS_INTRO = ("本县口径：分析人员确认过的表头、词语、名称和表类型。每次入库都会套用；可直接在这里修改「确认」或删除整行，"
                 "改后下次 xuncha ingest 生效。")


def read_contract_raw(cfg: Path) -> dict:
    from pipelines import workspace
    from pipelines.contract import read_contract_dict

    return read_contract_dict(workspace.contract_file(cfg))


def base_contract(cfg: Path) -> Contract:
    """The working folder's contract without the answers (labels and allowed answers come from it)."""
    from pipelines import workspace
    from pipelines.contract import build_contract, read_settings

    cpath, spaths = workspace.contract_file(cfg), workspace.settings_files(cfg)
    return build_contract(read_contract_raw(cfg), read_settings(spaths),
                          cpath.read_bytes() + b"".join(sp.read_bytes() for sp in spaths))
