"""Drawing kit for the report notebooks: connection, labels, escaped HTML tiles and tables,
plotly figures with exactly one inline plotly.js per page, banner and run manifest.

No business logic: metrics come from the SQL marts; this only presents them.
Everything that comes from a spreadsheet is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import time
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML, display

from pipelines import __version__
from pipelines.contract import default_contract
from pipelines.metrics import people_text as people  # noqa: F401 (the notebooks call kit.people)
from pipelines.report.layout import PLOTLY_JS, PLOTLY_JS_LATER, PLOTLY_JS_MARK, plotly_script  # noqa: F401

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, SimHei, sans-serif"
COLORS = ["#9f1239", "#1d4ed8", "#15803d", "#b45309", "#6d28d9", "#0f766e", "#be185d", "#4b5563"]

PLOTLY_JS_VERSION = "4.1.1"  # plotly.js-cartesian-dist-min, the same plotly.js version plotly (Python) carries
# the trace types the vendored bundle holds (vendor/README.md); anything else would draw an empty box
PLOTLY_TRACES = {"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
                 "scatter", "scatterternary", "violin"}

# what the kit knows of the page it is drawing (is plotly.js on it yet, the redaction, the filter text, ...)
_FRESH = {"plotly_js_done": False, "figures": 0, "scrub": None, "filter_text": ""}
_state = dict(_FRESH)


def new_page() -> None:
    """Forget the page before: the report engine calls this between two pages of a kernel it keeps (the kit
    stays imported; a page that replaced `_state` itself gets the next page a new kernel instead)."""
    _state.clear()
    _state.update(_FRESH)


def label(vocab: str, code) -> str:
    """The Chinese name of a code, from the contract (labels: of the vocabulary, or its codes: group)."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return "未填"
    c = _state.get("contract")
    if c is None:  # default_contract() resolves the working folder's config/ on every call: once a page
        c = _state["contract"] = default_contract()
    return c.code_label(vocab, code)


def labels(vocab: str):
    """label() for one vocabulary, for pandas .map: df["unit_type"].map(kit.labels("unit_type"))."""
    return lambda code: label(vocab, code)


def connect(db: str, redact: bool = True, personal: list[str] | None = None, county: str = ""
            ) -> duckdb.DuckDBPyConnection:
    """Read-only: reports never block the ingest or an analyst's own connection. With the environment
    variable XUNCHA_QUERY_TIME_LOG set (the benchmark does), each query's seconds are appended to that file.

    With `redact` (the default), every value of the contract's `personal:` columns (`personal`: "table.column"
    as the report step passes them; None: the packaged contract's) is masked in everything this kit puts
    on the page -- tables, tiles, text and figures -- whatever the notebook queried.

    With `county` (a warehouse of several counties), every table is narrowed to that county's rows
    (pipelines.warehouse.db.scope): every mart and figure on the page is that county's, as if it were alone."""
    from pipelines.warehouse.db import scope

    con = scope(duckdb.connect(str(db), read_only=True), county or None)
    _state["scrub"] = _redactor(con, personal) if redact else None
    _state["validation"] = _state["county_findings"] = None  # what the previous connection was told
    _collect_per_cell()
    log = os.environ.get(QUERY_TIME_LOG)
    return _TimedConnection(con, log) if log else con


def personal_columns() -> list[str]:
    from pipelines.contract import default_contract

    return [f"stg_{k}.{c}" for k, kind in default_contract().kinds.items() for c in kind.personal]


