"""The render engine keeps one Jupyter kernel per worker for many pages: each page must be exactly what a
kernel of its own (render_one) gives, nothing of one page may reach the next, and the kernel is replaced
when it dies, changes global state, grows past its memory limit or has rendered its number of pages.

Real kernels throughout: the demo warehouse with the real report notebooks, and small notebooks written
here for the failure cases (a kernel that exits, a cell that raises, a notebook that changes pandas options).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from pipelines.contract import default_contract
from pipelines.report import render
from pipelines.report.render import (LAST_RUN, KernelSession, ReportError, ensure_kernel, notebook_settings,
                                     personal_columns, render_jobs, render_one)
from tests.conftest import DEMO_AS_OF

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # plotly's div ids


def _page(path) -> str:
    return UUID.sub("<id>", Path(path).read_text(encoding="utf-8"))


def _params(db: Path, **kw) -> dict:
    c = default_contract()
    return {"db": str(db), "as_of": DEMO_AS_OF.isoformat(), "period": "", "round_filter": "", "unit_type_filter": "",
            "redact": True, "settings": notebook_settings(c), "personal": personal_columns(c), **kw}


def test_pages_from_one_kept_kernel_equal_pages_from_fresh_kernels(demo_db, expected, tmp_path):
    """Seven pages in one kernel, the same notebook twice with other parameters (names shown, then hidden;
    two data dates): each is byte for byte the page render_one writes, plotly's random ids aside."""
    ensure_kernel()
    named = expected["personal_names"]
    jobs = [("leads", _params(demo_db, redact=False), "leads-named.html", "山丹县", ""),
            ("leads", _params(demo_db), "leads.html", "山丹县", ""),
            ("coverage", _params(demo_db, as_of="2020-03-31"), "coverage-03.html", "山丹县", "（测试）"),
            ("coverage", _params(demo_db), "coverage-06.html", "山丹县", ""),
            ("quality", _params(demo_db), "quality.html", "", ""),
            # pages whose tables and 单位画像 once depended on the order of tied rows (now tie-broken by name)
            ("ecology", _params(demo_db), "ecology.html", "山丹县", ""),
            ("monthly_brief", _params(demo_db), "monthly_brief.html", "山丹县", "")]
    kept = render_jobs([(n, p, str(tmp_path / "kept" / out), a, b) for n, p, out, a, b in jobs], workers=1)
    assert LAST_RUN["kernels_started"] == 1 and LAST_RUN["pages"] == len(jobs)  # really one kernel for all
    for (n, p, out, a, b), got in zip(jobs, kept):
        fresh = render_one(n, p, str(tmp_path / "fresh" / out), a, b)
        assert _page(got) == _page(fresh), f"{out}: the kept kernel's page differs from a fresh kernel's"
    pages = {out: _page(path) for (_, _, out, _, _), path in zip(jobs, kept)}
    assert any(n in pages["leads-named.html"] for n in named)  # names were on the page before...
    leaked = sorted(n for n in named if n in pages["leads.html"])
    assert not leaked, f"names from the page before leaked into the redacted page: {leaked[:5]}"
    assert "数据截至 2020年3月31日" in pages["coverage-03.html"] and "（测试）" in pages["coverage-03.html"]
    assert "数据截至 2020年6月30日" in pages["coverage-06.html"] and "（测试）" not in pages["coverage-06.html"]
    assert "统计截至 2020-03-31" not in pages["coverage-06.html"]


# --- small notebooks for the failure cases ------------------------------------------------------------

def _notebook(folder: Path, name: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "xuncha", "display_name": "xuncha (Python)", "language": "python"},
                   "language_info": {"name": "python"}, "title": name}
    p = nbformat.v4.new_code_cell('x = 0\nmarker = ""\nas_of = ""')
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


SHOW = ("import pandas as pd\nfrom IPython.display import HTML, display\n"
        "display(HTML(f'<p id=\"probe\">x={x} max_rows={pd.get_option(\"display.max_rows\")} "
        "leak={\"leak\" in globals()}</p>'))")


