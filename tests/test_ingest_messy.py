"""Small real xlsx/csv fixtures, one per messiness item of DATA_CONTRACT section 3 and per failure mode."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from pipelines.contract import default_contract
from pipelines import history
from pipelines.ingest.build import ingest, parser_fingerprint
from tests.conftest import write_xlsx


def _fp() -> str:
    return parser_fingerprint(default_contract())

D = dt.date
PROBLEM_HEAD = ["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况", "完成时间"]


def q(db: Path, sql: str, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def run(raw: Path, tmp_path: Path, **kw) -> tuple[Path, dict]:
    db = tmp_path / "wh.duckdb"
    return db, ingest(raw, db, **kw)


def assert_balanced(db: Path, summary: dict) -> None:
    assert summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"] + summary["rows_skipped"]
    for path, read, loaded, quar, skipped in q(db, "SELECT path, rows_read, rows_loaded, rows_quarantined, "
                                                   "rows_skipped FROM files"):
        assert read == loaded + quar + skipped, path


def test_title_rows_header_far_down_subheadings_blank_and_footer_rows(registers, tmp_path):
    rows = [["中共山丹县委第一轮巡察反馈问题整改台账"], ["填报单位：县委巡察办（盖章）"]] + [[]] * 10 + [
        PROBLEM_HEAD,
        ["一、贯彻落实党的路线方针政策和重大决策部署方面"],
        [1, "县财政局", "传达学习不及时", "专题学习", D(2019, 8, 1), "已完成", D(2019, 7, 1)],
        [],
        [2, "清泉镇党委", "项目推进慢", "加快推进", "长期坚持", "整改中", None],
        ["二、党的建设方面"],
        [1, "中共山丹县财政局党组", "三会一课不规范", "规范记录", "2019年底前", "正在推进", None],
        ["合计", None, "3个问题"],
        ["填表人：张三", None, None, "审核人：李四"],
        ["注：本表一式两份"],
    ]
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    got = q(db, "SELECT src_row, unit_name, category, problem_no, deadline, deadline_text, status FROM stg_problems "
                "ORDER BY src_row")
    assert got == [
        (15, "山丹县财政局", "decisions", "一-1", D(2019, 8, 1), None, "rectified"),
        (17, "清泉镇", "decisions", "一-2", None, "长期坚持", "in_progress"),
        (19, "山丹县财政局", "party_building", "二-1", D(2019, 12, 31), "2019年底前", "in_progress"),
    ]
    classes = dict(q(db, "SELECT row, row_class FROM raw_rows WHERE file = '第一轮/台账.xlsx' AND outcome='skipped'"))
    assert classes == {1: "title", 2: "title", 13: "header", 14: "subheading", 18: "subheading", 20: "total",
                       21: "footer", 22: "footer"}
    assert q(db, "SELECT stated_as_of IS NULL, title FROM sheets WHERE sheet='台账'")[0][1].startswith("中共山丹县委第一轮")


def test_counts_take_the_measure_word_of_their_column_and_office_abbreviations_resolve(registers, tmp_path):
    write_xlsx(registers / "单位.xlsx", {"补充": [["单位名称", "单位类别"], ["中共山丹县委办公室", "县直部门"]]})
    leads = [["线索编号", "巡察轮次", "被巡察单位", "移交部门", "办理情况", "党纪政务处分（人）", "组织处理（人）"],
             ["001", "十四届县委第一轮巡察", "县委办", "县纪委监委", "已办结", "2件1人", "1件2人"]]
    stats = [["巡察轮次", "发现问题（个）", "移交线索（件）", "已办结（件）", "党纪政纪处分（人）"],
             ["十四届县委第一轮巡察", 10, "2件3人", "1件1人", "2件3人"]]
    write_xlsx(registers / "第一轮" / "线索.xlsx", {"线索": leads, "统计": stats})
    db, s = run(registers, tmp_path)
    assert s["rows_quarantined"] == 0
    assert q(db, "SELECT unit_name, n_disciplined, n_org_handled FROM stg_leads") == [("中共山丹县委办公室", 1, 2)]
    assert q(db, "SELECT leads_transferred, leads_closed, n_disciplined FROM stg_round_stats") == [(2, 1, 3)]


def test_village_names_without_their_township_resolve_by_folder_or_title(registers, tmp_path):
    write_xlsx(registers / "村.xlsx", {"村（社区）": [["所属乡镇", "党组织名称", "类别"], ["清泉镇", "红星村党支部", "村"],
                                                  ["位奇镇", "红星村党支部", "村"], ["位奇镇", "新华村党支部", "村"]]})
    head = ["序号", "被巡察单位", "问题描述", "整改情况"]
    write_xlsx(registers / "第一轮" / "清泉镇" / "村级.xlsx", {"S": [head, [1, "红星村", "问题甲", "已整改"]]})
    write_xlsx(registers / "第一轮" / "村级台账.xlsx", {"S": [["十四届县委第一轮巡察位奇镇村级延伸巡察整改台账"], head,
                                                          [1, "红星村", "问题乙", "已整改"],
                                                          [2, "位奇镇新华村", "问题丙", "整改中"]]})
    write_xlsx(registers / "第一轮" / "未注明.xlsx", {"S": [head, [1, "红星村", "问题丁", "已整改"]]})
    db, s = run(registers, tmp_path)
    got = dict(q(db, "SELECT description, unit_name FROM stg_problems"))
    assert got == {"问题甲": "清泉镇红星村党支部", "问题乙": "位奇镇红星村党支部", "问题丙": "新华村党支部"}
    # with neither folder nor title to tell the townships apart, the row waits in quarantine with both candidates
    (reason,) = q(db, "SELECT reason FROM quarantine WHERE file = '第一轮/未注明.xlsx'")[0]
    assert "位奇镇红星村党支部" in reason and "清泉镇红星村党支部" in reason


def test_footer_written_as_label_colon_name_is_a_footer(registers, tmp_path):
    rows = [["十四届县委第一轮巡察被巡察单位名单"], ["序号", "被巡察党组织", "巡察组"],
            [1, "县财政局", "第一巡察组"], [2, "清泉镇党委", "第二巡察组"],
            ["填表：王某", None, "审核：李某"], ["填报：县委巡察办", None, None],
            ["填表说明：巡察组按进驻顺序填写"]]  # a note under the table, not a row missing its unit
    write_xlsx(registers / "第一轮" / "名单.xlsx", {"名单": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["loaded_by_kind"]["inspections"] == 2 and s["rows_quarantined"] == 0
    assert q(db, "SELECT row, row_class FROM raw_rows WHERE file = '第一轮/名单.xlsx' AND row > 4 ORDER BY row") == [
        (5, "footer"), (6, "footer"), (7, "footer")]


def test_total_rows_with_a_long_bracketed_remark_are_still_totals(registers, tmp_path):
    remark = "合 计（本表统计全县各乡镇、县直部门巡察反馈问题，其中已整改问题1个，整改中问题1个，未整改问题0个）"
    rows = [PROBLEM_HEAD,
            [1, "县财政局", "传达学习不及时", "专题学习", D(2019, 8, 1), "已完成", D(2019, 7, 1)],
            [2, "清泉镇党委", "项目推进慢", "加快推进", "长期坚持", "整改中", None],
            [remark, None, "2个问题"]]
    assert len(remark) > 40
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert s["loaded_by_kind"]["problems"] == 2 and s["rows_quarantined"] == 0
    assert q(db, "SELECT row_class FROM raw_rows WHERE file = '第一轮/台账.xlsx' AND row = 4") == [("total",)]


def test_two_row_header_under_merged_group_cell_and_header_variants(registers, tmp_path):
    rows = [
        ["十四届县委第二轮巡察反馈问题整改台账"],
        ["序 号", "被巡察\n单位", "问题\n描述", "整改落实情况", None, None, "责任人（签字）"],
        [None, None, None, "整改措施", "整改情况", "完成时间", None],
        [1, "山丹县教育局", "违规收费", "清退", "已整改", 43800, "王五"],
    ]
    write_xlsx(registers / "r2.xlsx", {"S": rows}, {"S": ["D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3", "A1:G1"]})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["problems"] == 1
    assert q(db, "SELECT round_name, unit_name, measures, status, rectified_date, responsible_person FROM stg_problems") == [
        ("十四届县委第二轮巡察", "山丹县教育局", "清退", "rectified", D(2019, 12, 1), "王五")]


def test_vertically_merged_unit_cells_mean_same_as_above(registers, tmp_path):
    rows = [["轮次", *PROBLEM_HEAD],
            ["第一轮", 1, "山丹县财政局", "问题甲", "措施", "2019-08-01", "已完成", "2019-07-01"],
            [None, 2, None, "问题乙", "措施", "2019-08-01", "整改中", None],
            [None, 3, None, "问题丙", "措施", "2019-08-01", "未整改", None]]
    write_xlsx(registers / "m.xlsx", {"S": rows}, {"S": ["A2:A4", "C2:C4"]})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT DISTINCT round_name, unit_name FROM stg_problems") == [("十四届县委第一轮巡察", "山丹县财政局")]
    assert s["loaded_by_kind"]["problems"] == 3


def test_unit_from_title_round_from_folder(registers, tmp_path):
    rows = [["县财政局巡察反馈问题整改台账"], ["序号", "问题表现", "整改情况"], [1, "问题甲", "已销号"]]
    write_xlsx(registers / "第二轮巡察（2019年）" / "各单位.xlsx", {"财政局": rows})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT round_name, unit_name, status FROM stg_problems") == [
        ("十四届县委第二轮巡察", "山丹县财政局", "rectified")]


def test_unit_name_variants_resolve_and_unknown_is_quarantined_with_suggestions(registers, tmp_path):
    rows = [["轮次", "单位", "问题描述", "整改情况"]] + [
        ["十四届县委第一轮巡察", name, f"问题{i}", "已完成"] for i, name in enumerate(
            ["县财政局", "山丹县财政局", "中共山丹县财政局党组", "财政局", "山丹县 财政局", "县财政厅"])]
    write_xlsx(registers / "v.xlsx", {"S": rows})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT DISTINCT unit_name FROM stg_problems") == [("山丹县财政局",)]
    (file, sheet, row, reason, sugg), = q(db, "SELECT file, sheet, row, reason, suggestions FROM quarantine")
    assert (file, sheet, row) == ("v.xlsx", "S", 7)
    assert "县财政厅" in reason and "山丹县财政局" in sugg
    assert_balanced(db, s)


def test_leading_zero_ids_survive_xlsx_and_csv(registers, tmp_path):
    write_xlsx(registers / "ids.xlsx", {"S": [["问题编号", "轮次", "单位", "问题描述", "整改情况"],
                                             ["0012", "第一轮", "清泉镇", "甲", "已完成"]]})
    (registers / "ids.csv").write_text("问题编号,轮次,单位,问题描述,整改情况\n0013,第一轮,位奇镇,乙,已完成\n", encoding="utf-8")
    db, _ = run(registers, tmp_path)
    assert sorted(r[0] for r in q(db, "SELECT problem_no FROM stg_problems")) == ["0012", "0013"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_encodings(registers, tmp_path, encoding):
    text = "会议时间,会议名称,议题\n2019年3月5日,巡察工作领导小组会议,研究部署\n2019-4-1,书记专题会议,听取汇报\n"
    if encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        text = text.replace(",", "\t")
    (registers / "会议.csv").write_bytes(text.encode(encoding))
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT meeting_date, meeting_type FROM stg_meetings ORDER BY 1") == [
        (D(2019, 3, 5), "leading_group"), (D(2019, 4, 1), "secretary")]
    assert s["files_failed"] == []


def test_numbers_as_text_in_counts(registers, tmp_path):
    head = ["线索编号", "轮次", "被巡察单位", "移交单位", "办理情况", "党纪政务处分（人）", "组织处理（人）"]
    rows = [head, ["001", "第一轮", "清泉镇", "县纪委监委", "已办结", "1人", "—"],
            ["002", "第一轮", "清泉镇", "县委组织部", "已办结", "无", "2人"]]
    stats = [["轮次", "移交线索（件）", "已办结（件）"], ["第一轮", "2件3人", "2件"]]
    write_xlsx(registers / "线索.xlsx", {"线索": rows, "统计": stats})
    db, _ = run(registers, tmp_path)
    assert q(db, "SELECT lead_no, transferred_to, n_disciplined, n_org_handled FROM stg_leads ORDER BY 1") == [
        ("001", "discipline", 1, None), ("002", "organization", 0, 2)]
    assert q(db, "SELECT leads_transferred, leads_closed FROM stg_round_stats") == [(2, 2)]


def test_unparseable_optional_value_is_a_cell_finding_not_a_lost_row(registers, tmp_path):
    write_xlsx(registers / "f.xlsx", {"S": [["轮次", "单位", "问题描述", "整改情况", "完成时间"],
                                           ["第一轮", "清泉镇", "甲", "已完成", "2019年13月1日"]]})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["problems"] == 1
    assert q(db, "SELECT rectified_date FROM stg_problems") == [(None,)]
    assert q(db, "SELECT file, sheet, row, column_letter, raw_value FROM findings") == [
        ("f.xlsx", "S", 2, "E", "2019年13月1日")]


def test_unclassified_sheet_is_reported_with_its_header(registers, tmp_path):
    write_xlsx(registers / "x.xlsx", {"备忘": [["事项", "负责人", "备注"], ["打印材料", "某某", ""]]})
    db, s = run(registers, tmp_path)
    assert s["sheets_unclassified"] == [{"file": "x.xlsx", "sheet": "备忘", "header": "事项 | 负责人 | 备注"}]
    assert_balanced(db, s)


def test_byte_identical_copy_is_ingested_once(registers, tmp_path):
    src = write_xlsx(registers / "a.xlsx", {"S": [["轮次", "单位", "问题描述", "整改情况"], ["第一轮", "清泉镇", "甲", "已完成"]]})
    (registers / "a - 副本.xlsx").write_bytes(src.read_bytes())
    db, s = run(registers, tmp_path)
    assert s["files_duplicate"] == 1 and s["loaded_by_kind"]["problems"] == 1
    assert q(db, "SELECT path, duplicate_of FROM files WHERE status = 'duplicate'") == [("a - 副本.xlsx", "a.xlsx")]


def test_same_record_in_two_files_identical_collapses_and_conflict_keeps_newer(registers, tmp_path):
    head = ["问题编号", "轮次", "单位", "问题描述", "整改情况"]
    old = write_xlsx(registers / "old.xlsx", {"S": [head, ["P1", "第一轮", "清泉镇", "甲", "整改中"],
                                                   ["P2", "第一轮", "清泉镇", "乙", "已完成"]]})
    new = write_xlsx(registers / "new.xlsx", {"S": [["统计截至2020年6月30日"], head, ["P1", "第一轮", "清泉镇", "甲", "已完成"],
                                                   ["P2", "第一轮", "清泉镇", "乙", "已完成"]]})
    os.utime(old, (1_500_000_000, 1_500_000_000))  # 2017
    os.utime(new, (1_400_000_000, 1_400_000_000))  # 2014 mtime, but its title states 2020-06-30
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT problem_no, status, src_file FROM stg_problems ORDER BY 1") == [
        ("P1", "rectified", "new.xlsx"), ("P2", "rectified", "new.xlsx")]
    assert q(db, "SELECT kind, kept_file, dropped_file, dropped_row FROM conflicts") == [
        ("problems", "new.xlsx", "old.xlsx", 2)]
    assert_balanced(db, s)


def test_xls_file_is_read(registers, tmp_path):
    xlwt = pytest.importorskip("xlwt")  # dev dependency, always installed by `make test`
    wb = xlwt.Workbook()
    ws = wb.add_sheet("会议")
    for r, row in enumerate([["会议时间", "会议名称"], ["2019-03-05", "书记专题会议"]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(registers / "old.xls"))
    db, s = run(registers, tmp_path)
    assert s["files_failed"] == [] and q(db, "SELECT meeting_type FROM stg_meetings") == [("secretary",)]


def _encrypted_like(path: Path) -> None:
    """An OLE2 container holding an EncryptedPackage stream, as Excel writes password-protected xlsx."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504
    path.write_bytes(header + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048)


