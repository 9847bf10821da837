"""Real ledger layouts beyond one record per row, each built as a real xlsx file from a layout seen in
published material (the source is cited above each test): transposed tables, several units or names in
one cell, rounds written as 届次 / 年度 / 轮次 columns, names under 组长 / 副组长 / 组员, numbered
sub-headings inside the body, and sign-off footers."""

from __future__ import annotations

import json

from tests.conftest import REGISTER_UNITS, write_xlsx
from tests.test_ingest_messy import assert_balanced, q, run


def _sheet_rows(db, file):
    return q(db, "SELECT row, row_class, outcome FROM raw_rows WHERE file = ? ORDER BY row, row_class, outcome", [file])


# A round's statistics written item by item, as the published round summaries give them ("全州巡察共发现各类问题
# 8483个,移交问题线索1193件,立案人数238人,受党纪政务处分223人": http://ynjjjc.gov.cn/html/2019/yunlingyaowen_1127/77028.html):
# field names down column A, one column per round.
def test_transposed_round_statistics_are_read_with_every_cell_traceable(registers, tmp_path):
    rows = [["巡察情况统计表（统计截至2020年6月30日）"],
            ["巡察轮次", "十四届县委第一轮巡察", "十四届县委第二轮巡察"],
            ["发现问题（个）", 12, 8],
            ["移交问题线索（件）", 3, "2件"],
            ["已办结（件）", 2, "待统计"],
            ["党纪政务处分（人）", 1, "2人"],
            ["备注", None, "含延伸巡察"],
            ["填表人：张三"]]
    write_xlsx(registers / "统计" / "巡察情况统计.xlsx", {"统计": rows}, {"统计": ["A1:C1"]})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["sheets_unclassified"] == [] and s["loaded_by_kind"]["round_stats"] == 2
    assert q(db, "SELECT round_name, problems_found, leads_transferred, leads_closed, n_disciplined, src_row "
                 "FROM stg_round_stats ORDER BY round_name") == [
        ("十四届县委第一轮巡察", 12, 3, 2, 1, 2), ("十四届县委第二轮巡察", 8, 2, None, 2, 2)]
    # a record is a source column: each of its cells keeps its real column letter and Excel row
    (cells,) = q(db, "SELECT src_cells FROM stg_round_stats WHERE round_name = '十四届县委第二轮巡察'")[0]
    assert json.loads(cells) == [["C", "巡察轮次", "十四届县委第二轮巡察", 2], ["C", "发现问题（个）", "8", 3],
                                 ["C", "移交问题线索（件）", "2件", 4], ["C", "已办结（件）", "待统计", 5],
                                 ["C", "党纪政务处分（人）", "2人", 6], ["C", "备注", "含延伸巡察", 7]]
    # an unreadable value is reported at its own cell, not at the record's first row
    assert q(db, "SELECT row, column_letter, raw_value FROM findings") == [(5, "C", "待统计")]
    assert _sheet_rows(db, "统计/巡察情况统计.xlsx") == [
        (1, "title", "skipped"), (2, "data", "loaded"), (2, "data", "loaded"), (2, "header", "skipped"),
        (8, "footer", "skipped")]
    assert q(db, "SELECT header_row, stated_as_of FROM sheets WHERE sheet = '统计'")[0][0] == 2


def test_a_transposed_sheet_with_a_field_no_column_knows_is_asked_about_and_validation_runs(registers, tmp_path):
    # a field the contract does not know (被巡察单位数) used to stop validation for the whole warehouse: the
    # question's samples read a transposed cell as three items, and it has four (its Excel row as well)
    from pipelines.answers import COLUMN, read_workbook
    from pipelines.validate.run import validate

    rows = [["巡察轮次", "十四届县委第一轮巡察", "十四届县委第二轮巡察"],
            ["被巡察单位数", 12, 9],
            ["发现问题（个）", 12, 8],
            ["移交问题线索（件）", 3, 2],
            ["已办结（件）", 2, 1]]
    write_xlsx(registers / "统计" / "巡察情况统计.xlsx", {"统计": rows})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["round_stats"] == 2
    validate(db, tmp_path / "out")
    asked = read_workbook(tmp_path / "out" / "quality" / "待确认事项.xlsx")[COLUMN]
    assert [(r.get("看到的"), r.get("示例")) for r in asked] == [("被巡察单位数", "12；9")]


