"""Warehouse table shapes, and the rows that fill them, from resolved ingest items.

Each table is (columns: list of (name, duckdb type), rows: list of tuples). The staging
tables' columns follow the contract: vocab columns also keep `<col>_raw`, deadlines
`<col>_text`, periods `<col>_start/_end`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter

from pipelines.contract import Contract

PROV = [("src_file", "VARCHAR"), ("src_sha256", "VARCHAR"), ("src_sheet", "VARCHAR"), ("src_row", "INTEGER")]
PROV_NAMES = frozenset(c for c, _ in PROV) | {"src_cells"}
# yes/no columns stored as booleans (the others keep their vocabulary codes)
BOOLEAN_VOCAB = frozenset({("units", "in_scope")})
SHEET_HOLDS = ("sheet_uncertain", "sheet_missing_column")  # reasons that hold a whole sheet's rows
# every table's last column: the county the row belongs to (NULL: a row held because its county cannot be told)
COUNTY = ("county", "VARCHAR")

_TYPES = {"text": "VARCHAR", "id": "VARCHAR", "date": "DATE", "count": "BIGINT", "int": "BIGINT",
          "number": "DOUBLE", "vocab": "VARCHAR"}


def prov(it, letter: str | None = None) -> dict:
    d = {"src_file": it.f.rel, "src_sha256": it.f.sha256, "src_sheet": it.sheet.name, "src_row": it.pr.row,
         "county": it.county}
    if letter is not None:
        d["src_column"] = letter
    return d


def stg_columns(contract: Contract, kind: str) -> list[tuple[str, str]]:
    cols: list[tuple[str, str]] = []
    for name, spec in contract.kinds[kind].columns.items():
        if spec.type == "daterange" or spec.names_into:
            continue  # its two dates land in the columns it names (into); names become member records
        if (kind, name) in BOOLEAN_VOCAB:
            # 是/否 resolved during ingest: empty → the per-type default; words it cannot read → NULL (asked)
            cols += [(name, "BOOLEAN"), (name + "_raw", "VARCHAR")]
        elif spec.type == "deadline":
            cols += [(name, "DATE"), (name + "_text", "VARCHAR")]
        elif spec.type == "period":
            cols += [(name, "VARCHAR"), (name + "_start", "DATE"), (name + "_end", "DATE")]
        elif spec.type == "vocab":
            cols += [(name, "VARCHAR"), (name + "_raw", "VARCHAR")]
            if spec.derive:
                cols.append((name + "_source", "VARCHAR"))  # column / narrative / date / NULL (unknown)
        else:
            cols.append((name, _TYPES.get(spec.type, "VARCHAR")))
    return cols + PROV + [("src_cells", "VARCHAR")]


ASSESS_COLS = [("unit_name", "VARCHAR"), ("period", "VARCHAR"), ("period_start", "DATE"), ("period_end", "DATE"),
               ("total_given", "DOUBLE"), ("total", "DOUBLE"), ("n_dimensions", "INTEGER"), ("grade", "VARCHAR"),
               ("grade_raw", "VARCHAR"), ("grade_derived", "VARCHAR"), ("grade_final", "VARCHAR")] + PROV
SCORE_COLS = [("unit_name", "VARCHAR"), ("period", "VARCHAR"), ("dimension", "VARCHAR"), ("score", "DOUBLE")] + PROV + [
    ("src_column", "VARCHAR")]

FILES_COLS = [("path", "VARCHAR"), ("sha256", "VARCHAR"), ("size_bytes", "BIGINT"), ("modified_at", "TIMESTAMP"),
              ("status", "VARCHAR"), ("error", "VARCHAR"), ("duplicate_of", "VARCHAR"), ("n_sheets", "INTEGER"),
              ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"), ("rows_quarantined", "BIGINT"),
              ("rows_skipped", "BIGINT")]
SHEETS_COLS = [("file", "VARCHAR"), ("sheet", "VARCHAR"), ("kind", "VARCHAR"), ("hidden", "BOOLEAN"),
               ("header_row", "INTEGER"), ("header", "VARCHAR"), ("title", "VARCHAR"), ("stated_as_of", "DATE"),
               ("rows_read", "BIGINT"), ("rows_blank", "BIGINT"), ("decision", "VARCHAR"), ("candidate", "VARCHAR"),
               ("candidates", "VARCHAR"), ("reasons", "VARCHAR"), ("unmatched_headers", "VARCHAR"),
               ("missing_columns", "VARCHAR"), ("signature", "VARCHAR"), ("rows_loaded", "BIGINT"),
               ("rows_quarantined", "BIGINT")]
RAW_COLS = [("file", "VARCHAR"), ("sha256", "VARCHAR"), ("sheet", "VARCHAR"), ("row", "INTEGER"), ("kind", "VARCHAR"),
            ("row_class", "VARCHAR"), ("outcome", "VARCHAR"), ("skip_class", "VARCHAR"), ("cells", "VARCHAR")]
QUAR_COLS = [("kind", "VARCHAR"), ("file", "VARCHAR"), ("sha256", "VARCHAR"), ("sheet", "VARCHAR"), ("row", "INTEGER"),
             ("reason_code", "VARCHAR"), ("reason", "VARCHAR"), ("suggestions", "VARCHAR"), ("cells", "VARCHAR")]
def finding_message(fd, where: str, loaded: bool) -> str:
    """The sentence the quality page and the question workbook show for a cell finding (where: file, sheet
    and cell)."""
    row = "整行照常入库" if loaded else "此行暂未入库（见隔离原因）"
    if fd.code == "status_disagree":
        return (f"{where} 的「{fd.raw}」应{fd.expected}：两列说法不一致，此行按{fd.expected[1:].split('列')[0]}列计，"
                f"{row}。请核实后把两列改成一致")
    if fd.code == "date_after_as_of":
        return (f"{where} 的日期「{fd.raw}」晚于本表的统计截至日期，不能说明当时已完成：应为{fd.expected}；"
                f"该日期未采用，也不据此认定已完成（状态列写了已完成的，仍按状态列计为已完成、只是没有完成日期），{row}")
    return f"{where} 的值「{fd.raw}」无法识别，应为{fd.expected}；该字段已置空，{row}"


FIND_COLS = [("code", "VARCHAR"), ("kind", "VARCHAR"), ("file", "VARCHAR"), ("sheet", "VARCHAR"), ("row", "INTEGER"),
             ("column_letter", "VARCHAR"), ("field", "VARCHAR"), ("raw_value", "VARCHAR"), ("expected", "VARCHAR"),
             ("message", "VARCHAR")]
CONFLICT_COLS = [("kind", "VARCHAR"), ("record_key", "VARCHAR"), ("kept_file", "VARCHAR"), ("kept_sheet", "VARCHAR"),
                 ("kept_row", "INTEGER"), ("dropped_file", "VARCHAR"), ("dropped_sheet", "VARCHAR"),
                 ("dropped_row", "INTEGER"), ("fields", "VARCHAR")]


@dataclass(frozen=True)
class RowCounts:
    """Source rows counted while the table rows are made (a row with several records counts once), for the
    files table and the summary."""
    files: dict[str, dict[str, int]]  # file → {read, loaded, quarantined, skipped}
    sheets: dict[tuple[str, str], dict[str, int]]  # (file, sheet) → {loaded, quarantined, skipped} data rows
    kinds: dict[str, int]  # kind → its loaded source rows


def tables(files, res, contract: Contract) -> tuple[dict[str, tuple[list, list]], RowCounts]:
    """(table name → (columns, rows), the source rows counted) from a resolution (build.Resolution). Reads its
    inputs only."""
    out: dict[str, tuple[list, list]] = {}
    items = res.items
    # --- staging tables
    for kind in contract.kinds:
        if kind == "assessments":
            continue
        cols = stg_columns(contract, kind)
        value_cols = [c for c, _ in cols if c not in PROV_NAMES]
        assert [c for c, _ in cols[len(value_cols):]] == [*(c for c, _ in PROV), "src_cells"]
        rows = [(*map(it.values.get, value_cols), it.f.rel, it.f.sha256, it.sheet.name, it.pr.row, it.pr.cells,
                 it.county) for it in items.get(kind, []) if it.outcome == "loaded"]
        out[f"stg_{kind}"] = (cols + [COUNTY], rows)
    heads, scores = _assessment_rows(items.get("assessments", []), contract)
    out["stg_assessments"] = (ASSESS_COLS + [COUNTY], [tuple(h.get(c) for c, _ in ASSESS_COLS + [COUNTY])
                                                       for h in heads])
    out["stg_assessment_scores"] = (SCORE_COLS + [COUNTY], [tuple(s.get(c) for c, _ in SCORE_COLS + [COUNTY])
                                                            for s in scores])
    rel_county = res.rel_county or {}

    # --- raw rows, quarantine, findings, per-file counts
    raw, quar, finds = [], [], []
    counts = {f.rel: {"read": 0, "loaded": 0, "quarantined": 0, "skipped": 0} for f in files}
    for f, sh, pr, cls in res.skipped:
        raw.append((f.rel, f.sha256, sh.name, pr.row, sh.kind, cls, "skipped", cls, pr.cells, rel_county.get(f.rel)))
        counts[f.rel]["read"] += 1
        counts[f.rel]["skipped"] += 1
    feeding = rows_feeding_records(items)
    per_sheet: dict[tuple[str, str], dict[str, int]] = {}
    loaded_by_kind: dict[str, int] = {}
    for kind, its in items.items():
        n_loaded = 0
        for it in its:
            if it.derived:
                continue  # a further record of a row already counted (several names or units in one row)
            f, pr = it.f, it.pr
            outcome, skip_class = row_outcome(it, feeding)
            n = counts[f.rel]
            n["read"] += 1
            n[outcome] += 1
            key = (f.rel, it.sheet.name)
            d = per_sheet.get(key)
            if d is None:
                d = per_sheet[key] = {"loaded": 0, "quarantined": 0, "skipped": 0}
            d[outcome] += 1
            n_loaded += outcome == "loaded"
            raw.append((f.rel, f.sha256, it.sheet.name, pr.row, kind, "data", outcome, skip_class, pr.cells,
                        it.county))
            if it.outcome == "quarantined":
                quar.append((kind, f.rel, f.sha256, it.sheet.name, pr.row, it.reason_code, it.reason,
                             "、".join(it.suggestions) or None, pr.cells, it.county))
            if outcome != "skipped" and it.reason_code not in SHEET_HOLDS:  # a held sheet is said once
                for fd in pr.findings:
                    row = fd.row or pr.row
                    finds.append((fd.code, kind, f.rel, it.sheet.name, row, fd.column, fd.field, fd.raw,
                                  fd.expected, finding_message(fd, f"{f.rel}「{it.sheet.name}」{fd.column}{row}",
                                                               outcome == "loaded"), it.county))
        if n_loaded:
            loaded_by_kind[kind] = n_loaded
    raw.sort(key=itemgetter(0, 2, 3))
    quar.sort(key=lambda r: (r[1], r[3], r[4]))
    finds.sort(key=lambda r: (r[2], r[3], r[4], r[5]))
    out["raw_rows"] = (RAW_COLS + [COUNTY], raw)
    out["quarantine"] = (QUAR_COLS + [COUNTY], quar)
    out["findings"] = (FIND_COLS + [COUNTY], finds)
    conf = []
    for c in res.conflicts:
        k, d = c["kept"], c["dropped"]
        conf.append((c["kind"], c["key"], k.f.rel, k.sheet.name, k.pr.row, d.f.rel, d.sheet.name, d.pr.row,
                     "、".join(c["fields"]), k.county))
    out["conflicts"] = (CONFLICT_COLS + [COUNTY], conf)

    sheets = []
    for f in files:
        if f.status != "ingested":
            continue
        for sh in f.parsed.sheets:
            n_read = len(sh.rows)
            n = per_sheet.get((f.rel, sh.name), {})
            sheets.append((f.rel, sh.name, sh.kind if sh.decision == "loaded" else None, sh.hidden, sh.header_row,
                           " | ".join(sh.header)[:1000], sh.title or None, sh.stated_as_of, n_read, sh.n_blank,
                           sh.decision, sh.kind, _json(sh.candidates), _json(sh.reasons), _json(sh.unmatched),
                           _json(sh.missing_columns), sh.signature, n.get("loaded", 0), n.get("quarantined", 0),
                           rel_county.get(f.rel)))
            if sh.decision == "uncertain" or (sh.decision == "loaded" and sh.missing_columns):
                finds.append((*sheet_finding(f, sh, contract), rel_county.get(f.rel)))
    finds.sort(key=lambda r: (r[2], r[3], r[4] or 0, r[5] or ""))
    out["sheets"] = (SHEETS_COLS + [COUNTY], sheets)
    frows = []
    for f in files:
        n = counts[f.rel]
        frows.append((f.rel, f.sha256 or None, f.size, dt.datetime.fromtimestamp(f.mtime).replace(microsecond=0),
                      f.status, f.error, f.duplicate_of, len(f.parsed.sheets) if f.parsed else 0, n["read"],
                      n["loaded"], n["quarantined"], n["skipped"], rel_county.get(f.rel)))
    out["files"] = (FILES_COLS + [COUNTY], frows)
    return out, RowCounts(counts, per_sheet, loaded_by_kind)


def county_summary(tables_: dict) -> dict[str, dict]:
    """The ingest summary's `counties`: county → {files, rows (source rows read), rows_loaded}, from raw_rows."""
    cols = [c for c, _ in tables_["raw_rows"][0]]
    fi, oi, ci = cols.index("file"), cols.index("outcome"), cols.index("county")
    out: dict[str, dict] = {}
    files: dict[str, set] = {}
    # rows counted by (county, file, outcome) in one pass, then added up per county
    for (county, file, outcome), n in Counter(map(itemgetter(ci, fi, oi), tables_["raw_rows"][1])).items():
        if not county:
            continue
        d = out.setdefault(county, {"files": 0, "rows": 0, "rows_loaded": 0})
        files.setdefault(county, set()).add(file)
        d["rows"] += n
        if outcome == "loaded":
            d["rows_loaded"] += n
    for c, d in out.items():
        d["files"] = len(files[c])
    return dict(sorted(out.items()))


