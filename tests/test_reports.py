"""The report set, rendered for real (papermill + nbconvert) and opened in headless Chromium with the
network cut off: charts draw, nothing leaves the page, Chinese renders in a CJK font, spreadsheet text
cannot run as script, and no personal name reaches a default report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.ingest.build import ingest
from pipelines.report.kit import PLOTLY_JS_VERSION
from pipelines.report.layout import NOTEBOOKS
from pipelines.report.render import render_set
from pipelines.validate.run import validate
from tests.conftest import ARTIFACTS, DEMO_AS_OF, chromium_path

XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="session")
def rendered(demo_dir, tmp_path_factory):
    """The demo with hostile text in two unrectified problem descriptions, ingested, validated, rendered."""
    root = tmp_path_factory.mktemp("rep")
    raw = root / "raw"
    shutil.copytree(demo_dir, raw)
    path = raw / "乡镇巡察回头看" / "反馈问题整改台账.xlsx"
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    todo = [r for r in range(3, ws.max_row + 1) if ws.cell(r, 8).value in ("整改中", "正在推进", "未整改", "未启动",
                                                                          "长期坚持", "持续整改", "基本完成")]
    ws.cell(todo[0], 5).value = "违规问题" + XSS_SCRIPT
    ws.cell(todo[1], 5).value = "违规问题" + XSS_IMG
    wb.save(path)
    db = root / "wh.duckdb"
    ingest(raw, db)
    out = root / "reports"
    validate(db, out)
    res = render_set(db, out, as_of=DEMO_AS_OF)
    return {"out": out, "files": [Path(f) for f in res["files"]], "index": Path(res["index"]), "db": db}


def test_every_report_and_the_index_are_written(rendered):
    names = {p.stem for p in rendered["files"]}
    assert names == {n for n, _ in NOTEBOOKS}
    index = rendered["index"].read_text(encoding="utf-8")
    for n, label in NOTEBOOKS:
        assert f'href="2020-06/{n}.html"' in index and label in index
    assert (rendered["out"] / "quality" / "index.html").exists()


def test_pages_are_self_contained(rendered):
    for p in rendered["files"]:
        html = p.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", html), p.name
        assert not re.search(r"<link[^>]+href=[\"']?https?:", html), p.name
        assert "* plotly.js v" not in html  # not plotly's full bundle ...
        n_js = html.count("* plotly.js (cartesian - minified) v4.1.1")  # ... but the vendored smaller one
        assert n_js == (1 if "class=\"plotly-graph-div" in html else 0), (p.name, n_js)
        assert "injected-parameters" not in html and "round_filter = \"\"" not in html
        assert "运行清单" in html  # the run manifest ends every page


def test_no_personal_name_in_any_default_report(rendered, expected):
    pages = [p.read_text(encoding="utf-8") for p in rendered["files"]]
    pages.append((rendered["out"] / "quality" / "index.html").read_text(encoding="utf-8"))
    pages.append(rendered["index"].read_text(encoding="utf-8"))
    names = expected["personal_names"]
    assert names
    leaked = sorted({n for n in names for html in pages if n in html})
    assert leaked == []


def test_names_appear_only_when_explicitly_asked(rendered, expected, tmp_path):
    res = render_set(rendered["db"], tmp_path, as_of=DEMO_AS_OF, redact=False, notebooks=["leads"],
                     record_history=False)
    html = Path(res["files"][0]).read_text(encoding="utf-8")
    assert any(n in html for n in expected["personal_names"])


def _browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=chromium_path(), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"])
    return pw, browser


@pytest.fixture(scope="module")
def browser():
    pw, b = _browser()
    yield b
    b.close()
    pw.stop()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    return page, blocked


@pytest.mark.parametrize("name", [n for n, _ in NOTEBOOKS])
def test_page_in_chromium_offline(rendered, browser, name):
    path = rendered["out"] / "2020-06" / f"{name}.html"
    page, blocked = _open(browser, path)
    try:
        assert blocked == []
        n_figs = page.locator(".plotly-graph-div").count()
        drawn = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')]
                                 .filter(d => d.querySelector('.main-svg') && d._fullLayout).length""")
        assert drawn == n_figs
        if n_figs:  # drawn by the vendored smaller bundle, not plotly's full one
            assert page.evaluate("() => window.Plotly.version") == PLOTLY_JS_VERSION
        if name not in ("quality",):
            assert n_figs >= 1
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        doc = cdp.send("DOM.getDocument")
        node = cdp.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": "h1"})
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        assert any("CJK" in f["familyName"] for f in fonts), fonts
        assert page.evaluate("() => window.__xss") is None
    finally:
        page.close()