# A unit's details as a form, one field per line (单位基本信息表 "反映行政事业单位类别…等基本概况":
# https://m.wenke99.com/p-4975888.html), here one column per unit; the units it registers resolve like any other.
def test_transposed_unit_details_register_units_that_ledgers_then_resolve(registers, tmp_path):
    rows = [["单位基本信息表"], ["单位名称", "山丹县审计局", "山丹县统计局"], ["单位类别", "县直部门", "县直部门"],
            ["简称", "县审计局", None], ["是否纳入巡察范围", "是", "否"]]
    write_xlsx(registers / "单位基本信息.xlsx", {"基本信息": rows})
    write_xlsx(registers / "第一轮" / "名单.xlsx", {"S": [["巡察组", "被巡察单位"], ["第一巡察组", "县财政局、县审计局"]]})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT unit_name, unit_type, aliases, in_scope, src_row FROM stg_units WHERE src_file = '单位基本信息.xlsx' "
                 "ORDER BY 1") == [("山丹县审计局", "department", "县审计局", True, 2),
                                   ("山丹县统计局", "department", None, False, 2)]
    assert q(db, "SELECT unit_name FROM stg_inspections ORDER BY 1") == [("山丹县审计局",), ("山丹县财政局",)]


def test_an_ordinary_table_is_never_read_as_transposed(registers, tmp_path):
    rows = [["巡察轮次", "发现问题（个）", "移交线索（件）"], ["十四届县委第一轮巡察", 12, 3], ["十四届县委第二轮巡察", 8, 2]]
    write_xlsx(registers / "统计.xlsx", {"统计": rows})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT round_name, problems_found, src_row FROM stg_round_stats ORDER BY 3") == [
        ("十四届县委第一轮巡察", 12, 2), ("十四届县委第二轮巡察", 8, 3)]