@pytest.fixture()
def nbdir(tmp_path, monkeypatch):
    d = tmp_path / "notebooks"
    d.mkdir()
    _notebook(d, "show", SHOW)
    _notebook(d, "bad", "y = 1", "raise ValueError('第三行的日期读不出来')")
    _notebook(d, "names", "leak = 1", SHOW)  # a global of its own, nothing else
    _notebook(d, "options", "import pandas as pd\npd.set_option('display.max_rows', 3)\nleak = 1", SHOW)
    _notebook(d, "dies_once", "import os, pathlib\np = pathlib.Path(marker)\nif not p.exists():\n"
                              "    p.write_text('x')\n    os._exit(1)", SHOW)
    _notebook(d, "dies", "import os\nos._exit(1)")
    # the project modules a kernel keeps between pages (render.KEPT_MODULES): a page that changes one of them
    _notebook(d, "kept_global", "import pipelines.metrics as m\nm.RATES = {}\nleak = 1", SHOW)
    _notebook(d, "kept_settings", "from pipelines.contract import default_contract\n"
                                  "default_contract().settings['lead_open_days_alert'] = 1\nleak = 1", SHOW)
    _notebook(d, "kit_rebind", "from pipelines.report import kit\nkit._state = dict(kit._state, filter_text='别的县')\n"
                               "leak = 1", SHOW)
    _notebook(d, "kit_state", "from pipelines.report import kit\nkit._state['filter_text'] = '轮次：别的县'", SHOW)
    _notebook(d, "kit_fresh", "from pipelines.report import kit\nimport pipelines.metrics as m\n"
                              "from pipelines.contract import default_contract\n"
                              "from IPython.display import HTML, display\n"
                              "display(HTML(f'<p id=\"probe\">x={x} kit=[{kit._state[\"filter_text\"]}] "
                              "rates={len(m.RATES)} alert={default_contract().settings[\"lead_open_days_alert\"]}</p>'))")
    monkeypatch.setattr(render, "NOTEBOOK_DIR", d)
    ensure_kernel()
    return d


def _job(tmp_path, name, x=0, **kw):
    return (name, {"x": x, "as_of": "2020-06-30", **kw}, str(tmp_path / "out" / f"{name}-{x}.html"), "", "")


def _probe(path) -> str:
    return re.search(r'<p id="probe">([^<]*)</p>', Path(path).read_text(encoding="utf-8")).group(1)


def test_a_global_of_one_page_is_gone_on_the_next(nbdir, tmp_path):
    paths = render_jobs([_job(tmp_path, "names", 1), _job(tmp_path, "show", 2)], workers=1)
    assert _probe(paths[0]) == "x=1 max_rows=60 leak=True"
    assert _probe(paths[1]) == "x=2 max_rows=60 leak=False"
    assert LAST_RUN["kernels_started"] == 1


def test_a_page_that_changes_library_settings_gets_the_next_page_a_new_kernel(nbdir, tmp_path):
    paths = render_jobs([_job(tmp_path, "show", 1), _job(tmp_path, "options", 2), _job(tmp_path, "show", 3)],
                        workers=1)
    assert _probe(paths[1]) == "x=2 max_rows=3 leak=True"
    assert _probe(paths[2]) == "x=3 max_rows=60 leak=False"  # pandas' option did not reach page 3
    assert LAST_RUN["restarts_state"] == 1 and LAST_RUN["kernels_started"] == 2


def _fresh_probe(x: int) -> str:
    from pipelines.metrics import RATES

    return f"x={x} kit=[] rates={len(RATES)} alert={default_contract().settings['lead_open_days_alert']}"


@pytest.mark.parametrize("page", ["kept_global", "kept_settings", "kit_rebind"])
def test_a_page_that_changes_a_kept_project_module_gets_the_next_page_a_new_kernel(nbdir, tmp_path, page):
    """The kernel keeps the project's configuration modules loaded between pages (render.KEPT_MODULES); a page
    that rebinds one of their globals or changes the contract's settings must not reach the next page."""
    paths = render_jobs([_job(tmp_path, "show", 1), _job(tmp_path, page, 2), _job(tmp_path, "kit_fresh", 3)],
                        workers=1)
    assert _probe(paths[1]) == "x=2 max_rows=60 leak=True"
    assert LAST_RUN["restarts_state"] == 1 and LAST_RUN["kernels_started"] == 2
    assert _probe(paths[2]) == _fresh_probe(3)


def test_the_kit_s_page_state_is_new_for_each_page(nbdir, tmp_path):
    """The kit holds a page's state (its filter text, whether plotly.js is on the page yet, the redaction):
    the next page in the same kernel starts with none of it, and no new kernel is needed."""
    paths = render_jobs([_job(tmp_path, "kit_state", 1), _job(tmp_path, "kit_fresh", 2)], workers=1)
    assert LAST_RUN["kernels_started"] == 1 and LAST_RUN["restarts_state"] == 0
    assert _probe(paths[1]) == _fresh_probe(2)