def test_spreadsheet_text_is_displayed_not_executed(rendered, browser):
    page, _ = _open(browser, rendered["out"] / "2020-06" / "rectification.html")
    try:
        text = page.inner_text("body")
        assert XSS_SCRIPT in text and XSS_IMG in text
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("img[onerror]").count() == 0
    finally:
        page.close()


def test_monthly_brief_shows_the_source_figures_and_screenshot(rendered, browser):
    page, _ = _open(browser, rendered["out"] / "2020-06" / "monthly_brief.html")
    try:
        text = page.inner_text("body")
        for fig in ["83%", "94%", "80/96", "3 人", "29 人", "8 次", "5 次", "69 条", "25 个", "常规巡察6轮",
                    "专项巡察1轮", "回头看1轮"]:
            assert fig in text, fig
        assert "未通过校验" in text  # the demo's planted bad rows fail validation: the banner says so
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "monthly_brief.png"), full_page=True)
        assert (ARTIFACTS / "monthly_brief.png").stat().st_size > 10_000
    finally:
        page.close()


def test_committed_notebooks_have_no_outputs():
    nbs = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    assert len(nbs) == len(NOTEBOOKS) + 1  # and the overview of a warehouse of several counties
    for p in nbs:
        nb = json.loads(p.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, p.name
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert ["parameters"] in tags, p.name


def _cells(p: Path) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def test_every_notebook_takes_the_same_parameters_and_setup():
    """The .ipynb files are the only source of their cells. What the report step injects (the parameters
    cell) and how a page opens the warehouse (the setup cell after it) must be the same on every page:
    one page edited in JupyterLab and the others not would render with different filters or no redaction."""
    import ast

    first = {p.name: _cells(p) for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))}
    params = {name: cells[0] for name, cells in first.items()}
    setups = {name: cells[1] for name, cells in first.items()}
    assert len(set(params.values())) == 1, "参数单元格各笔记本不一致：" + ", ".join(params)
    assert len(set(setups.values())) == 1, "第二个（准备）单元格各笔记本不一致：" + ", ".join(setups)
    names = {t.id for node in ast.parse(next(iter(params.values()))).body if isinstance(node, ast.Assign)
             for t in node.targets}
    assert {"db", "as_of", "period", "round_filter", "unit_type_filter", "redact", "settings", "personal"} <= names
    assert "kit.connect(db, redact=redact, personal=personal" in next(iter(setups.values()))
    for name, cells in first.items():  # every page closes with its manifest (what the page was made from)
        assert cells[-1].startswith("kit.manifest(con, P)"), name


def _pdf_lines(pdf: Path) -> list[set[str]]:
    """The words of a PDF grouped by line (pdftotext -bbox), page by page."""
    import subprocess

    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120).stdout
    lines: dict[tuple, set[str]] = {}
    page = 0
    for m in re.finditer(rb'<page |<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)</word>', xml):
        if m.group(0).startswith(b"<page"):
            page += 1
            continue
        lines.setdefault((page, round(float(m.group(1)))), set()).add(m.group(2).decode("utf-8"))
    return list(lines.values())