@pytest.mark.parametrize("name,make,needle", [
    ("empty.xlsx", lambda p: p.write_bytes(b""), "为空"),
    ("truncated.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 40), "损坏"),
    ("locked.xlsx", _encrypted_like, "密码"),
    ("really_csv.xlsx", lambda p: p.write_text("a,b\n1,2\n", encoding="utf-8"), "CSV"),
    ("really_html.xlsx", lambda p: p.write_text("<html><table><tr><td>1</td></tr></table></html>"), "HTML"),
    # a WPS spreadsheet (.et) must be saved as .xlsx first: still a failure (a .pdf beside the ledgers is not one,
    # it is listed as ignored: tests/test_plain.py)
    ("台账.et", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40), "不是电子表格"),
])
def test_bad_files_are_listed_and_never_block_the_others(registers, tmp_path, name, make, needle):
    make(registers / name)
    write_xlsx(registers / "good.xlsx", {"S": [["轮次", "单位", "问题描述", "整改情况"], ["第一轮", "清泉镇", "甲", "已完成"]]})
    db, s = run(registers, tmp_path)
    (failed,) = s["files_failed"]
    assert failed["file"] == name and needle in failed["error"]
    assert s["loaded_by_kind"]["problems"] == 1


def test_empty_workbook_is_reported(registers, tmp_path):
    write_xlsx(registers / "blank.xlsx", {"Sheet1": []})
    _, s = run(registers, tmp_path)
    assert [f["file"] for f in s["files_failed"]] == ["blank.xlsx"]