# One group inspects several units, written in one cell: "十三届县委第三轮巡察派出4个巡察组,对东北街社区、寺脚社区、
# …12个村(社区)党组织开展常规巡察" (http://jw.km.gov.cn/c/2022-05-30/4391219.shtml); "十四届县委第五轮巡察对县行政审批局、
# 县医保局、…等11家单位党组织开展常规巡察…4个巡察组" (http://www.hntjqxw.com/detail/index/id/295/aid/16938.html).
def test_several_units_in_one_cell_give_one_inspection_each_and_all_must_resolve(registers, tmp_path):
    rows = [["十四届县委第一轮巡察巡察对象安排表"], ["巡察组", "巡察对象", "进驻时间"],
            ["第一巡察组", "巡察对象：县财政局、县教育局", "2019-03-01"],
            ["第二巡察组", "清泉镇，位奇镇", "2019-03-02"],
            ["第三巡察组", "县财政局、县审计厅", "2019-03-03"],
            ["第四巡察组", "南关村", "2019-03-04"]]
    write_xlsx(registers / "第一轮" / "巡察对象.xlsx", {"安排": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT \"group\", unit_name, start_date::VARCHAR, src_row FROM stg_inspections ORDER BY 4, 2") == [
        ("第一巡察组", "山丹县教育局", "2019-03-01", 3), ("第一巡察组", "山丹县财政局", "2019-03-01", 3),
        ("第二巡察组", "位奇镇", "2019-03-02", 4), ("第二巡察组", "清泉镇", "2019-03-02", 4),
        ("第四巡察组", "南关村", "2019-03-04", 6)]
    # loaded_by_kind and rows_loaded count source rows (ARCHITECTURE): 3 rows loaded, 5 inspections
    assert s["loaded_by_kind"]["inspections"] == 3
    assert q(db, "SELECT rows_read, rows_loaded, rows_quarantined FROM files WHERE path = '第一轮/巡察对象.xlsx'") == [
        (6, 3, 1)]
    (row, code, reason), = q(db, "SELECT row, reason_code, reason FROM quarantine")
    assert (row, code) == (5, "unknown_unit")
    assert "2 个单位" in reason and "「县审计厅」" in reason and "县财政局" in reason


def test_a_separator_inside_brackets_is_part_of_one_units_name(registers, tmp_path):
    # 丹阳 进驻一览表: "统战部(台工办、民宗局…)" is one unit (http://www.jsdyjw.gov.cn/show.asp?id=3631)
    from pipelines.ingest.layouts import split_units

    assert split_units("县委统战部（民宗局、侨办）、县财政局") == ["县委统战部（民宗局、侨办）", "县财政局"]
    units = REGISTER_UNITS + [["中共山丹县委统战部（民宗局、侨办）", "县直部门", "县委统战部（民宗局、侨办）"]]
    write_xlsx(registers / "名册.xlsx", {"名册": units, "轮次": [["轮次名称", "巡察类型"], ["十四届县委第一轮巡察", "常规巡察"]]})
    rows = [["十四届县委第一轮巡察巡察对象安排表"], ["巡察组", "巡察对象", "进驻时间"],
            ["第一巡察组", "县委统战部（民宗局、侨办）、县财政局", "2019-03-01"]]
    write_xlsx(registers / "第一轮" / "巡察对象.xlsx", {"安排": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT unit_name FROM stg_inspections ORDER BY 1") == [
        ("中共山丹县委统战部（民宗局、侨办）",), ("山丹县财政局",)]


def test_a_row_whose_first_unit_is_already_listed_elsewhere_still_counts_as_loaded(registers, tmp_path):
    head = ["巡察组", "被巡察单位", "进驻时间"]
    write_xlsx(registers / "第一轮" / "a.xlsx", {"S": [head, ["第一巡察组", "县财政局", "2019-03-01"]]})
    write_xlsx(registers / "第一轮" / "b.xlsx", {"S": [head, ["第一巡察组", "县财政局、县教育局", "2019-03-01"]]})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT unit_name, src_file FROM stg_inspections ORDER BY 1") == [
        ("山丹县教育局", "第一轮/b.xlsx"), ("山丹县财政局", "第一轮/a.xlsx")]
    assert s["loaded_by_kind"]["inspections"] == 2
    assert q(db, "SELECT file, outcome FROM raw_rows WHERE row = 2 AND file LIKE '第一轮/%' ORDER BY 1") == [
        ("第一轮/a.xlsx", "loaded"), ("第一轮/b.xlsx", "loaded")]


# Rounds named by 届次 and 轮次 ("十四届县委第五轮巡察": http://www.hntjqxw.com/detail/index/id/295/aid/16938.html;
# "十七届县委第六轮巡察": http://www.qinan.gov.cn/info/13252/1165052.htm), written in two columns of a ledger.
def test_round_composed_from_separate_term_and_number_columns(registers, tmp_path):
    write_xlsx(registers / "轮次补充.xlsx", {"轮次": [["轮次名称", "巡察类型"], ["十五届县委第一轮巡察", "常规巡察"]]})
    rows = [["届次", "轮次", "被巡察单位", "问题描述", "整改情况"],
            ["十四届", 1, "县财政局", "问题甲", "已整改"],
            [None, "第三轮", "清泉镇", "问题乙", "整改中"],
            ["第十五届", "1", "位奇镇", "问题丙", "已整改"],
            ["十四届", "十四届县委第二轮巡察", "县教育局", "问题丁", "已整改"]]
    write_xlsx(registers / "台账.xlsx", {"S": rows}, {"S": ["A2:A3"]})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT description, round_name, round_term FROM stg_problems ORDER BY 1") == [
        ("问题丁", "十四届县委第二轮巡察", "十四届"), ("问题丙", "十五届县委第一轮巡察", "第十五届"),
        ("问题乙", "十四届县委第三轮巡察", "十四届"), ("问题甲", "十四届县委第一轮巡察", "十四届")]


