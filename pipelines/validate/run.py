"""`xuncha validate`: every rule of DATA_CONTRACT section 7 → findings with provenance, recorded in the
history store (never in the warehouse), written as an offline HTML fix list and an xlsx export.

Rule ids, titles, severities and messages are in rules.yaml; the column and row expectations are derived
from the contract (gx_suites.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml

from pipelines import __version__
from pipelines.contract import Contract, default_contract
from pipelines.warehouse import db as W

RULES_FILE = Path(__file__).parent / "rules.yaml"
FINDING_COLS = ["rule", "severity", "message", "file", "sheet", "row", "value"]
SHEET_LEVEL = ("sheet_uncertain", "sheet_missing_column")  # said once per sheet, not once per held row


def load_catalog(path: Path | None = None) -> dict:
    """rules.yaml: {ingest: {id: {severity, title, message}}, expectations: {family: {...}}, rules: [...]}."""
    with open(path or RULES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_rules() -> list[dict]:
    """The cross-table SQL rules."""
    return load_catalog()["rules"]


def ingest_rules() -> dict[str, tuple[str, str]]:
    """The rules for what ingest already found (rules.yaml `ingest:`): id → (severity, title)."""
    return {k: (v["severity"], v["title"]) for k, v in load_catalog()["ingest"].items()}


def _ingest_findings(con, ingest_rules: dict) -> list[dict]:
    sev = {k: v["severity"] for k, v in ingest_rules.items()}
    out = []
    for file, sheet, row, code, reason in con.execute(
            "SELECT file, sheet, row, reason_code, reason FROM quarantine WHERE reason_code NOT IN "
            f"{SHEET_LEVEL} ORDER BY file, sheet, row").fetchall():
        out.append({"rule": "quarantined", "severity": sev["quarantined"], "message": reason, "file": file, "sheet": sheet,
                    "row": row, "value": code})
    for code, file, sheet, row, raw, msg in con.execute(
            "SELECT code, file, sheet, row, raw_value, message FROM findings ORDER BY file, sheet, row"
    ).fetchall():
        rule = code if code in sev else "cell_unparsed"  # sheet-level findings keep their own rule
        out.append({"rule": rule, "severity": sev[rule], "message": msg, "file": file, "sheet": sheet,
                    "row": row, "value": raw})
    for key, kf, ks, kr, df, ds, dr, fields in con.execute(
            "SELECT record_key, kept_file, kept_sheet, kept_row, dropped_file, dropped_sheet, dropped_row, fields "
            "FROM conflicts ORDER BY dropped_file, dropped_row").fetchall():
        out.append({"rule": "record_conflict", "severity": sev["record_conflict"],
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


def collect(con, run_date: dt.date | None = None, contract: Contract | None = None
            ) -> tuple[list[dict], dict[str, int], dict[str, str]]:
    """All findings, the per-rule counts (every rule listed, zero or not) and each rule's title."""
    from pipelines.validate.gx_suites import run_checks

    contract = contract or default_contract()
    run_date = run_date or dt.date.today()
    catalog = load_catalog()
    rules = catalog["rules"]
    gx_findings, checks = run_checks(con, contract, catalog["expectations"])
    findings = _ingest_findings(con, catalog["ingest"]) + gx_findings + _sql_findings(con, rules, run_date)
    titles = {k: v["title"] for k, v in catalog["ingest"].items()}
    for c in checks:
        titles.setdefault(c.rule, c.title)
    titles.update({r["id"]: r["title"] for r in rules})
    counts = {r: 0 for r in titles}
    for f in findings:
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    findings.sort(key=lambda f: (f["severity"] != "error", f["rule"], f["file"] or "", f["sheet"] or "",
                                 f["row"] or 0))
    return findings, counts, titles


def validate(db_path: Path, out_dir: Path, run_date: dt.date | None = None, *, contract: Contract | None = None
             ) -> dict:
    """Run every rule on the warehouse (opened read-only: validate never writes it), record the run in the
    history store and write the fix list. `contract` is the one ingest used (default: the packaged one)."""
    from pipelines import history
    from pipelines.validate.quality import write_quality
    from pipelines.validate.questions import write_questions

    db_path, out_dir = Path(db_path), Path(out_dir)
    contract = contract or default_contract()
    with W.connect_ro(db_path) as con:
        findings, counts, titles = collect(con, run_date, contract)
        questions, n_questions = write_questions(con, contract, out_dir / "quality")
        data_hash = W.data_hash(con)
        quarantine = con.execute("SELECT kind, file, sheet, row, reason, suggestions FROM quarantine "
                                 "ORDER BY file, sheet, row").fetchall()
        personal = personal_values(con, contract or default_contract())
        county = W.county(con)
    n_err = sum(1 for f in findings if f["severity"] == "error")
    n_warn = sum(1 for f in findings if f["severity"] == "warning")
    status = "fail" if n_err else "warn" if n_warn else "pass"
    run_id = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    history.record_validation(db_path, {"run_id": run_id, "ran_at": W.now(), "data_hash": data_hash,
                                        "status": status, "n_errors": n_err, "n_warnings": n_warn,
                                        "counts": json.dumps(counts), "code_version": __version__},
                              [{**f, "title": titles.get(f["rule"], f["rule"])} for f in findings])
    page, xlsx = write_quality(out_dir / "quality", findings, counts, status, quarantine, data_hash,
                               titles=titles, personal=personal, county=county)
    return {"status": status, "counts": counts, "findings": findings, "n_errors": n_err, "n_warnings": n_warn,
            "page": str(page), "xlsx": str(xlsx), "run_id": run_id, "titles": titles, "questions": str(questions),
            "n_questions": n_questions}


def personal_values(con, contract: Contract) -> list[str]:
    """Every value of every `personal:` column of the contract, as the warehouse holds them (for redaction)."""
    from pipelines.validate.gx_suites import kind_tables

    out: set[str] = set()
    for kind, tables in kind_tables(con, contract).items():
        for col in contract.kinds[kind].personal:
            for table, cols in tables.items():
                if col in cols:
                    out.update(r[0] for r in con.execute(
                        f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM {table} WHERE "{col}" IS NOT NULL').fetchall())
    return sorted(out)