@pytest.mark.parametrize("name", ["coverage", "rectification", "monthly_brief"])
def test_pages_print_on_a4_without_clipping(rendered, browser, tmp_path, name):
    """Chromium's own print-to-PDF (what a reader's Ctrl+P does) keeps every chart's legend: the charts are
    redrawn at the A4 text width, where the right-hand bars and the legend used to be cut off."""
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: run scripts/install-system-deps.sh")
    src = rendered["out"] / "2020-06" / f"{name}.html"
    page, _ = _open(browser, src)
    try:
        legends = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .map(d => d._fullData.filter(t => t.showlegend !== false).map(t => t.name))
            .filter(names => names.length >= 2)""")
    finally:
        page.close()
    assert legends, "no chart with a legend to check"
    pdf = tmp_path / f"{name}.pdf"
    subprocess.run([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", src.as_uri()], check=True, capture_output=True, timeout=180)
    lines = _pdf_lines(pdf)
    for names in legends:  # a legend is one line of the chart, its last entry at the right-hand end
        assert any(set(names) <= line for line in lines), (name, names)


def test_chart_toolbar_is_hidden_in_print(rendered, browser):
    page, _ = _open(browser, rendered["out"] / "2020-06" / "coverage.html")
    try:
        assert page.locator(".modebar-container").count() >= 1
        page.emulate_media(media="print")
        page.wait_for_timeout(200)
        shown = page.evaluate("""() => [...document.querySelectorAll('.modebar-container, .modebar')]
                                 .filter(e => getComputedStyle(e).display !== 'none').length""")
        widths = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(d => d._fullLayout.width)")
        assert shown == 0 and widths and max(widths) <= 640
        page.emulate_media(media="screen")
        page.wait_for_timeout(200)
        assert min(page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(d => d._fullLayout.width)")) > 640
    finally:
        page.close()


def test_pages_show_no_english_code_and_a_period_is_light(rendered, browser):
    """Every page's visible text, chart text included, is free of the contract's English codes; the sizes are
    reported (tests/artifacts/page_sizes.json) and a period's pages total under 10 MB."""
    from tests.test_plain import english_codes

    pages = rendered["files"] + [rendered["out"] / "quality" / "index.html", rendered["index"]]
    sizes = {}
    for path in pages:
        page, _ = _open(browser, path)
        try:
            text = page.inner_text("body") + "\n".join(page.evaluate(
                "() => [...document.querySelectorAll('svg text')].map(t => t.textContent)"))
            title = page.title()
        finally:
            page.close()
        assert english_codes(text + title) == [], (path.name, english_codes(text + title))
        assert "山丹县" in title, (path.name, title)  # every page, the index and the quality page too
        sizes[path.relative_to(rendered["out"]).as_posix()] = path.stat().st_size
    period = sum(v for k, v in sizes.items() if k.startswith("2020-06/"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page_sizes.json").write_text(json.dumps({"pages": sizes, "period_total": period}, indent=1),
                                               encoding="utf-8")
    print("page sizes (bytes):", json.dumps(sizes, ensure_ascii=False), "period total:", period)
    assert period < 10_000_000, sizes


def test_brief_lists_the_first_few_with_a_count_and_a_link(rendered, browser):
    page, _ = _open(browser, rendered["out"] / "2020-06" / "monthly_brief.html")
    try:
        text = page.inner_text("body")
        assert "尚未巡察的党组织（共 12 个）" in text and "仅列前 8 个，另有 4 个" in text
        link = page.locator('a[href="coverage.html#not-inspected"]')
        assert link.count() == 1
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("coverage.html#not-inspected")
        assert page.locator("#not-inspected").count() == 1  # the full list is where the link points
        assert "山丹县团县委" in page.inner_text("body") or "团县委" in page.inner_text("body")
    finally:
        page.close()


def test_house_style_on_the_dict_equals_plotly_s_own_update():
    """show() styles the figure's dict (plotly's own update_layout costs ~20 ms a figure): every kind of figure
    the notebooks draw must come out exactly as styling the figure object would make it."""
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.subplots import make_subplots

    from pipelines.report import kit

    def figures():
        f = go.Figure(go.Pie(labels=["甲", "乙"], values=[1, 2], hole=0.45))
        yield f, "饼图", 380, None
        f = go.Figure(go.Histogram(x=[1, 5, 9, 30], nbinsx=20))
        f.update_layout(xaxis_title="天数", yaxis_title="件", title="本来的标题")
        yield f, None, 300, None  # no title given: the figure's own title goes, as update_layout(title=None) does
        f = make_subplots(rows=1, cols=2)
        f.add_trace(go.Bar(x=["a"], y=[1]), 1, 1)
        f.add_trace(go.Scatter(x=[1, 2], y=[3, 4]), 1, 2)
        yield f, "两个子图 <b>粗</b>", 420, None
        f = go.Figure()
        f.add_bar(x=[3, 1], y=["单位甲", "单位乙"], orientation="h", text=[3, 1], textposition="outside")
        yield f, "横向", 380, {"barmode": "stack", "uniformtext": {"minsize": 11, "mode": "hide"},
                               "xaxis": {"title": {"text": "个"}}, "yaxis": {"title": {"text": "单位"}, "autorange": "reversed"}}

    n = 0
    for fig, title, height, layout in figures():
        want = go.Figure(fig)
        if layout:
            want.update_layout(layout)
        kit.style(want, title, height)
        got = kit.styled_dict(go.Figure(fig), title, height, layout)
        assert json.loads(pio.to_json(got, validate=False)) == json.loads(pio.to_json(want)), title
        n += 1
    assert n == 4