def test_round_register_written_as_term_and_number_columns(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS,
                                  "轮次": [["届次", "轮次", "巡察类型"], ["十四届", "第一轮", "常规巡察"],
                                           [None, "第二轮", "专项巡察"], ["十五届", "第一轮", "常规巡察"]]},
               {"轮次": ["A2:A3"]})
    write_xlsx(raw / "台账.xlsx", {"S": [["巡察轮次", "被巡察单位", "问题描述", "整改情况"],
                                        ["十四届县委第二轮巡察", "清泉镇", "问题甲", "已整改"]]})
    db, s = run(raw, tmp_path)
    assert q(db, "SELECT round_name, round_kind FROM stg_rounds ORDER BY 1") == [
        ("十五届县委第一轮巡察", "regular"), ("十四届县委第一轮巡察", "regular"), ("十四届县委第二轮巡察", "special")]
    assert q(db, "SELECT round_name FROM stg_problems") == [("十四届县委第二轮巡察",)]


# Team lists by group with the names under 组长 / 副组长 / 组员 (the published list "巡視組別 | 組長 | 職務":
# http://fanfu.people.com.cn/BIG5/n/2013/0605/c64371-21738743.html; roles 组长、副组长 and the other members:
# http://www.x320.cn/content/2016-08/30/content_5384756.htm), rounds named by 年度 + 轮次.
def test_team_list_with_names_under_role_columns(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS,
                                  "轮次": [["轮次名称", "巡察类型"], ["2021年第一轮巡察", "常规巡察"],
                                           ["2022年第一轮巡察", "常规巡察"]]})
    rows = [["县委巡察组人员名单"], ["年度", "轮次", "巡察组", "组长", "副组长", "组员"],
            [2021, "第一轮", "第一巡察组", "张三", "李四、王五", "赵六，孙七 周八"],
            ["2021年", 1, "第二巡察组", "欧阳明", "吴　九", "郑十\n冯十一"],
            [2022, "第一轮", "第三巡察组", None, None, None]]
    write_xlsx(raw / "巡察组" / "名单.xlsx", {"名单": rows})
    db, s = run(raw, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT round_name, \"group\", member_name, role, role_raw, src_row FROM stg_team ORDER BY ALL") == sorted([
        ("2021年第一轮巡察", "第一巡察组", "王五", "deputy", "副组长", 3),
        ("2021年第一轮巡察", "第一巡察组", "李四", "deputy", "副组长", 3),
        ("2021年第一轮巡察", "第一巡察组", "张三", "leader", "组长", 3),
        ("2021年第一轮巡察", "第一巡察组", "周八", "member", "组员", 3),
        ("2021年第一轮巡察", "第一巡察组", "孙七", "member", "组员", 3),
        ("2021年第一轮巡察", "第一巡察组", "赵六", "member", "组员", 3),
        ("2021年第一轮巡察", "第二巡察组", "吴九", "deputy", "副组长", 4),  # "吴　九": one name, padded
        ("2021年第一轮巡察", "第二巡察组", "欧阳明", "leader", "组长", 4),
        ("2021年第一轮巡察", "第二巡察组", "冯十一", "member", "组员", 4),
        ("2021年第一轮巡察", "第二巡察组", "郑十", "member", "组员", 4)])
    assert s["loaded_by_kind"]["team"] == 2
    # a group row without any name is held, not dropped
    assert q(db, "SELECT row, reason_code FROM quarantine") == [(5, "missing_required")]
    assert "leaders" not in {c for (c,) in q(db, "SELECT column_name FROM information_schema.columns "
                                                 "WHERE table_name = 'stg_team'")}


def test_a_dash_or_none_under_a_role_is_nobody(tmp_path):
    # "—" under 副组长 (no deputy this time) was loaded as a person named "—"
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS,
                                  "轮次": [["轮次名称", "巡察类型"], ["2021年第一轮巡察", "常规巡察"]]})
    rows = [["年度", "轮次", "巡察组", "组长", "副组长", "组员"],
            [2021, "第一轮", "第一巡察组", "张三", "—", "赵六、无"],
            [2021, "第一轮", "第二巡察组", "李四", "／", "孙七"]]
    write_xlsx(raw / "巡察组" / "名单.xlsx", {"名单": rows})
    db, s = run(raw, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT \"group\", member_name, role FROM stg_team ORDER BY ALL") == sorted([
        ("第一巡察组", "张三", "leader"), ("第一巡察组", "赵六", "member"),
        ("第二巡察组", "李四", "leader"), ("第二巡察组", "孙七", "member")])


