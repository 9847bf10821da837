"""The question workbook (reports/quality/待确认事项.xlsx): what the last ingest could not decide, as questions an
analyst answers in Excel with dropdowns (see pipelines/answers.py for the sheets and pipelines/cli.py `confirm`).

Read from the warehouse only: sheets (kind, header), raw_rows (sample values), stg_* (`<col>_raw` with a NULL
`<col>` is a word outside its vocabulary) and quarantine (unknown_unit / unknown_round with suggestions).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from pipelines import answers as A
from pipelines.contract import Contract, header_signature, norm_header, norm_value
from pipelines.ingest.structure import FACT_TYPES, match_columns

QUESTIONS_FILE = "待确认事项.xlsx"
NOT_ASKED = {norm_header(h) for h in ("序号", "备注", "说明")}  # present in most ledgers, never a figure
_NAME_IN_REASON = re.compile(r"「(.+?)」")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def guess_word(contract: Contract, vocab: str, text: str) -> str | None:
    """The tool's best guess for a word outside a vocabulary (a class label), or None."""
    v = contract.vocabularies[vocab]
    code = v.guess(text)
    return v.label(code) if code else None


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}


def _norm_for_kind(contract: Contract, kind: str, raw: str) -> str:
    """A header as parse matched it: a two-row header "组/子" is the sub header, or group+sub, when known."""
    k = contract.kinds[kind]
    norm = contract.header_norm
    if "/" in raw:
        g, _, s = raw.partition("/")
        for cand in (norm(s), norm(g + s), norm(raw)):
            if cand in k.exact:
                return cand
        if norm(g) in k.exact and norm(s) in contract.header_totals and \
                k.columns[k.exact[norm(g)]].type in ("count", "int", "number"):
            return norm(g)  # 发现问题 over 总数 is 发现问题 (structure._pick_pair)
        return norm(s) or norm(g)
    return norm(raw)


def _samples(con, file: str, sheet: str, header: str, n: int = 3) -> list[str]:
    out: list[str] = []
    for (cells,) in con.execute("SELECT cells FROM raw_rows WHERE file = ? AND sheet = ? AND row_class = 'data' "
                                "ORDER BY row LIMIT 200", [file, sheet]).fetchall():
        for cell in json.loads(cells or "[]"):  # [letter, header, text], and the Excel row in a transposed sheet
            head, text = cell[1], cell[2]
            if head == header and text and text not in out:
                out.append(text if len(text) <= 40 else text[:40] + "…")
        if len(out) >= n:
            break
    return out[:n]


# how alike (difflib ratio) a header and a synonym must be for the synonym's column to be suggested: below it
# a shared 人数 or 单位 ("移交问题线索人数" ~ "处分人数", "被巡察单位" ~ "单位名称") suggested the wrong column
SUGGEST_MIN_RATIO = 0.5


def _suggest_column(contract: Contract, kind: str, header: str, mapped: set[str]) -> str | None:
    k = contract.kinds[kind]
    labels = {c: lab for lab, c in A.column_labels(contract, kind).items()}
    h = contract.header_norm(header)
    # a header saying 计划/要求/时限 names a plan or a requirement: never suggest the fact it would then be taken
    # for (完成时间 for 完成时间（计划）, 办结时间 for 办结时限)
    planned = any(q in h for q in contract.header_qualifiers)
    # "发现问题/其中：立行立改" is a part of its group's count, which has its own column: nothing to add up
    sub = header.rpartition("/")[2]
    if sub.lstrip().startswith("其中"):
        return A.IGNORE
    people = h.endswith(("人数", "人次"))  # a count of people is never a count of cases, nor the other way round
    best, best_s = None, 0.0
    for cname, spec in k.columns.items():
        if cname in mapped or spec.type == "daterange" and set(spec.into) & mapped:
            continue
        if planned and spec.type in FACT_TYPES:
            continue
        if spec.type == "count" and spec.unit and (spec.unit == "人") != people:
            continue
        r = max((difflib.SequenceMatcher(None, h, s).ratio() for s in spec.synonyms), default=0.0)
        score = r + (0.15 if spec.required else 0.0)
        if r >= SUGGEST_MIN_RATIO and score > best_s:
            best, best_s = cname, score
    return labels.get(best) if best else None


