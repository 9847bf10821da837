"""The warehouse is a pure function of its inputs: only ingest writes it; run history, validation results
and the metric history live in the history store beside it, survive rebuilds, and an older warehouse's
history tables are carried over once."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import history
from pipelines.ingest.build import ingest
from pipelines.metrics import metrics
from pipelines.report.render import render_set
from pipelines.validate.run import validate
from tests.conftest import DEMO_AS_OF

ANALYST = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM stg_problems").fetchone()[0], flush=True)
sys.stdin.readline()  # hold the connection open until the test says so
print(con.execute("SELECT count(*) FROM stg_problems").fetchone()[0], flush=True)
"""


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@contextlib.contextmanager
def read_only_on_disk(path: Path):
    """The file itself read-only: a read-only bind mount of it when running as root (chmod does not stop
    root), otherwise its permission bits."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        p = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True, text=True)
        assert p.returncode == 0, f"cannot bind-mount {path}: {p.stderr}"
        try:
            p = subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            with pytest.raises(OSError):
                open(path, "r+b").close()  # really read-only, even for root
            yield
        finally:
            subprocess.run(["umount", str(path)], check=False)
    else:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def test_validate_metrics_and_report_never_write_the_warehouse(demo_db, tmp_path):
    db = tmp_path / "data_clean" / "warehouse.duckdb"
    db.parent.mkdir()
    shutil.copyfile(demo_db, db)
    before = sha(db)
    analysts = [subprocess.Popen([sys.executable, "-c", ANALYST, str(db)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        assert [a.stdout.readline().strip() for a in analysts] == ["1000", "1000"]  # both hold it open
        with read_only_on_disk(db):
            result = validate(db, tmp_path / "reports")
            m = metrics(db, DEMO_AS_OF)
            res = render_set(db, tmp_path / "reports", as_of=DEMO_AS_OF)
        out = [a.communicate("\n", timeout=60)[0].split() for a in analysts]
    finally:
        for a in analysts:
            if a.poll() is None:
                a.kill()
    assert out == [["1000"], ["1000"]] and all(a.returncode == 0 for a in analysts)
    assert sha(db) == before
    assert len(res["files"]) == 6 and result["status"] == "fail" and m["problems_total"] > 0
    store = history.path_for(db)
    assert store == db.parent / "history.duckdb"
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT status FROM validation_runs").fetchall() == [("fail",)]
        assert con.execute("SELECT count(*) FROM validation_findings").fetchone()[0] == len(result["findings"])
        assert con.execute("SELECT period FROM metric_history").fetchall() == [("2020-06",)]
    # the pages found that validation run (the banner), through the store
    brief = Path(res["files"][0]).read_text(encoding="utf-8")
    assert "未通过校验" in brief and "尚未运行校验" not in brief
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables & set(history.DDL)


def test_history_survives_rebuilds_and_an_old_warehouse_history_is_carried_over_once(demo_copy, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    ingest(demo_copy, db)
    # an older version kept its history inside the warehouse: put such tables there, and no store
    history.path_for(db).unlink()
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE metric_history (period VARCHAR, as_of DATE, recorded_at TIMESTAMP, "
                    "data_hash VARCHAR, validation_status VARCHAR, metrics VARCHAR)")
        con.execute("INSERT INTO metric_history VALUES ('2020-04', DATE '2020-04-30', now(), 'x', 'pass', ?)",
                    [json.dumps({"leads_closed": 3})])
        con.execute("CREATE TABLE validation_runs (run_id VARCHAR, ran_at TIMESTAMP, data_hash VARCHAR, "
                    "status VARCHAR, n_errors INTEGER, n_warnings INTEGER, counts VARCHAR)")  # one column fewer
        con.execute("INSERT INTO validation_runs VALUES ('old', now(), 'x', 'warn', 0, 2, '{}')")
    (demo_copy / "新增会议.csv").write_text("会议时间,会议名称\n2020-06-01,书记专题会议\n", encoding="utf-8")
    ingest(demo_copy, db)  # a rebuild: the new warehouse replaces the old one
    store = history.path_for(db)
    q = lambda sql: duckdb.connect(str(store), read_only=True).execute(sql).fetchall()  # noqa: E731
    assert q("SELECT period FROM metric_history") == [("2020-04",)]
    assert q("SELECT run_id, status, code_version FROM validation_runs") == [("old", "warn", None)]
    assert q("SELECT count(*) FROM ingest_runs") == [(1,)]  # the new run (the old warehouse had none)
    assert history.previous(db, "2020-06") == ("2020-04", {"leads_closed": 3})
    (demo_copy / "新增会议.csv").write_text("会议时间,会议名称\n2020-06-02,书记专题会议\n", encoding="utf-8")
    ingest(demo_copy, db)  # another rebuild: nothing carried over twice, the history kept
    assert q("SELECT count(*) FROM metric_history") == [(1,)]
    assert q("SELECT count(*) FROM validation_runs") == [(1,)]
    assert q("SELECT count(*) FROM ingest_runs") == [(2,)]
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables & set(history.DDL)


def test_two_warehouses_in_one_folder_keep_separate_histories(tmp_path):
    assert history.path_for(tmp_path / "warehouse.duckdb") == tmp_path / "history.duckdb"
    assert history.path_for(tmp_path / "wh2.duckdb") == tmp_path / "wh2.history.duckdb"


def test_a_repeated_read_sees_every_write_in_between(tmp_path):
    """Reads of the store are reused while it is unchanged (report pages ask the same questions hundreds of
    times); each write in between must be seen by the next read, from this process or another one."""
    import datetime as dt

    db = tmp_path / "warehouse.duckdb"
    sql = "SELECT period, metrics FROM metric_history WHERE coalesce(county, '') = ? ORDER BY period"
    assert history.read(db, sql, [""]) == []
    history.record(db, "2020-05", dt.date(2020, 5, 31), {"problems_total": 1}, "pass")
    first = history.read(db, sql, [""])
    assert [r[0] for r in first] == ["2020-05"]
    assert history.read(db, sql, [""]) == first  # unchanged store: the same rows again
    history.record(db, "2020-06", dt.date(2020, 6, 30), {"problems_total": 2}, "pass")
    assert [r[0] for r in history.read(db, sql, [""])] == ["2020-05", "2020-06"]
    code = (f"import datetime as dt; from pipelines import history; history.record({str(db)!r}, '2020-07', "
            f"dt.date(2020, 7, 31), {{'problems_total': 3}}, 'warn')")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert [r[0] for r in history.read(db, sql, [""])] == ["2020-05", "2020-06", "2020-07"]
    rows = history.read(db, sql, [""])
    rows.append("changed by the caller")
    assert len(history.read(db, sql, [""])) == 3  # callers get their own list
