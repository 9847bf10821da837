"""The analyst's fix list: an offline HTML quality page and an xlsx export of findings and quarantine.

Spreadsheet text is escaped (Jinja2 autoescape) in HTML and never becomes a formula in
Excel (cells starting with = + - @ are written as text).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font

from pipelines import __version__
from pipelines.files import replacing, write_text_atomic
from pipelines.redact import Scrubber
from pipelines.xlsx import FORMULA_PREFIXES, append_text_row, csv_safe  # noqa: F401 (shared with the exports)

TEMPLATES = Path(__file__).resolve().parent.parent / "report" / "templates"


def env(titles: dict[str, str] | None = None) -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    e.globals["css"] = (TEMPLATES / "base.css").read_text(encoding="utf-8")
    e.globals["rule_title"] = lambda rule: (titles or {}).get(rule, rule)
    return e


def write_xlsx(path: Path, findings: list[dict], quarantine: list[tuple], titles: dict[str, str] | None = None
               ) -> None:
    """The analyst's own fix list: rule titles, plus the rule id (规则编号) to look a rule up in rules.yaml."""
    titles = titles or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    heads = ["严重程度", "规则", "说明", "文件", "工作表", "行", "值", "规则编号"]
    ws.append(heads)
    for c in ws[1]:
        c.font = Font(bold=True)
    for f in findings:
        append_text_row(ws, ["错误" if f["severity"] == "error" else "警告", titles.get(f["rule"], f["rule"]),
                             f["message"], f["file"], f["sheet"], f["row"], f["value"], f["rule"]])
    ws2 = wb.create_sheet("隔离区")
    ws2.append(["类型", "文件", "工作表", "行", "原因", "建议"])
    for c in ws2[1]:
        c.font = Font(bold=True)
    for row in quarantine:
        append_text_row(ws2, list(row))
    for sheet in (ws, ws2):
        for col, width in zip("ABCDEFGH", (10, 24, 70, 40, 16, 6, 24, 24)):
            sheet.column_dimensions[col].width = width
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        wb.save(tmp)


def write_quality(out: Path, findings: list[dict], counts: dict, status: str, quarantine: list[tuple],
                  data_hash: str | None, *, titles: dict[str, str] | None = None, personal: list[str] = (),
                  county: str = "") -> tuple[Path, Path]:
    """The HTML page (rule titles; every personal value masked), and the xlsx/CSV fix lists for the analyst
    (unmasked: the analyst has to find the row)."""
    out.mkdir(parents=True, exist_ok=True)
    scrub = Scrubber(personal)
    groups: dict[str, list[dict]] = {}
    for f in findings:
        groups.setdefault(f["rule"], []).append({**f, "message": scrub(f["message"]), "value": scrub(f["value"])})
    html = env(titles).get_template("quality.html.j2").render(
        status=status, groups=groups, counts=counts, n_errors=sum(1 for f in findings if f["severity"] == "error"),
        n_warnings=sum(1 for f in findings if f["severity"] == "warning"),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__, data_hash=data_hash,
        county=county)
    page = out / "index.html"
    write_text_atomic(page, html)
    xlsx = out / "findings.xlsx"
    write_xlsx(xlsx, findings, quarantine, titles)
    write_csv(out / "findings.csv", findings, titles)
    return page, xlsx


def write_csv(path: Path, findings: list[dict], titles: dict[str, str] | None = None) -> None:
    """The fix list as CSV (UTF-8 with BOM so Excel on Chinese Windows opens it); formulas neutralised."""
    import csv

    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["严重程度", "规则", "说明", "文件", "工作表", "行", "值", "规则编号"])
        for f in findings:
            w.writerow([csv_safe(x) for x in ["错误" if f["severity"] == "error" else "警告",
                                              (titles or {}).get(f["rule"], f["rule"]), f["message"], f["file"],
                                              f["sheet"], f["row"], f["value"], f["rule"]]])