# The same list as offices publish it with 巡察组副组长 as the header, names padded to width with a full-width
# space and separated by ordinary ones, a leader's post after his name ("组长1名、副组长1~2名":
# http://www.www6ccc.com/html/2018/xunshixuncha_1206/58696.html), and one person a row with 常务副组长 and 财会.
def test_team_lists_deputies_padded_names_and_posts_are_read_as_the_people_they_are(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS, "轮次": [["轮次名称", "巡察类型"], ["2021年第一轮巡察", "常规巡察"]]})
    by_group = [["轮次", "巡察组", "组长", "巡察组副组长", "组员"],
                ["2021年第一轮巡察", "第一巡察组", "郭富城 县人大常委会副主任", "李　娜", "王　伟 赵　敏 孙志强"]]
    by_person = [["轮次", "巡察组", "姓名", "职务", "专业"],
                 ["2021年第一轮巡察", "第二巡察组", "刘志明", "组长", "党务"],
                 ["2021年第一轮巡察", "第二巡察组", "陈军", "常务副组长", "纪检"],
                 ["2021年第一轮巡察", "第二巡察组", "周晓燕", "组员", "财会"]]
    write_xlsx(raw / "巡察组" / "名单.xlsx", {"按组": by_group, "按人": by_person})
    db, s = run(raw, tmp_path)
    assert_balanced(db, s)
    assert sorted(q(db, "SELECT \"group\", member_name, role, specialty FROM stg_team")) == sorted([
        ("第二巡察组", "陈军", "deputy", "discipline"), ("第二巡察组", "刘志明", "leader", "party"),
        ("第二巡察组", "周晓燕", "member", "finance"),
        ("第一巡察组", "李娜", "deputy", None), ("第一巡察组", "郭富城（县人大常委会副主任）", "leader", None),
        ("第一巡察组", "孙志强", "member", None), ("第一巡察组", "王伟", "member", None),
        ("第一巡察组", "赵敏", "member", None)])


def test_a_long_name_that_names_no_post_is_still_a_person():
    from pipelines.ingest.layouts import split_names

    assert split_names("张三 阿不都热合曼") == ["张三", "阿不都热合曼"]  # a name of six characters, not a post
    assert split_names("李四 县委组织部正科级") == ["李四（县委组织部正科级）"]


# Headings numbered "（一）…", "1.…", "一是…" inside the body, as rectification reports number their items
# ("（一）市政府高度重视审计整改工作": http://sjj.ningbo.gov.cn/art/2023/1/6/art_1229055570_58921710.html;
# "一是原汁原味反馈。…二是开列问题清单。": https://www.pdsjjw.gov.cn/sitesources/kflzw/page_pc/lzyw/xqyw/article9f9b5a6ab1a6475cb258bfb0e8963f5b.html).
def test_numbered_group_headings_give_category_and_qualify_restarting_numbers(registers, tmp_path):
    head = ["序号", "被巡察单位", "问题描述", "整改措施", "整改情况"]
    rows = [["十四届县委第一轮巡察反馈问题整改台账"], head,
            ["一、贯彻落实党的路线方针政策和重大决策部署方面"],
            ["1.关于学习贯彻上级决策部署不及时问题的整改"],
            [1, "县财政局", "传达学习不及时", "专题学习", "已完成"],
            [2, "县财政局", "学习记录不全", "补全记录", "整改中"],
            ["2.关于重大事项请示报告不规范问题的整改"],
            [1, "县财政局", "请示报告不及时", "建立制度", "已完成"],
            ["二、党的建设方面"],
            ["（一）基层组织建设方面"],
            [1, "县财政局", "三会一课不规范", "规范记录", "已完成"],
            ["（二）选人用人方面"],
            [1, "县财政局", "干部档案不全", "补全档案", "整改中"]]
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    # a sheet with only second-level headings: the category comes from them
    rows2 = [head, ["一是落实全面从严治党主体责任不力"], [1, "清泉镇", "党风廉政建设责任制落实不到位", "压实责任", "已完成"],
             ["二是巡视巡察整改不到位"], [1, "清泉镇", "上轮巡察问题未整改", "对账销号", "整改中"]]
    write_xlsx(registers / "第一轮" / "清泉镇.xlsx", {"台账": rows2})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT src_row, problem_no, category, category_raw FROM stg_problems "
                 "WHERE src_file = '第一轮/台账.xlsx' ORDER BY 1") == [
        (5, "一-1-1", "decisions", "一、贯彻落实党的路线方针政策和重大决策部署方面"),
        (6, "一-1-2", "decisions", "一、贯彻落实党的路线方针政策和重大决策部署方面"),
        (8, "一-2-1", "decisions", "一、贯彻落实党的路线方针政策和重大决策部署方面"),
        (11, "二-一-1", "party_building", "二、党的建设方面"),
        (13, "二-二-1", "party_building", "二、党的建设方面")]
    assert q(db, "SELECT problem_no, category FROM stg_problems WHERE src_file = '第一轮/清泉镇.xlsx' ORDER BY 1") == [
        ("一-1", "duty"), ("二-1", "rectification")]
    assert [r for r, c, _ in _sheet_rows(db, "第一轮/台账.xlsx") if c == "subheading"] == [3, 4, 7, 9, 10, 12]


