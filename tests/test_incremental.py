"""When only one county's files change, only that county's rows are rebuilt (pipelines/ingest/incremental.py),
and the warehouse is the one a full rebuild writes: every table, row by row, and the summary.

Real files: a generated region of three counties (colliding short names), edited with openpyxl as an office
would (a corrected cell, a deleted row, a new ledger, a removed one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.demo.generate import generate
from pipelines.ingest.build import ingest
from tests.conftest import write_xlsx

COUNTY = "民乐县"  # the second county of the generated region


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("inc") / "raw"
    exp = generate(raw, counties=3, problems_per_county=120, plain_names=True)
    assert exp["counties"][1] == COUNTY
    return raw


@pytest.fixture()
def region(base, tmp_path) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    shutil.copytree(base, raw)
    db = tmp_path / "wh" / "warehouse.duckdb"
    ingest(raw, db)
    return raw, db


def _rows(db: Path) -> dict[str, list]:
    """Every table but the build's own record, as a sorted list of rows (a rebuild may order rows differently)."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> "
                                           "'warehouse_meta' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in names}


def _runs(db: Path) -> list[tuple]:
    from pipelines.history import path_for

    with duckdb.connect(str(path_for(db)), read_only=True) as con:
        return con.execute("SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at").fetchall()


def _edit_county(raw: Path) -> None:
    """A corrected lead summary, a deleted row, a new ledger and a removed one, all in one county's folder."""
    leads = next((raw / COUNTY).rglob("问题线索移交台账.xlsx"))
    wb = openpyxl.load_workbook(leads)
    ws = wb.worksheets[0]
    ws.cell(row=4, column=6).value = "违规操办婚丧喜庆事宜"
    ws.delete_rows(7)
    wb.save(leads)
    (next((raw / COUNTY).rglob("会议台账.csv"))).unlink()
    write_xlsx(raw / COUNTY / "补报" / "补报问题整改台账.xlsx", {"Sheet1": [
        [f"中共{COUNTY}委巡察反馈问题整改台账（补报）"],
        ["序号", "巡察轮次", "被巡察单位", "反馈问题", "问题类别", "整改时限", "整改情况"],
        [1, "十四届县委第一轮巡察", "县财政局", "补报：专项资金拨付不及时", "四个紧盯", "2019-12-31", "已整改"],
    ]})
    # a unit added to the register: the intermediate tables the marts read are made from the registers
    write_xlsx(raw / COUNTY / "补报" / "补报党组织名册.xlsx", {"党组织名册": [
        [f"{COUNTY}党组织名册（补报）"],
        ["序号", "单位名称", "单位类别", "简称", "是否纳入巡察范围"],
        [1, "县数据管理局", "县直部门", None, "是"],
    ]})


def _full(raw: Path, tmp_path: Path) -> tuple[Path, dict]:
    db = tmp_path / "full" / "warehouse.duckdb"
    return db, ingest(raw, db)


def test_one_county_changed_rebuilds_only_it_and_equals_a_full_rebuild(region, tmp_path):
    raw, db = region
    before = _rows(db)
    _edit_county(raw)
    summary = ingest(raw, db)
    parsed, cached = _runs(db)[-1]
    n_county = sum(1 for p in (raw / COUNTY).rglob("*") if p.is_file())
    assert parsed == 3 and parsed + cached <= n_county  # only that county's files were looked at
    full_db, full_summary = _full(raw, tmp_path)
    assert summary == full_summary
    inc, full = _rows(db), _rows(full_db)
    assert inc.keys() == full.keys()
    for t in full:
        assert inc[t] == full[t], t
    assert inc["stg_leads"] != before["stg_leads"]  # the change is there …
    assert inc["int_units"] != before["int_units"] and any("县数据管理局" in r for r in inc["int_units"])
    with duckdb.connect(str(db), read_only=True) as con:  # … in that county only
        assert con.execute("SELECT count(*) FROM stg_problems WHERE description LIKE '补报：%'").fetchone()[0] == 1
        assert con.execute("SELECT DISTINCT county FROM stg_problems WHERE description LIKE '补报：%'").fetchall() == [
            (COUNTY,)]
        assert summary["counties"][COUNTY]["files"] == con.execute(
            "SELECT count(DISTINCT file) FROM raw_rows WHERE county = ?", [COUNTY]).fetchone()[0]
    assert ingest(raw, db) == summary and _runs(db)[-1] == (parsed, cached)  # unchanged now: nothing rebuilt


