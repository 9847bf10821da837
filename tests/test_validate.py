"""Validation: the clean demo has only the planted errors; a mutation suite injects one inconsistency
per rule family into a copy and checks each is reported by the right rule at the right file and row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines import history
from pipelines.ingest.build import ingest
from pipelines.validate.run import validate

D = dt.date


def _find_row(ws, col: int, pred) -> int:
    for r in range(1, ws.max_row + 1):
        if pred(ws.cell(r, col).value):
            return r
    raise AssertionError("row not found")


def _edit(path: Path, fn) -> None:
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


@pytest.fixture(scope="module")
def clean_result(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("q")
    return validate(demo_db, out)


def test_clean_demo_has_only_the_planted_errors(clean_result, expected):
    errors = [f for f in clean_result["findings"] if f["severity"] == "error"]
    assert {(f["file"], f["sheet"], f["row"]) for f in errors} == {
        (b["file"], b["sheet"], b["row"]) for b in expected["bad_rows"]}
    assert all(f["rule"] == "quarantined" for f in errors)
    assert clean_result["status"] == "fail"
    assert set(clean_result["counts"]) >= {"stats_reconcile", "date_in_future", "grade_mismatch", "team_3n",
                                           "unique_key_problems", "vocab_leads_status", "quarantined"}


def test_findings_are_stored_and_quality_page_and_xlsx_written(clean_result, demo_db):
    with duckdb.connect(str(history.path_for(demo_db)), read_only=True) as con:  # the history store, not the warehouse
        n = con.execute("SELECT count(*) FROM validation_findings").fetchone()[0]
        status = con.execute("SELECT status FROM validation_runs ORDER BY ran_at DESC LIMIT 1").fetchone()[0]
    assert n == len(clean_result["findings"]) and status == clean_result["status"]
    page = Path(clean_result["page"]).read_text(encoding="utf-8")
    assert "问题清单" in page and "<script" not in page and "http" not in page.replace("http-equiv", "")
    wb = load_workbook(clean_result["xlsx"])
    assert wb["问题清单"].max_row == len(clean_result["findings"]) + 1


@pytest.fixture(scope="module")
def mutated(demo_dir, tmp_path_factory):
    """One copy of the demo with one planted inconsistency per rule family; returns (result, where)."""
    import shutil

    raw = tmp_path_factory.mktemp("mut") / "raw"
    shutil.copytree(demo_dir, raw)
    where: dict[str, tuple[str, str, int]] = {}

    stats = "统计/巡察情况统计表.xlsx"

    def mut_stats(wb):
        ws = wb["统计表"]
        r1 = _find_row(ws, 1, lambda v: v == "十四届县委第一轮巡察")
        ws.cell(r1, 5).value = int(ws.cell(r1, 4).value) + 5  # closed > transferred
        where["stats_closed_gt_transferred"] = (stats, "统计表", r1)
        r2 = _find_row(ws, 1, lambda v: v == "十四届县委第二轮巡察")
        ws.cell(r2, 3).value = int(ws.cell(r2, 2).value) + 3  # rectified > found
        where["stats_rectified_gt_found"] = (stats, "统计表", r2)
        r4 = _find_row(ws, 1, lambda v: v == "十四届县委第四轮巡察")
        ws.cell(r4, 2).value = int(ws.cell(r4, 2).value) + 1  # found ≠ detail
        where["stats_reconcile"] = (stats, "统计表", r4)
    _edit(raw / stats, mut_stats)

    r5 = "第五轮巡察（2019年）/第五轮巡察整改台账.xlsx"

    def mut_dup(wb):
        ws = wb["台账"]
        ws.cell(5, 1).value = ws.cell(3, 1).value  # same 问题编号, different content
        ws.cell(5, 3).value = ws.cell(3, 3).value
        where["unique_key_problems"] = (r5, "台账", 5)
    _edit(raw / r5, mut_dup)

    rounds = "基础台账/巡察轮次登记表.xlsx"

    def mut_round(wb):
        ws = wb["巡察轮次"]
        r = _find_row(ws, 1, lambda v: v == "十四届县委第三轮巡察")
        ws.cell(r, 7).value = "2018年4月1日"  # feedback before end (2018-04-30)
        where["date_order_round"] = (rounds, "巡察轮次", r)
    _edit(raw / rounds, mut_round)

    insp = "第二轮巡察（2017年）/被巡察单位名单.xlsx"

    def mut_insp(wb):
        ws = wb["名单"]
        ws.cell(3, 5).value = D(2017, 8, 1)  # feedback before start
        where["date_order_inspection"] = (insp, "名单", 3)
    _edit(raw / insp, mut_insp)

    leads = "问题线索/问题线索移交台账.xlsx"

    def mut_leads(wb):
        ws = wb["线索台账"]
        closed = [r for r in range(3, ws.max_row + 1) if ws.cell(r, 10).value == "已办结"]
        ws.cell(closed[0], 11).value = D(2000, 1, 1)  # closed before transfer
        where["date_closed_before_transfer"] = (leads, "线索台账", closed[0])
        ws.cell(closed[1], 10).value = "搁置待议"  # unknown vocabulary word
        where["vocab_leads_status"] = (leads, "线索台账", closed[1])
        ws.cell(closed[2], 11).value = D(2099, 1, 1)  # an event in the future (this ledger states no 统计截至)
        where["date_in_future"] = (leads, "线索台账", closed[2])
        ws.cell(closed[3], 12).value = "给予党内警告处分"  # a sanction written, its count left at 0
        ws.cell(closed[3], 13).value = 0
        where["outcome_without_count"] = (leads, "线索台账", closed[3])
        ws.cell(closed[4], 10).value = "未办结"  # a closing date on a lead said to be open
        where["done_date_on_open_item"] = (leads, "线索台账", closed[4])
    _edit(raw / leads, mut_leads)

    r1 = "第一轮巡察（2017年）/第一轮巡察反馈问题整改台账.xlsx"

    def mut_r1(wb):
        ws = wb["整改台账"]
        done = [r for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 9).value, (dt.date, dt.datetime))]
        ws.cell(done[0], 9).value = D(2017, 1, 1)  # rectified before feedback (2017-06-28)
        where["date_rectified_before_feedback"] = (r1, "整改台账", done[0])
        ws.cell(done[1], 9).value = D(2099, 1, 1)  # done after the ledger's own 统计截至 (2020-06-30): not kept
        where["date_after_as_of"] = (r1, "整改台账", done[1])
        ws.cell(done[2], 9).value = "年底"  # no date at all
        where["cell_unparsed"] = (r1, "整改台账", done[2])
    _edit(raw / r1, mut_r1)

    eco = "政治生态/政治生态建设评价表.xlsx"

    def mut_eco(wb):
        ws = wb["2019年度"]
        r = _find_row(ws, 10, lambda v: isinstance(v, (int, float)) and v < 80)
        ws.cell(r, 11).value = "好"
        where["grade_mismatch"] = (eco, "2019年度", r)
    _edit(raw / eco, mut_eco)

    team = "巡察组/巡察组人员名单.xlsx"

    def mut_team(wb):
        ws = wb["人员名单"]
        r = _find_row(ws, 1, lambda v: v == "十四届县委第四轮巡察")  # first row of its first group
        group_rows = [r] + [x for x in range(r + 1, r + 8) if ws.cell(x, 2).value in (None, ws.cell(r, 2).value)
                            and ws.cell(x, 5).value]
        for x in group_rows:
            if ws.cell(x, 5).value == "纪检":
                ws.cell(x, 5).value = "信访"
        where["team_3n"] = (team, "人员名单", r)
    _edit(raw / team, mut_team)

    db = raw.parent / "wh.duckdb"
    ingest(raw, db)
    return validate(db, raw.parent / "out"), where


@pytest.mark.parametrize("rule", [
    "stats_closed_gt_transferred", "stats_rectified_gt_found", "stats_reconcile", "unique_key_problems",
    "date_order_round", "date_order_inspection", "date_closed_before_transfer", "date_rectified_before_feedback",
    "date_in_future", "vocab_leads_status", "grade_mismatch", "team_3n", "cell_unparsed", "date_after_as_of",
    "outcome_without_count", "done_date_on_open_item",
])
def test_each_planted_inconsistency_is_reported_at_its_file_and_row(mutated, clean_result, rule):
    result, where = mutated
    hits = {(f["file"], f["sheet"], f["row"]) for f in result["findings"] if f["rule"] == rule}
    assert where[rule] in hits, (rule, where[rule], sorted(hits)[:5])
    clean_hits = {(f["file"], f["sheet"], f["row"]) for f in clean_result["findings"] if f["rule"] == rule}
    assert where[rule] not in clean_hits


def test_findings_json_shape(mutated):
    result, _ = mutated
    assert result["status"] == "fail"
    for f in result["findings"]:
        assert set(f) == {"rule", "severity", "message", "file", "sheet", "row", "value"}
        assert f["severity"] in ("error", "warning") and f["message"]