def _json(v) -> str | None:
    import json

    return json.dumps(v, ensure_ascii=False) if v else None


def sheet_finding(f, sh, contract: Contract) -> tuple:
    """One finding for a whole sheet (its kind uncertain, or a required column missing), not one per row."""
    from pipelines.ingest.build import missing_column_message

    seen = " | ".join(h for h in sh.header if h)[:300]
    if sh.decision == "uncertain":
        cands = "；".join(f"{c['label']} {c['score']:.1f}（{'、'.join(c['headers'][:6])}）" for c in sh.candidates[:2])
        return ("sheet_uncertain", sh.kind, f.rel, sh.name, None, None, None, seen, cands,
                f"{f.rel}「{sh.name}」类型待确认：{'；'.join(sh.reasons)}。候选：{cands}。该表各行暂不入库，"
                "请在 待确认事项.xlsx 的「表类型」中选择")
    return ("sheet_missing_column", sh.kind, f.rel, sh.name, sh.header_row, None, "、".join(sh.missing_columns),
            seen, None, f"{f.rel}「{sh.name}」{missing_column_message(sh, contract)}；该表各行暂不入库")


def _assessment_rows(items: list, contract: Contract) -> tuple[list[dict], list[dict]]:
    """Wide and long assessment rows → (per unit-period rows, per dimension score rows)."""
    th = contract.settings.get("grade_thresholds", {"good": 90, "fairly_good": 80, "average": 70})
    heads: dict[tuple, dict] = {}
    scores: list[dict] = []
    for it in items:
        if it.outcome != "loaded":
            continue
        v = it.values
        key = (it.county, v["unit_name"], v.get("period"))  # one assessment per unit and period, within its county
        head = heads.get(key)
        if head is None:
            head = heads[key] = {**{k: v.get(k) for k in ("unit_name", "period", "period_start", "period_end")},
                                 "total_given": None, "grade": None, "grade_raw": None, "_dims": {},
                                 "_prov": it}
        if v.get("total") is not None:
            head["total_given"] = v["total"]
        elif v.get("score") is not None and "dimension" not in it.sheet.cols and not it.pr.dims:
            head["total_given"] = v["score"]  # 单位 | 年度 | 得分 | 等次: with no dimensions, the score is the total
        if v.get("grade_raw"):
            head["grade"], head["grade_raw"] = v.get("grade"), v.get("grade_raw")
        dims = list(it.pr.dims)
        if v.get("dimension") and v.get("score") is not None:
            dims.append((v["dimension"], v["score"], it.sheet.cols.get("score", "")))
        for name, score, letter in dims:
            head["_dims"][name] = score
            scores.append({"unit_name": v["unit_name"], "period": v.get("period"), "dimension": name,
                           "score": score, **prov(it, letter)})
    out = []
    for head in heads.values():
        dims = head.pop("_dims")
        it = head.pop("_prov")
        # the sum is rounded: 16.1 + 15.9 + … must give 80.0, not 79.99999999999999 (which would grade one lower)
        total = head["total_given"] if head["total_given"] is not None else (
            round(sum(dims.values()), 6) if dims else None)
        derived = None
        if total is not None:
            derived = ("good" if total >= th["good"] else "fairly_good" if total >= th["fairly_good"]
                       else "average" if total >= th["average"] else "poor")
        out.append({**head, "total": total, "n_dimensions": len(dims), "grade_derived": derived,
                    "grade_final": head["grade"] or derived, **prov(it)})
    return out, scores


