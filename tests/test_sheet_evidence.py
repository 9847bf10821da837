"""Sheet kinds decided on evidence (issue: never silently wrong): a sheet is loaded as a kind only when that kind
wins clearly; otherwise its rows are held, and it is reported once, with its best kinds and the headers that
decided. Real xlsx files through the real ingest and validate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from pipelines.ingest.build import ingest
from pipelines.validate.run import collect
from tests.conftest import write_xlsx

D = dt.date


def q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _balanced(s: dict) -> None:
    assert s["rows_read"] == s["rows_loaded"] + s["rows_quarantined"] + s["rows_skipped"]


def _sheet(s: dict, sheet: str) -> dict:
    return next(x for x in s["sheets"] if x["sheet"] == sheet)


def test_problems_ledger_with_a_renamed_description_is_not_filed_as_round_statistics(registers, tmp_path):
    # the description column is headed 发现问题 (a round-statistics count header); the sheet also has 整改措施,
    # 责任人, 整改时限, 整改情况, which no round-statistics sheet has
    rows = [["序号", "巡察轮次", "被巡察单位", "发现问题", "整改措施", "责任人", "整改时限", "整改情况"]]
    for i in range(1, 8):
        rows.append([i, "十四届县委第一轮巡察", "县财政局", f"第{i}个问题：会议记录不规范", "规范记录", "王某",
                     D(2019, 8, 1), "已完成"])
    write_xlsx(registers / "第一轮" / "整改台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    _balanced(s)
    entry = _sheet(s, "台账")
    assert entry["decision"] == "uncertain" and entry["kind"] is None and entry["rows_loaded"] == 0
    assert entry["rows_quarantined"] == 7
    unsure = next(u for u in s["sheets_uncertain"] if u["sheet"] == "台账")
    assert [c["kind"] for c in unsure["candidates"]][:2] == ["round_stats", "problems"]
    assert q(db, "SELECT count(*) FROM stg_round_stats")[0][0] == 0
    assert q(db, "SELECT count(*) FROM stg_problems")[0][0] == 0
    assert "round_stats" not in s["loaded_by_kind"]
    reasons = q(db, "SELECT DISTINCT reason_code, reason FROM quarantine WHERE sheet = '台账'")
    assert len(reasons) == 1 and reasons[0][0] == "sheet_uncertain"
    assert "整改措施" in reasons[0][1] and "待确认事项.xlsx" in reasons[0][1]
    # no "not a non-negative integer" warning per row: one sheet-level finding instead
    assert q(db, "SELECT count(*) FROM findings WHERE code = 'cell_unparsed'")[0][0] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        findings, counts, _titles = collect(con)
    assert counts["sheet_uncertain"] == 1 and counts["quarantined"] == 0
    f = next(f for f in findings if f["rule"] == "sheet_uncertain")
    assert f["severity"] == "error" and f["file"] == "第一轮/整改台账.xlsx" and f["sheet"] == "台账"
    cands = json.loads(q(db, "SELECT candidates FROM sheets WHERE sheet = '台账'")[0][0])
    assert "整改措施" in cands[1]["headers"]


def test_values_under_an_identifying_number_column_put_the_kind_in_doubt(registers, tmp_path):
    # a sheet that looks like round statistics by its header, but holds sentences where the counts should be
    rows = [["巡察轮次", "被巡察单位", "发现问题"]] + [
        ["十四届县委第一轮巡察", "县财政局", f"问题{i}：制度执行不严格"] for i in range(5)]
    write_xlsx(registers / "统计.xlsx", {"统计": rows})
    s = ingest(registers, tmp_path / "wh.duckdb")
    entry = _sheet(s, "统计")
    assert entry["decision"] == "uncertain" and entry["rows_loaded"] == 0
    reasons = next(u for u in s["sheets_uncertain"] if u["sheet"] == "统计")["reasons"]
    assert any("5/5 个值不是非负整数" in r for r in reasons)


def test_a_data_row_is_never_taken_as_the_header(registers, tmp_path):
    # no header word is known, and a data row happens to contain 存在问题 and 整改措施… with a date, a number and a
    # status word beside them: before, that row became the header and every row above it a "title"
    rows = [["编号", "责任主体", "反馈意见", "落实举措", "期限", "进度"]]
    for i in range(1, 6):
        rows.append([i, "县财政局", f"学习制度不落实{i}", "建立台账", "2019-08-01", "整改中"])
    rows.append([6, "县财政局", "存在问题", "整改措施落实", "2019-08-01", "已完成"])
    for i in range(7, 12):
        rows.append([i, "县财政局", f"档案管理不规范{i}", "补齐档案", "2019-09-01", "已完成"])
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    _balanced(s)
    entry = _sheet(s, "台账")
    assert entry["decision"] == "unclassified" and entry["rows_loaded"] == 0
    assert any(u["sheet"] == "台账" for u in s["sheets_unclassified"])
    assert q(db, "SELECT count(*) FROM raw_rows WHERE sheet='台账' AND row_class IN ('title', 'header')")[0][0] == 0


def test_a_missing_required_column_is_one_sheet_level_finding_not_a_row_fix(registers, tmp_path):
    # a team roster whose group column is headed 分组, a word the contract does not know
    rows = [["序号", "巡察轮次", "分组", "姓名", "组内职务", "专业"]]
    for i, (name, role) in enumerate([("甲", "组长"), ("乙", "副组长"), ("丙", "组员"), ("丁", "组员")], 1):
        rows.append([i, "十四届县委第一轮巡察", "第一组", name, role, "纪检"])
    write_xlsx(registers / "名单.xlsx", {"名单": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    _balanced(s)
    entry = _sheet(s, "名单")
    assert entry["decision"] == "loaded" and entry["missing_columns"] == ["group"]
    assert entry["rows_quarantined"] == 4 and entry["rows_loaded"] == 0
    assert "分组" in entry["unmatched_headers"]
    reasons = q(db, "SELECT DISTINCT reason_code, reason FROM quarantine WHERE sheet = '名单'")
    assert len(reasons) == 1 and reasons[0][0] == "sheet_missing_column"
    assert "「巡察组」" in reasons[0][1] and "「分组」" in reasons[0][1]  # the closest header seen
    assert "补全" not in reasons[0][1]  # the cells are full: nobody is sent to fill them
    with duckdb.connect(str(db), read_only=True) as con:
        findings, counts, _titles = collect(con)
    assert counts["sheet_missing_column"] == 1 and counts["quarantined"] == 0
    f = next(f for f in findings if f["rule"] == "sheet_missing_column")
    assert f["file"] == "名单.xlsx" and f["row"] == 1 and "分组" in f["message"]


def test_a_lead_export_without_a_transfer_column_is_not_loaded_as_inspections(registers, tmp_path):
    rows = [["序号", "被巡察单位", "被反映人", "职务", "问题摘要", "反馈时间", "办理情况"]]
    for i in range(1, 5):
        rows.append([i, "县财政局", f"张{i}", "科长", "违规报销", D(2019, 5, 20), "正在办理"])
    write_xlsx(registers / "导出.xlsx", {"Sheet1": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    entry = _sheet(s, "Sheet1")
    assert entry["decision"] == "uncertain"
    assert q(db, "SELECT count(*) FROM stg_inspections")[0][0] == 0
    kinds = [c["kind"] for c in next(u for u in s["sheets_uncertain"] if u["sheet"] == "Sheet1")["candidates"]]
    assert kinds[0] == "inspections" and "leads" in kinds


def test_a_table_sharing_only_two_headers_with_a_kind_is_uncertain(registers, tmp_path):
    # an export from a case system: two of its ten headers are words of the inspections list
    rows = [["案件编号", "被巡察单位", "巡察组", "登记日期", "承办人", "来源", "性质", "办理阶段", "审批意见", "归档号"]]
    for i in range(1, 4):
        rows.append([f"A{i}", "县财政局", "第一巡察组", "2019-05-01", "李某", "信访", "一般", "初核", "同意", f"G{i}"])
    write_xlsx(registers / "系统导出.xlsx", {"案件": rows})
    s = ingest(registers, tmp_path / "wh.duckdb")
    entry = _sheet(s, "案件")
    assert entry["decision"] == "uncertain"
    reasons = next(u for u in s["sheets_uncertain"] if u["sheet"] == "案件")["reasons"]
    assert any("2/10 个表头" in r for r in reasons)


def test_rows_that_look_like_data_above_the_header_make_the_sheet_uncertain(registers, tmp_path):
    head = ["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况"]
    body = [[i, "县财政局", f"问题{i}", "措施", D(2019, 8, 1), "已完成"] for i in range(1, 4)]
    # two data blocks: the first has no header of its own, so the second block's header is chosen
    rows = [[9, "县教育局", "学校食堂管理不规范", "建立制度", D(2019, 8, 1), "已完成"],
            [10, "县教育局", "合同管理不规范", "完善合同", D(2019, 8, 1), "整改中"], head] + body
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    s = ingest(registers, tmp_path / "wh.duckdb")
    entry = _sheet(s, "台账")
    assert entry["decision"] == "uncertain"
    assert any("之上有 2 行看起来是数据" in r for r in next(u for u in s["sheets_uncertain"])["reasons"])


def test_clear_ledgers_are_loaded_as_before(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况", "完成时间"],
            [1, "县财政局", "传达学习不及时", "专题学习", D(2019, 8, 1), "已完成", D(2019, 7, 1)]]
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    s = ingest(registers, tmp_path / "wh.duckdb")
    assert _sheet(s, "台账")["decision"] == "loaded" and _sheet(s, "台账")["kind"] == "problems"
    assert s["sheets_uncertain"] == [] and s["loaded_by_kind"]["problems"] == 1
    assert {x["decision"] for x in s["sheets"]} == {"loaded"}


def test_the_report_banner_counts_what_makes_the_figures_unsure(demo_copy, tmp_path):
    """Real kernel, real page: an unread file, an uncertain sheet and held rows appear in the banner."""
    import re

    from pipelines.report.render import render_set

    (demo_copy / "坏文件.xlsx").write_bytes(b"not a workbook")
    rows = [["序号", "巡察轮次", "被巡察单位", "发现问题", "整改措施", "责任人", "整改时限", "整改情况"]] + [
        [i, "十四届县委第一轮巡察", "县财政局", f"问题{i}", "规范", "王某", "2019-08-01", "已完成"] for i in range(3)]
    write_xlsx(demo_copy / "另一县的整改台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    ingest(demo_copy, db)
    res = render_set(db, tmp_path / "reports", as_of=D(2020, 6, 30), notebooks=["monthly_brief"],
                     record_history=False)
    page = Path(res["files"][0]).read_text(encoding="utf-8")
    banner = re.search(r'<div class="banner warn gaps">(.*?)</div>', page, re.S)
    assert banner, "the page has no uncertainty banner"
    text = banner.group(1)
    assert "1 个文件未能读取" in text and "1 张表类型待确认" in text and "行数据暂未入库" in text
    assert "可能不准" in text and "其他数字可能偏低" in text


def test_a_ledger_kind_not_supplied_shows_as_not_provided_not_zero(registers, tmp_path):
    """No leads ledger this period: the brief says 未提供 for the lead figures instead of a confident 0."""
    import re

    from pipelines.report.render import render_set

    rows = [["序号", "巡察轮次", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况"],
            [1, "十四届县委第一轮巡察", "县财政局", "传达学习不及时", "专题学习", "2019-08-01", "已完成"]]
    write_xlsx(registers / "第一轮" / "台账.xlsx", {"台账": rows})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    res = render_set(db, tmp_path / "reports", as_of=D(2020, 6, 30), notebooks=["monthly_brief"], record_history=False)
    page = Path(res["files"][0]).read_text(encoding="utf-8")
    by_label = {lab: val for val, lab in re.findall(r'<div class="v">(.*?)</div><div class="l">(.*?)</div>', page)}
    assert by_label["问题线索办结"] == "未提供" and by_label["党纪政纪处分"] == "未提供"
    assert by_label["反馈问题整改率"] != "未提供"
    assert "本期没有收到「问题线索移交台账」" in page
