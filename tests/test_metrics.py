"""Metrics (DATA_CONTRACT section 6): the demo gives the source document's figures; a small fixture
gives hand-computed answers, including the as-of edge cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.ingest.build import ingest
from pipelines.metrics import METRIC_KEYS, metrics, period_end, BadDate
from tests.conftest import DEMO_AS_OF, write_xlsx

D = dt.date


def test_demo_metrics_equal_the_ground_truth(demo_db, expected):
    m = metrics(demo_db, DEMO_AS_OF)
    assert list(m) == METRIC_KEYS
    assert m == expected["metrics"]
    assert round(m["coverage_rate"] * 100) == 83 and m["problems_rectified"] == 940


@pytest.fixture()
def small_db(registers, tmp_path):
    raw = registers
    write_xlsx(raw / "巡察安排.xlsx", {"S": [
        ["轮次", "被巡察单位", "巡察组"],
        ["十四届县委第一轮巡察", "山丹县财政局", "第一巡察组"], ["十四届县委第一轮巡察", "清泉镇", "第二巡察组"],
        ["十四届县委第二轮巡察", "山丹县教育局", "第一巡察组"], ["十四届县委第二轮巡察", "南关村", "第一巡察组"],
        ["十四届县委第三轮巡察", "组织部", "第一巡察组"], ["市委第二轮巡察", "位奇镇", "市委巡察组"]]})
    write_xlsx(raw / "问题.xlsx", {"S": [
        ["问题编号", "轮次", "单位", "问题描述", "整改时限", "整改情况", "完成时间"],
        ["P1", "第一轮", "财政局", "甲", "2019-08-01", "已完成", "2019-06-10"],
        ["P2", "第一轮", "财政局", "乙", "2019-08-01", "已完成", "2020-01-15"],
        ["P3", "第一轮", "清泉镇", "丙", "2019-08-01", "整改中", None],
        ["P4", "第二轮", "教育局", "丁", "长期坚持", "未整改", None],
        ["P5", "第二轮", "教育局", "戊", "2020-02-01", "已完成", None],
        ["P6", "市委第二轮巡察", "位奇镇", "己", "2019-09-01", "已完成", "2019-08-01"]]})
    write_xlsx(raw / "线索.xlsx", {"S": [
        ["线索编号", "轮次", "被巡察单位", "被反映人", "移交单位", "移交时间", "办理情况", "办结时间", "党纪政务处分（人）", "组织处理（人）"],
        ["L1", "第一轮", "财政局", "甲某", "县纪委监委", "2019-06-01", "已办结", "2019-09-01", 1, 0],
        ["L2", "第一轮", "清泉镇", "乙某", "县纪委监委", "2019-06-05", "已办结", "2020-02-01", 0, 2],
        ["L3", "第二轮", "教育局", "丙某", "县委组织部", "2020-01-10", "办理中", None, 0, 0]]})
    write_xlsx(raw / "其他.xlsx", {
        "会议": [["会议时间", "会议名称"], ["2019-03-01", "巡察工作领导小组会议"], ["2019-08-01", "书记专题会"],
               ["2020-03-01", "领导小组会议"], ["2019-04-01", "巡察动员会"]],
        "评价": [["单位名称", "评价年度", "政治建设", "总分"], ["清泉镇", "2019年度", 50, 92], ["财政局", "2020年度", 40, 85]],
        "人员": [["轮次", "巡察组", "姓名", "抽调单位类别"], ["第一轮", "第一组", "甲", "纪检"], ["第一轮", "第一组", "乙", "组织"],
               ["第一轮", "第一组", "丙", "审计"], ["第一轮", "第二组", "丁", "纪检"], ["第一轮", "第二组", "戊", "财务"]],
        "清单": [["序号", "监督重点"], [1, "甲"], [2, "乙"], [3, "丙"]],
    })
    db = tmp_path / "wh.duckdb"
    s = ingest(raw, db)
    assert s["rows_quarantined"] == 0, s
    return db


def test_hand_computed_answers_at_year_end(small_db):
    m = metrics(small_db, D(2019, 12, 31))
    assert m == {
        "as_of": "2019-12-31", "rounds_by_kind": {"regular": 2}, "units_in_scope": 5, "units_covered": 3,
        "coverage_rate": 0.6, "villages_total": 1, "villages_covered": 1, "problems_total": 6,
        "problems_rectified": 3, "rectification_rate": 0.5, "problems_overdue": 1, "leads_transferred": 2,
        "leads_closed": 1, "lead_closure_rate": 0.5, "people_disciplined": 1, "people_org_handled": 2,
        "ecology_assessed_by_type": {"township": 1}, "checklist_items": 3,
        "meetings_by_type": {"leading_group": 1, "other": 1, "secretary": 1}, "teams_total": 2, "teams_3n": 1,
        "problems_status_unknown": 0, "leads_status_unknown": 0,
    }


def test_as_of_edge_cases_rounds_not_started_and_events_after_the_date(small_db):
    m = metrics(small_db, D(2019, 6, 30))
    # round 2 has not started, the city round's feedback (07-20) is after the date
    assert m["rounds_by_kind"] == {"regular": 1} and m["units_covered"] == 2 and m["villages_covered"] == 0
    assert (m["problems_total"], m["problems_rectified"], m["problems_overdue"]) == (3, 1, 0)
    # both leads transferred, neither closed yet; their people still count (sums over counted leads)
    assert (m["leads_transferred"], m["leads_closed"], m["people_disciplined"], m["people_org_handled"]) == (2, 0, 1, 2)
    assert m["meetings_by_type"] == {"leading_group": 1, "other": 1}
    later = metrics(small_db, D(2020, 12, 31))
    assert later["rounds_by_kind"] == {"regular": 3} and later["units_covered"] == 4
    assert later["problems_rectified"] == 4 and later["leads_closed"] == 2 and later["leads_transferred"] == 3
    assert later["ecology_assessed_by_type"] == {"department": 1, "township": 1}


def test_period_means_last_day_of_month():
    assert period_end("2020-02") == D(2020, 2, 29)
    for bad in ("2020-13", "../../x", "2020/06", ""):
        with pytest.raises(BadDate):
            period_end(bad)


def test_the_report_summaries_agree_with_the_headline_and_the_ingest(demo_ingest, expected):
    """The grouped marts the pages list (attention, villages, ingest totals) add up to the figures the
    headline and the ingest summary state, on the real demo warehouse."""
    import duckdb

    db, summary = demo_ingest
    m = metrics(db, DEMO_AS_OF)
    with duckdb.connect(str(db), read_only=True) as con:
        overdue = con.execute("SELECT sum(n), count(*) FROM mart_overdue_by_unit(?)", [DEMO_AS_OF]).fetchone()
        assert overdue[0] == m["problems_overdue"] and overdue[1] > 0
        vil = con.execute("SELECT sum(total), sum(covered) FROM mart_villages_by_township(?)", [DEMO_AS_OF]).fetchone()
        assert (vil[0], vil[1]) == (m["villages_total"], m["villages_covered"])
        everything = con.execute("SELECT sum(n) FROM mart_leads_open_long(?, -1)", [DEMO_AS_OF]).fetchone()[0]
        assert everything == m["leads_transferred"] - m["leads_closed"]
        over_a_year = con.execute("SELECT sum(n), min(max_days) FROM mart_leads_open_long(?, 365)",
                                  [DEMO_AS_OF]).fetchone()
        assert (over_a_year[0] or 0) < everything and (over_a_year[1] is None or over_a_year[1] > 365)
        t = con.execute("SELECT * FROM mart_ingest_totals()").df().iloc[0]
        assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"], t["rows_skipped"]) == (
            summary["rows_read"], summary["rows_loaded"], summary["rows_quarantined"], summary["rows_skipped"])
        assert t["files_ingested"] > 0
        held = con.execute("SELECT sum(n) FROM mart_quarantine_summary()").fetchone()[0]
        assert held == con.execute("SELECT count(*) FROM quarantine").fetchone()[0] > 0
        by_kind = dict(con.execute("SELECT kind, loaded FROM mart_rows_by_kind()").fetchall())
        assert by_kind["problems"] >= expected["metrics"]["problems_total"]


def test_a_figure_whose_ledger_was_not_received_is_unknown_never_zero(registers, tmp_path):
    """Only the registers and a round-statistics table this period: the problems, leads and coverage figures
    are unknown (null, 未提供 naming the ledger), never 0 problems and 0 leads, in the JSON, the command's table
    and the Word brief; the figures the registers give stay."""
    import json

    from docx import Document
    from typer.testing import CliRunner

    from pipelines.cli import app
    from pipelines.export import run_export

    raw = registers
    write_xlsx(raw / "巡察情况统计表.xlsx", {"S": [
        ["巡察轮次", "巡察单位数", "发现问题数", "移交问题线索数"],
        ["十四届县委第一轮巡察", 3, 12, 2]]})
    db = tmp_path / "wh.duckdb"
    ingest(raw, db)
    m = metrics(db, D(2019, 12, 31))
    assert m["units_in_scope"] == 5 and m["rounds_by_kind"] == {"regular": 2}  # the registers were received
    for k in ("problems_total", "problems_rectified", "problems_overdue", "rectification_rate", "leads_transferred",
              "leads_closed", "people_disciplined", "units_covered", "coverage_rate", "meetings_by_type"):
        assert m[k] is None, k
    assert {"problems", "leads", "inspections", "meetings"} <= set(m["not_supplied"])
    assert "rounds" not in m["not_supplied"] and "units" not in m["not_supplied"]

    runner = CliRunner()
    res = runner.invoke(app, ["metrics", "--db", str(db), "--as-of", "2019-12-31", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["problems_total"] is None
    res = runner.invoke(app, ["metrics", "--db", str(db), "--as-of", "2019-12-31"])
    row = next(line for line in res.output.splitlines() if line.startswith("反馈问题　"))
    assert "未提供（没有收到「巡察反馈问题整改台账」）" in row, res.output

    out = run_export(db, tmp_path / "out", as_of=D(2019, 12, 31))
    doc = Document(str(next(Path(out["folder"]).rglob("月度简报.docx"))))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert "逾期未完成整改的问题：未提供（本期没有收到「巡察反馈问题整改台账」）" in text
    assert "尚未巡察的党组织：未提供" in text  # not every registered unit listed as never inspected
    assert "0/0" not in text and "逾期未完成整改的问题 0 个" not in text


def test_a_regions_rate_counts_only_counties_whose_numerator_is_known():
    """A county with a unit register but no inspected-units list adds neither its units in scope nor its
    covered units to the region's coverage rate (its 100 units would halve the rate)."""
    from pipelines.metrics import sum_metrics

    base = {k: 0 for k in METRIC_KEYS if k != "as_of"}
    a = {**base, "as_of": "2024-12-31", "units_in_scope": 100, "units_covered": None, "coverage_rate": None,
         "not_supplied": ["inspections"]}
    b = {**base, "as_of": "2024-12-31", "units_in_scope": 100, "units_covered": 80, "coverage_rate": 0.8}
    total = sum_metrics([a, b])
    assert total["coverage_rate"] == 0.8 and total["units_covered"] == 80 and total["not_supplied"] == ["inspections"]
