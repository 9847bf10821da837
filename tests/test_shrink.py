"""A shrinking input never silently replaces the warehouse: an empty or unmounted raw folder, or far fewer
files or rows than last time, is refused (exit 3) with the warehouse and reports as they were."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()


def _hash(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_an_empty_folder_keeps_the_warehouse(demo_copy, tmp_path):
    db = tmp_path / "wh.duckdb"
    assert runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db)]).exit_code == 0
    before = _hash(db)
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["ingest", "--raw", str(empty), "--db", str(db)])
    assert res.exit_code == 3, res.output
    assert "没有任何台账文件" in res.output and "--allow-shrink" in res.output
    assert _hash(db) == before
    # a folder of notes only (no spreadsheet) is just as empty
    (empty / "说明.md").write_text("说明", encoding="utf-8")
    assert runner.invoke(app, ["ingest", "--raw", str(empty), "--db", str(db)]).exit_code == 3
    assert _hash(db) == before


def test_far_fewer_files_are_refused_unless_allowed(demo_copy, tmp_path):
    db = tmp_path / "wh.duckdb"
    assert runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db)]).exit_code == 0
    before = _hash(db)
    files = sorted(p for p in demo_copy.rglob("*.xlsx") if "基础台账" not in p.parts)
    for p in files[: len(files) * 3 // 4]:
        p.unlink()
    res = runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db), "--json"])
    assert res.exit_code == 3 and "上次入库时有" in res.output
    assert _hash(db) == before
    res = runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db), "--allow-shrink", "--json"])
    assert res.exit_code == 0, res.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM files").fetchone()[0] < 20


def test_a_ledger_emptied_of_its_rows_is_refused(demo_copy, tmp_path):
    from tests.conftest import write_xlsx

    db = tmp_path / "wh.duckdb"
    assert runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db)]).exit_code == 0
    before = _hash(db)
    # every ledger replaced by its blank template: same files, (almost) no rows
    for p in demo_copy.rglob("*.xlsx"):
        write_xlsx(p, {"Sheet1": [["序号", "被巡察单位", "问题描述", "整改情况"]]})
    for p in demo_copy.rglob("*.csv"):
        p.write_text("序号,被巡察单位,问题描述,整改情况\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db)])
    assert res.exit_code == 3 and "只读到" in res.output
    assert _hash(db) == before


def test_monthly_on_an_unmounted_folder_says_so_in_one_line(demo_copy, tmp_path):
    db, out = tmp_path / "wh.duckdb", tmp_path / "reports"
    assert runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db)]).exit_code == 0
    before = _hash(db)
    shutil.rmtree(demo_copy)
    demo_copy.mkdir()
    res = runner.invoke(app, ["monthly", "--raw", str(demo_copy), "--db", str(db), "--out", str(out),
                              "--period", "2020-06"])
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output and "Error" not in res.output
    assert "没有任何台账文件" in res.output.strip().splitlines()[-1]
    assert _hash(db) == before and not (out / "quality").exists() and not (out / "2020-06").exists()


def test_monthly_on_an_empty_warehouse_accepted_deliberately_renders_without_a_traceback(tmp_path):
    raw, db, out = tmp_path / "raw", tmp_path / "wh.duckdb", tmp_path / "reports"
    raw.mkdir()
    res = runner.invoke(app, ["monthly", "--raw", str(raw), "--db", str(db), "--out", str(out), "--period", "2020-06",
                              "--allow-shrink"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "TypeError" not in res.output
    assert (out / "2020-06" / "monthly_brief.html").exists()