def _redactor(con: duckdb.DuckDBPyConnection, personal: list[str] | None):
    """The Scrubber of every value of the personal columns the connection shows (its county's, when scoped);
    None when there are none. Made once per warehouse file, county and column list (db.by_file)."""
    from pipelines.redact import Scrubber
    from pipelines.warehouse.db import by_file, scoped_county

    cols = tuple(personal_columns() if personal is None else personal)

    def make():
        have = {(t, c) for t, c in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                               "WHERE database_name = current_database()").fetchall()}
        values: set = set()
        for tc in cols:
            table, _, col = tc.partition(".")
            if (table, col) in have:
                values.update(r[0] for r in con.execute(
                    f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}" WHERE "{col}" IS NOT NULL').fetchall())
        scrub = Scrubber(values)
        return scrub if scrub else None

    return by_file(con, ("scrubber", scoped_county(con), cols), make)


def _out(markup: str) -> None:
    """Every piece of HTML the kit shows passes here: personal values are masked when redacting."""
    scrub = _state["scrub"]
    _emit(scrub(markup) if scrub is not None else markup)


def _emit(html_str: str) -> None:
    """Show HTML now, or, once connect() has run in IPython, at the end of the cell with the rest of the cell's
    HTML as one output: every output costs a round trip to the kernel's output thread, a message and its
    validation by the report engine, and a cell has up to a dozen pieces (headings, tiles, charts, tables)."""
    buf = _state.get("buffer")
    if buf is None:
        display(HTML(html_str))
    else:
        buf.append(html_str)


def _flush(*_result) -> None:
    """IPython's post_run_cell hook (registered by connect): the cell's HTML, in order, as one output. It runs
    after a failed cell too, so what the cell showed before the error is still shown."""
    buf = _state.get("buffer")
    if buf:
        _state["buffer"] = []
        display(HTML("\n".join(buf)))


_flush.xuncha_kit_flush = True


def _collect_per_cell() -> None:
    """Show the kit's HTML once per cell from now on (in IPython; plain Python shows each piece at once).
    Replaces the hook a connect() before registered (a notebook run again in JupyterLab, the page before)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    for cb in list(ip.events.callbacks.get("post_run_cell", [])):
        if getattr(cb, "xuncha_kit_flush", False):
            ip.events.unregister("post_run_cell", cb)
    ip.events.register("post_run_cell", _flush)
    _state["buffer"] = []


def settings(given: dict | None = None) -> dict:
    """The settings a notebook works with: those the report step passed (the contract ingest used), over
    the packaged defaults (a notebook opened by hand in JupyterLab)."""
    from pipelines.contract import default_contract

    return {**default_contract().settings, **(given or {})}


QUERY_TIME_LOG = "XUNCHA_QUERY_TIME_LOG"


class _TimedConnection:
    """A connection that times each query, fetch included (execute only plans and starts it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: str):
        self._con, self._log = con, log

    def execute(self, *args, **kwargs):
        t = time.perf_counter()
        self._con.execute(*args, **kwargs)
        return _TimedResult(self, t)

    def _record(self, started: float) -> None:
        with open(self._log, "a", encoding="utf-8") as fh:
            fh.write(f"{time.perf_counter() - started:.6f}\n")

    def __getattr__(self, name):
        return getattr(self._con, name)


class _TimedResult:
    def __init__(self, owner: _TimedConnection, started: float):
        self._owner, self._started = owner, started

    def _fetch(self, method: str, *args):
        out = getattr(self._owner._con, method)(*args)
        self._owner._record(self._started)
        return out

    def df(self):
        return self._fetch("df")

    def fetchdf(self):
        return self._fetch("fetchdf")

    def fetchall(self):
        return self._fetch("fetchall")

    def fetchone(self):
        return self._fetch("fetchone")

    def fetchmany(self, size: int = 1):
        return self._fetch("fetchmany", size)


def as_date(as_of) -> dt.date:
    if isinstance(as_of, dt.date):
        return as_of
    return dt.date.fromisoformat(str(as_of))


def pct(x, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "—"
    return f"{x * 100:.{digits}f}%"


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def h(text: str) -> None:
    _out(f"<h2>{esc(text)}</h2>")


def note(text: str) -> None:
    _out(f'<p class="muted">{esc(text)}</p>')


def para(text: str) -> None:
    _out(f"<p>{esc(text)}</p>")


def tiles(items: list[tuple]) -> None:
    """Headline tiles: (label, value, sub-line or None[, kinds the figure needs]). A figure whose ledger kind
    was not supplied this period shows 未提供, never a confident 0 (the kinds come from the page header)."""
    parts = []
    supplied = _state.get("supplied")
    for it in items:
        lab, val = it[0], it[1]
        sub = it[2] if len(it) > 2 else None
        needs = it[3] if len(it) > 3 else ()
        missing = [k for k in needs if supplied is not None and k not in supplied]
        if missing:
            from pipelines.contract import default_contract
            from pipelines.metrics import kinds_named

            val, sub = "未提供", "本期没有收到" + kinds_named(missing, default_contract())
        parts.append(f'<div class="tile"><div class="v">{esc(val)}</div><div class="l">{esc(lab)}</div>'
                     + (f'<div class="d">{esc(sub)}</div>' if sub else "") + "</div>")
    _out('<div class="tiles">' + "".join(parts) + "</div>")


def links(items: list[tuple[str, str]], caption: str | None = None, lead: str = "") -> None:
    """A row of links to other pages of the report set (relative hrefs; all escaped), after `lead` text."""
    if caption:
        _out(f"<h3>{esc(caption)}</h3>")
    _out("<p>" + esc(lead) + " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in items) + "</p>")


def table(df: pd.DataFrame, columns: dict | None = None, pct_cols: tuple = (), max_rows: int = 200,
          caption: str | None = None) -> None:
    """An escaped HTML table; `columns` renames (and selects) columns for display."""
    if caption:
        _out(f"<h3>{esc(caption)}</h3>")
    if df is None or df.empty:
        note("（无）")
        return
    d = df.copy()
    if columns:
        d = d[[c for c in columns if c in d.columns]].rename(columns=columns)
        pct_cols = tuple(columns.get(c, c) for c in pct_cols)
    for c in pct_cols:
        d[c] = d[c].map(pct)
    more = len(d) - max_rows
    d = d.head(max_rows)
    out = d.to_html(index=False, escape=True, na_rep="—", border=0)
    _out(out + (f'<p class="muted">另有 {more} 行未显示。</p>' if more > 0 else ""))


def style(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    """The house style on a figure object (show() applies the same to the figure's dict, which is faster)."""
    fig.update_layout(**_house_layout(title, height))
    fig.update_xaxes(**_AXIS_X)
    fig.update_yaxes(**_AXIS_Y)
    return fig


_AXIS_X = {"gridcolor": "#eee", "automargin": True}
_AXIS_Y = {"gridcolor": "#eee"}


def _house_layout(title: str | None, height: int) -> dict:
    return {"font": {"family": FONT, "size": 13}, "title": {"text": esc(title) if title else None, "x": 0},
            "colorway": COLORS, "height": height, "margin": {"l": 60, "r": 20, "t": 70 if title else 30, "b": 50},
            "plot_bgcolor": "#fff", "paper_bgcolor": "#fff", "separators": ".,",
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
            "hoverlabel": {"font": {"family": FONT}}, "autosize": True}


def _merge(dst: dict, src: dict) -> None:
    """plotly's update on plain dicts: nested dicts merge, None removes, anything else replaces."""
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict):
            sub = dst.get(k)
            if not isinstance(sub, dict):
                sub = dst[k] = {}
            _merge(sub, v)
        else:
            dst[k] = v


def styled_dict(fig: go.Figure, title: str | None = None, height: int = 380, layout: dict | None = None) -> dict:
    """The figure as plotly's dict with `layout` (nested dicts, as fig.update_layout takes them without the
    magic underscores) and the house style applied: the same figure style() would make, without plotly
    validating each property again (~20 ms a figure, most of a chart's cost)."""
    d = fig.to_dict()
    lay = d.setdefault("layout", {})
    if layout:
        _merge(lay, layout)
    _merge(lay, _house_layout(title, height))
    for axis, style_ in (("xaxis", _AXIS_X), ("yaxis", _AXIS_Y)):
        for key in [axis, *sorted(k for k in lay if k != axis and k.startswith(axis) and k[len(axis):].isdigit())]:
            _merge(lay.setdefault(key, {}), style_)
    return d




def show(fig: go.Figure, title: str | None = None, height: int = 380, layout: dict | None = None) -> None:
    """Display a figure; the first one on the page carries the (smaller, vendored) plotly.js inline, the rest
    reuse it. A trace type the bundle lacks is an error here, not an empty chart on the page. `layout`: more
    layout for the figure, as nested dicts (kit.bar passes its axis titles this way)."""
    missing = sorted({t.type for t in fig.data} - PLOTLY_TRACES)
    if missing:
        raise ValueError(f"图表类型 {missing} 不在内嵌的 plotly.js 精简包中（见 pipelines/report/vendor/README.md）")
    d = styled_dict(fig, title, height, layout)
    first = not _state["plotly_js_done"]
    _state["plotly_js_done"] = True
    _state["figures"] += 1
    html_str = pio.to_html(d, full_html=False, include_plotlyjs=False, validate=False,
                           config={"displaylogo": False, "responsive": True,
                                   "modeBarButtonsToRemove": ["sendDataToCloud"], "locale": "zh-CN"},
                           default_width="100%")
    scrub = _state["scrub"]
    # the inline plotly.js holds no data: it is never scrubbed (and scrubbing 1.5 MB of code costs time)
    bundle = "" if not first else PLOTLY_JS_MARK if os.environ.get(PLOTLY_JS_LATER) else plotly_script()
    _emit(bundle + (scrub(html_str) if scrub is not None else html_str))


def short_labels(names, width: int = 7, max_len: int = 14) -> list[str]:
    """Axis labels for long names (round names): the prefix every name shares is dropped, a name longer than
    max_len is cut with "…", and the rest is wrapped every `width` characters. Labels stay distinct (when cutting
    would merge two names, they are only wrapped); give the full names as hover text."""
    full = ["" if n is None else str(n) for n in names]
    if not full or max(len(n) for n in full) <= width:
        return full
    prefix = os.path.commonprefix(full) if len(full) > 1 else ""
    base = [n[len(prefix):] or n for n in full] if len(prefix) >= 2 else full
    cut = [b if len(b) <= max_len else b[:max_len - 1] + "…" for b in base]
    if len(set(cut)) < len(set(full)):
        cut = base if len(set(base)) == len(set(full)) else full
    return ["<br>".join(c[i:i + width] for i in range(0, len(c), width)) for c in cut]


def bar(df: pd.DataFrame, x: str, y: str | list, title: str, xlabel: str, ylabel: str, horizontal: bool = False,
        text: str | None = None, barmode: str = "group", names: dict | None = None, height: int = 380) -> None:
    """Bars with readable labels: long category names are shortened on the axis with the full name on hover,
    value labels sit outside the bars in one legible size and are hidden where they would not fit."""
    ys = [y] if isinstance(y, str) else y
    full = df[x].astype(str).tolist()
    cats = full if horizontal else short_labels(full)
    fig = go.Figure()
    for col in ys:
        kw = dict(name=(names or {}).get(col, col), customdata=full,
                  hovertemplate="%{customdata}<br>%{fullData.name}：%{" + ("x" if horizontal else "y") + "}<extra></extra>")
        if text:
            kw["text"] = df[text] if len(ys) == 1 else df[col]
            kw["textposition"] = "outside"
            kw["cliponaxis"] = False
        if horizontal:
            fig.add_bar(x=df[col], y=cats, orientation="h", **kw)
        else:
            fig.add_bar(x=cats, y=df[col], **kw)
    layout = {"barmode": barmode, "uniformtext": {"minsize": 11, "mode": "hide"}}
    if horizontal:
        layout.update(xaxis={"title": {"text": ylabel}}, yaxis={"title": {"text": xlabel}, "autorange": "reversed"})
    else:
        layout.update(xaxis={"title": {"text": xlabel}}, yaxis={"title": {"text": ylabel}})
    show(fig, title, height, layout=layout)


def month_axis(fig: go.Figure, months) -> go.Figure:
    """A month axis with one tick per month, or per quarter/half-year/year when the span is long (never the
    same month twice, as plotly's automatic daily ticks would)."""
    ms = pd.to_datetime(pd.Series(list(months))).dropna()
    span = 1 if ms.empty else (ms.max().year - ms.min().year) * 12 + ms.max().month - ms.min().month + 1
    step = next(k for k in (1, 2, 3, 6, 12, 24, 60) if span / k <= 12 or k == 60)
    fig.update_xaxes(tickformat="%Y年%-m月" if step < 12 else "%Y年", dtick=f"M{step}", ticklabelmode="period")
    return fig


def county(con: duckdb.DuckDBPyConnection) -> str:
    """The county the warehouse is about (settings county_name, else inferred from the register at ingest)."""
    from pipelines.warehouse.db import county as warehouse_county

    return warehouse_county(con)


def filters(con: duckdb.DuckDBPyConnection, round_filter: str = "", unit_type_filter: str = ""):
    """The page's filters resolved (乡镇 or township; a unique short round name such as 第五轮); the
    header shows them. A filter that matches nothing raises report.filters.FilterError with the choices."""
    from pipelines.report.filters import resolve

    f = resolve(con, round_filter, unit_type_filter)
    _state["filter_text"] = f.text
    return f


def page_title(con: duckdb.DuckDBPyConnection, title: str) -> str:
    """County + title + active filter, e.g. "山丹县巡察反馈问题整改情况（轮次：十四届县委第五轮巡察）"."""
    f = _state["filter_text"]
    return f"{county(con)}{title}" + (f"（{f}）" if f else "")


def anchor(text: str, id_: str) -> None:
    """A section heading others can link to (page.html#id)."""
    _out(f'<h2 id="{esc(id_)}">{esc(text)}</h2>')


def first_few(df: pd.DataFrame, columns: dict, caption: str, unit: str, link: str, link_text: str, n: int = 8) -> None:
    """A leader's list: the first n rows, the total count, and a link to the full list in the detailed page."""
    total = 0 if df is None else len(df)
    _out(f"<h3>{esc(caption)}（共 {total} {esc(unit)}）</h3>")
    if not total:
        note("（无）")
        return
    d = df.head(n)[[c for c in columns if c in df.columns]].rename(columns=columns)
    more = (f'<p class="muted">仅列前 {n} {esc(unit)}，另有 {total - n} {esc(unit)}：'
            f'<a href="{esc(link)}">完整名单见{esc(link_text)}</a></p>' if total > n else
            f'<p class="muted"><a href="{esc(link)}">详见{esc(link_text)}</a></p>')
    _out(d.to_html(index=False, escape=True, na_rep="—", border=0) + more)


def validation_status(con: duckdb.DuckDBPyConnection) -> dict:
    """The latest validation run of the data this warehouse holds (None when never validated), from the
    history store beside the warehouse. Asked once per connection: a page's header, brief and manifest show
    the same run (opening the history store costs ~20 ms each time)."""
    from pipelines import history
    from pipelines.warehouse.db import data_hash

    key = (id(con), data_hash(con))
    cached = _state.get("validation")
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    v = history.latest_validation(history.db_path_of(con), key[1])
    mine = _county_findings(con, v["run_id"])
    if mine is not None:  # one county of several: its own findings (and those of no single file)
        n_err = sum(1 for f in mine if f[2] == "error")
        n_warn = sum(1 for f in mine if f[2] == "warning")
        v = {**v, "n_errors": n_err, "n_warnings": n_warn,
             "status": "fail" if n_err else "warn" if n_warn else "pass"}
    _state["validation"] = (key, v)
    return dict(v)


def _county_findings(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[tuple] | None:
    """(rule, title, severity) of each finding of the run that concerns the county a scoped connection shows:
    in one of its files, or in no single file; None for an unscoped connection."""
    from pipelines import history
    from pipelines.warehouse.db import scoped_county

    if not run_id or not scoped_county(con):
        return None
    cached = _state.get("county_findings")
    if cached is not None and cached[0] == (id(con), run_id):
        return cached[1]
    files = {r[0] for r in con.execute("SELECT path FROM files").fetchall()}
    rows = history.read(history.db_path_of(con), "SELECT rule, coalesce(title, rule), severity, file "
                        "FROM validation_findings WHERE run_id = ?", [run_id])
    mine = [r[:3] for r in rows if r[3] is None or r[3] in files]
    _state["county_findings"] = ((id(con), run_id), mine)
    return mine


def rule_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Findings per rule (its title, severity, number) of that latest validation run (a county's own, when the
    connection is narrowed to one county)."""
    from collections import Counter

    from pipelines import history

    v = validation_status(con)
    mine = _county_findings(con, v["run_id"])
    if mine is None:
        rows = history.findings_by_rule(history.db_path_of(con), v["run_id"])
    else:
        rows = sorted(((r, t, sev, n) for (r, t, sev), n in Counter(mine).items()),
                      key=lambda x: (x[2], -x[3], x[0]))
    return pd.DataFrame(rows, columns=["rule", "title", "severity", "n"])


def data_gaps(con: duckdb.DuckDBPyConnection, as_of) -> dict:
    """What makes this period's figures unsure (mart_data_gaps); empty for a warehouse that predates it."""
    try:
        df = con.execute("SELECT * FROM mart_data_gaps(?)", [as_date(as_of)]).df()
    except duckdb.Error:
        return {}
    return df.iloc[0].to_dict() if not df.empty else {}


def uncertainty(g: dict) -> str | None:
    """The banner sentence: every cause counted, then which figures it touches; None when nothing is unsure."""
    causes = [("files_failed", "个文件未能读取"), ("sheets_uncertain", "张表类型待确认"),
              ("sheets_unclassified", "张表未能识别"), ("sheets_missing_column", "张表缺少必填列"),
              ("rows_held", "行数据暂未入库"), ("problems_status_unknown", "个问题整改状态不明"),
              ("leads_status_unknown", "件线索办理状态不明")]
    parts = [f"{int(g[k])} {word}" for k, word in causes if g.get(k)]
    if not parts:
        return None
    touched = []
    if g.get("problems_held") or g.get("problems_status_unknown"):
        touched.append("整改率")
    if g.get("leads_held") or g.get("leads_status_unknown"):
        touched.append("线索办结率")
    effect = f"{'、'.join(touched)}可能不准" if touched else "相关数字可能不准"
    if g.get("files_failed") or g.get("sheets_uncertain") or g.get("sheets_unclassified") or \
            g.get("sheets_missing_column") or g.get("rows_held"):
        effect += "，其他数字可能偏低"
    return f"本期有 {'、'.join(parts)}：{effect}。详见数据质量页和 reports/quality/待确认事项.xlsx。"


def header(con: duckdb.DuckDBPyConnection, title: str, as_of, subtitle: str | None = None) -> None:
    """Page title, data date and a banner counting what makes the figures unsure (validation errors, files
    not read, sheets awaiting an answer, rows held, statuses unknown)."""
    d = as_date(as_of)
    v = validation_status(con)
    parts = [f"<h1>{esc(page_title(con, title))}</h1>",
             f'<p class="muted">数据截至 {d.year}年{d.month}月{d.day}日' + (f" · {esc(subtitle)}" if subtitle else "") + "</p>"]
    if v["status"] == "fail":
        parts.append(f'<div class="banner fail">注意：本报告所用数据未通过校验（{v["n_errors"]} 条错误），'
                     f"数字可能不准确，请先处理数据质量页中的问题。</div>")
    elif v["status"] is None:
        parts.append('<div class="banner warn">注意：本报告所用数据尚未运行校验（xuncha validate）。</div>')
    stale = data_age_warning(con, d)
    if stale:
        parts.append(f'<div class="banner warn">{esc(stale)}</div>')
    gaps = data_gaps(con, d)
    if gaps.get("kinds_supplied") is not None:
        _state["supplied"] = set(gaps["kinds_supplied"])
    unsure = uncertainty(gaps)
    if unsure:
        parts.append(f'<div class="banner warn gaps">{esc(unsure)}</div>')
    _out("\n".join(parts))


def _answers_used(con: duckdb.DuckDBPyConnection) -> str:
    """The analyst's answers workbook the warehouse was built with: its hash and how many answers applied."""
    try:
        row = con.execute("SELECT summary FROM warehouse_meta LIMIT 1").fetchone()
        a = (json.loads(row[0]).get("answers") or {}) if row else {}
    except (duckdb.Error, ValueError):
        a = {}
    if not a.get("n_answers"):
        return "未使用（config/本县口径.xlsx 中没有答案）"
    text = f"{a.get('file')} · 指纹 {a.get('sha256')} · {a['n_answers']} 条答案，用上 {a.get('n_applied', 0)} 条"
    if a.get("unused"):
        text += f"（{len(a['unused'])} 条本次没有用上）"
    return text


def data_age_warning(con: duckdb.DuckDBPyConnection, as_of) -> str | None:
    from pipelines.metrics import data_age_warning as warn

    return warn(con, as_date(as_of))


def manifest(con: duckdb.DuckDBPyConnection, params: dict) -> None:
    """Run manifest at the end of every page: data date, input hashes, code version, parameters, validation."""
    v = validation_status(con)
    files = con.execute("SELECT path, sha256, status FROM files ORDER BY path").fetchall()
    built = con.execute("SELECT built_at, data_hash FROM warehouse_meta").fetchone()
    status_text = label("validation_status", v["status"]) if v["status"] else "未校验"
    rows = "".join(f"<tr><td>{esc(p)}</td><td><code>{esc((s or '')[:16])}</code></td><td>{esc(label('file_status', st))}</td></tr>"
                   for p, s, st in files)
    shown = " · ".join([f"统计截至 {params.get('as_of')}", _state["filter_text"] or "筛选：无（全部）",
                        "人名：" + ("隐去" if params.get("redact", True) else "显示（仅限内部）")])
    answers = _answers_used(con)
    _out((
        '<div class="manifest"><b>运行清单</b><table>'
        f"<tr><th>数据截至</th><td>{esc(params.get('as_of'))}</td></tr>"
        f"<tr><th>数据仓库生成</th><td>{esc(built[0] if built else '')} · 指纹 {esc(((built[1] if built else None) or '')[:16])}</td></tr>"
        f"<tr><th>校验状态</th><td>{esc(status_text)}" + (f"（错误 {v['n_errors']}，警告 {v['n_warnings']}）" if v["status"] else "")
        + "</td></tr>"
        f"<tr><th>本县口径</th><td>{esc(answers)}</td></tr>"
        f"<tr><th>程序版本</th><td>xuncha {esc(__version__)}</td></tr>"
        f"<tr><th>参数</th><td>{esc(shown)}</td></tr>"
        "</table>"
        f"<details><summary>输入文件（{len(files)} 个）及 SHA-256</summary><table>"
        "<tr><th>文件</th><th>SHA-256（前16位）</th><th>状态</th></tr>" + rows + "</table></details></div>"))