def test_a_numbered_record_whose_text_starts_with_a_number_is_not_a_heading(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改情况"],
            ["1.关于落实主体责任不力问题的整改"],
            [1, "1.党委会议记录不规范"],                          # 序号 + a text starting with a number: a record
            [2, "县财政局", "2.三会一课不规范", "规范记录", "已完成"],
            ["3.党员发展程序不规范，存在未经支部大会讨论即确定发展对象、入党材料缺失等情况，另有部分党员长期不参加组织生活、"
             "不缴纳党费的问题未及时处置，支部书记未履行第一责任人职责，问题较为突出"]]  # one long text: a description
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert _sheet_rows(db, "第一轮/台账.xlsx") == [
        (1, "header", "skipped"), (2, "subheading", "skipped"), (3, "data", "quarantined"), (4, "data", "loaded"),
        (5, "data", "quarantined")]
    assert q(db, "SELECT problem_no, unit_name, category FROM stg_problems") == [("2", "山丹县财政局", "duty")]
    assert {code for (code,) in q(db, "SELECT reason_code FROM quarantine")} == {"missing_required"}


# Sign-off rows after the table: the unit's principal signs to vouch for the rectification ("被巡察党组织主要负责人
# 对整改方案和整改报告进行签字背书": https://www.pdsjjw.gov.cn/sitesources/kflzw/page_pc/lzyw/xqyw/article9f9b5a6ab1a6475cb258bfb0e8963f5b.html;
# 整改台账 "五方会签": http://fzzx.org.cn/show-687959.html), then the seal and a date left to fill in.
def test_sign_off_footers_are_skipped_as_footers(registers, tmp_path):
    rows = [["十四届县委第一轮巡察县财政局反馈问题整改落实情况台账"],
            ["序号", "问题描述", "整改措施", "责任人", "整改情况"],
            [1, "传达学习不及时", "专题学习", "王五", "已完成"],
            [2, "学习记录不全", "补全记录", "王五", "整改中"],
            [None, "被巡察党组织主要负责人（签字背书）："],
            ["单位（盖章）", None, None, "年　月　日"]]
    write_xlsx(registers / "第一轮" / "整改落实情况台账.xlsx", {"台账": rows})
    rows2 = [["序号", "被巡察单位", "问题描述", "整改情况"], [1, "清泉镇", "问题甲", "已完成"],
             ["主要负责人签字："], ["2021年　月　日"]]
    write_xlsx(registers / "第一轮" / "清泉镇.xlsx", {"台账": rows2})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["rows_quarantined"] == 0 and s["loaded_by_kind"]["problems"] == 3
    assert [(r, c) for r, c, _ in _sheet_rows(db, "第一轮/整改落实情况台账.xlsx") if r > 4] == [(5, "footer"), (6, "footer")]
    assert [(r, c) for r, c, _ in _sheet_rows(db, "第一轮/清泉镇.xlsx") if r > 2] == [(3, "footer"), (4, "footer")]


