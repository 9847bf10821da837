"""`xuncha validate`: every rule of DATA_CONTRACT section 7 → findings with provenance,
stored in the warehouse, written as an offline HTML fix list and an xlsx export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml

from pipelines import __version__
from pipelines.contract import default_contract
from pipelines.warehouse import db as W

RULES_FILE = Path(__file__).parent / "rules.yaml"
INGEST_RULES = {
    "quarantined": ("error", "该行未能入库（已隔离）"),
    "cell_unparsed": ("warning", "单元格的值无法识别，已置空"),
    "record_conflict": ("warning", "同一记录在两个文件中内容不同"),
    "sheet_uncertain": ("error", "工作表类型待确认（该表各行暂不入库）"),
    "sheet_missing_column": ("error", "工作表缺少必填列（该表各行暂不入库）"),
}
SHEET_LEVEL = ("sheet_uncertain", "sheet_missing_column")  # said once per sheet, not once per held row
FINDING_COLS = ["rule", "severity", "message", "file", "sheet", "row", "value"]


def load_rules() -> list[dict]:
    with open(RULES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _ingest_findings(con) -> list[dict]:
    out = []
    for file, sheet, row, code, reason in con.execute(
            "SELECT file, sheet, row, reason_code, reason FROM quarantine WHERE reason_code NOT IN "
            f"{SHEET_LEVEL} ORDER BY file, sheet, row").fetchall():
        out.append({"rule": "quarantined", "severity": "error", "message": reason, "file": file, "sheet": sheet,
                    "row": row, "value": code})
    for code, file, sheet, row, raw, msg in con.execute(
            "SELECT code, file, sheet, row, raw_value, message FROM findings ORDER BY file, sheet, row"
    ).fetchall():
        rule = code if code in INGEST_RULES else "cell_unparsed"
        out.append({"rule": rule, "severity": INGEST_RULES[rule][0], "message": msg, "file": file, "sheet": sheet,
                    "row": row, "value": raw})
    for key, kf, ks, kr, df, ds, dr, fields in con.execute(
            "SELECT record_key, kept_file, kept_sheet, kept_row, dropped_file, dropped_sheet, dropped_row, fields "
            "FROM conflicts ORDER BY dropped_file, dropped_row").fetchall():
        out.append({"rule": "record_conflict", "severity": "warning",
                    "message": f"同一记录（{key}）在 {kf}「{ks}」第{kr}行中内容不同（{fields}），已采用较新文件的内容",
                    "file": df, "sheet": ds, "row": dr, "value": key})
    return out


def _sql_findings(con, rules: list[dict], run_date: dt.date) -> list[dict]:
    out = []
    for rule in rules:
        sql = rule["sql"].replace("{run_date}", run_date.isoformat())
        for r in con.execute(sql).fetchall():
            file, sheet, row, value = r[0], r[1], r[2], r[3]
            detail = r[4] if len(r) > 4 else ""
            value = None if value is None else str(value)
            out.append({"rule": rule["id"], "severity": rule["severity"],
                        "message": rule["message"].replace("{value}", value or "").replace("{detail}", str(detail or "")),
                        "file": file, "sheet": sheet, "row": int(row) if row is not None else None, "value": value})
    return out


def collect(con, run_date: dt.date | None = None, contract=None) -> tuple[list[dict], dict[str, int]]:
    """All findings and the per-rule counts (every rule listed, zero or not)."""
    from pipelines.validate.gx_suites import run_checks

    contract = contract or default_contract()
    run_date = run_date or dt.date.today()
    rules = load_rules()
    gx_findings, gx_rules = run_checks(con, contract)
    findings = _ingest_findings(con) + gx_findings + _sql_findings(con, rules, run_date)
    rule_ids = list(INGEST_RULES) + gx_rules + [r["id"] for r in rules]
    counts = {r: 0 for r in dict.fromkeys(rule_ids)}
    for f in findings:
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    findings.sort(key=lambda f: (f["severity"] != "error", f["rule"], f["file"] or "", f["sheet"] or "",
                                 f["row"] or 0))
    return findings, counts


def validate(db_path: Path, out_dir: Path, run_date: dt.date | None = None, contract=None) -> dict:
    """contract: the one every command uses (workspace.load: the working folder's config with the analyst's
    answers); the packaged default when not given."""
    from pipelines.validate.questions import write_questions

    db_path, out_dir = Path(db_path), Path(out_dir)
    contract = contract or default_contract()
    with W.connect_ro(db_path) as con:
        findings, counts = collect(con, run_date, contract)
        questions, n_questions = write_questions(con, contract, out_dir / "quality")
        data_hash = W.data_hash(con)
        quarantine = con.execute("SELECT kind, file, sheet, row, reason, suggestions FROM quarantine "
                                 "ORDER BY file, sheet, row").fetchall()
    n_err = sum(1 for f in findings if f["severity"] == "error")
    n_warn = sum(1 for f in findings if f["severity"] == "warning")
    status = "fail" if n_err else "warn" if n_warn else "pass"
    run_id = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")

    def store(con):
        con.execute("INSERT INTO validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, W.now(), data_hash, status, n_err, n_warn, json.dumps(counts), __version__])
        con.execute("DROP TABLE IF EXISTS validation_findings")
        W.create_table(con, "validation_findings",
                       [("run_id", "VARCHAR"), ("rule", "VARCHAR"), ("severity", "VARCHAR"), ("message", "VARCHAR"),
                        ("file", "VARCHAR"), ("sheet", "VARCHAR"), ("row", "INTEGER"), ("value", "VARCHAR")],
                       [tuple([run_id] + [f[c] for c in FINDING_COLS]) for f in findings])

    W.update_warehouse(db_path, store)
    from pipelines.validate.quality import write_quality

    page, xlsx = write_quality(out_dir / "quality", findings, counts, status, quarantine, data_hash)
    return {"status": status, "counts": counts, "findings": findings, "n_errors": n_err, "n_warnings": n_warn,
            "page": str(page), "xlsx": str(xlsx), "run_id": run_id, "questions": str(questions),
            "n_questions": n_questions}
