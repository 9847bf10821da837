"""Hostile inputs, faults and leaks: nothing is lost, nothing leaks, every failure is explained."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipelines.contract import _norm_header_full, norm_header
from pipelines.ingest import values as V
from pipelines.ingest.build import ingest
from pipelines.ingest.resolve import RoundInfo, RoundResolver, UnitInfo, UnitResolver, norm_unit
from pipelines.report.render import ReportError, render_set
from pipelines.validate.run import validate
from tests import rawxlsx
from tests.conftest import DEMO_AS_OF, write_xlsx

D = dt.date


def q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


# ---------------------------------------------------------------- hostile files

def test_formula_cells_error_values_hidden_sheets_long_cells_emoji_control_chars(registers, tmp_path):
    long_text = "违规" * 20000
    rawxlsx.write(registers / "公式 与 错误值（第一轮）.xlsx", [
        ["轮次", "单位", "问题描述", "整改情况", "完成时间", "清单编号"],
        ["第一轮", ("f", 'CONCATENATE("清泉","镇")', "清泉镇"), "公式单元格", ("f", 'IF(1,"已完成","")', "已完成"),
         ("f", "DATE(2019,7,1)", 43647), ("f", "1+2", 3)],
        ["第一轮", "位奇镇", "错误值 #N/A 的单元格", "整改中", ("e", "#N/A"), ("e", "#REF!")],
        ["第一轮", "位奇镇", long_text, "整改中", None, None],
        ["第一轮", "位奇镇", "表情😀与控制字符\x07\x1b结束", "整改中", None, None],
    ], sheet="台账")
    write_xlsx(registers / "隐藏.xlsx", {"可见": [["会议时间", "会议名称"], ["2019-03-01", "书记专题会议"]],
                                       "隐藏": [["会议时间", "会议名称"], ["2019-04-01", "领导小组会议"]]},
               hidden=("隐藏",))
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["files_failed"] == []
    rows = q(db, "SELECT unit_name, status, rectified_date, checklist_item, length(description) FROM stg_problems "
                 "ORDER BY src_row")
    assert rows[0] == ("清泉镇", "rectified", D(2019, 7, 1), 3, 5)  # cached formula values are used
    assert rows[1][2] is None and rows[1][3] is None  # error values hold no value
    assert rows[2][4] == len(long_text)
    desc = q(db, "SELECT description FROM stg_problems WHERE description LIKE '表情%'")[0][0]
    assert "😀" in desc
    assert q(db, "SELECT sheet, hidden FROM sheets WHERE file = '隐藏.xlsx' ORDER BY sheet") == [
        ("可见", False), ("隐藏", True)]
    assert s["loaded_by_kind"]["meetings"] == 2


def test_a_million_row_sheet_is_refused_with_bounded_memory(registers, tmp_path):
    big = registers / "超大.xlsx"
    rawxlsx.write(big, ([["会议时间", "会议名称", "议题"]] if i == 0 else ["2019-03-01", "书记专题会议", f"第{i}次"]
                        for i in range(1_000_001)))
    write_xlsx(registers / "正常.xlsx", {"S": [["会议时间", "会议名称"], ["2019-03-01", "书记专题会议"]]})
    db = tmp_path / "wh.duckdb"
    code = ("import json,resource,sys; from pipelines.ingest.build import ingest; "
            f"s=ingest({str(registers)!r}, {str(db)!r}); "
            "print(json.dumps({'failed': s['files_failed'], 'meetings': s['loaded_by_kind'].get('meetings'), "
            "'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert [f["file"] for f in out["failed"]] == ["超大.xlsx"] and "拆分" in out["failed"][0]["error"]
    assert out["meetings"] == 1
    assert out["rss_mb"] < 1500, out


def test_file_name_with_spaces_and_chinese_and_quotes(registers, tmp_path):
    name = "第一轮 巡察 'O''Brien' 台账 (最终版).xlsx"
    write_xlsx(registers / "子 目录" / name, {"S": [["轮次", "单位", "问题描述", "整改情况"],
                                                  ["第一轮", "清泉镇", "甲", "已完成"]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["loaded_by_kind"]["problems"] == 1
    assert q(db, "SELECT src_file FROM stg_problems") == [(f"子 目录/{name}",)]


# ---------------------------------------------------------------- property tests

@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.dates(), st.datetimes()))
def test_normalisers_never_raise(v):
    V.parse_date(v)
    V.parse_deadline(v)
    V.parse_count(v)
    V.parse_number(v)
    V.parse_period(v)
    V.cell_text(v)
    norm_header(v)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(1900, 3, 1), max_value=D(2100, 12, 31)),
       st.sampled_from(["{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}/{m:02d}/{d:02d}", "{y}-{m}-{d}", "{y}{m:02d}{d:02d}"]))
def test_dates_round_trip_through_every_written_form(d, fmt):
    assert V.parse_date(fmt.format(y=d.year, m=d.month, d=d.day)) == (d, None)
    serial = float((d - D(1899, 12, 30)).days)
    if d >= D(1950, 1, 1):  # an Excel date; a smaller number is a year (2021), a year.month (2021.09) or a slip
        assert V.parse_date(serial) == (d, None)
    else:
        assert V.parse_date(serial)[0] != d


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "人", "件", "个", " 人"]))
def test_counts_round_trip(n, unit):
    assert V.parse_count(f"{n}{unit}") == (n, None)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_header_normalisation_is_idempotent(s):
    assert norm_header(norm_header(s)) == norm_header(s)


_HEADERISH = st.text(alphabet=st.sampled_from(list("问题整改（）()【】[]{}<>《》 \n\t:：;；,，、。.!！?？*＊#＃\"'“”‘’`·•"
                                                   "ＡＢ１２３ａ①㈠﹙﹚\u3000一x1")) | st.characters(), max_size=12)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(_HEADERISH, st.text()))
def test_header_normalisation_fast_path_equals_the_full_normalisation(s):
    assert norm_header(s) == _norm_header_full(s)


_UNITS = UnitResolver([UnitInfo("山丹县财政局", "department", None, True, ["县财政局"]),
                       UnitInfo("清泉镇", "township", None, True, [])], "山丹县")
_ROUNDS = RoundResolver([RoundInfo("十四届县委第一轮巡察", "regular", "county", None, 2019)])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_name_resolution_never_raises(s):
    _UNITS.resolve(s)
    _UNITS.find_in_text(s, [s])
    _ROUNDS.resolve(s)
    _ROUNDS.find_in_text(s, [s])
    norm_unit(s, "山丹县")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["", "中共", "山丹县", "县"]), st.sampled_from(["", "党组", "党委"]))
def test_unit_name_variants_resolve_to_the_register_name(prefix, suffix):
    assert _UNITS.resolve(f"{prefix}财政局{suffix}").value == "山丹县财政局"


_DISTRICT = UnitResolver([UnitInfo("甘州区财政局", "department", None, True, []),
                          UnitInfo("梁家墩镇", "township", None, True, [])], "甘州区")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["", "中共", "甘州区", "区"]), st.sampled_from(["", "党组", "党委"]))
def test_unit_name_variants_in_a_district(prefix, suffix):
    assert _DISTRICT.resolve(f"{prefix}财政局{suffix}").value == "甘州区财政局"


# ---------------------------------------------------------------- faults

def _snapshot(db: Path) -> list:
    return q(db, "SELECT * FROM stg_problems ORDER BY ALL") + q(db, "SELECT * FROM files ORDER BY ALL")


def test_sigkill_at_random_moments_never_damages_the_warehouse(demo_copy, tmp_path):
    db = tmp_path / "wh.duckdb"
    cmd = [sys.executable, "-m", "pipelines.cli", "ingest", "--raw", str(demo_copy), "--db", str(db), "--json"]
    subprocess.run(cmd, capture_output=True, check=False)
    before = _snapshot(db)
    (demo_copy / "新增.csv").write_text("会议时间,会议名称\n2020-06-01,书记专题会议\n", encoding="utf-8")
    rng = random.Random(20200630)
    seen = []
    for _ in range(5):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        seen.append(_snapshot(db))  # readable after every kill
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert json.loads(done.stdout)["loaded_by_kind"]["meetings"] == 17
    after = _snapshot(db)
    # after each kill the warehouse is exactly the previous one, or (killed after the swap) the complete new one
    assert all(s in (before, after) for s in seen)
    assert list(db.parent.glob(".*.building*")) == []  # leftovers of killed runs are removed by the next run


def test_report_while_an_analyst_holds_a_read_only_connection(demo_db, tmp_path):
    analyst = duckdb.connect(str(demo_db), read_only=True)
    try:
        assert analyst.execute("SELECT count(*) FROM stg_problems").fetchone()[0] == 1000
        res = render_set(demo_db, tmp_path / "reports", as_of=DEMO_AS_OF, notebooks=["coverage"])
        assert Path(res["files"][0]).exists()
        assert analyst.execute("SELECT count(*) FROM stg_problems").fetchone()[0] == 1000
    finally:
        analyst.close()


def test_unwritable_output_folder_gives_a_clear_error(demo_db, tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("这是一个文件，不是文件夹")
    with pytest.raises(ReportError, match="不可写|无法"):
        render_set(demo_db, blocker, as_of=DEMO_AS_OF, notebooks=["coverage"])
    from typer.testing import CliRunner

    from pipelines.cli import app

    res = CliRunner().invoke(app, ["report", "--db", str(demo_db), "--out", str(blocker), "--period", "2020-06"])
    assert res.exit_code == 1 and "错误" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["ingest", "--raw", str(tmp_path), "--db", str(blocker / "wh.duckdb")])
    assert res.exit_code == 2 and "错误" in res.output


# ---------------------------------------------------------------- leaks and injection

def test_exports_neutralise_formulas(registers, tmp_path):
    evil = "=HYPERLINK(\"http://evil\",\"x\")"
    rawxlsx.write(registers / "evil.xlsx", [["轮次", "单位", "问题描述", "整改情况", "完成时间"],
                                            ["第一轮", "清泉镇", "甲", "已完成", evil],  # a text cell, not a formula
                                            ["第一轮", "清泉镇", "乙", "已完成", "@SUM(1)"]], sheet="S")
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    res = validate(db, tmp_path / "out")
    wb = load_workbook(res["xlsx"])
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert risky and all(c.data_type == "s" for c in risky)
    assert any(evil in c.value for c in cells)
    csv_text = (Path(res["xlsx"]).with_name("findings.csv")).read_text(encoding="utf-8-sig")
    for line in csv_text.splitlines()[1:]:
        for field in line.split(","):
            assert not field.strip('"').startswith(("=", "+", "-", "@")), line


def test_user_values_are_bound_parameters(demo_db, tmp_path):
    from pipelines.report.render import BadFilter

    with pytest.raises(BadFilter, match="没有对上任何已登记的轮次"):  # nothing matches the hostile filter ...
        render_set(demo_db, tmp_path / "r", as_of=DEMO_AS_OF, notebooks=["rectification"],
                   round_filter="x' OR 1=1; DROP TABLE stg_problems; --", record_history=False)
    with pytest.raises(BadFilter, match="不是已知的类别"):
        render_set(demo_db, tmp_path / "r", as_of=DEMO_AS_OF, notebooks=["rectification"],
                   unit_type_filter='"; --', record_history=False)
    assert q(demo_db, "SELECT count(*) FROM stg_problems") == [(1000,)]  # ... and nothing broke
    assert not (tmp_path / "r").exists()


@pytest.fixture()
def tiny_disk(tmp_path):
    """A real 1 MiB filesystem (tmpfs, mounted as root like CI), to fill up."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    assert p.returncode == 0, f"cannot mount a tmpfs for the disk-full test: {p.stderr}"
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_disk_full_gives_a_clear_error_and_keeps_what_was_there(demo_dir, demo_db, tiny_disk):
    from typer.testing import CliRunner

    from pipelines.cli import app

    res = CliRunner().invoke(app, ["ingest", "--raw", str(demo_dir), "--db", str(tiny_disk / "wh.duckdb")])
    assert res.exit_code == 1 and "磁盘" in res.output and "Traceback" not in res.output
    assert [p.name for p in tiny_disk.iterdir() if p.name != ".cache"] == []  # no half-written warehouse
    res = CliRunner().invoke(app, ["report", "--db", str(demo_db), "--out", str(tiny_disk), "--period", "2020-06"])
    assert res.exit_code == 1 and "磁盘" in res.output and "Traceback" not in res.output
    assert not any(p.suffix == ".html" for p in (tiny_disk / "2020-06").iterdir())