def test_long_format_assessments_and_derived_grade(registers, tmp_path):
    wide = [["单位名称", "评价年度", "政治建设", "思想建设", "总分", "评价等次", "序号"],
            ["清泉镇", "2019年度", 45, 46, None, None, 1],
            ["位奇镇", "2019年度", 30, 30, 60, "好", 2]]
    long = [["单位", "年度", "评价维度", "得分"], ["山丹县教育局", 2019, "政治建设", 40], [None, 2019, "思想建设", 41]]
    write_xlsx(registers / "eco.xlsx", {"宽": wide, "长": long}, {"长": ["A2:A3"]})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["assessments"] == 4
    assert q(db, "SELECT unit_name, total, grade, grade_derived, n_dimensions FROM stg_assessments ORDER BY 1") == [
        ("位奇镇", 60.0, "good", "poor", 2), ("山丹县教育局", 81.0, None, "fairly_good", 2),
        ("清泉镇", 91.0, None, "good", 2)]
    assert q(db, "SELECT count(*) FROM stg_assessment_scores WHERE dimension = '序号'") == [(0,)]


def test_assessment_total_summed_from_dimensions_is_graded_at_the_threshold(registers, tmp_path):
    # 18.9 + 17.7 + 16.4 + 13.9 + 13.1 is 79.99999999999999 in floating point: the grade must be 较好 (≥ 80)
    long = [["党组织", "评价年度", "评价维度", "分值"]] + [
        ["清泉镇", "2021年度", d, v] for d, v in zip(["政治建设", "思想建设", "组织建设", "作风建设", "纪律建设"],
                                                    [18.9, 17.7, 16.4, 13.9, 13.1])]
    write_xlsx(registers / "eco.xlsx", {"评价": long})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT unit_name, total, grade_final, n_dimensions FROM stg_assessments") == [
        ("清泉镇", 80.0, "fairly_good", 5)]


