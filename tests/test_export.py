"""The documents analysts used to make by hand (汇总台账, 督办清单, templates, 月度简报.docx), written
for real from the demo warehouse and opened with openpyxl / python-docx, checked against the marts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines.contract import default_contract
from pipelines.export import run_export
from pipelines.export.templates import NOTES_SHEET, write_templates
from pipelines.ingest.build import ingest
from pipelines.metrics import compute
from pipelines.report.narrative import brief_sentences
from tests.conftest import DEMO_AS_OF, REGISTER_ROUNDS, REGISTER_UNITS

DEMO_BRIEF = ("截至2020年6月30日，共组织开展6轮常规巡察、1轮专项巡察、1轮“回头看”，全县巡察覆盖率达到83%。",
              "市县巡察反馈的1000个问题，已整改完毕940个，整改率94%；移交问题线索96个，已办结80个，"
              "给予党纪政务处分3人、组织处理29人。")


def _sheet_rows(ws, header_row: int) -> list[list]:
    return [list(r) for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if any(v is not None for v in r)]


def _header_at(ws, first: str) -> int:
    for r in range(1, 6):
        if ws.cell(r, 1).value == first:
            return r
    raise AssertionError(f"no header starting with {first} in {ws.title}")


def all_workbooks(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.xlsx"))


def test_ledger_has_one_sheet_per_kind_with_the_loaded_rows(exported):
    contract = default_contract()
    wb = load_workbook(exported["folder"] / "汇总台账.xlsx")
    loaded = exported["summary"]["loaded_by_kind"]
    assert wb.sheetnames[0] == "说明"
    assert wb.sheetnames[1:] == [contract.kinds[k].label for k in contract.kinds if k in loaded]
    for kind, n in loaded.items():
        ws = wb[contract.kinds[kind].label]
        heads = [c.value for c in ws[1]]
        assert heads[-3:] == ["来源文件", "工作表", "行号"]
        assert all(h and not h.isascii() for h in heads), heads  # Chinese headers, no snake_case
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        rows = _sheet_rows(ws, 1)
        assert len(rows) == n, kind
        assert all(isinstance(r[-1], int) and r[-3] for r in rows)  # every row says where it came from
    problems = wb[contract.kinds["problems"].label]
    heads = [c.value for c in problems[1]]
    status = heads.index(contract.label("problems", "status"))
    labels = set(contract.vocabularies["problem_status"].labels.values())
    values = {r[status] for r in _sheet_rows(problems, 1)}
    assert values <= labels | {None} and "已整改" in values
    deadline = heads.index(contract.label("problems", "deadline"))
    typed = [r[deadline] for r in _sheet_rows(problems, 1) if r[deadline] is not None]
    assert any(isinstance(v, dt.datetime) for v in typed) and "长期坚持" in typed  # real dates, terms as text
    heads = [c.value for c in problems[1]]
    desc = problems.cell(row=1, column=heads.index(contract.label("problems", "description")) + 1).column_letter
    assert problems.column_dimensions[desc].width > 8
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r and r[0]}
    assert about["统计截至"].date() == DEMO_AS_OF
    assert about["数据校验"].startswith("未通过")
    assert about["未入库（隔离）的行"] == exported["summary"]["rows_quarantined"] == 6
    assert "findings.xlsx" in about["隔离行在哪里看"]


def test_ledger_hides_personal_names_unless_asked(exported, expected, tmp_path):
    contract = default_contract()
    leads = contract.kinds["leads"].label

    def texts(path):
        ws = load_workbook(path)[leads]
        return [c.value for c in ws[1]], "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row
                                                    if v is not None)

    names = expected["personal_names"]
    assert names
    heads, default = texts(exported["folder"] / "汇总台账.xlsx")
    assert contract.label("leads", "subject") not in heads
    assert not [n for n in names if n in default]
    team = load_workbook(exported["folder"] / "汇总台账.xlsx")[contract.kinds["team"].label]
    assert contract.label("team", "member_name") not in [c.value for c in team[1]]
    res = run_export(exported["db"], tmp_path / "named", as_of=DEMO_AS_OF, show_names=True)
    heads, _ = texts(res["ledger"])
    assert contract.label("leads", "subject") in heads
    wb = load_workbook(res["ledger"])  # every personal name (leads, team, talks) is back, somewhere in the ledger
    shown = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                      if v is not None)
    assert all(n in shown for n in names), [n for n in names if n not in shown]


def _supervision_rows(folder: Path) -> list[tuple[str, str, list]]:
    out = []
    for path in sorted(folder.glob("*.xlsx")):
        if path.name == "汇总.xlsx":
            continue
        wb = load_workbook(path)
        for ws in wb:
            at = _header_at(ws, "序号")
            heads = [c.value for c in ws[at]]
            for r in _sheet_rows(ws, at):
                out.append((path.stem, ws.title, dict(zip(heads, r))))
    return out


def test_supervision_lists_match_the_marts(exported):
    folder = exported["folder"] / "督办清单"
    con = duckdb.connect(str(exported["db"]), read_only=True)
    m = compute(con, DEMO_AS_OF)
    open_rows = con.execute("""SELECT src_file, src_sheet, src_row, unit_name FROM mart_problems(?)
                               WHERE counted AND NOT rectified""", [DEMO_AS_OF]).fetchall()
    con.close()
    rows = _supervision_rows(folder)
    assert sum(1 for _, _, r in rows if r["是否逾期"] == "是") == m["problems_overdue"] == 11
    seen: dict[tuple, list[str]] = {}
    for stem, _sheet, r in rows:
        seen.setdefault((r["来源文件"], r["工作表"], r["行号"]), []).append(stem)
    assert len(rows) == len(open_rows) == m["problems_total"] - m["problems_rectified"]
    for f, s, row, unit in open_rows:
        assert seen[(f, s, row)] == [unit], (f, s, row)  # in exactly one file: its own unit's
    for _stem, sheet, r in rows:
        if sheet == "长期坚持":
            assert r["是否逾期"] == "否" and r["逾期天数"] is None
        if r["是否逾期"] == "是":
            assert r["逾期天数"] > 0
    for path in folder.glob("*.xlsx"):  # overdue first in each unit's list
        if path.name != "汇总.xlsx":
            flags = [r["是否逾期"] for stem, sheet, r in rows if stem == path.stem and sheet == "督办清单"]
            assert flags == sorted(flags, key=lambda x: x != "是")
    summary = load_workbook(folder / "汇总.xlsx")["汇总"]
    at = _header_at(summary, "序号")
    srows = [dict(zip([c.value for c in summary[at]], r)) for r in _sheet_rows(summary, at) if r[0] is not None]
    assert sum(r["其中逾期"] for r in srows) == m["problems_overdue"]
    for r in srows:
        assert (folder / r["督办清单文件"]).exists()
        assert r["未完成整改"] == sum(1 for stem, _, _ in rows if stem + ".xlsx" == r["督办清单文件"])
    assert exported["res"]["problems_overdue"] == m["problems_overdue"]


def _no_formula(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert "<f>" not in z.read(name).decode("utf-8") and "<f " not in z.read(name).decode("utf-8"), (path, name)
    wb = load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (path, ws.title, c.coordinate, c.value)


HOSTILE = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-3+4", "@SUM(A1:A2)", "=1+1"]


def _write_text_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    """A ledger whose cells hold text that looks like formulas (as a clerk typed it, stored as text)."""
    from openpyxl import Workbook

    from pipelines.xlsx import append_text_row

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            append_text_row(ws, r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_no_ledger_text_becomes_a_formula(tmp_path):
    raw = tmp_path / "raw"
    units = REGISTER_UNITS + [["=cmd|' /C calc'!A0", "县直部门", None]]
    _write_text_xlsx(raw / "名册.xlsx", {"名册": units, "轮次": REGISTER_ROUNDS})
    rows = [["问题编号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改状态", "责任人"]]
    for i, text in enumerate(HOSTILE, 1):
        rows.append([str(i), "山丹县财政局", text, text, "2019-06-30", "整改中", text])
    rows.append(["9", "=cmd|' /C calc'!A0", "单位名像公式", "=2+2", "长期坚持", "长期坚持", None])
    _write_text_xlsx(raw / "十四届县委第一轮巡察" / "问题.xlsx", {"问题": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(raw, db)
    assert s["loaded_by_kind"]["problems"] == len(HOSTILE) + 1
    res = run_export(db, tmp_path / "out", as_of=dt.date(2020, 6, 30))
    paths = write_templates(tmp_path / "tpl", db_path=db)
    books = all_workbooks(Path(res["folder"])) + paths
    assert len(books) >= 4
    for p in books:
        _no_formula(p)
    texts = [c.value for p in all_workbooks(Path(res["folder"])) for ws in load_workbook(p) for row in ws.iter_rows()
             for c in row]
    assert all(t in texts for t in HOSTILE)  # shown as the text it is, not dropped


# --- templates ---------------------------------------------------------------------------------------

def _choices(wb, ws) -> dict[int, list[str]]:
    """column index (1-based) → the list a dropdown offers, read from the workbook's data validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        ref = dv.formula1
        sheet, _, rng = ref.rpartition("!")
        src = wb[sheet.strip("'")]
        a, b = rng.replace("$", "").split(":")
        values = [r[0].value for r in src[a:b]]
        col = next(iter(dv.sqref.ranges)).min_col
        out[col] = values
    return out