def test_a_failing_cell_names_page_and_cell_as_a_fresh_kernel_does_and_fails_the_set(nbdir, tmp_path):
    with pytest.raises(ReportError) as fresh:
        render_one(*_job(tmp_path, "bad"))
    assert str(fresh.value) == "报告「bad」运行出错（第 4 个单元格）：ValueError: 第三行的日期读不出来"
    jobs = [_job(tmp_path, "show", 1), _job(tmp_path, "bad"), _job(tmp_path, "show", 2)]
    with pytest.raises(ReportError) as kept:
        render_jobs(jobs, workers=1)  # the error comes after a page in the same kernel: the count is still 4
    assert str(kept.value) == str(fresh.value)
    assert Path(jobs[0][2]).exists() and not Path(jobs[2][2]).exists()  # no page is started after a failure


def test_parallel_workers_render_in_order_and_stop_at_a_failure(nbdir, tmp_path):
    jobs = [_job(tmp_path, "show", i) for i in range(5)]
    paths = render_jobs(jobs, workers=2)
    assert paths == [j[2] for j in jobs]
    assert [_probe(p) for p in paths] == [f"x={i} max_rows=60 leak=False" for i in range(5)]
    assert LAST_RUN["kernels_started"] == 2 and LAST_RUN["pages"] == 5
    with pytest.raises(ReportError, match=r"^报告「bad」运行出错（第 4 个单元格）：ValueError"):
        render_jobs([_job(tmp_path, "show", 7), _job(tmp_path, "bad"), _job(tmp_path, "show", 8)], workers=2)


def test_a_kernel_that_dies_is_replaced_and_the_page_tried_once_more(nbdir, tmp_path):
    marker = tmp_path / "died-once"
    paths = render_jobs([_job(tmp_path, "show", 1), _job(tmp_path, "dies_once", 2, marker=str(marker)),
                         _job(tmp_path, "show", 3)], workers=1)
    assert marker.exists()  # the first try did die
    assert [_probe(p) for p in paths] == ["x=1 max_rows=60 leak=False", "x=2 max_rows=60 leak=False",
                                          "x=3 max_rows=60 leak=False"]
    assert LAST_RUN["restarts_died"] == 1 and LAST_RUN["kernels_started"] == 2
    with pytest.raises(ReportError, match="报告「dies」运行时 Jupyter 内核意外退出（已换新内核重试一次"):
        render_jobs([_job(tmp_path, "dies")], workers=1)


def test_page_and_memory_limits_replace_the_kernel(nbdir, tmp_path):
    s = KernelSession(max_jobs=2)
    try:
        outs = [s.render(*_job(tmp_path, "show", i)) for i in range(3)]
    finally:
        s.close()
    assert s.stats["kernels_started"] == 2 and s.stats["restarts_max_jobs"] == 1
    assert [_probe(p) for p in outs] == [f"x={i} max_rows=60 leak=False" for i in range(3)]
    s = KernelSession(max_rss_mb=1)  # every kernel is bigger than 1 MB: a new one for each page
    try:
        s.render(*_job(tmp_path, "show", 5))
        assert s.kernel_rss_mb() > 50  # measured, not assumed: a kernel with pandas loaded
        s.render(*_job(tmp_path, "show", 6))
    finally:
        s.close()
    assert s.stats["restarts_rss"] == 1 and s.stats["kernels_started"] == 2


def test_limits_come_from_the_settings(tmp_path):
    assert render.engine_limits([("x", {"settings": {"report_kernel_max_jobs": 7, "report_kernel_max_rss_mb": 300}},
                                  "", "", "")]) == {"max_jobs": 7, "max_rss_mb": 300.0}
    packaged = default_contract().settings
    assert render.engine_limits([("x", {}, "", "", "")]) == {"max_jobs": packaged["report_kernel_max_jobs"],
                                                             "max_rss_mb": float(packaged["report_kernel_max_rss_mb"])}
    only_one = render.engine_limits([("x", {"settings": {"report_kernel_max_jobs": 9}}, "", "", "")])
    assert only_one == {"max_jobs": 9, "max_rss_mb": float(packaged["report_kernel_max_rss_mb"])}
    for bad in ("很多", -5, 0, True):
        with pytest.raises(ReportError, match=f"settings.yaml 中 report_kernel_max_jobs 应为正数.*「{bad}」"):
            render.engine_limits([("x", {"settings": {"report_kernel_max_jobs": bad}}, "", "", "")])