def test_a_ledger_changed_rewrites_only_the_tables_it_changes(region, tmp_path, monkeypatch):
    """A meeting added to one county's meetings ledger changes that ledger's staging rows and the file's own
    records; the county's problems, leads and registers are read back, found equal and left as they are.
    The result is still the warehouse a full rebuild writes."""
    from pipelines.ingest import incremental as INC

    raw, db = region
    before = _rows(db)
    rewritten: list[list[str]] = []
    apply = INC.apply
    monkeypatch.setattr(INC, "apply", lambda *a: rewritten.append(apply(*a)) or rewritten[-1])
    meetings = next((raw / COUNTY).rglob("会议台账.csv"))
    meetings.write_bytes(meetings.read_bytes() + "2020年6月2日,书记专题会议,补记一次会议\r\n".encode("gbk"))
    summary = ingest(raw, db)
    assert rewritten and sorted(rewritten[-1]) == ["files", "raw_rows", "sheets", "stg_meetings"]
    full_db, full_summary = _full(raw, tmp_path)
    assert summary == full_summary
    inc, full = _rows(db), _rows(full_db)
    for t in full:
        assert inc[t] == full[t], t
    assert len(inc["stg_meetings"]) == len(before["stg_meetings"]) + 1
    assert inc["stg_problems"] == before["stg_problems"] and inc["int_units"] == before["int_units"]

    # a unit added to the register changes the intermediate tables, which are then made again
    write_xlsx(raw / COUNTY / "补报" / "补报党组织名册.xlsx", {"党组织名册": [
        [f"{COUNTY}党组织名册（补报）"],
        ["序号", "单位名称", "单位类别", "简称", "是否纳入巡察范围"],
        [1, "县数据管理局", "县直部门", None, "是"],
    ]})
    summary = ingest(raw, db)
    assert "stg_units" in rewritten[-1] and "stg_problems" not in rewritten[-1]
    full_db2, full_summary2 = _full(raw, tmp_path / "again")
    assert summary == full_summary2 and _rows(db) == _rows(full_db2)
    assert any("县数据管理局" in r for r in _rows(db)["int_units"])


@pytest.mark.parametrize("where", ["outside", "two_counties"])
def test_a_change_no_single_county_holds_rebuilds_everything(region, tmp_path, where):
    raw, db = region
    total = sum(_runs(db)[-1])  # the first build read every file
    if where == "outside":  # a city office's own list at the top: it could name units of any county
        write_xlsx(raw / "市委巡察被巡察单位名单.xlsx", {"Sheet1": [
            ["序号", "巡察轮次", "被巡察单位"], [1, "市委第一轮巡察", "县财政局"]]})
    else:
        _edit_county(raw)
        (next((raw / "山丹县").rglob("会议台账.csv"))).unlink()
    summary = ingest(raw, db)
    parsed, cached = _runs(db)[-1]
    assert parsed + cached >= total - 2  # every county's files were resolved again (two were removed)
    full_db, full_summary = _full(raw, tmp_path)
    assert summary == full_summary and _rows(db) == _rows(full_db)


def test_a_kill_during_the_county_rebuild_leaves_the_old_warehouse(region):
    raw, db = region
    before = _rows(db)
    _edit_county(raw)
    env = {**os.environ, "XUNCHA_TEST_CRASH_AFTER": "raw_rows", "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--raw", str(raw), "--db", str(db)],
                          env=env, cwd=db.parent, capture_output=True, timeout=600)
    assert proc.returncode != 0
    assert _rows(db) == before  # killed while writing the copy: the warehouse is the old one
    ingest(raw, db)  # the next run finishes the job (a half-written copy left behind is not used)
    assert _rows(db) != before
    assert sum(_runs(db)[-1]) <= sum(1 for p in (raw / COUNTY).rglob("*") if p.is_file())  # that county only
    assert not list(db.parent.glob(".warehouse.duckdb.*.building*"))


