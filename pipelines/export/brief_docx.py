"""月度简报.docx: the monthly brief as a Word document for the office's own papers.

A4, government-document fonts where installed (仿宋 body, 黑体 headings; settings `docx_fonts` lists
them with fallbacks), the same narrative as the HTML brief (report/narrative.py), the headline
table, the attention lists and the run manifest as a short appendix. Figures come from the marts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import duckdb

from pipelines import __version__
from pipelines.contract import Contract
from pipelines.files import replacing
from pipelines.metrics import compute, kinds_named, metric_needs, people_text
from pipelines.report.narrative import KIND_ORDER, brief_sentences

DEFAULT_FONTS = {"body": ["仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC", "SimSun"],
                 "heading": ["黑体", "SimHei", "Noto Sans CJK SC", "Microsoft YaHei"],
                 "title": ["方正小标宋简体", "小标宋", "黑体", "SimHei", "Noto Serif CJK SC"]}
# the Windows font files behind the names above (no fc-list there)
_WIN_FILES = {"仿宋_GB2312": "FS_GB2312.ttf", "仿宋": "simfang.ttf", "FangSong": "simfang.ttf", "黑体": "simhei.ttf",
              "SimHei": "simhei.ttf", "SimSun": "simsun.ttc", "Microsoft YaHei": "msyh.ttc",
              "方正小标宋简体": "FZXBSJW.TTF"}
STATUS_WORDS = {"pass": "通过", "warn": "通过（有警告）", "fail": "未通过", None: "未校验"}


@lru_cache(maxsize=1)
def _installed_families() -> frozenset | None:
    """Font families this machine has (fontconfig), or None when it cannot tell."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return frozenset(n.strip() for line in out.splitlines() for n in line.split(","))
    return None


def pick_font(candidates: list[str]) -> str:
    """The first candidate installed here; the first one when this machine cannot tell (Word and WPS
    substitute a missing font by its own name table, so the conventional name is the best guess)."""
    fams = _installed_families()
    windir = os.environ.get("WINDIR")
    for name in candidates:
        if fams is not None and name in fams:
            return name
        if fams is None and windir and name in _WIN_FILES and (Path(windir) / "Fonts" / _WIN_FILES[name]).exists():
            return name
    return candidates[0]