def test_wide_assessment_with_year_in_title_and_dimensions_under_a_merged_group_cell(registers, tmp_path):
    wide = [["2021年度政治生态建设评价得分表"], ["序号", "单位", "政治生态", None, None, "总得分", "评价等次"],
            [None, None, "政治建设（30分）", "作风建设（30分）", "纪律建设（40分）", None, None],
            [1, "县财政局", 28, 27.5, 36, 91.5, "好（优秀）"],
            [2, "清泉镇", 25, "24分", 30, None, None]]
    write_xlsx(registers / "生态.xlsx", {"Sheet1": wide}, {"Sheet1": ["C2:E2", "A2:A3", "B2:B3", "F2:F3", "G2:G3", "A1:G1"]})
    db, s = run(registers, tmp_path)
    assert s["sheets_unclassified"] == [] and s["rows_quarantined"] == 0
    assert q(db, "SELECT unit_name, period, total, n_dimensions, grade_final FROM stg_assessments ORDER BY 1") == [
        ("山丹县财政局", "2021", 91.5, 3, "good"), ("清泉镇", "2021", 79.0, 3, "average")]
    assert q(db, "SELECT DISTINCT dimension FROM stg_assessment_scores ORDER BY 1") == [
        ("作风建设",), ("政治建设",), ("纪律建设",)]