def test_each_sign_off_form_alone_ends_the_table(registers, tmp_path):
    forms = ["被巡察党组织主要负责人（签字背书）：", "单位（盖章）", "年　月　日", "2021年　月　日", "签字：",
             "被巡察党组织书记签字：王某", "（盖章）"]
    head = ["序号", "被巡察单位", "问题描述", "整改情况"]
    sheets = {f"S{i}": [head, [1, "清泉镇", f"问题{i}", "已完成"], [form]] for i, form in enumerate(forms)}
    # a record whose first text mentions a signature is still a record (it fills more than three cells)
    sheets["记录"] = [["问题描述", "被巡察单位", "整改措施", "整改情况"], ["合同签字：未经集体研究", "清泉镇", "规范程序", "已完成"]]
    write_xlsx(registers / "第一轮" / "签字.xlsx", sheets)
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT sheet, row_class FROM raw_rows WHERE file = '第一轮/签字.xlsx' AND row = 3 ORDER BY 1") == [
        (f"S{i}", "footer") for i in range(len(forms))]
    assert q(db, "SELECT description FROM stg_problems WHERE src_sheet = '记录'") == [("合同签字：未经集体研究",)]


# Round statistics with two-row headers, as county summaries count them ("发现问题189个，其中移交立行立改问题
# 32个；移交问题线索2件3人": http://www.dqzjw.gov.cn/info-70-5005.html): 发现问题 merged over 总数 | 其中：立行立改,
# 移交问题线索 over 件数 | 人数. Read as one header row, the sheet repeated 发现问题, took the sub headers for a
# data row and was held as a lead ledger; the total under a group is the group's own count.
def test_two_row_statistics_headers_read_the_total_under_its_group(registers, tmp_path):
    from pipelines.answers import COLUMN, IGNORE, read_workbook
    from pipelines.validate.run import validate

    rows = [["十四届县委巡察情况汇总表"],
            ["巡察轮次", "被巡察党组织", "发现问题", None, "移交问题线索", None, "整改完成", "线索办结"],
            [None, None, "总数", "其中：立行立改", "件数", "人数", None, None],
            ["十四届县委第一轮巡察", "县财政局", 42, 5, 2, 3, 40, 2],
            [None, "县教育局", 35, 4, 1, 1, 30, 1]]
    merges = ["A1:H1", "C2:D2", "E2:F2", "A2:A3", "B2:B3", "G2:G3", "H2:H3", "A4:A5"]
    write_xlsx(registers / "统计" / "巡察情况汇总表.xlsx", {"汇总": rows}, {"汇总": merges})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT decision, header_row FROM sheets WHERE sheet = '汇总'") == [("loaded", 3)]
    assert q(db, "SELECT round_name, unit_name, problems_found, problems_rectified, leads_transferred, leads_closed "
                 "FROM stg_round_stats ORDER BY src_row") == [
        ("十四届县委第一轮巡察", "山丹县财政局", 42, 40, 2, 2), ("十四届县委第一轮巡察", "山丹县教育局", 35, 30, 1, 1)]
    # the other sub headers are asked about as written, with a suggestion that cannot double-count
    validate(db, tmp_path / "reports")
    asked = {r.get("看到的"): r.get("建议") for r in read_workbook(tmp_path / "reports" / "quality" / "待确认事项.xlsx")[COLUMN]}
    assert asked == {"发现问题/其中：立行立改": IGNORE, "移交问题线索/人数": ""}


def test_a_title_merged_over_the_table_is_no_group_header(registers, tmp_path):
    rows = [["十四届县委巡察情况汇总表"] * 4,
            ["巡察轮次", "发现问题", "移交问题线索", "已办结"],
            ["十四届县委第一轮巡察", 12, 3, 2]]
    write_xlsx(registers / "统计" / "汇总.xlsx", {"汇总": rows}, {"汇总": ["A1:D1"]})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT decision, header_row, header FROM sheets WHERE sheet = '汇总'") == [
        ("loaded", 2, "巡察轮次 | 发现问题 | 移交问题线索 | 已办结")]