def _set_font(target, name: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    """A run's or style's font, East Asian text included (python-docx's font.name sets only w:ascii/w:hAnsi)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = target.font
    font.name = name
    el = target.element if hasattr(type(target), "element") else target._element
    rpr = el.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    if size_pt:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)


def _para(doc, text: str, fonts: dict, *, size: float = 16, indent: bool = True, bold: bool = False,
          align=None, style: str | None = None):
    from docx.shared import Pt

    p = doc.add_paragraph(style=style)
    run = p.add_run(text)
    _set_font(run, fonts["body"], size, bold)
    pf = p.paragraph_format
    if indent:
        pf.first_line_indent = Pt(size * 2)
    pf.line_spacing = Pt(28) if size >= 15 else None
    pf.space_after = Pt(0)
    if align is not None:
        p.alignment = align
    return p


def _heading(doc, text: str, fonts: dict, size: float = 16):
    from docx.shared import Pt

    p = doc.add_heading(level=1)
    run = p.add_run(text)
    _set_font(run, fonts["heading"], size, False)
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(6)
    return p


def _table(doc, heads: list[str], rows: list[list], fonts: dict, widths_cm: list[float] | None = None):
    from docx.shared import Cm

    t = doc.add_table(rows=1, cols=len(heads))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, heads):
        cell.text = ""
        _set_font(cell.paragraphs[0].add_run(str(h)), fonts["heading"], 12, False)
    for r in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, r):
            cell.text = ""
            _set_font(cell.paragraphs[0].add_run("" if v is None else str(v)), fonts["body"], 12)
    if widths_cm:
        t.autofit = False
        for col, w in zip(t.columns, widths_cm):
            col.width = Cm(w)
        for row in t.rows:
            for cell, w in zip(row.cells, widths_cm):
                cell.width = Cm(w)
    return t


def _fmt_pct(x) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def write_brief_docx(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, as_of: dt.date,
                     validation: dict, previous: tuple[str | None, dict | None] = (None, None),
                     settings: dict | None = None) -> dict:
    """Write 月度简报.docx; returns {"sentences": [...], "path": str}."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    settings = settings if settings is not None else contract.settings
    conf = {**DEFAULT_FONTS, **(settings.get("docx_fonts") or {})}
    fonts = {k: pick_font(list(v)) for k, v in conf.items()}
    prev_period, prev = previous
    m = compute(con, as_of)
    sentences = brief_sentences(con, as_of, prev, metrics=m, contract=contract)

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _set_font(normal, fonts["body"], 16)
    for name in ("Heading 1", "Title"):
        _set_font(doc.styles[name], fonts["heading"], 16, False)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run("巡察工作月度简报"), fonts["title"], 22, False)
    _para(doc, f"（数据截至{as_of.year}年{as_of.month}月{as_of.day}日）", fonts, indent=False,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    if validation.get("status") == "fail":
        _para(doc, f"注意：本简报所用数据未通过校验（{validation.get('n_errors')} 条错误），数字可能不准确，"
                   "请先处理数据质量页中的问题。", fonts, bold=True)
    elif validation.get("status") is None:
        _para(doc, "注意：本简报所用数据尚未运行校验。", fonts, bold=True)

    _heading(doc, "一、总体情况", fonts)
    for s in sentences or ["本期没有可汇总的台账数据。"]:
        _para(doc, s, fonts)

    _heading(doc, "二、主要指标", fonts)
    kinds = m["rounds_by_kind"]

    def change(key, kind="count"):
        if not prev or prev.get(key) is None or m.get(key) is None:
            return "—"
        d = m[key] - prev[key]
        return f"{d * 100:+.1f} 个百分点" if kind == "rate" else f"{d:+d}"

    needs, lacking = metric_needs(contract), set(m.get("not_supplied") or ())

    def value(key: str, text, lead: str = "") -> str:
        """The figure's text, or 未提供 when the ledger it is counted from was not received (never a 0)."""
        gone = [kd for kd in needs.get(key) or () if kd in lacking]
        if gone and m.get(key) is None:
            return lead + "未提供（本期没有收到" + kinds_named(gone, contract) + "）"
        return text()

    rows = [
        ["巡察覆盖率", value("coverage_rate", lambda: f"{_fmt_pct(m['coverage_rate'])}（{m['units_covered']}/"
                                                 f"{m['units_in_scope']} 个党组织）"), change("coverage_rate", "rate")],
        ["反馈问题整改率", value("rectification_rate", lambda: f"{_fmt_pct(m['rectification_rate'])}（已整改 "
                                                     f"{m['problems_rectified']}/{m['problems_total']} 个）"),
         change("rectification_rate", "rate")],
        ["逾期未完成整改", value("problems_overdue", lambda: f"{m['problems_overdue']} 个"), change("problems_overdue")],
        ["问题线索办结", value("leads_closed", lambda: f"{m['leads_closed']}/{m['leads_transferred']} 件（办结率 "
                                                 f"{_fmt_pct(m['lead_closure_rate'])}）"), change("leads_closed")],
        ["党纪政务处分", value("people_disciplined", lambda: people_text(m["people_disciplined"])),
         change("people_disciplined")],
        ["组织处理", value("people_org_handled", lambda: people_text(m["people_org_handled"])),
         change("people_org_handled")],
        ["已开展巡察", value("rounds_by_kind", lambda: f"{sum(kinds.values())} 轮（" + "、".join(
            f"{contract.code_label('round_kind', k)}{kinds[k]}轮" for k in sorted(
                kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 99)) + "）" if kinds else "—"), "—"],
    ]
    _table(doc, ["指标", "数值", "较上期" + (f"（{prev_period}）" if prev_period else "")], rows, fonts, [4, 8.5, 3.5])

    _heading(doc, "三、需要关注", fonts)
    over = con.execute("""SELECT unit_name, n_overdue, n_open, max_days_overdue FROM mart_supervision_units(?)
                          WHERE n_overdue > 0 ORDER BY n_overdue DESC, max_days_overdue DESC, unit_name""",
                       [as_of]).fetchall()
    _para(doc, "（一）逾期未完成整改的问题" + value("problems_overdue", lambda: f" {sum(r[1] for r in over)} 个，涉及 "
               f"{len(over)} 个单位（各单位督办清单见同一文件夹的「督办清单」）", "：") + "。", fonts)
    if over:
        _table(doc, ["单位", "逾期问题", "未完成整改", "最长逾期天数"], [list(r) for r in over], fonts, [7, 3, 3, 3])
    days = int(settings.get("lead_open_days_alert", 180))
    long_open = con.execute("""SELECT round_name, unit_name, count(*) AS n, max(days_open) FROM mart_leads(?)
                               WHERE counted AND NOT closed AND days_open > ? GROUP BY ALL ORDER BY 4 DESC""",
                            [as_of, days]).fetchall()
    _para(doc, f"（二）移交超过 {days} 天仍未办结的线索" + value("leads_closed", lambda: f" {sum(r[2] for r in long_open)} "
               "件（仅汇总，不含人名）", "：") + "。", fonts)
    if long_open:
        _table(doc, ["轮次", "单位", "未办结（件）", "最长已移交天数"], [list(r) for r in long_open], fonts, [5, 5, 3, 3])
    never = con.execute("""SELECT unit_name, unit_type FROM mart_unit_coverage(?) WHERE in_scope AND NOT covered
                           ORDER BY unit_type, unit_name""", [as_of]).fetchall()
    _para(doc, "（三）尚未巡察的党组织" + value("units_covered", lambda: f" {len(never)} 个" + (
        "：" + "、".join(r[0] for r in never) if never else ""), "：") + "。", fonts)

    _heading(doc, "附：运行清单", fonts, 14)
    built = con.execute("SELECT built_at, data_hash FROM warehouse_meta").fetchone()
    n_files = con.execute("SELECT count(*) FROM files").fetchone()[0]
    status = STATUS_WORDS.get(validation.get("status"), str(validation.get("status")))
    if validation.get("status"):
        status += f"（错误 {validation.get('n_errors')}，警告 {validation.get('n_warnings')}）"
    manifest = [["数据截至", as_of.isoformat()],
                ["数据仓库生成", f"{built[0]:%Y-%m-%d %H:%M}" + (f"，数据指纹 {built[1][:16]}" if built[1] else "")
                 if built else "—"],
                ["输入文件", f"{n_files} 个（文件名与 SHA-256 见 HTML 简报页尾的运行清单）"],
                ["校验状态", status],
                ["程序版本", f"xuncha {__version__}"],
                ["生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")]]
    t = _table(doc, ["项目", "内容"], manifest, fonts, [4, 12])
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(10.5)  # 五号
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        doc.save(str(tmp))
    return {"sentences": sentences, "path": str(path), "fonts": fonts}