def test_assessment_row_with_an_empty_period_cell_is_quarantined(registers, tmp_path):
    long = [["单位", "年度", "评价维度", "得分"], ["清泉镇", "2019年度", "政治建设", 40], ["位奇镇", None, "政治建设", 41]]
    write_xlsx(registers / "生态.xlsx", {"评价": long})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["assessments"] == 1 and s["quarantine_by_reason"] == {"missing_required": 1}


def test_assessment_without_a_period_anywhere_is_reported_not_guessed(registers, tmp_path):
    write_xlsx(registers / "生态.xlsx", {"评价": [["单位", "评价等次", "总分"], ["清泉镇", "好", 92]]})
    db, s = run(registers, tmp_path)
    assert s["sheets_unclassified"] == [{"file": "生态.xlsx", "sheet": "评价", "header": "单位 | 评价等次 | 总分"}]
    assert q(db, "SELECT count(*) FROM stg_assessments") == [(0,)]
    assert q(db, "SELECT outcome FROM raw_rows WHERE file = '生态.xlsx'") == [("skipped",), ("skipped",)]


def test_round_dates_written_as_one_range_cell(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": [["单位名称", "单位类别"], ["县财政局", "县直部门"]],
                                  "轮次": [["轮次", "巡察类型", "巡察时间", "反馈时间"],
                                           ["县委第一轮巡察", "常规巡察", "2021年3月15日至4月30日", "2021年6月8日"],
                                           ["县委第二轮巡察", "常规巡察", "2021年8月", None]]})
    db, s = run(raw, tmp_path)
    assert q(db, "SELECT round_name, start_date, end_date FROM stg_rounds ORDER BY 1") == [
        ("县委第一轮巡察", D(2021, 3, 15), D(2021, 4, 30)), ("县委第二轮巡察", D(2021, 8, 1), None)]