def test_only_the_intermediate_files_make_tables():
    """A one-county rebuild re-runs only 00_*.sql (refresh_intermediate) and keeps the views: that is right only
    while the tables computed from staging are all in those files and the other files make views and macros."""
    import re

    from pipelines.warehouse.db import MARTS_DIR

    table = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?TABLE\b", re.I)
    view = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:VIEW|MACRO)\b", re.I)
    files = sorted(MARTS_DIR.glob("*.sql"))
    intermediate = [p for p in files if p.name.startswith("00_")]
    assert intermediate, "no intermediate SQL file"
    for p in files:
        text = p.read_text(encoding="utf-8")
        if p.name.startswith("00_"):
            assert table.search(text) and not view.search(text), p.name
        else:
            assert not table.search(text), f"{p.name} makes a table: a one-county rebuild would leave it stale"


def test_an_attached_file_is_closed_and_unlocked_when_its_block_ends(tmp_path):
    """A one-county rebuild attaches its DuckDB files to the process's one instance (warehouse.db.attached): while
    a block holds one, another program cannot open it read-write; when the block ends (also by an error in an open
    transaction, which is rolled back) the file is written out and free, and can be attached again."""
    from pipelines.warehouse.db import attached, is_lock_error

    path = tmp_path / "x.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (n INTEGER)")
    con.close()
    other = ("import duckdb, sys\ntry:\n    c = duckdb.connect(sys.argv[1])\nexcept duckdb.Error as e:\n"
             "    print('LOCKED' if 'lock' in str(e).lower() else 'ERROR ' + str(e))\nelse:\n"
             "    print(c.execute('SELECT count(*), coalesce(sum(n), 0) FROM t').fetchone())\n")

    def from_another_process() -> str:
        return subprocess.run([sys.executable, "-c", other, str(path)], capture_output=True, text=True,
                              check=True).stdout.strip()

    with attached(path) as con:
        con.execute("INSERT INTO t VALUES (1)")
        assert from_another_process() == "LOCKED"
    assert from_another_process() == "(1, 1)"
    with pytest.raises(RuntimeError), attached(path) as con:
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES (5)")
        raise RuntimeError("the rebuild failed half way")
    assert from_another_process() == "(1, 1)"  # the failed block's row is not kept
    with attached(path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
    blocker = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\nc = duckdb.connect(sys.argv[1])\n"
                                "print('open', flush=True)\ntime.sleep(30)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert blocker.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.Error) as exc, attached(path, read_only=True):
            pass
        assert is_lock_error(exc.value)
    finally:
        blocker.kill()
        blocker.wait()


def _count_in_child(path: str, q) -> None:
    from pipelines.warehouse.db import attached

    with attached(Path(path), read_only=True) as con:
        q.put(con.execute("SELECT count(*) FROM t").fetchone()[0])


def test_a_forked_child_attaches_files_of_its_own(tmp_path):
    """The shared instance's threads do not survive a fork: a child forked after the parent attached a file, or
    while it holds one, makes an instance of its own and neither hangs nor crashes; an ingest gives its instance
    back when asked (release_host: before a fork)."""
    import multiprocessing

    from pipelines.warehouse import db as W

    path = tmp_path / "x.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM range(3)")
    con.close()
    ctx = multiprocessing.get_context("fork")
    for hold in (False, True):
        with W.attached(path, read_only=True) as held:
            assert held.execute("SELECT count(*) FROM t").fetchone() == (3,)
            if hold:  # forked while the parent holds the file
                q = ctx.Queue()
                child = ctx.Process(target=_count_in_child, args=(str(path), q))
                child.start()
                child.join(60)
        if not hold:  # forked after a block, the instance still kept
            q = ctx.Queue()
            child = ctx.Process(target=_count_in_child, args=(str(path), q))
            child.start()
            child.join(60)
        if child.is_alive():
            child.kill()
            pytest.fail("a forked child hung on the DuckDB instance it inherited")
        assert child.exitcode == 0 and q.get(timeout=5) == 3
    W.release_host()
    assert W._HOST is None
