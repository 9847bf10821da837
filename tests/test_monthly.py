"""The scheduled monthly run: idempotent, locked, logged, month-over-month history, schedule files valid."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines import history
from pipelines.monthly import EXIT_LOCKED, EXIT_MARKED, EXIT_USAGE, previous_month, run_monthly

ROOT = Path(__file__).resolve().parents[1]


def _tree(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:8]
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture()
def workspace(demo_dir, tmp_path):
    raw = tmp_path / "data_raw"
    shutil.copytree(demo_dir, raw)
    return raw, tmp_path / "data_clean" / "warehouse.duckdb", tmp_path / "reports"


def test_same_period_twice_gives_the_same_files_and_no_duplicates(workspace):
    raw, db, out = workspace
    code1, line1 = run_monthly(raw, db, out, "2020-06")
    first = set(_tree(out))
    code2, line2 = run_monthly(raw, db, out, "2020-06")
    assert code1 == code2 == EXIT_MARKED  # the demo's planted bad rows fail validation, reports are marked
    assert set(_tree(out)) == first
    assert {"2020-06/汇总台账.xlsx", "2020-06/督办清单/汇总.xlsx", "2020-06/月度简报.docx"} <= first
    assert "monthly 2020-06：已生成 6 个报告" in line2 and "校验未通过" in line2 and "督办清单" in line2
    with duckdb.connect(str(history.path_for(db)), read_only=True) as con:  # history lives beside the warehouse
        assert con.execute("SELECT count(*) FROM metric_history WHERE period = '2020-06'").fetchone()[0] == 1
    logs = list((db.parent / "logs").glob("monthly-2020-06-*.log"))
    assert len(logs) == 2 and "校验：未通过" in logs[0].read_text(encoding="utf-8")


def test_two_periods_with_changed_ledgers_show_the_change_from_history(workspace):
    raw, db, out = workspace
    run_monthly(raw, db, out, "2020-05")
    with duckdb.connect(str(history.path_for(db)), read_only=True) as con:
        before = con.execute("SELECT metrics FROM metric_history WHERE period='2020-05'").fetchone()[0]
    # next month the office overwrites the leads ledger: two more leads closed
    path = raw / "问题线索" / "问题线索移交台账.xlsx"
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    open_rows = [r for r in range(3, ws.max_row - 1) if ws.cell(r, 10).value in ("正在办理", "办理中")]
    for r in open_rows[:2]:
        ws.cell(r, 10).value = "已办结"
        ws.cell(r, 11).value = "2020-06-15"
    wb.save(path)
    run_monthly(raw, db, out, "2020-06")
    import json

    prev = json.loads(before)
    with duckdb.connect(str(history.path_for(db)), read_only=True) as con:
        now = json.loads(con.execute("SELECT metrics FROM metric_history WHERE period='2020-06'").fetchone()[0])
        assert con.execute("SELECT count(*) FROM metric_history").fetchone()[0] == 2
    d = now["leads_closed"] - prev["leads_closed"]
    assert d >= 2
    brief = (out / "2020-06" / "monthly_brief.html").read_text(encoding="utf-8")
    assert f"较上月 +{d} 件" in brief and "与 2020年5月 简报记录的数字比较" in brief
    first = (out / "2020-05" / "monthly_brief.html").read_text(encoding="utf-8")
    assert "这是第一期有记录的简报" in first
    from docx import Document

    said = "".join(p.text for p in Document(str(out / "2020-06" / "月度简报.docx")).paragraphs)
    assert f"已办结{now['leads_closed']}个（较上期增加{d}个）" in said  # the narrative's change, from history
    assert f"已办结{now['leads_closed']}个（较上期增加{d}个）" in brief
    assert "较上期" not in "".join(p.text for p in Document(str(out / "2020-05" / "月度简报.docx")).paragraphs)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("2020年06月") < index.index("2020年05月")


def test_concurrent_second_run_is_refused_by_the_lock(workspace):
    raw, db, out = workspace
    db.parent.mkdir(parents=True)
    (db.parent / ".monthly.lock").write_text(f"{os.getpid()} 2020-07-02T06:30:00")
    code, line = run_monthly(raw, db, out, "2020-06")
    assert code == EXIT_LOCKED and "另一个 monthly 任务正在运行" in line
    assert not db.exists() and not out.exists()


def test_stale_lock_from_a_dead_process_is_taken_over(workspace):
    raw, db, out = workspace
    db.parent.mkdir(parents=True)
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (db.parent / ".monthly.lock").write_text(f"{p.pid} 2020-07-02T06:30:00")
    code, _ = run_monthly(raw, db, out, "2020-06")
    assert code == EXIT_MARKED and not (db.parent / ".monthly.lock").exists()


def test_corrupt_file_does_not_stop_the_run_and_is_reported(workspace):
    raw, db, out = workspace
    (raw / "坏文件.xlsx").write_bytes(b"PK\x03\x04broken")
    code, line = run_monthly(raw, db, out, "2020-06")
    assert code == EXIT_MARKED
    assert "坏文件.xlsx" in line and (out / "2020-06" / "monthly_brief.html").exists()


def test_bad_period_is_a_usage_error(workspace):
    raw, db, out = workspace
    assert run_monthly(raw, db, out, "../../x")[0] == EXIT_USAGE
    assert not out.exists()


def test_default_period_is_the_month_that_just_ended():
    import datetime as dt

    assert previous_month(dt.date(2021, 1, 15)) == "2020-12"
    assert previous_month(dt.date(2020, 7, 1)) == "2020-06"


def test_systemd_units_verify(tmp_path):
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze is missing: install the 'systemd' Debian package")
    venv_bin = Path(sys.executable).parent
    for name in ("xuncha-monthly.service", "xuncha-monthly.timer"):
        text = (ROOT / "deploy" / name).read_text(encoding="utf-8")
        text = text.replace("/opt/xuncha/.venv/bin/xuncha", str(venv_bin / "xuncha")).replace("/opt/xuncha", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    p = subprocess.run([exe, "verify", str(tmp_path / "xuncha-monthly.timer"), str(tmp_path / "xuncha-monthly.service")],
                       capture_output=True, text=True)
    problems = [l for l in (p.stdout + p.stderr).splitlines()
                if "xuncha" in l and not re.search(r"Documentation|man:|file:///", l)]
    assert p.returncode == 0 and problems == [], p.stdout + p.stderr
    timer = (ROOT / "deploy" / "xuncha-monthly.timer").read_text(encoding="utf-8")
    assert "Persistent=true" in timer
    cron = (ROOT / "deploy" / "crontab").read_text(encoding="utf-8")
    assert re.search(r"^30 6 2 \* \* .*xuncha monthly", cron, re.M)