def _kind_questions(con, contract: Contract) -> list[A.Row]:
    rows = []
    labels = list(A.kind_labels(contract))
    for file, sheet, header, cands, title, reasons, decision in con.execute(
            "SELECT file, sheet, header, candidates, title, reasons, decision FROM sheets "
            "WHERE decision IN ('uncertain', 'unclassified') AND rows_read > 0 ORDER BY file, sheet").fetchall():
        texts = (header or "").split(" | ")
        if contract.sheet_kind_answer(file, sheet, header_signature(texts)) is not None:
            continue  # answered; it takes effect where sheet kinds are decided
        ranked = _rank_kinds(contract, texts, cands)
        # the title and why the sheet was not loaded tell an audit ledger from an inspection's, a summary from
        # a ledger: what the analyst needs to answer without opening the file
        why = "；".join(_listed(reasons)) or ("表头里没有哪一类台账的必备列是齐全的" if decision == "unclassified"
                                              else "")
        rows.append(A.Row(A.KIND, {A.SEEN: header or "", A.SUGGEST: ranked[0][0] if ranked else "",
                                   "文件": file, "工作表": sheet, "表题": title or "", "为什么要问": why,
                                   "候选类型": "；".join(f"{lab}（{sc:g}）" for lab, sc in ranked[:3])},
                          allowed=[*labels, A.NOT_LEDGER]))
    return rows


def _listed(stored) -> list[str]:
    """A JSON list the sheets table holds (reasons), as strings; anything else as nothing."""
    try:
        got = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return []
    return [str(x) for x in got] if isinstance(got, list) else []


def _rank_kinds(contract: Contract, texts: list[str], cands) -> list[tuple[str, float]]:
    """The best kinds for a header, best first: the ingest's own candidates when it stored them, else the
    number of the header's cells each kind knows."""
    if cands:
        try:
            got = json.loads(cands) if isinstance(cands, str) else cands
            return [(c.get("label") or contract.kinds[c["kind"]].label, round(float(c.get("score", 0)), 2))
                    for c in got if c.get("kind") in contract.kinds]
        except (ValueError, TypeError, KeyError):
            pass
    norm = [norm_header(t) for t in texts]
    out = []
    for k in contract.kinds.values():
        mapping, _ = match_columns(k, norm)
        if mapping:
            out.append((k.label, float(len(mapping))))
    return sorted(out, key=lambda x: -x[1])


def _column_questions(con, contract: Contract) -> list[A.Row]:
    # an uncertain sheet is asked about the headers of its best candidate kind
    q = ("SELECT file, sheet, COALESCE(kind, candidate), header, unmatched_headers FROM sheets "
         "WHERE decision IN ('loaded', 'uncertain') AND rows_read > 0 ORDER BY file, sheet")
    groups: dict[tuple, dict] = {}
    for file, sheet, kind, header, unmatched_json in con.execute(q).fetchall():
        if kind not in contract.kinds:
            continue
        k = contract.kinds[kind]
        texts = (header or "").split(" | ")
        norm = [_norm_for_kind(contract, kind, t) for t in texts]
        mapping, unmatched = match_columns(k, norm)
        mapped = set(mapping.values())
        if unmatched_json:
            try:
                listed = [u["header"] for u in json.loads(unmatched_json)]
                unmatched = [i for i, t in enumerate(texts) if t in listed and norm[i] not in k.ignore]
            except (ValueError, TypeError, KeyError):
                pass
        for i in unmatched:
            h = norm[i]
            if not h or h in NOT_ASKED:
                continue
            # a ledger holding personal data (leads: the people reported on) shows no sample values: the
            # question workbook sits beside the quality page, which never names them
            samples = [] if k.personal else _samples(con, file, sheet, texts[i])
            if k.dimensions and "dimension" not in mapped and samples and all(
                    _NUMBER.match(s) for s in samples):
                continue  # a numeric column of a wide assessment sheet is a dimension score
            g = groups.get((kind, h))
            if g is None:
                groups[(kind, h)] = {"seen": texts[i], "file": file, "sheet": sheet, "n": 1, "samples": samples,
                                     "suggest": _suggest_column(contract, kind, texts[i], mapped)}
            else:
                g["n"] += 1
    rows = []
    for (kind, _h), g in groups.items():
        label = contract.kinds[kind].label
        rows.append(A.Row(A.COLUMN, {A.SEEN: g["seen"], A.SUGGEST: g["suggest"] or "", "台账类型": label,
                                     "示例": "；".join(g["samples"]) if not contract.kinds[kind].personal
                                     else "（该类台账含人名，不显示示例）", "出现次数": f"{g['n']} 个工作表",
                                     "文件": g["file"], "工作表": g["sheet"]},
                          allowed=A.allowed_answers(contract, A.COLUMN, {"台账类型": label})))
    return rows


