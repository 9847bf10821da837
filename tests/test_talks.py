"""The interview ledger (约谈台账), added through the contract, one mart, two report sections and the demo:
it ingests from the demo, appears in the brief and the rectification report, and its names stay out."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines.report.render import render_set
from tests.conftest import DEMO_AS_OF

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_interview_ledger_is_messy_and_ingests_completely(demo_dir, demo_ingest, expected):
    db, summary = demo_ingest
    rel = next(f for f in expected["files"] if "约谈" in f)
    ws = load_workbook(demo_dir / rel).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(isinstance(v, str) and re.match(r"^[一二三]、\d{4}年", v) for v in values)  # sub-heading rows
    assert "约谈\n时间" in values and "被约谈人（签字）" in values  # header variants
    assert any(isinstance(v, str) and v.startswith("填表人") for v in values)  # footer
    assert any(r.max_row > r.min_row for r in ws.merged_cells.ranges)  # merged round cells
    assert any(isinstance(c.value, str) and "年" in c.value for c in ws["B"][3:])  # dates written as text as well
    assert summary["loaded_by_kind"]["talks"] == expected["rows_by_kind"]["talks"] >= 30
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stg_talks WHERE talk_date IS NULL OR unit_name IS NULL "
                           "OR follow_up IS NULL OR reason IS NULL OR talk_round IS NULL").fetchone()[0] == 0
        # every unit resolved to its register name, every round filled down from the merged cells
        assert con.execute("SELECT count(*) FROM stg_talks WHERE unit_name NOT IN (SELECT unit_name FROM int_units) "
                           "OR round_name NOT IN (SELECT round_name FROM int_rounds)").fetchone()[0] == 0


def test_talks_appear_in_the_brief_and_the_rectification_report_without_names(demo_db, expected, tmp_path):
    res = render_set(demo_db, tmp_path, as_of=DEMO_AS_OF, notebooks=["monthly_brief", "rectification"],
                     record_history=False)
    brief, rect = (Path(p).read_text(encoding="utf-8") for p in res["files"])
    with duckdb.connect(str(demo_db), read_only=True) as con:
        n, units, pending = con.execute(
            "SELECT count(*), count(DISTINCT unit_name), count(*) FILTER (WHERE latest AND not_settled) "
            "FROM mart_talks(?)", [DEMO_AS_OF]).fetchone()
        pending_units = [r[0] for r in con.execute(
            "SELECT unit_name FROM mart_talks(?) WHERE latest AND not_settled", [DEMO_AS_OF]).fetchall()]
    assert pending and pending_units
    for html in (brief, rect):
        assert "约谈督促整改" in html and f"{n} 人次" in html and f"涉及 {units} 个单位" in html
    assert f"{pending} 个单位" in brief and all(u in brief for u in pending_units)
    assert "整改进度滞后" in rect and "仍未整改到位" in rect  # reasons and follow-ups by their Chinese names
    leaked = sorted({p for p in expected["personal_names"] for html in (brief, rect) if p in html})
    assert leaked == []


def test_the_new_kind_is_named_in_at_most_six_files_outside_tests():
    # docs/ is generated from the contract (scripts/build_docs.py), not a place the kind was added by hand
    files = subprocess.run(["git", "grep", "-l", "talks", "--", ".", ":!tests", ":!docs"], cwd=ROOT,
                           capture_output=True, text=True).stdout.split()
    assert 0 < len(files) <= 6, files