def rows_feeding_records(items: dict) -> set[int]:
    """Source rows (by id of their parsed row) whose further records (several units or names) are loaded."""
    return {id(it.pr) for its in items.values() for it in its if it.derived and it.outcome == "loaded"}


def row_outcome(it, feeding: set[int]) -> tuple[str, str | None]:
    """A source row's outcome: its first record's, except that a row whose first record merged into the same
    record elsewhere (duplicate) but whose other records are loaded counts as loaded."""
    if it.outcome == "skipped" and id(it.pr) in feeding:
        return "loaded", None
    return it.outcome, it.skip_class


def summary(files, res, tables_, row_counts: RowCounts) -> dict:
    """The ingest summary (ARCHITECTURE.md) of these files, their resolution, rows and the rows counted."""
    counts, per_sheet, loaded_by_kind = row_counts.files, row_counts.sheets, row_counts.kinds
    unclassified, uncertain, sheets = [], [], []
    for f in files:
        if f.status != "ingested":
            continue
        for sh in f.parsed.sheets:
            header = " | ".join(h for h in sh.header if h)
            if sh.decision == "unclassified" and sh.rows:
                unclassified.append({"file": f.rel, "sheet": sh.name, "header": header})
            if sh.decision == "uncertain":
                uncertain.append({"file": f.rel, "sheet": sh.name, "header": header, "reasons": sh.reasons,
                                  "candidates": [{"kind": c["kind"], "score": c["score"]} for c in sh.candidates[:3]]})
            if not sh.rows:
                continue
            n = per_sheet.get((f.rel, sh.name), {})
            sheets.append({"file": f.rel, "sheet": sh.name, "kind": sh.kind if sh.decision == "loaded" else None,
                           "decision": sh.decision, "rows_loaded": n.get("loaded", 0),
                           "rows_quarantined": n.get("quarantined", 0),
                           "unmatched_headers": [u["header"] for u in sh.unmatched],
                           "missing_columns": list(sh.missing_columns)})
    reasons: dict[str, int] = {}
    for row in tables_["quarantine"][1]:
        reasons[row[5]] = reasons.get(row[5], 0) + 1
    return {
        "files_seen": len(files),
        "files_ingested": sum(1 for f in files if f.status == "ingested"),
        "files_duplicate": sum(1 for f in files if f.status == "duplicate"),
        "files_failed": [{"file": f.rel, "error": f.error} for f in files if f.status == "failed"],
        "files_ignored": [f.rel for f in files if f.status == "ignored"],
        "sheets_unclassified": unclassified,
        "sheets_uncertain": uncertain,
        "sheets": sheets,
        "rows_read": sum(counts[f.rel]["read"] for f in files),
        "rows_loaded": sum(counts[f.rel]["loaded"] for f in files),
        "rows_quarantined": sum(counts[f.rel]["quarantined"] for f in files),
        "rows_skipped": sum(counts[f.rel]["skipped"] for f in files),
        "loaded_by_kind": dict(sorted(loaded_by_kind.items())),
        "quarantine_by_reason": reasons,
        "conflicts": len(res.conflicts),
        "cell_findings": len(tables_["findings"][1]),
    }