def _word_questions(con, contract: Contract) -> list[A.Row]:
    rows = []
    seen_keys: set = set()
    for kname, kind in contract.kinds.items():
        table = f"stg_{kname}"
        tcols = _columns(con, table)
        for cname, spec in kind.columns.items():
            if spec.type != "vocab" or f"{cname}_raw" not in tcols or cname not in tcols:
                continue
            col_label = contract.label(kname, cname)
            col_label = next((lab for lab, c in A.column_labels(contract, kname).items() if c == cname), col_label)
            for raw, n, first in con.execute(
                    f'SELECT "{cname}_raw", count(*), min(src_file || \'「\' || src_sheet || \'」第\' || src_row || \'行\') '
                    f'FROM {table} WHERE "{cname}" IS NULL AND "{cname}_raw" IS NOT NULL '
                    f'GROUP BY 1 ORDER BY 2 DESC, 1').fetchall():
                key = (kname, cname, norm_value(raw))
                if key in seen_keys or not norm_value(raw):
                    continue
                seen_keys.add(key)
                vals = {A.SEEN: raw, A.SUGGEST: guess_word(contract, spec.vocab, raw) or "",
                        "台账类型": kind.label, "列": col_label, "出现次数": str(n), "首次出现": first}
                rows.append(A.Row(A.WORD, vals, allowed=A.allowed_answers(contract, A.WORD, vals)))
    return rows


def _name_questions(con, contract: Contract, registers: dict) -> list[A.Row]:
    """Names no register knows. With several counties each county is asked on its own (县财政局 of one county
    is not 县财政局 of another, and an answer names one county's register entry), its 县 filled."""
    several = con.execute("SELECT count(DISTINCT county) FROM raw_rows WHERE coalesce(county, '') <> ''").fetchone()[0] > 1
    found: dict[tuple, dict] = {}
    for code, file, sheet, row, reason, sugg, county in con.execute(
            "SELECT reason_code, file, sheet, row, reason, suggestions, county FROM quarantine "
            "WHERE reason_code IN ('unknown_unit', 'unknown_round') ORDER BY county, file, sheet, row").fetchall():
        m = _NAME_IN_REASON.search(reason or "")
        if not m:
            continue
        cat = "单位" if code == "unknown_unit" else "轮次"
        g = found.setdefault((cat, county if several else "", m.group(1)),
                             {"n": 0, "first": f"{file}「{sheet}」第{row}行", "suggest": (sugg or "").split("、")[0]})
        g["n"] += 1
    rows = []
    for (cat, county, name), g in found.items():
        vals = {A.SEEN: name, A.SUGGEST: g["suggest"], "类别": cat, A.COUNTY: county or "", "出现次数": str(g["n"]),
                "首次出现": g["first"]}
        rows.append(A.Row(A.NAME, vals, allowed=A.allowed_answers(contract, A.NAME, vals, registers),
                          allowed_type=A.allowed_types(contract, vals)))
    return rows


def registers(con) -> dict:
    """The register names an answer to 「名称」 may choose from: {"unit": [...], "round": [...]} over every
    county, and "by_county": {county: {"unit": [...], "round": [...]}} for a question about one county."""
    out: dict = {"unit": [], "round": [], "by_county": {}}
    for cat, table, col in (("unit", "stg_units", "unit_name"), ("round", "stg_rounds", "round_name")):
        for county, name in con.execute(f"SELECT DISTINCT coalesce(county, ''), {col} FROM {table} "
                                        f"WHERE {col} IS NOT NULL ORDER BY 2, 1").fetchall():
            if name not in out[cat][-1:]:
                out[cat].append(name)
            out["by_county"].setdefault(county, {"unit": [], "round": []})[cat].append(name)
    return out


def collect(con, contract: Contract) -> dict[str, list[A.Row]]:
    """Every open question of the last ingest, by sheet."""
    regs = registers(con)
    return {A.KIND: _kind_questions(con, contract), A.COLUMN: _column_questions(con, contract),
            A.WORD: _word_questions(con, contract), A.NAME: _name_questions(con, contract, regs)}


INTRO = ("待确认事项：xuncha 在台账中看到、但不能自行确定的内容。请在各工作表的「确认」列中从下拉列表选择答案（不确定的可留空，"
         "以后再答），保存后运行 `xuncha confirm reports/quality/待确认事项.xlsx`；答案写入 config/本县口径.xlsx，"
         "下次入库时生效。")


def write_questions(con, contract: Contract, out_dir: Path) -> tuple[Path, dict[str, int]]:
    qs = collect(con, contract)
    path = A.write_workbook(Path(out_dir) / QUESTIONS_FILE, qs, intro=INTRO)
    return path, {s: len(r) for s, r in qs.items()}