def _kinds_of_validation(ws) -> dict[int, str]:
    return {next(iter(dv.sqref.ranges)).min_col: dv.type for dv in ws.data_validations.dataValidation}


def fill_template(path: Path) -> dict:
    """Fill one row as a unit clerk would: the first dropdown choice in each list column, a date in each
    date column, a number where the template asks for one, text elsewhere."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    lists = _choices(wb, ws)
    kinds = _kinds_of_validation(ws)
    heads = [c.value for c in ws[2]]
    filled = {}
    for i, h in enumerate(heads, 1):
        cell = ws.cell(3, i)
        hint = ws.cell(2, i).comment.text if ws.cell(2, i).comment else ""
        if i in lists:
            value = lists[i][0]
        elif cell.number_format == "yyyy-mm-dd":
            value = dt.date(2020, 6, 15)
        elif kinds.get(i) in ("whole", "decimal"):
            value = 2
        elif "年度" in hint:
            value = "2020年度"
        else:
            value = f"{h.rstrip('＊')}示例"
        cell.value = value
        filled[h] = value
    wb.save(path)
    return filled


def test_templates_have_dropdowns_dates_and_instructions(demo_db, tmp_path):
    contract = default_contract()
    paths = write_templates(tmp_path, db_path=demo_db)
    assert sorted(p.stem for p in paths) == sorted(k.label for k in contract.kinds.values())
    wb = load_workbook(tmp_path / "巡察反馈问题整改台账.xlsx")
    ws = wb.worksheets[0]
    assert ws.cell(1, 1).value == "巡察反馈问题整改台账" and wb.sheetnames[1] == NOTES_SHEET
    heads = [c.value for c in ws[2]]
    # statuses are optional (derived from the completion date, or counted as unknown): not marked required
    assert "整改情况" in heads and "问题描述＊" in heads and "整改措施" in heads
    lists = _choices(wb, ws)
    status_col = heads.index("整改情况") + 1
    assert lists[status_col] == ["未整改", "长期坚持", "整改中", "已整改"]
    unit_col = heads.index("被巡察单位＊") + 1
    con = duckdb.connect(str(demo_db), read_only=True)
    n_units = con.execute("SELECT count(*) FROM int_units").fetchone()[0]
    con.close()
    assert len(lists[unit_col]) == n_units
    assert ws.cell(3, heads.index("整改时限") + 1).number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A3"


def test_filled_templates_ingest_with_no_finding(demo_dir, demo_db, tmp_path):
    contract = default_contract()
    tpl = tmp_path / "raw" / "填报"
    paths = write_templates(tpl, db_path=demo_db)
    for p in paths:
        fill_template(p)
    for reg in ("基础台账/党组织名册.xlsx", "基础台账/巡察轮次登记表.xlsx"):  # the demo registers
        (tmp_path / "raw" / reg).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_dir / reg, tmp_path / "raw" / reg)
    db = tmp_path / "wh.duckdb"
    s = ingest(tmp_path / "raw", db)
    con = duckdb.connect(str(db), read_only=True)
    for p in paths:
        rel = p.relative_to(tmp_path / "raw").as_posix()
        kind = next(k for k in contract.kinds.values() if k.label == p.stem).name
        sheets = con.execute("SELECT sheet, kind FROM sheets WHERE file = ? ORDER BY sheet", [rel]).fetchall()
        assert dict(sheets)[p.stem] == kind, (rel, sheets)
        assert dict(sheets)[NOTES_SHEET] is None  # the instructions are not a ledger
        outcome = con.execute("SELECT outcome, count(*) FROM raw_rows WHERE file = ? AND row_class = 'data' GROUP BY 1",
                              [rel]).fetchall()
        assert outcome == [("loaded", 1)], (rel, outcome)
        assert con.execute("SELECT count(*) FROM quarantine WHERE file = ?", [rel]).fetchone()[0] == 0
        found = con.execute("SELECT message FROM findings WHERE file = ?", [rel]).fetchall()
        assert found == [], found
    assert s["conflicts"] == 0 and s["rows_quarantined"] == 0 and s["cell_findings"] == 0
    assert s["loaded_by_kind"]["problems"] == 1 and s["loaded_by_kind"]["leads"] == 1
    status = con.execute("SELECT status, status_raw FROM stg_problems").fetchone()
    assert status == ("not_started", "未整改")
    con.close()


# --- the brief ---------------------------------------------------------------------------------------

def test_brief_sentences_on_the_demo(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    s = brief_sentences(con, DEMO_AS_OF)
    assert s[:2] == list(DEMO_BRIEF)
    assert not any("较上期" in x for x in s)
    before = dict(compute(con, DEMO_AS_OF), problems_rectified=928, rectification_rate=0.928, leads_closed=82)
    s2 = brief_sentences(con, DEMO_AS_OF, before)
    con.close()
    assert "已整改完毕940个（较上期增加12个），整改率94%（较上期提高1.2个百分点）" in s2[1]
    assert "已办结80个（较上期减少2个）" in s2[1]


def test_brief_sentences_drop_out_when_a_ledger_is_missing(demo_copy, tmp_path):
    con_paths = [p for p in demo_copy.rglob("*.xlsx") if "线索" in p.name]
    assert con_paths
    for p in con_paths:
        p.unlink()
    db = tmp_path / "wh.duckdb"
    ingest(demo_copy, db)
    con = duckdb.connect(str(db), read_only=True)
    s = brief_sentences(con, DEMO_AS_OF)
    con.close()
    text = "".join(s)
    assert "线索" not in text and "处分" not in text
    assert "已整改完毕940个" in text and "覆盖率达到83%" in text


def test_brief_docx_has_the_figures_fonts_and_a4(exported, expected):
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = Document(str(exported["folder"] / "月度简报.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    for sentence in DEMO_BRIEF:
        assert sentence in text
    for fig in ["83.3%", "94.0%", "80/96", "3 人", "29 人"]:
        assert fig in cells, fig
    assert "逾期未完成整改的问题 11 个" in text and "运行清单" in text and "未通过校验" in text
    sec = doc.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(1) and abs(sec.page_height - Mm(297)) < Mm(1)
    rfonts = doc.styles["Normal"].element.rPr.rFonts
    assert rfonts.get(qn("w:eastAsia"))
    body_fonts = {r.element.rPr.rFonts.get(qn("w:eastAsia")) for p in doc.paragraphs for r in p.runs}
    assert len(body_fonts) >= 1 and None not in body_fonts
    assert not [n for n in expected["personal_names"] if n in text + cells]


def test_export_cli_and_monthly_write_the_documents(exported, tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    res = CliRunner().invoke(app, ["export", "--db", str(exported["db"]), "--out", str(tmp_path / "o"),
                                   "--period", "2020-06", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["rows_by_kind"]["problems"] == 1000 and data["problems_overdue"] == 11
    assert (tmp_path / "o" / "2020-06" / "督办清单" / "汇总.xlsx").exists()
    res = CliRunner().invoke(app, ["template", "--kind", "problems", "--out", str(tmp_path / "t")])
    assert res.exit_code == 0 and (tmp_path / "t" / "巡察反馈问题整改台账.xlsx").exists()
    res = CliRunner().invoke(app, ["template", "--kind", "nonsense", "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and "没有台账类型" in res.output