def test_when_two_headers_name_one_column_the_more_specific_wins(registers, tmp_path):
    rows = [["序号", "问题编号", "被巡察单位", "问题描述", "整改情况", "是否销号"],
            [1, "A-07", "清泉镇", "问题甲", "已建立制度三项，正在督促落实", "是"],
            [2, "A-09", "位奇镇", "问题乙", "已召开专题会议研究", "否"]]
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT problem_no, status FROM stg_problems ORDER BY 1") == [("A-07", "rectified"), ("A-09", "not_started")]
    # the narrative beside it is read as a second status column; neither sentence says whether the item is
    # done (no reading), so the sign-off stands without a finding
    assert q(db, "SELECT code FROM findings") == []
    assert "整改情况" not in q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '台账'")[0][0]


# A published rectification ledger with a narrative 整改情况 beside a 是否销号 sign-off column (惠济区
# 巡察反馈问题整改台账: https://public.huiji.gov.cn/D49Y/8738334.jhtml). The sign-off decides; a narrative
# that says otherwise about being done is a finding at its cell, so neither the rectified count nor its
# doubt is silent; an empty sign-off takes the narrative's reading.
def test_a_narrative_status_that_contradicts_the_sign_off_column_is_a_finding(registers, tmp_path):
    from pipelines.validate.run import validate

    rows = [["县财政局党组落实县委第一巡察组反馈意见整改台账"],
            ["序号", "反馈问题", "整改措施", "责任领导", "责任部门", "完成时限", "整改情况", "是否销号"],
            [1, "第一议题制度落实不到位", "制定年度学习计划", "张某", "办公室", "立行立改",
             "已完成整改，制定《党组理论学习中心组学习计划》", "是"],
            [2, "一网通办推进缓慢", "推进系统对接", "李某", "政务服务科", "2024年12月底前", "已完成整改", "否"],
            [3, "主体责任落实有差距", "健全主体责任清单", "张某", "办公室", "长期坚持", "基本完成，持续推进", "是"],
            [4, "选人用人程序不规范", "完善干部选任制度", "王某", "人事科", "2024年6月底前", "部分完成，剩余事项正在推进", "否"],
            [5, "公务接待管理不规范", "清理接待台账", "赵某", "财务室", "2024年6月底前", None, "是"],
            [6, "固定资产账实不符", "全面清查", "赵某", "财务室", "2024年6月底前", "已完成整改", None]]
    write_xlsx(registers / "第一轮" / "县财政局巡察反馈问题整改台账.xlsx", {"整改台账": rows})
    db, s = run(registers, tmp_path)
    assert_balanced(db, s)
    assert q(db, "SELECT description, status, status_raw FROM stg_problems ORDER BY src_row") == [
        ("第一议题制度落实不到位", "rectified", "是"), ("一网通办推进缓慢", "not_started", "否"),
        ("主体责任落实有差距", "rectified", "是"), ("选人用人程序不规范", "not_started", "否"),
        ("公务接待管理不规范", "rectified", "是"), ("固定资产账实不符", "rectified", "已完成整改")]
    found = q(db, "SELECT code, row, column_letter, raw_value, message FROM findings ORDER BY row")
    assert [f[:4] for f in found] == [("status_disagree", 4, "G", "已完成整改"),
                                      ("status_disagree", 5, "G", "基本完成，持续推进")]
    assert "H列「是否销号」" in found[0][4] and "「否」计为未整改" in found[0][4] and "本格读作已整改" in found[0][4]
    # the second status column is understood: no question asks what 整改情况 is
    assert q(db, "SELECT unmatched_headers FROM sheets WHERE sheet = '整改台账'") == [(None,)]
    res = validate(db, tmp_path / "reports")
    assert res["counts"]["status_disagree"] == 2


def test_single_unit_ledgers_name_their_unit_in_the_sheet_tab_or_file_name(registers, tmp_path):
    head = ["序号", "问题描述", "整改措施", "整改情况"]
    write_xlsx(registers / "第一轮" / "各单位.xlsx", {"县财政局": [head, [1, "问题甲", "措施", "已完成"]],
                                                   "清泉镇": [head, [1, "问题乙", "措施", "整改中"]]})
    write_xlsx(registers / "第一轮" / "山丹县教育局整改台账.xlsx", {"Sheet1": [head, [1, "问题丙", "措施", "已完成"]]})
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"Sheet1": [head, [1, "问题丁", "措施", "已完成"]]})
    db, s = run(registers, tmp_path)
    assert dict(q(db, "SELECT description, unit_name FROM stg_problems")) == {
        "问题甲": "山丹县财政局", "问题乙": "清泉镇", "问题丙": "山丹县教育局"}
    (reason,) = q(db, "SELECT reason FROM quarantine WHERE file = '第一轮/整改台账.xlsx'")[0]
    assert "无法确定单位" in reason and "工作表名或文件名" in reason


