"""Ledgers the way other counties keep them, each of which used to inflate a headline figure without a word
(found by building small counties from published layouts and comparing xuncha's figures with the truth).
Real xlsx files, real ingest, real DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.build import ingest
from pipelines.metrics import metrics
from tests.conftest import write_xlsx

D = dt.date
HEAD = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况"]


def q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _problems(rows, numbering=lambda i: i, status=lambda i: "已完成" if i % 2 else "整改中"):
    return [HEAD] + [[numbering(i), "十四届县委第一轮巡察", unit, desc, "建立制度", D(2019, 8, 1), status(i)]
                     for i, (unit, desc) in enumerate(rows, 1)]


ROWS = [("县财政局", "三重一大决策制度执行不到位"), ("县财政局", "专项资金拨付不及时"),
        ("县教育局", "学校食堂管理不规范"), ("清泉镇", "村级财务公开不及时")]


def test_an_office_summary_beside_the_unit_ledgers_is_counted_once(registers, tmp_path):
    # per-unit ledgers numbered per unit, and the office's 汇总 numbering all problems 1..n
    for unit in ("县财政局", "县教育局", "清泉镇"):
        mine = [r for r in ROWS if r[0] == unit]
        write_xlsx(registers / "第一轮" / f"{unit}整改台账.xlsx", {"台账": _problems(mine)})
    write_xlsx(registers / "第一轮" / "整改情况汇总表.xlsx",
               {"汇总": _problems(ROWS, status=lambda i: "已完成" if i in (1, 3) else "整改中")})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["loaded_by_kind"]["problems"] == 4
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 4
    m = metrics(db, D(2020, 6, 30))
    assert m["problems_total"] == 4


def test_the_offices_lead_list_and_the_commissions_feedback_count_each_lead_once(registers, tmp_path):
    # the office's 移交台账 (序号 1, 2, 3, as of August) and the commission's 办理情况反馈表 (5-1, 5-2, 5-3, as of
    # November) list the same leads (probed: 6 leads, 2 of them closed); another lead summarised alike but
    # transferred on another day stays a lead of its own
    head = ["{no}", "巡察轮次", "被巡察单位", "问题线索", "移交单位", "移交时间", "办理情况"]
    leads = [("违规收受礼金", "初核中", "已办结"), ("违规吃喝", "初核中", "已办结"), ("违规经商", "初核中", "已立案审查")]
    write_xlsx(registers / "第一轮" / "巡察办移交问题线索台账.xlsx", {"S": [
        ["十四届县委第一轮巡察移交问题线索台账（统计截至2019年8月31日）"], [h.format(no="序号") for h in head]] + [
        [i, "十四届县委第一轮巡察", "县财政局", t, "县纪委监委", "2019.6.20", old] for i, (t, old, _new) in enumerate(leads, 1)]})
    write_xlsx(registers / "第一轮" / "县纪委监委巡察移交问题线索办理情况反馈表.xlsx", {"S": [
        ["十四届县委第一轮巡察移交问题线索办理情况反馈表（统计截至2019年11月30日）"],
        [h.format(no="线索编号") for h in head]] + [
        [f"5-{i}", "十四届县委第一轮巡察", "县财政局", t, "县纪委监委", "2019.6.20", new]
        for i, (t, _old, new) in enumerate(leads, 1)] + [
        ["5-4", "十四届县委第一轮巡察", "县财政局", "违规吃喝", "县纪委监委", "2019.9.1", "初核中"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2019, 12, 31))
    assert (m["leads_transferred"], m["leads_closed"]) == (4, 2)
    assert sorted(r[0] for r in q(db, "SELECT lead_no FROM stg_leads")) == ["5-1", "5-2", "5-3", "5-4"]
    assert q(db, "SELECT count(*) FROM raw_rows WHERE skip_class = 'superseded'")[0][0] == 3


def test_a_copy_numbered_001_is_the_same_ledger(registers, tmp_path):
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"整改台账": _problems(ROWS)})
    write_xlsx(registers / "第一轮" / "整改台账-副本.xlsx", {"整改台账 (2)": _problems(ROWS, numbering=lambda i: f"{i:03d}")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert metrics(db, D(2020, 6, 30))["problems_total"] == 4
    # one of the two is kept whole, the other merged into it row by row
    got = dict(q(db, "SELECT file, list(DISTINCT coalesce(skip_class, outcome)) FROM raw_rows WHERE row_class = 'data' "
                     "AND file LIKE '第一轮/%' GROUP BY file"))
    assert sorted(map(tuple, got.values())) == [("duplicate_record",), ("loaded",)]


def test_last_months_version_hidden_in_the_workbook_does_not_count_again(registers, tmp_path):
    now = _problems(ROWS, status=lambda i: "已完成")
    before = _problems(ROWS, status=lambda i: "整改中")
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"整改台账（6月报送）": before, "整改台账": now},
               hidden=("整改台账（6月报送）",))
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    m = metrics(db, D(2020, 6, 30))
    assert m["problems_total"] == 4 and m["problems_rectified"] == 4 and m["problems_overdue"] == 0
    assert s["conflicts"] == 4  # and each is reported


def test_a_prefecture_or_provincial_round_is_not_the_countys_own(tmp_path):
    from tests.conftest import REGISTER_UNITS

    raw = tmp_path / "raw"
    rounds = [["轮次名称", "巡察类型", "巡察主体", "进驻时间"],
              ["十四届县委第一轮巡察", "常规巡察", "县委", "2019-03-01"],
              ["州委第二轮巡察", "常规巡察", "州委", "2019-05-01"],
              ["省委第三巡视组巡视", "常规巡视", None, "2019-06-01"],
              ["某某巡察", "常规巡察", "某委", "2019-07-01"]]
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS, "轮次": rounds})
    ins = [["巡察轮次", "被巡察单位", "巡察组"], ["十四届县委第一轮巡察", "县财政局", "第一组"],
           ["州委第二轮巡察", "县教育局", "第一组"], ["省委第三巡视组巡视", "清泉镇", "第一组"],
           ["某某巡察", "位奇镇", "第一组"]]
    write_xlsx(raw / "名单.xlsx", {"名单": ins})
    db = tmp_path / "wh.duckdb"
    ingest(raw, db)
    m = metrics(db, D(2020, 6, 30))
    assert m["units_covered"] == 1  # only the county's own round covers a unit
    assert dict(q(db, "SELECT round_name, level FROM int_rounds")) == {
        "十四届县委第一轮巡察": "county", "州委第二轮巡察": "city", "省委第三巡视组巡视": "province", "某某巡察": None}


def test_a_kind_cell_naming_two_kinds_is_asked_not_settled_by_list_order(tmp_path):
    from tests.conftest import REGISTER_UNITS

    raw = tmp_path / "raw"
    rounds = [["轮次名称", "巡察类型"], ["十四届县委第一轮巡察", "常规巡察，同步开展对村（社区）延伸巡察"],
              ["十四届县委第二轮巡察", "常规巡察（含村级延伸）"]]
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS, "轮次": rounds})
    db = tmp_path / "wh.duckdb"
    ingest(raw, db)
    assert dict(q(db, "SELECT round_name, round_kind FROM stg_rounds")) == {
        "十四届县委第一轮巡察": None, "十四届县委第二轮巡察": "regular"}
    assert metrics(db, D(2020, 6, 30))["rounds_by_kind"] == {"regular": 1}


def test_a_count_of_units_is_not_a_unit_name(registers, tmp_path):
    stats = [["巡察轮次", "被巡察单位数", "发现问题（个）", "已整改（个）"], ["十四届县委第一轮巡察", 4, 12, 10]]
    write_xlsx(registers / "统计.xlsx", {"统计表": stats})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["loaded_by_kind"].get("round_stats") == 1
    assert q(db, "SELECT unit_name, problems_found FROM stg_round_stats") == [(None, 12)]


def test_a_round_plan_listing_its_units_is_not_loaded_as_an_inspection_list(registers, tmp_path):
    plan = [["轮次", "巡察类型", "巡察对象", "进驻时间", "撤离时间"],
            ["十四届县委第二轮巡察", "常规巡察", "县财政局", "2019-09-01", "2019-10-10"]]
    write_xlsx(registers / "巡察工作安排.xlsx", {"安排": plan})
    s = ingest(registers, tmp_path / "wh.duckdb")
    entry = next(x for x in s["sheets"] if x["sheet"] == "安排")
    assert entry["decision"] == "uncertain" and "inspections" not in s["loaded_by_kind"]


# ---- a header that names a plan or a requirement is not the fact it contains (计划完成时间 is no 完成时间)
# Layouts from published ledgers: 镇安县“五个一”整改台账 (计划完成时间, 整改进展:
# http://15m8.com/xqzc/zax/2019-09-03/1051732.html); 线索处置台账 with 要求办结时间 (gsiic.com/Item/72951.aspx);
# a 完成时间（计划） column beside 整改情况 (a county's variant of the yohu9.com ledger, newsshow-214114.html).

PLAN_ROWS = [("县财政局", "专项资金拨付不及时", D(2024, 3, 31), "已完成"),
             ("县财政局", "三重一大决策制度执行不到位", D(2024, 6, 30), None),
             ("县教育局", "学校食堂管理不规范", D(2024, 5, 31), None),
             ("清泉镇", "村级财务公开不及时", D(2025, 12, 31), "持续整改")]


def _planned(date_header: str, progress_header: str = "整改进展"):
    return [["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "责任人", date_header, progress_header]] + [
        [i, "十四届县委第一轮巡察", unit, desc, "建立制度", "张三", d, st]
        for i, (unit, desc, d, st) in enumerate(PLAN_ROWS, 1)]


def test_a_planned_completion_date_is_the_deadline_and_never_makes_a_problem_rectified(registers, tmp_path):
    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": _planned("计划完成时间")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = q(db, "SELECT description, deadline, status, rectified_date FROM stg_problems ORDER BY src_row")
    assert [(r[1], r[2], r[3]) for r in got] == [
        (D(2024, 3, 31), "rectified", None), (D(2024, 6, 30), None, None), (D(2024, 5, 31), None, None),
        (D(2025, 12, 31), "long_term", None)]
    m = metrics(db, D(2024, 12, 31))
    assert m["problems_rectified"] == 1 and m["problems_status_unknown"] == 2  # not 3 rectified of 4


def test_a_completion_date_marked_planned_in_brackets_is_asked_not_read_as_done(registers, tmp_path):
    # norm_header drops bracketed notes such as （件）; one holding 计划 changes what the column is
    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": _planned("完成时间（计划）", "整改情况")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems WHERE status = 'rectified' OR rectified_date IS NOT NULL")[0][0] == 1
    (unmatched,) = q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '台账'")[0]
    assert "完成时间（计划）" in unmatched  # left for the analyst to name (待确认事项), not taken for 完成时间
    # the same header without the note is the completion date, and an empty status then follows it
    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": _planned("完成时间", "整改情况")})
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems WHERE status = 'rectified' AND status_source = 'date'")[0][0] == 2


@pytest.mark.parametrize("date_header", ["完成时间节点", "应完成时间", "最迟完成时间", "申请销号时间", "报请销号日期"])
def test_a_time_node_or_a_due_date_is_asked_and_never_makes_a_problem_rectified(registers, tmp_path, date_header):
    # 完成时间节点 (a plan's milestones) and 应完成时间 (when it is due) contain 完成时间 but are deadlines:
    # 申请销号时间 (when closing was applied for) is no 销号时间 either;
    # read as the completion date, every row with an empty status became rectified, with no warning
    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": _planned(date_header, "整改情况")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems WHERE status = 'rectified' OR rectified_date IS NOT NULL")[0][0] == 1
    (unmatched,) = q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '台账'")[0]
    assert date_header in unmatched
    assert metrics(db, D(2024, 12, 31))["problems_status_unknown"] == 2


@pytest.mark.parametrize("word", ["共计", "累计"])
def test_a_totals_row_worded_gongji_is_not_a_problem(registers, tmp_path, word):
    rows = _planned("计划完成时间") + [[word, None, None, "4个问题", None, None, None, "已整改3个，整改中1个"]]
    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 4
    assert q(db, "SELECT row_class FROM raw_rows WHERE sheet = '台账' AND row = 6") == [("total",)]


def test_a_required_closing_date_never_makes_a_lead_closed(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "线索摘要", "移交单位", "要求办结时间", "办理情况"]
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "违规发放津补贴", "县纪委监委", D(2024, 3, 31), "已办结"],
            [2, "十四届县委第一轮巡察", "县教育局", "违规收受礼金", "县纪委监委", D(2024, 4, 30), None],
            [3, "十四届县委第一轮巡察", "清泉镇", "优亲厚友", "县纪委监委", D(2024, 4, 30), "正在初核"]]
    write_xlsx(registers / "第一轮" / "问题线索台账.xlsx", {"线索": [head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT status, closed_date FROM stg_leads ORDER BY src_row") == [
        ("closed", None), (None, None), ("open", None)]
    assert metrics(db, D(2024, 12, 31))["leads_closed"] == 1


def test_a_completion_date_after_the_ledgers_own_as_of_date_is_a_finding_not_a_rectification(registers, tmp_path):
    title = ["县财政局党组巡察反馈问题整改落实台账　　统计截至：2024年1月31日"]
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "完成时间", "整改情况"]
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "建立制度", D(2023, 12, 20), None],
            [2, "十四届县委第一轮巡察", "县财政局", "公务接待不规范", "建立制度", D(2027, 12, 31), None]]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": [title, head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT src_row, status, rectified_date FROM stg_problems ORDER BY src_row") == [
        (3, "rectified", D(2023, 12, 20)), (4, None, None)]
    ((col, field, raw, msg),) = q(db, "SELECT column_letter, field, raw_value, message FROM findings "
                                      "WHERE code = 'date_after_as_of'")
    assert (col, field, raw) == ("F", "rectified_date", "2027-12-31") and "统计截至日期（2024年1月31日）" in msg
    # its own wording: the date is read, it is only too late to count ("无法识别" would send the analyst
    # looking for a typo)
    assert "晚于本表的统计截至日期" in msg and "无法识别" not in msg


def test_a_completion_month_without_a_day_is_done_by_the_months_end_or_the_ledgers_as_of_date(registers, tmp_path):
    # "完成时间 2024年1月": done some day that month. Read as the 1st, it counted the item rectified in a
    # report as of 1月10日 and found it "rectified before feedback" when the feedback came on 1月20日
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "完成时间", "整改情况"]
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "建立制度", "2024年1月", None]]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": [head] + rows})
    title = ["县教育局党组巡察反馈问题整改落实台账　　统计截至：2024年1月15日"]
    write_xlsx(registers / "第一轮" / "县教育局整改台账.xlsx", {"台账": [title, head] + [
        [1, "十四届县委第一轮巡察", "县教育局", "公务接待不规范", "建立制度", "2024年1月", None]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT unit_name, status, rectified_date FROM stg_problems ORDER BY 1") == [
        ("山丹县教育局", "rectified", D(2024, 1, 15)), ("山丹县财政局", "rectified", D(2024, 1, 31))]
    assert q(db, "SELECT code FROM findings") == []


def test_a_completion_date_written_as_a_period_counts_from_the_periods_end(registers, tmp_path):
    # "完成时间 2024年三季度" was a finding with no date, so a rectified problem (and a closed lead with
    # "办结时间 2024年底") counted as done at any as-of date, even before the period began
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "完成时间", "整改情况"]
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "建立制度", "2024年三季度", "已完成"],
            [2, "十四届县委第一轮巡察", "县财政局", "公务接待不规范", "建立制度", "2024年6月底", "已完成"],
            [3, "十四届县委第一轮巡察", "县财政局", "公车管理不规范", "建立制度", "2024年10月前", "已完成"],
            [4, "十四届县委第一轮巡察", "县财政局", "档案管理混乱", "建立制度", "2024年上半年", None]]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": [head] + rows})
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": [
        ["序号", "巡察轮次", "被巡察单位", "线索摘要", "移交单位", "移交时间", "办理情况", "办结时间"],
        [1, "十四届县委第一轮巡察", "县财政局", "违规发放津补贴", "县纪委监委", "2024年3月1日", "已办结", "2024年底"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT problem_no, status, rectified_date FROM stg_problems ORDER BY src_row") == [
        ("1", "rectified", D(2024, 9, 30)), ("2", "rectified", D(2024, 6, 30)), ("3", "rectified", None),
        ("4", None, D(2024, 6, 30))]  # a period alone does not say it was done: a plan writes 2024年上半年 too
    # "2024年10月前" is a deadline, not when it was done: still a finding, never a date
    assert q(db, "SELECT field, raw_value FROM findings") == [("rectified_date", "2024年10月前")]
    assert [metrics(db, d)["problems_rectified"] for d in (D(2024, 5, 31), D(2024, 8, 31), D(2024, 9, 30))] == [1, 2, 3]
    assert [metrics(db, d)["leads_closed"] for d in (D(2024, 11, 30), D(2024, 12, 31))] == [0, 1]


def test_a_done_status_sentence_naming_its_date_is_done_from_that_date(registers, tmp_path):
    # "已于2019年12月10日办结" with no 办结时间 (probed): closed_date was empty, so the lead counted as closed in a
    # report as of 2019-11-30; a sentence naming two dates gives none (which one is the closing is not said)
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": [
        ["序号", "巡察轮次", "被巡察单位", "线索摘要", "移交单位", "移交时间", "办理情况"],
        [1, "十四届县委第一轮巡察", "县财政局", "违规发放津补贴", "县纪委监委", "2019年6月1日", "已于2019年12月10日办结"],
        [2, "十四届县委第一轮巡察", "县教育局", "违规收受礼金", "县纪委监委", "2019年6月1日", "2019年8月立案，2019年10月办结"],
        [4, "十四届县委第一轮巡察", "县教育局", "违规经商", "县纪委监委", "2019年6月1日", "2019年8月立案，10月办结"],
        [5, "十四届县委第一轮巡察", "县教育局", "违规借贷", "县纪委监委", "2019年6月1日", "2019年8月1日立案，已办结"],
        [3, "十四届县委第一轮巡察", "县教育局", "违规吃喝", "县纪委监委", "2019年6月1日", "已办结"]]})
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": [
        ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "完成时间", "整改情况"],
        [1, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "建立制度", None, "已于2019年11月完成整改"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT lead_no, status, closed_date FROM stg_leads ORDER BY src_row") == [
        ("1", "closed", D(2019, 12, 10)), ("2", "closed", None), ("4", "closed", None), ("5", "closed", None),
        ("3", "closed", None)]  # the date of the filing (5) is not the closing
    assert q(db, "SELECT status, rectified_date FROM stg_problems") == [("rectified", D(2019, 11, 30))]
    assert [metrics(db, d)["leads_closed"] for d in (D(2019, 11, 30), D(2019, 12, 31))] == [4, 5]
    assert [metrics(db, d)["problems_rectified"] for d in (D(2019, 10, 31), D(2019, 11, 30))] == [0, 1]


def test_an_audit_rectification_ledger_is_asked_about_not_added_to_the_inspection_problems(registers, tmp_path):
    # 2022年度审计发现问题整改台账 (https://yohu9.com/newsshow-214114.html): the columns of a problems ledger, but
    # the problems an audit found, not an inspection's
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况"]
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "建立制度", D(2023, 6, 30), "已完成"],
            [2, "十四届县委第一轮巡察", "县财政局", "公务接待不规范", "建立制度", D(2023, 6, 30), "已完成"]]
    write_xlsx(registers / "第一轮" / "县财政局审计整改台账.xlsx", {"整改台账": [["2022年度审计发现问题整改台账"], head] + rows})
    write_xlsx(registers / "第一轮" / "县教育局整改台账.xlsx",
               {"整改台账": [["县教育局巡察及审计反馈问题整改台账"], head] + [[1, *rows[0][1:]]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = dict((f, (d, r)) for f, d, r in q(db, "SELECT file, decision, reasons FROM sheets WHERE sheet = '整改台账'"))
    decision, reasons = got["第一轮/县财政局审计整改台账.xlsx"]
    assert decision == "uncertain" and "「审计」" in reasons
    assert got["第一轮/县教育局整改台账.xlsx"][0] == "loaded"  # a title naming the inspection as well
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 1
    assert q(db, "SELECT count(*) FROM quarantine WHERE file = '第一轮/县财政局审计整改台账.xlsx'")[0][0] == 2
    # the question shows what decides it, the title and the reason, so the analyst answers without opening the file
    from pipelines.answers import KIND, read_workbook
    from pipelines.validate.run import validate

    validate(db, tmp_path / "reports")
    (row,) = read_workbook(tmp_path / "reports" / "quality" / "待确认事项.xlsx")[KIND]
    assert row.get("表题") == "2022年度审计发现问题整改台账" and "「审计」" in row.get("为什么要问")


def test_the_question_about_a_planned_date_never_suggests_the_fact_it_is_not(registers, tmp_path):
    from pipelines.answers import COLUMN, read_workbook
    from pipelines.validate.run import validate

    write_xlsx(registers / "第一轮" / "整改落实台账.xlsx", {"台账": _planned("完成时间（计划）", "整改情况")})
    head = ["序号", "巡察轮次", "被巡察单位", "线索摘要", "移交单位", "办结时限", "办理情况"]
    write_xlsx(registers / "第一轮" / "问题线索台账.xlsx", {"线索": [head, [1, "十四届县委第一轮巡察", "县财政局",
                                                                 "违规发放津补贴", "县纪委监委", D(2024, 3, 31), "已办结"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    validate(db, tmp_path / "reports")
    book = read_workbook(tmp_path / "reports" / "quality" / "待确认事项.xlsx")
    asked = {r.get("看到的"): r.get("建议") for r in book[COLUMN]}
    assert asked["完成时间（计划）"] == "整改时限" and asked["办结时限"] != "办结时间"


def test_a_talks_follow_up_saying_not_or_partly_done_is_never_read_as_done(registers, tmp_path):
    # 约谈台账 after a county's published interview reports (https://shangnan.qinfeng.gov.cn/info/1004/1990.htm):
    # the follow-up is a phrase, and "到位" inside 整改不到位 / 部分整改到位 / 基本到位 is not 已整改到位
    head = ["序号", "约谈时间", "约谈领导", "被约谈单位", "被约谈人", "约谈事由", "跟踪情况"]
    follow = ["整改不到位", "部分整改到位", "基本到位", "已整改到位", "效果不明显"]
    rows = [[i, D(2019, 6, 10 + i), "李副县长", "县财政局", f"干部{i}", "整改不力", f] for i, f in enumerate(follow, 1)]
    write_xlsx(registers / "约谈" / "约谈台账.xlsx", {"约谈": [head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT follow_up_raw, follow_up FROM stg_talks ORDER BY src_row") == [
        ("整改不到位", "not_done"), ("部分整改到位", "ongoing"), ("基本到位", "ongoing"), ("已整改到位", "done"),
        ("效果不明显", None)]  # a phrase it cannot read is asked about (vocab rule), not guessed


# ---- political-ecology scores the way other counties publish them (盐城“6+X”: four dimensions, a deduction of
# 0–20 points for the unit's own indicators: http://www.ahfyzs.com/content/18/0704/13/26005_767634533.shtml)

def test_a_deduction_is_taken_off_and_a_rank_is_not_added_to_the_ecology_total(registers, tmp_path):
    head = ["单位名称", "政治建设", "思想建设", "组织建设", "作风建设", "扣分", "排名"]
    rows = [["县财政局", 18, 17, 19, 18, 5, 2], ["县教育局", 16, 15, 16, 17, 12, 3], ["清泉镇", 19, 18, 19, 20, 2, 1]]
    write_xlsx(registers / "政治生态" / "政治生态评价表.xlsx", {"评价表": [["2021年度政治生态评价表"], head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = dict((u, (t, n)) for u, t, n in q(db, "SELECT unit_name, total, n_dimensions FROM stg_assessments"))
    assert got == {"山丹县财政局": (67.0, 5), "山丹县教育局": (52.0, 5), "清泉镇": (74.0, 5)}  # not 79, 79, 79
    assert q(db, "SELECT DISTINCT score FROM stg_assessment_scores WHERE dimension = '扣分' ORDER BY 1") == [
        (-12.0,), (-5.0,), (-2.0,)]
    (unmatched,) = q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '评价表'")[0]
    assert "排名" in unmatched  # asked about, as any header no column knows


@pytest.mark.parametrize("extra", ["较上年增减", "2020年度得分"])
def test_a_change_on_last_year_or_last_years_score_is_not_a_dimension(registers, tmp_path, extra):
    head = ["单位名称", "政治建设", "思想建设", "组织建设", "作风建设", extra]
    rows = [["县财政局", 18, 17, 19, 18, 2.5], ["清泉镇", 19, 18, 19, 20, 70]]
    write_xlsx(registers / "政治生态" / "政治生态评价表.xlsx", {"评价表": [["2021年度政治生态评价表"], head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = dict((u, (t, n)) for u, t, n in q(db, "SELECT unit_name, total, n_dimensions FROM stg_assessments"))
    assert got == {"山丹县财政局": (72.0, 4), "清泉镇": (76.0, 4)}  # before: the change (+2.5) or 2020's score added in
    (unmatched,) = q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '评价表'")[0]
    assert extra in unmatched


def test_a_column_of_additions_and_deductions_keeps_its_signs(registers, tmp_path):
    head = ["单位名称", "政治建设", "思想建设", "加减分"]
    rows = [["县财政局", 40, 40, 3], ["县教育局", 40, 40, -4]]
    write_xlsx(registers / "政治生态" / "评价表.xlsx", {"评价表": [["2021年度政治生态评价表"], head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT unit_name, total FROM stg_assessments ORDER BY 1") == [("山丹县教育局", 76.0), ("山丹县财政局", 83.0)]


def test_a_units_only_score_is_its_total_and_points_available_are_not_a_score(registers, tmp_path):
    # 单位 | 评价年度 | 得分 | 等次: one score a unit, no dimensions; and a long table whose 分值 is the points a
    # dimension is worth beside 实得分, the points given
    only = [["单位", "评价年度", "得分", "等次"], ["县财政局", "2022年", 85, "良好"], ["县教育局", "2022年", 69, None]]
    long = [["单位名称", "评价年度", "评价指标", "分值", "实得分"],
            ["县财政局", "2021年", "责任落实", 20, 18], ["县财政局", "2021年", "惩治违纪", 20, 12],
            ["县教育局", "2021年", "责任落实", 20, 10], ["县教育局", "2021年", "惩治违纪", 20, 9]]
    write_xlsx(registers / "政治生态" / "研判.xlsx", {"研判": only, "明细": long})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT unit_name, period, total, grade_final FROM stg_assessments ORDER BY period, unit_name") == [
        ("山丹县教育局", "2021", 19.0, "poor"), ("山丹县财政局", "2021", 30.0, "poor"),
        ("山丹县教育局", "2022", 69.0, "poor"), ("山丹县财政局", "2022", 85.0, "fairly_good")]


def test_a_required_value_that_cannot_be_read_holds_the_row_instead_of_loading_it_empty(registers, tmp_path):
    # a talk dated 8月29日 (no year): the date is required, so the row waits for the analyst, it is not a talk
    # on no date
    head = ["序号", "约谈时间", "约谈领导", "被约谈单位", "被约谈人", "约谈事由", "跟踪情况"]
    rows = [[1, "8月29日", "李副县长", "县财政局", "干部甲", "整改不力", "已整改到位"],
            [2, D(2019, 8, 30), "李副县长", "县教育局", "干部乙", "整改不力", "已整改到位"]]
    write_xlsx(registers / "约谈" / "约谈台账.xlsx", {"约谈": [head] + rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT src_row FROM stg_talks") == [(3,)]
    ((code, reason),) = q(db, "SELECT reason_code, reason FROM quarantine")
    assert code == "missing_required" and "「8月29日」（B2）无法识别" in reason and reason.endswith("改正")
    ((msg,),) = q(db, "SELECT message FROM findings WHERE code = 'cell_unparsed'")
    assert msg.endswith("此行暂未入库（见隔离原因）")


def test_a_published_supervision_checklist_is_a_checklist(registers, tmp_path):
    # 北海“三个聚焦”监督重点细化清单 (https://www.gxjjw.gov.cn/staticpages/20200309/gxjjw5e65fe6d-147169.shtml): it
    # was unclassified and the question suggested 巡察反馈问题整改台账, which would have made its items problems
    rows = [["县委巡察“三个聚焦”监督重点细化清单"], ["序号", "聚焦方面", "监督要点", "问题表现形式"],
            ["一、聚焦群众身边腐败问题和不正之风"], [1, None, "惠民资金发放", "优亲厚友、吃拿卡要"],
            [2, None, "“三资”管理", "集体资产出租不公开"]]
    write_xlsx(registers / "清单" / "监督重点细化清单.xlsx", {"清单": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["loaded_by_kind"].get("checklist") == 2 and "problems" not in s["loaded_by_kind"]
    assert q(db, "SELECT item_no, focus, content FROM stg_checklist ORDER BY 1") == [
        ("1", "聚焦群众身边腐败问题和不正之风", "惠民资金发放"), ("2", "聚焦群众身边腐败问题和不正之风", "“三资”管理")]


# ---- a round written without its level, in a ledger whose title names the city's inspection group

def _city_ledger(title: str | None, round_text: str = "第二轮"):
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况"]
    rows = [[1, round_text, "县财政局", "落实市委决策部署不到位", "专题学习", D(2020, 3, 31), "已完成"],
            [2, round_text, "县财政局", "重点项目推进缓慢", "加快项目推进", D(2020, 6, 30), "整改中"]]
    return ([[title]] if title else []) + [head] + rows


def test_a_bare_ordinal_under_a_city_groups_title_is_the_citys_round(registers, tmp_path):
    # 第二轮 matches 十四届县委第二轮巡察 and 市委第二轮巡察; a bare ordinal meant the county's round even when
    # the title said 市委第二巡察组: the city's problems were counted in the county's round (fed back months
    # earlier), with no warning
    write_xlsx(registers / "市委巡察" / "反馈问题整改台账.xlsx",
               {"台账": _city_ledger("市委第二巡察组巡察县财政局反馈问题整改台账")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT DISTINCT round_name FROM stg_problems") == [("市委第二轮巡察",)]
    # the folder 市委巡察 says the same; without a level anywhere, the county's own round is what 第二轮 means
    write_xlsx(registers / "市委巡察" / "反馈问题整改台账.xlsx", {"台账": _city_ledger("县财政局反馈问题整改台账")})
    (registers / "市委巡察" / "反馈问题整改台账.xlsx").rename(registers / "反馈问题整改台账.xlsx")
    ingest(registers, db)
    assert q(db, "SELECT DISTINCT round_name FROM stg_problems") == [("十四届县委第二轮巡察",)]


def test_a_bare_ordinal_under_a_title_of_a_level_the_register_lacks_is_asked(registers, tmp_path):
    # 第三轮 is only the county's; the title names the city's group: which is it? held and asked
    write_xlsx(registers / "整改台账.xlsx",
               {"台账": _city_ledger("市委第三巡察组巡察县财政局反馈问题整改台账", "第三轮")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 0
    reasons = q(db, "SELECT DISTINCT reason_code, reason FROM quarantine")
    assert len(reasons) == 1 and reasons[0][0] == "unknown_round" and "市委" in reasons[0][1]


# ---- a plan's 完成时间 is when the item is due (整改任务清单 from a rectification plan, no status column)
# Layout: the task list of a 整改方案 (镇安县“五个一”: 问题、措施、责任领导、责任股室、完成时间,
# http://15m8.com/xqzc/zax/2019-09-03/1051732.html)

def _task_list(title: str):
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", "整改措施", "责任领导", "完成时间"]
    rows = [[i, "十四届县委第一轮巡察", unit, desc, "建立制度", "张三", d]
            for i, ((unit, desc, d, _s)) in enumerate(PLAN_ROWS, 1)]
    return [[title], head] + rows


def test_the_completion_dates_of_a_task_list_are_deadlines_not_rectifications(registers, tmp_path):
    write_xlsx(registers / "第一轮" / "整改任务清单.xlsx",
               {"清单": _task_list("县财政局党组落实十四届县委第一轮巡察反馈意见整改任务清单")})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = q(db, "SELECT deadline, status, rectified_date FROM stg_problems ORDER BY src_row")
    assert got == [(r[2], None, None) for r in PLAN_ROWS]  # before: all 4 rectified on their planned dates
    assert metrics(db, D(2026, 1, 31))["problems_status_unknown"] == 4
    # the same columns under a title reporting progress (落实情况) keep reading 完成时间 as done
    write_xlsx(registers / "第一轮" / "整改任务清单.xlsx",
               {"清单": _task_list("县财政局党组整改任务清单落实情况")})
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems WHERE status = 'rectified' AND status_source = 'date'")[0][0] == 4


# ---- a lead ledger that writes what happened (处理结果) but no count of people: the count is unknown, not 0

def _leads(head_extra: list[str], extra: list[list]):
    head = ["序号", "巡察轮次", "被巡察单位", "线索摘要", "移交单位", "办理情况", "处理结果"] + head_extra
    rows = [[1, "十四届县委第一轮巡察", "县财政局", "违规发放津补贴", "县纪委监委", "已办结", "给予张某党内警告处分、李某政务记过处分"],
            [2, "十四届县委第一轮巡察", "县教育局", "违规收受礼金", "县纪委监委", "已办结", "对王某进行诫勉"]]
    return [head] + [r + e for r, e in zip(rows, extra)]


def test_people_counts_no_ledger_wrote_are_unknown_not_zero(registers, tmp_path):
    from pipelines.metrics import sum_metrics
    from pipelines.report.narrative import brief_sentences

    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": _leads([], [[], []])})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert m["leads_transferred"] == 2  # before: 党纪政务处分 0 人, 组织处理 0 人, as if nobody was
    assert m["people_disciplined"] is None and m["people_org_handled"] is None
    with duckdb.connect(str(db), read_only=True) as con:
        text = "".join(brief_sentences(con, D(2024, 12, 31), metrics=m))
    assert "未填写党纪政务处分、组织处理人数" in text and "处分0人" not in text
    # a region of this county and one that wrote its counts: the written counts, not unknown
    other = {**m, "people_disciplined": 3, "people_org_handled": 1}
    assert sum_metrics([m, other])["people_disciplined"] == 3
    assert sum_metrics([m, m])["people_disciplined"] is None
    # the same ledger with the counts written (0 where nobody was disciplined)
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx",
               {"线索": _leads(["党纪政务处分", "组织处理"], [[2, 0], [0, 1]])})
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert (m["people_disciplined"], m["people_org_handled"]) == (2, 1)


# ---- one problem written over several rows: 问题 merged down over its measures, each with its own state
# (the common form of a 整改落实台账: 问题 | 整改措施 1./2./3. | 整改情况 per measure)

def test_party_and_government_sanctions_in_two_columns_are_added_up(registers, tmp_path):
    # 党纪处分（人） | 政务处分（人） side by side, or under 处理情况 (probed): the count was asked and unknown
    head = ["序号", "巡察轮次", "被巡察单位", "问题线索", "移交单位", "办理情况"]
    base = [[1, "十四届县委第一轮巡察", "县财政局", "违规发放津补贴", "县纪委监委", "已办结"],
            [2, "十四届县委第一轮巡察", "县教育局", "违规收受礼金", "县纪委监委", "已办结"]]
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": [
        head + ["党纪处分（人）", "政务处分（人）", "组织处理（人）"], base[0] + [1, 2, 0], base[1] + [None, 1, 1]]})
    write_xlsx(registers / "第二轮" / "问题线索处置台账.xlsx", {"线索": [
        head + ["处理情况", None, None], [None] * 6 + ["党纪处分", "政务处分", "组织处理"],
        [1, "十四届县委第二轮巡察", "县财政局", "违规吃喝", "县纪委监委", "已办结", 2, None, 1]]},
        merges={"线索": ["G1:I1"] + [f"{c}1:{c}2" for c in "ABCDEF"]})
    # with a 党纪政务处分 total beside its breakdown, the total is the count (the parts are not added again)
    write_xlsx(registers / "第三轮" / "问题线索处置台账.xlsx", {"线索": [
        head + ["党纪政务处分（人）", "其中：党纪处分"],
        [1, "十四届县委第三轮巡察", "县财政局", "违规经商", "县纪委监委", "已办结", 3, 2]]})
    # 党纪处分 alone is a part, not the whole: asked, never taken as the count
    write_xlsx(registers / "第四轮" / "问题线索处置台账.xlsx", {"线索": [
        head + ["党纪处分（人）"], [1, "十四届县委第二轮巡察", "县教育局", "违规借贷", "县纪委监委", "已办结", 3]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT n_disciplined FROM stg_leads WHERE src_file LIKE '第四轮/%'") == [(None,)]
    assert q(db, """SELECT round_name, n_disciplined, n_org_handled FROM stg_leads WHERE src_file NOT LIKE '第四轮/%'
                    ORDER BY round_name, src_row""") == [
        ("十四届县委第一轮巡察", 3, 0), ("十四届县委第一轮巡察", 1, 1), ("十四届县委第三轮巡察", 3, None),
        ("十四届县委第二轮巡察", 2, 1)]
    assert metrics(db, D(2024, 12, 31))["people_disciplined"] == 9


def test_a_table_of_counts_per_unit_is_asked_about_not_loaded_as_one_lead_a_row(registers, tmp_path):
    # 被巡察单位 | 移交问题线索 | 办理情况 with "3件" and "已办结2件，在办1件" (probed): loaded as 2 leads, 1 closed,
    # where 5 leads were transferred and 4 closed
    write_xlsx(registers / "第一轮" / "问题线索移交情况表.xlsx", {"S": [
        ["序号", "巡察轮次", "被巡察单位", "移交问题线索", "移交单位", "办理情况", "处分人数"],
        [1, "十四届县委第一轮巡察", "县财政局", "3件", "县纪委监委", "已办结2件，在办1件", "2人"],
        [2, "十四届县委第一轮巡察", "县教育局", "2件", "县纪委监委", "已办结2件", "1人"]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    (sheet,) = s["sheets_uncertain"]
    assert "「移交问题线索」列（D）2/2 个值是数量（如「3件」）" in sheet["reasons"][0]
    assert s["rows_quarantined"] == 2 and q(db, "SELECT count(*) FROM stg_leads")[0][0] == 0
    assert metrics(db, D(2024, 12, 31))["leads_transferred"] is None


def test_a_sanction_written_in_the_outcome_with_no_count_is_a_finding(registers, tmp_path):
    # 处理结果 "给予党内严重警告处分" with 处分人数 empty (probed): counted as nobody, without a word; a sanction
    # waived (免予处分) or only proposed (建议给予) is no sanction
    from pipelines.validate.run import validate

    head = ["序号", "巡察轮次", "被巡察单位", "问题线索", "移交单位", "办理情况", "处理结果", "处分人数", "组织处理人数"]
    rows = [("给予党内警告处分2人", 2, 0), ("给予党内严重警告处分", None, 0), ("免予党纪处分，批评教育", None, 0),
            ("建议给予政务记过处分", None, 0), ("对其诫勉谈话", 0, None), ("给予政务警告处分，调离岗位", 1, 1)]
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": [head] + [
        [i, "十四届县委第一轮巡察", "县财政局", f"线索{i}", "县纪委监委", "已办结", o, d, g]
        for i, (o, d, g) in enumerate(rows, 1)]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    found = sorted((f["row"], f["message"]) for f in validate(db, tmp_path / "reports")["findings"]
                   if f["rule"] == "outcome_without_count")
    assert [r for r, _m in found] == [3, 6]
    assert "但党纪政务处分人数为空或 0" in found[0][1] and "但组织处理人数为空或 0" in found[1][1]


def test_common_specialty_words_count_for_3n(registers, tmp_path):
    # 专业类别 干部人事 / 党建 / 执纪审查 (probed) fell into 其他, and a group with all three was said to lack 纪检
    write_xlsx(registers / "巡察组人员名单.xlsx", {"人员": [
        ["轮次", "巡察组", "姓名", "专业类别"],
        ["第一轮", "第一组", "甲", "执纪审查"], ["第一轮", "第一组", "乙", "干部人事"], ["第一轮", "第一组", "丙", "财务"],
        ["第一轮", "第二组", "丁", "纪检监察"], ["第一轮", "第二组", "戊", "党建"], ["第一轮", "第二组", "己", "审计"],
        ["第一轮", "第三组", "庚", "纪检"], ["第一轮", "第三组", "辛", "财务干部"], ["第一轮", "第三组", "壬", "信访干部"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert (m["teams_total"], m["teams_3n"]) == (3, 2)  # 第三组 has no 党务/组织 member (财务干部 is finance)


def test_a_problem_merged_over_its_measures_is_one_problem_done_only_when_all_are(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", "整改措施", "完成时限", "整改落实情况", "完成时间"]
    rows = [head,
            [1, "十四届县委第一轮巡察", "县财政局", "财政资金监管不严，部分项目资金闲置", "1.全面清理闲置资金",
             D(2019, 8, 31), "已完成", D(2019, 8, 20)],
            [None, None, None, None, "2.建立资金监管长效机制", D(2019, 9, 30), "已完成", D(2019, 9, 25)],
            [None, None, None, None, "3.收回闲置资金统筹使用", D(2019, 12, 31), "正在推进", None],
            [2, "十四届县委第一轮巡察", "县财政局", "政府采购管理不规范", "1.修订采购制度", D(2019, 9, 30), "已完成",
             D(2019, 9, 10)],
            [None, None, None, None, "2.开展采购专项检查", D(2019, 10, 31), "已完成", D(2019, 10, 20)]]
    merges = ["A2:A4", "B2:B4", "C2:C4", "D2:D4", "A5:A6", "B5:B6", "C5:C6", "D5:D6"]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": rows}, merges={"台账": merges})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    got = q(db, "SELECT problem_no, status, status_raw, rectified_date, measures FROM stg_problems ORDER BY src_row")
    # before: 3 problems loaded from the first rows (1 rectified, as if all its measures were done) and 2 rows held
    assert got == [("1", "in_progress", "已完成；正在推进", None,
                    "1.全面清理闲置资金；2.建立资金监管长效机制；3.收回闲置资金统筹使用"),
                   ("2", "rectified", "已完成", D(2019, 10, 20), "1.修订采购制度；2.开展采购专项检查")]
    assert s["rows_quarantined"] == 0
    # every source row is accounted for: the measure rows are classified as parts of the record above
    assert q(db, "SELECT row, outcome, skip_class FROM raw_rows WHERE sheet = '台账' AND row_class <> 'header' "
                 "ORDER BY row") == [(2, "loaded", None), (3, "skipped", "continuation"), (4, "skipped", "continuation"),
                                     (5, "loaded", None), (6, "skipped", "continuation")]
    m = metrics(db, D(2019, 12, 31))
    assert (m["problems_total"], m["problems_rectified"]) == (2, 1)


def test_a_lead_merged_over_a_row_per_person_is_one_lead_with_their_people(registers, tmp_path):
    # 线索编号 and 问题线索 merged down over a row per person (probed): before, 3 leads where there are 2, the
    # second person's row loaded as a lead without a number
    head = ["线索编号", "巡察轮次", "被巡察单位", "被反映人", "问题线索", "移交单位", "办理情况", "党纪政务处分人数", "组织处理人数"]
    rows = [head,
            ["XC1-01", "十四届县委第一轮巡察", "县财政局", "王某", "违规发放津补贴", "县纪委监委", "已办结", 1, 0],
            [None, None, None, "赵某", None, "县纪委监委", "已办结", 0, 1],
            ["XC1-02", "十四届县委第一轮巡察", "县财政局", "钱某", "违规吃喝", "县纪委监委", "已办结", 1, 0],
            ["XC1-03", "十四届县委第一轮巡察", "县教育局", "孙某", "违规收受礼金", "县纪委监委", "已办结", 1, 0],
            [None, None, None, "李某", None, "县纪委监委", "初核中", 0, 0]]
    merges = ["A2:A3", "B2:B3", "C2:C3", "E2:E3", "A5:A6", "B5:B6", "C5:C6", "E5:E6"]
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": rows}, merges={"线索": merges})
    # two leads of one unit summarised alike on consecutive rows, each with its own number: two leads
    write_xlsx(registers / "第一轮" / "县教育局线索台账.xlsx", {"线索": [
        ["序号", "巡察轮次", "被巡察单位", "被反映人", "问题线索", "移交单位", "办理情况"],
        [1, "十四届县委第一轮巡察", "县教育局", "周某", "违规吃喝", "县纪委监委", "已办结"],
        [2, "十四届县委第一轮巡察", "县教育局", "吴某", "违规吃喝", "县纪委监委", "已办结"]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0, q(db, "SELECT file, row, reason FROM quarantine")
    assert q(db, """SELECT lead_no, status, subject, n_disciplined, n_org_handled FROM stg_leads
                    WHERE src_file LIKE '%问题线索处置台账%' ORDER BY src_row""") == [
        ("XC1-01", "closed", "王某；赵某", 1, 1), ("XC1-02", "closed", "钱某", 1, 0),
        ("XC1-03", "open", "孙某；李某", 1, 0)]
    assert q(db, "SELECT count(*) FROM raw_rows WHERE skip_class = 'continuation'")[0][0] == 2
    m = metrics(db, D(2024, 12, 31))
    assert (m["leads_transferred"], m["leads_closed"], m["people_disciplined"], m["people_org_handled"]) == (5, 4, 3, 1)


def test_a_lead_total_repeated_on_each_of_its_rows_is_not_added_up(registers, tmp_path):
    # one lead over two rows (问题线索 merged), 处分人数 2 written on both: the lead's 2 people written twice, or
    # 2 on each row? Before, added up to 4 with no word. A person's row holds 0 or 1, so neither is believed:
    # the count is left empty with a finding naming the rows' numbers
    head = ["线索编号", "巡察轮次", "被巡察单位", "被反映人", "问题线索", "移交单位", "办理情况", "党纪政务处分人数", "组织处理人数"]
    rows = [head,
            ["XC1-01", "十四届县委第一轮巡察", "县财政局", "王某、赵某", "违规发放津补贴", "县纪委监委", "已办结", 2, 1],
            [None, None, None, "王某、赵某", None, "县纪委监委", "已办结", 2, 1],
            ["XC1-02", "十四届县委第一轮巡察", "县财政局", "钱某", "违规吃喝", "县纪委监委", "已办结", 1, 0],
            [None, None, None, "孙某", None, "县纪委监委", "已办结", 1, 0]]
    merges = ["A2:A3", "B2:B3", "C2:C3", "E2:E3", "A4:A5", "B4:B5", "C4:C5", "E4:E5"]
    write_xlsx(registers / "第一轮" / "问题线索处置台账.xlsx", {"线索": rows}, merges={"线索": merges})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT lead_no, n_disciplined, n_org_handled FROM stg_leads ORDER BY src_row") == [
        ("XC1-01", None, 2), ("XC1-02", 2, 0)]  # 1 | 1 (and 1 | 1): a row per person, added up
    (msg,) = [r for (r,) in q(db, "SELECT message FROM findings WHERE field = '党纪政务处分人数' OR message LIKE '%都写了 2%'")]
    assert "2 行都写了 2" in msg, msg


def test_a_problem_repeated_on_each_of_its_measure_rows_is_one_problem(registers, tmp_path):
    # 序号 and 问题 written again on every measure row: before, 4 problems (2 rectified) with a duplicate-key
    # warning where there are 2, neither done
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", "整改措施", "整改情况"]
    rows = [head,
            [1, "十四届县委第一轮巡察", "县财政局", "财政资金监管不严", "1.全面清理闲置资金", "已完成"],
            [1, "十四届县委第一轮巡察", "县财政局", "财政资金监管不严", "2.收回闲置资金", "正在推进"],
            [2, "十四届县委第一轮巡察", "县财政局", "政府采购管理不规范", "1.修订采购制度", "已完成"],
            [2, "十四届县委第一轮巡察", "县财政局", "政府采购管理不规范", "2.开展专项检查", "未开始"],
            [3, "十四届县委第一轮巡察", "县财政局", "财政资金监管不严", "另一问题的同样说法", "已完成"]]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT problem_no, status FROM stg_problems ORDER BY src_row") == [
        ("1", "in_progress"), ("2", "in_progress"), ("3", "rectified")]
    assert q(db, "SELECT count(*) FROM raw_rows WHERE skip_class = 'continuation'")[0][0] == 2


def test_a_problem_repeated_without_a_number_is_still_one_problem(registers, tmp_path):
    # no 序号 column, 问题描述 written again on each measure row: one problem (the number is asked for leads only)
    head = ["巡察轮次", "被巡察单位", "反馈问题", "整改措施", "整改情况"]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": [head,
        ["十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "1.建立制度", "已完成"],
        ["十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", "2.清理资金", "整改中"],
        ["十四届县委第一轮巡察", "县财政局", "公车管理不规范", "1.建立台账", "已完成"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert (m["problems_total"], m["problems_rectified"]) == (2, 1)


# ---- the register's 是否纳入巡察范围: a word it cannot read is asked, never taken as 是

def test_an_in_scope_word_that_cannot_be_read_is_unknown_and_asked(tmp_path):
    from pipelines.validate.run import validate

    raw = tmp_path / "raw"
    units = [["单位名称", "单位类别", "是否纳入巡察范围"], ["山丹县财政局", "县直部门", "是"],
             ["山丹县审计局", "县直部门", "不列入"], ["山丹县卫生健康局", "县直部门", "已撤并"],
             ["山丹县教育局", "县直部门", "暂缓巡察"], ["清泉镇", "乡镇", None]]
    write_xlsx(raw / "名册.xlsx", {"名册": units})
    db = tmp_path / "wh.duckdb"
    ingest(raw, db)
    assert dict(q(db, "SELECT unit_name, in_scope FROM stg_units")) == {
        "山丹县财政局": True, "山丹县审计局": False, "山丹县卫生健康局": False, "山丹县教育局": None, "清泉镇": True}
    assert metrics(db, D(2024, 12, 31))["units_in_scope"] == 2  # before: 4 (every word but 否 read as 是)
    out = tmp_path / "reports"
    validate(db, out)
    from openpyxl import load_workbook

    wb = load_workbook(out / "quality" / "待确认事项.xlsx")
    seen = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert "暂缓巡察" in seen


# ---- a meeting's type: a note in brackets does not outrank what the meeting is

def test_a_leading_group_meeting_hearing_the_office_is_a_leading_group_meeting(registers, tmp_path):
    rows = [["会议时间", "会议名称", "议题"],
            [D(2024, 3, 5), "县委巡察工作领导小组会议（听取县委巡察办关于第三轮巡察情况汇报）", "听取汇报"],
            [D(2024, 4, 9), "巡察办主任会议", "部署工作"]]
    write_xlsx(registers / "会议.xlsx", {"会议": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT meeting_type FROM stg_meetings ORDER BY meeting_date") == [("leading_group",), ("other",)]


# ---- a roster without the members' 专业 (抽调单位): whether a group is "3+N" is unknown, not "no group is"

def test_a_roster_without_specialties_leaves_3n_unknown_and_says_so(registers, tmp_path):
    from pipelines.validate.run import validate

    rows = [["巡察轮次", "巡察组", "姓名", "职务"],
            ["十四届县委第一轮巡察", "第一巡察组", "王伟", "组长"], ["十四届县委第一轮巡察", "第一巡察组", "赵敏", "组员"],
            ["十四届县委第一轮巡察", "第二巡察组", "陈静", "组长"], ["十四届县委第一轮巡察", "第二巡察组", "周涛", "组员"]]
    write_xlsx(registers / "巡察组" / "巡察组人员名单.xlsx", {"名单": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert m["teams_total"] == 2 and m["teams_3n"] is None  # before: 0 of 2, as if both groups were short
    result = validate(db, tmp_path / "reports")
    assert result["counts"].get("team_3n") == 2
    text = (tmp_path / "reports" / "quality" / "findings.csv").read_text(encoding="utf-8-sig")
    assert "专业（抽调单位）没有填写" in text


def test_a_group_whose_blank_member_could_be_the_missing_kind_is_not_called_short(registers, tmp_path):
    # 第一组: 纪检, 财务 and one member with no 专业 written: that member may be the 党务 one, so the group is
    # undecided and the county's count unknown (before: "缺少：党务/组织" and 1 of 2 groups)
    from pipelines.validate.run import validate

    write_xlsx(registers / "巡察组人员名单.xlsx", {"人员": [
        ["轮次", "巡察组", "姓名", "专业类别"],
        ["第一轮", "第一组", "甲", "纪检"], ["第一轮", "第一组", "乙", "财务"], ["第一轮", "第一组", "丙", None],
        ["第一轮", "第二组", "丁", "纪检监察"], ["第一轮", "第二组", "戊", "党建"], ["第一轮", "第二组", "己", "审计"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, D(2024, 12, 31))
    assert (m["teams_total"], m["teams_3n"]) == (2, None)
    assert q(db, "SELECT \"group\", is_3n, n_specialty_unknown FROM mart_teams ORDER BY \"group\"") == [
        ("第一组", None, 1), ("第二组", True, 0)]
    found = [f["message"] for f in validate(db, tmp_path / "reports")["findings"] if f["rule"] == "team_3n"]
    assert len(found) == 1
    assert "1 名组员的专业（抽调单位）没有填写或读不出" in found[0] and "其余组员中没有：党务/组织" in found[0]
    assert "缺少：" not in found[0]


# ---- two units' ledgers one under the other on one sheet, each under its own title and header

def test_a_second_table_under_its_own_title_takes_its_unit_from_that_title(registers, tmp_path):
    head = ["序号", "问题描述", "整改措施", "整改时限", "整改情况"]
    rows = [["山丹县财政局十四届县委第一轮巡察反馈问题整改台账"], head,
            [1, "专项资金拨付不及时", "建立制度", D(2019, 8, 31), "已完成"],
            [2, "三重一大决策制度执行不到位", "修订制度", D(2019, 12, 31), "正在整改"],
            [None],
            ["山丹县教育局十四届县委第一轮巡察反馈问题整改台账"], head,
            [1, "学校食堂管理不规范", "建立台账", D(2019, 9, 30), "已完成"]]
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"台账": rows}, merges={"台账": ["A1:E1", "A6:E6"]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    # before: 教育局's problem was credited to 财政局 and its title row held for a missing 问题描述
    assert q(db, "SELECT unit_name, problem_no FROM stg_problems ORDER BY src_row") == [
        ("山丹县财政局", "1"), ("山丹县财政局", "2"), ("山丹县教育局", "1")]
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT row_class FROM raw_rows WHERE sheet = '台账' AND row = 6") == [("title",)]


def test_the_same_number_and_problem_under_two_units_titles_are_two_problems(registers, tmp_path):
    head = ["序号", "问题描述", "整改措施", "整改情况"]
    rows = [["山丹县财政局巡察反馈问题整改台账"], head, [1, "三重一大决策制度执行不到位", "修订制度", "已完成"],
            ["山丹县教育局巡察反馈问题整改台账"], head, [1, "三重一大决策制度执行不到位", "修订制度", "正在整改"]]
    write_xlsx(registers / "第一轮" / "十四届县委第一轮巡察整改台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT unit_name, status FROM stg_problems ORDER BY src_row") == [
        ("山丹县财政局", "rectified"), ("山丹县教育局", "in_progress")]


def test_rows_numbered_apart_under_one_merged_problem_are_not_folded_into_it(registers, tmp_path):
    # 反馈问题 merged over three rows that carry their own 序号 and 具体表现: three problems under one heading, not
    # one problem with three measures; the rows the merge leaves without a description stay held (and asked)
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", "具体表现", "整改情况"]
    rows = [head,
            [1, "十四届县委第一轮巡察", "县财政局", "落实全面从严治党主体责任不到位", "学习不深入", "已完成"],
            [2, "十四届县委第一轮巡察", "县财政局", None, "谈心谈话不经常", "正在整改"],
            [3, "十四届县委第一轮巡察", "县财政局", None, "警示教育不够", "已完成"]]
    write_xlsx(registers / "第一轮" / "县财政局整改台账.xlsx", {"台账": rows}, merges={"台账": ["D2:D4"]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert q(db, "SELECT problem_no, status FROM stg_problems") == [("1", "rectified")]
    assert s["rows_quarantined"] == 2
    assert q(db, "SELECT count(*) FROM raw_rows WHERE skip_class = 'continuation'")[0][0] == 0


def test_a_subheading_above_a_repeated_header_is_no_section_title(registers, tmp_path):
    head = ["序号", "问题描述", "整改措施", "整改情况"]
    rows = [["山丹县财政局十四届县委第一轮巡察反馈问题整改台账"], head, ["一、政治建设方面"],
            [1, "三重一大决策制度执行不到位", "修订制度", "已完成"],
            ["二、作风建设方面"], head, [2, "公务接待不规范", "建立台账", "已完成"]]
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert q(db, "SELECT unit_name, problem_no FROM stg_problems ORDER BY src_row") == [
        ("山丹县财政局", "1"), ("山丹县财政局", "2")]
    assert s["rows_quarantined"] == 0


def test_a_register_remark_about_scope_is_read_when_there_is_no_in_scope_column(tmp_path):
    # no 是否纳入巡察范围 column, a 备注 saying 不纳入巡察范围（垂管） or 2024年机构改革撤并: before, every unit counted
    # in scope; a remark the 是/否 list cannot read is asked
    raw = tmp_path / "raw"
    units = [["单位名称", "单位类别", "备注"], ["山丹县财政局", "县直部门", None],
             ["山丹县审计局", "县直部门", "不纳入巡察范围（垂管）"], ["山丹县卫生健康局", "县直部门", "2024年机构改革撤并"],
             ["山丹县教育局", "县直部门", "2023年新设"], ["清泉镇", "乡镇", "暂缓纳入巡察范围"]]
    write_xlsx(raw / "名册.xlsx", {"名册": units})
    db = tmp_path / "wh.duckdb"
    ingest(raw, db)
    assert dict(q(db, "SELECT unit_name, in_scope FROM stg_units")) == {
        "山丹县财政局": True, "山丹县审计局": False, "山丹县卫生健康局": False, "山丹县教育局": True, "清泉镇": None}
    assert q(db, "SELECT in_scope_raw FROM stg_units WHERE unit_name = '清泉镇'") == [("暂缓纳入巡察范围",)]


# ---- the office's 汇总 writes a list number in front of each problem it copies ("1.", "（二）", "3、")

def test_a_summary_numbering_its_copied_problems_in_the_text_counts_each_once(registers, tmp_path):
    for unit in ("县财政局", "县教育局", "清泉镇"):
        mine = [r for r in ROWS if r[0] == unit]
        write_xlsx(registers / "第一轮" / f"{unit}整改台账.xlsx", {"台账": _problems(mine)})
    marks = {1: "1.", 2: "（二）", 3: "3、", 4: "④"}
    summary = _problems(ROWS)
    for i, row in enumerate(summary[1:], 1):
        row[3] = marks[i] + row[3]
    write_xlsx(registers / "第一轮" / "整改情况汇总表.xlsx", {"汇总": summary})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    # before: the copies numbered （二） and 3、 were problems of their own (6, not 4)
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 4
    assert metrics(db, D(2020, 6, 30))["problems_total"] == 4


# ---- one 整改时限 / 整改情况 cell merged down over several problems holds for each of them

def test_a_deadline_and_state_merged_over_several_problems_hold_for_each(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改时限", "整改情况"]
    write_xlsx(registers / "第五轮" / "财政局整改台账.xlsx", {"Sheet1": [head,
        [1, "十四届县委第一轮巡察", "县财政局", "三重一大制度执行不到位", D(2019, 9, 30), "正在整改"],
        [2, "十四届县委第一轮巡察", "县财政局", "财务报销手续不全", None, None],
        [3, "十四届县委第一轮巡察", "县财政局", "公务接待超标准", None, None],
        [4, "十四届县委第一轮巡察", "县财政局", "固定资产账实不符", D(2020, 12, 31), "已完成"],
        [5, "十四届县委第一轮巡察", "县财政局", "专项资金拨付不及时", None, None]]},
        merges={"Sheet1": ["E2:E4", "F2:F4", "F5:F6"]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT problem_no, deadline, status FROM stg_problems ORDER BY problem_no") == [
        ("1", D(2019, 9, 30), "in_progress"), ("2", D(2019, 9, 30), "in_progress"),
        ("3", D(2019, 9, 30), "in_progress"), ("4", D(2020, 12, 31), "rectified"), ("5", None, "rectified")]
    m = metrics(db, D(2020, 6, 30))
    # before: the rows under the merge had no deadline and no state (overdue 1, status unknown 3)
    assert (m["problems_total"], m["problems_rectified"], m["problems_overdue"], m["problems_status_unknown"]) \
        == (5, 2, 3, 0)


def test_a_state_merged_over_the_measure_rows_of_one_problem_is_its_state(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "整改情况"]
    write_xlsx(registers / "第五轮" / "财政局整改台账.xlsx", {"Sheet1": [head,
        [1, "十四届县委第一轮巡察", "县财政局", "三重一大制度执行不到位", "修订议事规则", "已完成"],
        [None, None, None, None, "开展专题学习", None],
        [2, "十四届县委第一轮巡察", "县财政局", "财务报销手续不全", "补齐报销手续", "正在整改"]]},
        merges={"Sheet1": ["A2:A3", "B2:B3", "C2:C3", "D2:D3", "F2:F3"]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT problem_no, measures, status FROM stg_problems ORDER BY problem_no") == [
        ("1", "修订议事规则；开展专题学习", "rectified"), ("2", "补齐报销手续", "in_progress")]


# ---- a unit's 小计 row and a sentence summing up its problems are totals, not problems

def test_a_units_subtotal_row_and_summing_up_sentence_are_not_problems(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "问题描述", "整改时限", "整改情况"]
    write_xlsx(registers / "第五轮" / "整改情况汇总表.xlsx", {"Sheet1": [head,
        [1, "十四届县委第一轮巡察", "县财政局", "三重一大制度执行不到位", D(2019, 9, 30), "已完成"],
        [2, "十四届县委第一轮巡察", "县财政局", "财务报销手续不全", D(2019, 9, 30), "正在整改"],
        [None, None, "县财政局小计", "共2个问题，已整改1个，正在整改1个", None, None],
        [3, "十四届县委第一轮巡察", "县教育局", "学校食堂管理不规范", D(2019, 9, 30), "已完成"],
        [None, None, None, "共1个问题，已整改1个", None, None],
        [4, "十四届县委第一轮巡察", "县教育局", "共3个村未按时公开财务", D(2019, 9, 30), "已完成"]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert q(db, "SELECT problem_no FROM stg_problems ORDER BY problem_no") == [("1",), ("2",), ("3",), ("4",)]
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT count(*) FROM raw_rows WHERE row_class = 'total'")[0][0] == 2
    assert metrics(db, D(2020, 6, 30))["problems_total"] == 4


# ---- one column for the measures and the state together (整改措施及落实情况): its sentences give the state

@pytest.mark.parametrize("header", ["整改措施及落实情况", "整改措施及完成情况"])
def test_a_measures_and_state_column_gives_the_state_it_states(registers, tmp_path, header):
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", header, "整改时限"]
    write_xlsx(registers / "第一轮" / "财政局整改台账.xlsx", {"Sheet1": [head,
        [1, "十四届县委第一轮巡察", "县财政局", "三重一大制度执行不到位", "修订议事规则，已完成整改", D(2019, 9, 30)],
        [2, "十四届县委第一轮巡察", "县财政局", "财务报销手续不全", "补齐手续，正在整改", D(2019, 9, 30)],
        [3, "十四届县委第一轮巡察", "县财政局", "公务接待超标准", "退还超标费用", D(2019, 9, 30)]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT measures, status FROM stg_problems ORDER BY problem_no") == [
        ("修订议事规则，已完成整改", "rectified"), ("补齐手续，正在整改", "in_progress"), ("退还超标费用", None)]
    m = metrics(db, D(2020, 6, 30))
    # before: all three unknown; the one that names no state stays unknown (asked), never counted done
    assert (m["problems_rectified"], m["problems_overdue"], m["problems_status_unknown"]) == (1, 1, 1)


# ---- 立行立改 is no date, so never overdue: one still open long after the feedback is pointed at

def test_an_immediate_fix_still_open_months_after_feedback_is_pointed_at(registers, tmp_path):
    head = ["序号", "巡察轮次", "被巡察单位", "反馈问题", "整改时限", "整改情况"]
    write_xlsx(registers / "第一轮" / "财政局整改台账.xlsx", {"Sheet1": [head,
        [1, "十四届县委第一轮巡察", "县财政局", "三重一大制度执行不到位", "立行立改", "正在整改"],
        [2, "十四届县委第一轮巡察", "县财政局", "财务报销手续不全", "立行立改", "已完成"],
        [3, "十四届县委第一轮巡察", "县财政局", "公务接待超标准", "长期坚持", "正在整改"]]})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    from pipelines.validate.run import validate
    result = validate(db, tmp_path / "reports")
    hits = [(f["row"], f["value"]) for f in result["findings"] if f["rule"] == "immediate_still_open"]
    assert hits == [(2, "立行立改")]
    assert metrics(db, D(2020, 6, 30))["problems_overdue"] == 0  # the metric keeps the contract's definition
