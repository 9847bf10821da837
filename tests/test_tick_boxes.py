"""Ledgers that write the status as tick boxes: one column per status, a √ in the one that applies.

Forms in Chinese offices commonly put a choice as columns to tick ("在相应栏内打√"): a check record's 检查结果
over 符合 | 不符合 (广东省食品药品监督管理局日常检查记录表, https://www.360docs.net/doc/7810874750.html), and
rectification reports count 已整改 / 正在整改（含部分整改）/ 未整改 separately (瑞金市审计查出问题整改情况的报告,
http://www.ruijin.gov.cn/rjsxxgk/rjin80885/202211/4b9971a0f2914baa97d9707b3c846fd6.shtml). Before, such a ledger
loaded with every status unknown and its option headers asked about as unknown columns; a ledger whose group
header was a status synonym read the first option's column only. Real xlsx files, real ingest, real DuckDB,
the analyst's answer through the real question workbook."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.ingest.build import ingest
from pipelines.metrics import metrics
from tests.analyst import answer_workbook
from tests.conftest import write_xlsx

D = dt.date
AS_OF = D(2020, 6, 30)
TITLE = ["县委第一轮巡察反馈问题整改台账"]
PROBLEMS = [(1, "县财政局", "三重一大决策制度执行不到位"), (2, "县财政局", "专项资金拨付不及时"),
            (3, "县教育局", "学校食堂管理不规范"), (4, "清泉镇", "村级财务公开不及时")]


def q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _write(raw: Path, rows, merges=()) -> None:
    write_xlsx(raw / "第一轮" / "十四届县委第一轮巡察整改台账.xlsx", {"台账": rows}, merges={"台账": list(merges)})


def _grouped(ticks, group="整改进度", options=("已完成", "正在整改", "未整改")):
    """整改进度 merged over one column per option, the options in the row below, a √ per row."""
    n = len(options)
    rows = [TITLE, ["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", group, *[None] * (n - 1)],
            [None] * 5 + list(options)]
    for (no, unit, desc), tick in zip(PROBLEMS, ticks):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *tick])
    last = chr(ord("F") + n - 1)
    return rows, ["A1:" + last + "1", f"F2:{last}2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3"]


def test_the_ticked_option_is_the_status(registers, tmp_path):
    rows, merges = _grouped([("√", None, None), (None, "√", None), (None, None, "✓"), ("√", "", "×")])
    _write(registers, rows, merges)
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["loaded_by_kind"]["problems"] == 4
    got = q(db, "SELECT problem_no, status, status_raw, status_source FROM stg_problems ORDER BY src_row")
    assert [(g[1], g[2], g[3]) for g in got] == [("rectified", "已完成", "column"), ("in_progress", "正在整改", "column"),
                                               ("not_started", "未整改", "column"), ("rectified", "已完成", "column")]
    m = metrics(db, AS_OF)
    assert (m["problems_total"], m["problems_rectified"], m["problems_status_unknown"]) == (4, 2, 0)
    assert m["problems_overdue"] == 2  # the deadline 2019-08-01 has passed for the two not done
    # the row of option headers is part of the header, not a record held for a missing description
    assert q(db, "SELECT row, row_class FROM raw_rows WHERE file LIKE '第一轮/%' AND row <= 3 ORDER BY row") == \
        [(1, "title"), (2, "header"), (3, "header")]
    assert q(db, "SELECT count(*) FROM quarantine")[0][0] == 0
    # provenance names the option the tick is under
    cells = json.loads(q(db, "SELECT src_cells FROM stg_problems WHERE src_row = 5")[0][0])
    assert ["G", "整改进度/正在整改", "√"] in cells


def test_option_headers_alone_are_understood_not_asked_about(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "已整改", "未整改"]]
    for (no, unit, desc), tick in zip(PROBLEMS, [("√", None), (None, "√"), (None, "√"), ("√", None)]):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *tick])
    _write(registers, rows)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert [r[0] for r in q(db, "SELECT status FROM stg_problems ORDER BY src_row")] == \
        ["rectified", "not_started", "not_started", "rectified"]
    # 已整改 and 未整改 are not unknown headers (before, both were asked about in 待确认事项「列名」)
    assert q(db, "SELECT decision, unmatched_headers FROM sheets WHERE file LIKE '第一轮/%'") == [("loaded", None)]


def test_yes_and_no_under_a_status_header(registers, tmp_path):
    rows, merges = _grouped([("√", None), (None, "√"), ("√", None), (None, None)], group="是否完成", options=("是", "否"))
    _write(registers, rows, merges)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert [r[0] for r in q(db, "SELECT status FROM stg_problems ORDER BY src_row")] == \
        ["rectified", "not_started", "rectified", None]  # nothing ticked: unknown, never a guess
    assert metrics(db, AS_OF)["problems_status_unknown"] == 1


def test_two_ticks_or_a_stray_mark_are_unknown_and_the_analyst_is_asked(registers, tmp_path):
    rows, merges = _grouped([("√", "√", None), ("○", None, None), ("√", None, None), (None, "√", None)])
    _write(registers, rows, merges)
    work = tmp_path / "work"
    shutil.copytree(registers, work / "data_raw")
    db, cfg = work / "data_clean" / "w.duckdb", work / "config"
    runner = CliRunner()

    def run() -> Path:
        res = runner.invoke(app, ["ingest", "--raw", str(work / "data_raw"), "--db", str(db), "--config", str(cfg)])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["validate", "--db", str(db), "--out", str(work / "reports"), "--config", str(cfg)])
        assert res.exit_code in (0, 1), res.output
        return work / "reports" / "quality" / "待确认事项.xlsx"

    qbook = run()
    got = q(db, "SELECT status, status_raw FROM stg_problems ORDER BY src_row")
    assert got[:2] == [(None, "已完成：√；正在整改：√"), (None, "已完成：○")]
    m = metrics(db, AS_OF)
    assert (m["problems_rectified"], m["problems_status_unknown"]) == (1, 2)
    ws = load_workbook(qbook)["词语"]
    head = [c.value for c in ws[1]]
    seen = {ws.cell(r, head.index("看到的") + 1).value for r in range(2, ws.max_row + 1)}
    assert {"已完成：√；正在整改：√", "已完成：○"} <= seen
    # the analyst says what two ticks mean here; the next ingest counts it so
    written = answer_workbook(qbook, {("词语", "已完成：√；正在整改：√"): "整改中"})
    assert len(written) == 1
    res = runner.invoke(app, ["confirm", str(qbook), "--db", str(db), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    run()
    assert q(db, "SELECT status FROM stg_problems WHERE src_row = 4")[0][0] == "in_progress"
    assert metrics(db, AS_OF)["problems_status_unknown"] == 1  # the stray ○ is still unknown


def test_option_columns_holding_dates_or_words_are_not_tick_boxes(registers, tmp_path):
    # 已完成 holding the completion date and 未完成 a reason: not a tick-box grid; nothing is read as done
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "已完成", "未完成"]]
    for (no, unit, desc), pair in zip(PROBLEMS, [("2019年7月", None), (None, "资金未到位"), (None, "正在协调"),
                                                  ("2019年6月", None)]):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *pair])
    _write(registers, rows)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, AS_OF)
    assert m["problems_rectified"] == 0 and m["problems_status_unknown"] == 4


def test_a_tick_beside_a_status_column_of_words_is_compared_not_trusted_over_it(registers, tmp_path):
    rows = [TITLE, ["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改情况", "是否销号", None],
            [None] * 6 + ["是", "否"]]
    for (no, unit, desc), (words, yes, no_) in zip(PROBLEMS, [("已完成", "√", None), ("整改中", None, "√"),
                                                               ("整改中", "√", None), (None, "√", None)]):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), words, yes, no_])
    _write(registers, rows, ["A1:H1", "G2:H2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3"])
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    got = q(db, "SELECT status, status_raw FROM stg_problems ORDER BY src_row")
    assert [g[0] for g in got] == ["rectified", "in_progress", "in_progress", "rectified"]
    assert got[3] == ("rectified", "是")  # the words column is empty: the tick fills it
    # 整改中 with 是否销号 ticked 是: a finding on that row, the words column's reading kept
    found = q(db, "SELECT row, code FROM findings WHERE file LIKE '第一轮/%'")
    assert (6, "status_disagree") in [(r, c) for r, c in found]


SIX = PROBLEMS + [(5, "位奇镇", "党建工作薄弱"), (6, "南关村", "三资管理混乱")]


def _two_row(group, options, ticks, pre=("序号", "被巡察单位", "问题描述", "整改措施", "整改时限"), vmerge=True):
    """group merged over the options in a two-row header (the other headers merged down, or not)."""
    k, n = len(pre), len(options)
    rows = [TITLE, [*pre, group, *[None] * (n - 1)], [None] * k + list(options)]
    for (no, unit, desc), tick in zip(SIX, ticks):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *tick])
    L = [chr(ord("A") + i) for i in range(k + n)]
    merges = [f"A1:{L[-1]}1", f"{L[k]}2:{L[-1]}2"] + ([f"{L[c]}2:{L[c]}3" for c in range(k)] if vmerge else [])
    return rows, merges


def test_yes_and_no_under_another_question_are_not_the_status(registers, tmp_path):
    # 是否逾期 (overdue?) over 是 | 否: ticked 是 is not "rectified"; nothing is read, the columns are asked about
    ticks = [("√", None), (None, "√"), ("√", None), (None, "√")]
    for vmerge in (True, False):
        rows, merges = _two_row("是否逾期", ("是", "否"), ticks, vmerge=vmerge)
        _write(registers, rows, merges)
        db = tmp_path / f"wh{vmerge}.duckdb"
        ingest(registers, db)
        m = metrics(db, AS_OF)
        assert (m["problems_rectified"], m["problems_status_unknown"]) == (0, 4), vmerge
    # 是否按期完成 | 是否长期坚持 answered 是 / 否: questions, not boxes to tick
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "是否按期完成", "是否长期坚持"]]
    for (no, unit, desc), pair in zip(PROBLEMS, [("是", "否"), ("否", "否"), ("否", "是"), ("是", "否")]):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *pair])
    _write(registers, rows)
    ingest(registers, tmp_path / "q.duckdb")
    assert q(tmp_path / "q.duckdb", "SELECT count(*) FROM stg_problems WHERE status IS NOT NULL")[0][0] == 0


def test_a_lead_ledgers_substantiated_yes_no_is_not_closed(registers, tmp_path):
    rows = [["县委第一轮巡察问题线索移交台账"], ["序号", "被巡察单位", "被反映人", "问题线索", "移交部门", "是否属实", None],
            [None] * 5 + ["是", "否"]]
    for i, (unit, tick) in enumerate([("县财政局", ("√", None)), ("县教育局", (None, "√")), ("清泉镇", ("√", None))], 1):
        rows.append([i, unit, "某某", "违规发放津补贴", "县纪委监委", *tick])
    _write(registers, rows, ["A1:G1", "F2:G2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3"])
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    m = metrics(db, AS_OF)
    assert m["leads_transferred"] == 3 and m["leads_closed"] == 0 and m["leads_status_unknown"] == 3


def test_a_yes_no_status_column_beside_its_reason_keeps_its_no(registers, tmp_path):
    # 整改落实情况 over 是否销号 | 未销号原因: 是否销号 is a column of answers (否 = not done), never a tick box
    rows, merges = _two_row("整改落实情况", ("是否销号", "未销号原因"),
                            [("是", None), ("是", None), ("是", None), ("否", "资金未到位"), ("是", None), ("否", None)],
                            vmerge=False)
    _write(registers, rows, merges)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert [r[0] for r in q(db, "SELECT status FROM stg_problems ORDER BY src_row")] == \
        ["rectified", "rectified", "rectified", "not_started", "rectified", "not_started"]


def test_a_choice_of_category_beside_a_status_option_is_not_a_status(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "立行立改", "限期整改", "长期坚持", "已整改"]]
    for (no, unit, desc), tick in zip(PROBLEMS, [("√", None, None, "√"), (None, "√", None, None),
                                                  (None, None, "√", None), (None, None, "√", "√")]):
        rows.append([no, unit, desc, "建立制度", D(2019, 8, 1), *tick])
    _write(registers, rows)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert q(db, "SELECT count(*) FROM stg_problems WHERE status = 'long_term'")[0][0] == 0


def test_other_ways_to_tick_and_a_status_written_across_the_boxes(registers, tmp_path):
    rows, merges = _grouped([("✔️", None, None), (None, True, False), ("正在整改", None, None), (None, None, "☑️")])
    merges.append("F6:H6")  # 正在整改 written once across the three boxes of the third problem
    _write(registers, rows, merges)
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    assert [r[0] for r in q(db, "SELECT status FROM stg_problems ORDER BY src_row")] == \
        ["rectified", "in_progress", "in_progress", "not_started"]