def test_checklist_focus_comes_from_its_sub_headings(registers, tmp_path):
    chk = [["监督重点清单"], ["编号", "监督重点类别", "具体内容"], ["一、紧盯党的路线方针政策贯彻落实"],
           [1, None, "落实上级决策部署情况"], ["二、紧盯全面从严治党"], [2, None, "两个责任落实"]]
    write_xlsx(registers / "清单.xlsx", {"清单": chk})
    db, s = run(registers, tmp_path)
    assert q(db, "SELECT item_no, focus FROM stg_checklist ORDER BY 1") == [
        ("1", "紧盯党的路线方针政策贯彻落实"), ("2", "紧盯全面从严治党")]


def test_reingest_reuses_parse_cache_and_gives_identical_tables(demo_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    first = ingest(demo_dir, db)
    tables = ["stg_problems", "stg_leads", "stg_units", "quarantine", "raw_rows", "files", "findings",
              "stg_assessments", "stg_assessment_scores", "sheets"]
    snap = {t: q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    second = ingest(demo_dir, db)  # nothing changed: no rebuild at all
    assert first == second
    assert {t: q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} == snap
    assert len(q(history.path_for(db), "SELECT * FROM ingest_runs")) == 1
    # a rebuild (here forced by a new, unrelated file) reuses every unchanged file's parse
    (demo_dir.parent / "more").mkdir(exist_ok=True)
    raw2 = demo_dir.parent / "more"
    import shutil

    shutil.copytree(demo_dir, raw2, dirs_exist_ok=True)
    db2 = tmp_path / "wh2.duckdb"
    ingest(raw2, db2, cache_dir=db.parent / ".cache" / "parse" / _fp())
    (raw2 / "备注.csv").write_text("会议时间,会议名称\n2019-01-01,书记专题会议\n", encoding="utf-8")
    ingest(raw2, db2, cache_dir=db.parent / ".cache" / "parse" / _fp())
    runs = q(history.path_for(db2), "SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at")
    assert runs[-1] == (1, first["files_ingested"])
    same = {t: q(db2, f"SELECT * FROM {t} WHERE {'file' if t in ('raw_rows', 'sheets', 'quarantine', 'findings') else 'path' if t == 'files' else 'src_file'} <> '备注.csv' ORDER BY ALL")
            for t in tables}
    assert same == snap


def _cached_keys(cache: Path) -> list[str]:
    """The keys the parse cache holds, read with SQLite itself (not through the code under test)."""
    import sqlite3

    con = sqlite3.connect(str(cache / "parses.sqlite"))
    try:
        return sorted(k for (k,) in con.execute("SELECT key FROM parses"))
    finally:
        con.close()


def test_parse_cache_forgets_files_that_left_data_raw(registers, tmp_path):
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": [PROBLEM_HEAD, [1, "县财政局", "问题", "学习", None, "已完成", None]]})
    db, _ = run(registers, tmp_path)
    cache = db.parent / ".cache" / "parse" / _fp()
    assert len(_cached_keys(cache)) == 2
    assert sorted(p.name for p in cache.iterdir()) == ["parses.sqlite"]  # one SQLite file, not a file per ledger
    (registers / "第一轮" / "台账.xlsx").unlink()
    run(registers, tmp_path)
    assert len(_cached_keys(cache)) == 1  # only the register is left: the cache does not grow forever


def test_a_damaged_parse_cache_is_parsed_again_not_trusted(registers, tmp_path):
    """A cache entry whose key and bytes no longer match the digest stored with them is a miss, and a cache file SQLite cannot read
    is replaced: either way every file is parsed again and the warehouse is the one a clean build gives."""
    import sqlite3

    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": [PROBLEM_HEAD, [1, "县财政局", "问题", "学习", None, "已完成", None]]})
    db, _ = run(registers, tmp_path)
    tables = ["stg_problems", "stg_units", "raw_rows", "files", "sheets", "quarantine"]
    want = {t: q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    cache = db.parent / ".cache" / "parse" / _fp()
    con = sqlite3.connect(str(cache / "parses.sqlite"))
    (k1, d1, b1), (k2, d2, b2) = con.execute("SELECT key, digest, blob FROM parses ORDER BY key").fetchall()
    # each entry now holds the other file's parse with its digest (as a torn write can leave a page of another
    # entry), which unpickles without complaint: only the digest, made with the key, tells
    con.executemany("UPDATE parses SET digest = ?, blob = ? WHERE key = ?", [(d2, b2, k1), (d1, b1, k2)])
    con.commit()
    con.close()

    def rebuild() -> tuple:
        db.unlink()
        history.path_for(db).unlink()
        ingest(registers, db)
        return q(history.path_for(db), "SELECT files_parsed, files_cached FROM ingest_runs")[-1]

    assert rebuild() == (2, 0)  # nothing taken from the damaged entries
    assert {t: q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} == want
    assert rebuild() == (0, 2)  # the entries were written again, whole
    (cache / "parses.sqlite").write_bytes(b"not a database at all " * 100)
    assert rebuild() == (2, 0)
    assert {t: q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} == want
    assert len(_cached_keys(cache)) == 2


def test_header_words_from_other_counties(registers, tmp_path):
    """Headers seen in other offices' ledgers: 整改落实情况, 问题具体表现, 进展情况, 线索内容, 办结情况."""
    write_xlsx(registers / "p.xlsx", {"S": [["序号", "巡察轮次", "被巡察单位（党组织）", "问题具体表现", "整改落实情况"],
                                           [1, "第一轮", "清泉镇", "甲", "已整改到位"],
                                           [2, "第一轮", "位奇镇", "乙", "正在落实"]]})
    write_xlsx(registers / "l.xlsx", {"S": [["序号", "巡察轮次", "被巡察单位", "线索内容", "接收单位", "办结情况"],
                                           [1, "第一轮", "清泉镇", "丙", "纪检监察机关", "正在核查"]]})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0 and s["loaded_by_kind"]["problems"] == 2 and s["loaded_by_kind"]["leads"] == 1
    assert q(db, "SELECT status FROM stg_problems ORDER BY src_row") == [("rectified",), ("in_progress",)]
    assert q(db, "SELECT transferred_to, status FROM stg_leads") == [("discipline", "open")]


def test_summary_sheet_beside_per_unit_sheets_counts_each_problem_once(registers, tmp_path):
    head = ["问题编号", "轮次", "单位", "问题描述", "整改情况"]
    rows = [["P1", "第一轮", "清泉镇", "甲", "已完成"], ["P2", "第一轮", "位奇镇", "乙", "整改中"]]
    write_xlsx(registers / "汇总.xlsx", {"汇总": [head, *rows], "清泉镇": [head, rows[0]], "位奇镇": [head, rows[1]]})
    db, s = run(registers, tmp_path)
    assert s["loaded_by_kind"]["problems"] == 2 and s["rows_skipped"] >= 2
    assert q(db, "SELECT count(*) FROM raw_rows WHERE skip_class = 'duplicate_record'") == [(2,)]
    assert_balanced(db, s)



def test_a_locked_parse_cache_is_left_alone_and_a_pruned_one_shrinks(tmp_path):
    """Another ingest writing the cache: this one goes on without it and removes nothing. Dropping parses gives
    their space back."""
    import sqlite3

    from pipelines.ingest.cache import ParseCache

    cache = ParseCache.open(tmp_path)
    cache = cache.put_many([(f"k{i}", os.urandom(200_000)) for i in range(40)])
    cache.close()
    other = sqlite3.connect(str(tmp_path / "parses.sqlite"), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    assert ParseCache.open(tmp_path) is None  # locked: not taken for damaged
    other.execute("ROLLBACK")
    other.close()
    cache = ParseCache.open(tmp_path)
    assert len(cache.keys()) == 40 and cache.get("k3") is not None
    before = (tmp_path / "parses.sqlite").stat().st_size
    cache.keep_only({"k3"})
    cache.close()
    assert (tmp_path / "parses.sqlite").stat().st_size < before / 10
    cache = ParseCache.open(tmp_path)
    assert cache.keys() == {"k3"} and cache.get("k3") is not None
    cache.close()


def test_a_parse_cache_found_damaged_while_writing_is_written_anew(tmp_path):
    """Damage SQLite meets only past opening (here the table's pages overwritten): the entries are misses, and
    the next write removes the file and starts a new one instead of failing on every later run."""
    from pipelines.ingest.cache import ParseCache

    cache = ParseCache.open(tmp_path).put_many([(f"k{i:02d}", os.urandom(100_000)) for i in range(30)])
    cache.close()
    path = tmp_path / "parses.sqlite"
    data = bytearray(path.read_bytes())
    data[2 * 65536:4 * 65536] = b"\xff" * (2 * 65536)  # pages 3 and 4 of 64 KiB
    path.write_bytes(bytes(data))
    cache = ParseCache.open(tmp_path)
    assert cache is not None and cache.get("k05") is None
    fresh = cache.put_many([("new", b"x" * 1000)])
    assert fresh is not None and fresh is not cache
    assert fresh.keys() == {"new"} and fresh.get("new") == b"x" * 1000
    fresh.close()
