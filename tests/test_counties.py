"""Counties as a dimension (issue #15): a city office ingests several counties' ledgers into one warehouse.

The corpus is the demo county (山丹县, byte for byte the one-county demo, in its folder) beside a second
generated county (民乐县, another seed) written the way it would be alone: the same short forms (县财政局),
the same township and round names (清泉镇, 十四届县委第一轮巡察). Each county is also ingested alone, so every
figure of the shared warehouse is checked against a county on its own, and against the generator's truth.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.demo.generate import generate
from pipelines.ingest.build import ingest
from pipelines.ingest.counties import county_in_text
from pipelines.metrics import METRIC_KEYS, sum_metrics
from pipelines.warehouse.db import scope, unscope
from tests.conftest import DEMO_AS_OF, write_xlsx

runner = CliRunner()
COUNTIES = ["山丹县", "民乐县"]


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("region")
    raw = root / "raw"
    exp = generate(raw, counties=2, plain_names=True)
    assert exp["counties"] == COUNTIES
    alone = {}
    for c in COUNTIES:
        db = root / f"{c}.duckdb"
        alone[c] = (db, ingest(raw / c, db))
    db = root / "region.duckdb"
    summary = ingest(raw, db)
    return {"root": root, "raw": raw, "exp": exp, "alone": alone, "db": db, "summary": summary}


def _metrics(db: Path, *extra: str) -> dict:
    res = runner.invoke(app, ["metrics", "--db", str(db), "--as-of", DEMO_AS_OF.isoformat(), "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_the_second_county_really_collides_with_the_demo(region):
    """The test is only real if the two counties share short names and round names."""
    raw = region["raw"]
    with duckdb.connect(str(region["db"]), read_only=True) as con:
        shared_rounds = {r[0] for r in con.execute(
            "SELECT round_name FROM stg_rounds GROUP BY 1 HAVING count(DISTINCT county) = 2").fetchall()}
        shared_towns = {r[0] for r in con.execute(
            "SELECT unit_name FROM stg_units WHERE unit_type = 'township' GROUP BY 1 HAVING count(DISTINCT county) = 2"
        ).fetchall()}
        rows = con.execute("SELECT county, cells FROM raw_rows WHERE outcome = 'loaded' "
                           "AND kind NOT IN ('units', 'rounds')").fetchall()
    written: dict[str, set] = {c: set() for c in COUNTIES}
    for county, cells in rows:  # the short forms the ledgers themselves write: 县审计局, not 山丹县审计局
        written[county] |= {text for _, _, text, *_ in json.loads(cells) if text.startswith("县") and text.endswith("局")}
    assert "十四届县委第一轮巡察" in shared_rounds and "清泉镇" in shared_towns
    assert len(written["山丹县"] & written["民乐县"]) >= 10 and "县审计局" in written["山丹县"] & written["民乐县"]
    assert (raw / "山丹县" / "基础台账" / "党组织名册.xlsx").exists()


def test_each_county_with_county_equals_it_ingested_alone(region):
    for c in COUNTIES:
        alone = _metrics(region["alone"][c][0])
        assert "by_county" not in alone  # one county: the output is as it always was
        assert _metrics(region["db"], "--county", c) == alone
        assert alone == {k: region["exp"]["by_county"][c][k] for k in METRIC_KEYS}  # and both are the truth


def test_totals_are_the_sums_and_rates_come_from_the_summed_counts(region):
    m = _metrics(region["db"])
    by = m.pop("by_county")
    assert list(by) == COUNTIES
    for c in COUNTIES:
        assert by[c] == _metrics(region["alone"][c][0])
    assert m == sum_metrics(list(by.values())) == region["exp"]["metrics"]
    assert m["problems_total"] == sum(by[c]["problems_total"] for c in COUNTIES)
    assert m["rectification_rate"] == m["problems_rectified"] / m["problems_total"]
    assert m["lead_closure_rate"] == sum(by[c]["leads_closed"] for c in COUNTIES) / sum(
        by[c]["leads_transferred"] for c in COUNTIES)
    # a rate averaged over the counties would differ whenever the counties differ in size; here the two sums
    # are built from different counts (民乐县 has more overdue problems), and the total is the pooled ratio
    assert by["山丹县"]["problems_overdue"] != by["民乐县"]["problems_overdue"]


def test_no_unit_or_round_is_shared_between_counties(region):
    """Each county's registers and records are exactly those it has alone: nothing merged across counties."""
    q = {"units": "SELECT unit_name, unit_type, in_scope FROM int_units",
         "rounds": "SELECT round_name, round_kind, level FROM int_rounds",
         "problems": "SELECT round_name, unit_name, problem_no, status FROM stg_problems",
         "inspections": "SELECT round_name, unit_name FROM stg_inspections",
         "leads": "SELECT round_name, unit_name, lead_no FROM stg_leads"}
    with duckdb.connect(str(region["db"]), read_only=True) as con:
        for c in COUNTIES:
            with duckdb.connect(str(region["alone"][c][0]), read_only=True) as one:
                for what, sql in q.items():
                    mine = sorted(con.execute(f"SELECT * FROM ({sql} WHERE county = ?)", [c]).fetchall())
                    own = sorted(one.execute(sql).fetchall())
                    assert mine == own, (c, what)
        # every record's unit and round is a register entry of its own county
        for table in ("stg_problems", "stg_inspections", "stg_leads"):
            stray = con.execute(f"""SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM int_units u
                WHERE u.county = t.county AND u.unit_name = t.unit_name) OR NOT EXISTS (SELECT 1 FROM int_rounds r
                WHERE r.county = t.county AND r.round_name = t.round_name)""").fetchone()[0]
            assert stray == 0, table
        # 县财政局 of one county is not 县财政局 of the other
        fin = dict(con.execute("""SELECT county, list(DISTINCT unit_name) FROM stg_problems
                                  WHERE unit_name LIKE '%财政局' GROUP BY 1""").fetchall())
    assert fin == {"山丹县": ["山丹县财政局"], "民乐县": ["民乐县财政局"]}


def test_ingest_summary_names_each_county_with_its_files_and_rows(region):
    s = region["summary"]
    assert s["county"] is None
    assert list(s["counties"]) == COUNTIES
    for c in COUNTIES:
        one = region["alone"][c][1]
        assert one["counties"] == {c: {"files": one["files_ingested"], "rows": one["rows_read"],
                                       "rows_loaded": one["rows_loaded"]}}
        assert s["counties"][c] == one["counties"][c]
    assert s["rows_read"] == s["rows_loaded"] + s["rows_quarantined"] + s["rows_skipped"]
    assert s["rows_read"] == sum(d["rows"] for d in s["counties"].values())
    res = runner.invoke(app, ["ingest", "--raw", str(region["raw"]), "--db", str(region["db"])])
    assert "2 个县（市、区）" in res.output and "山丹县 28 个文件" in res.output


def test_a_county_the_warehouse_lacks_is_a_clear_error(region):
    for cmd in (["metrics"], ["report"], ["export"]):
        res = runner.invoke(app, [*cmd, "--db", str(region["db"]), "--county", "张掖县", "--out",
                                  str(region["root"] / "nowhere")] if cmd != ["metrics"] else
                            [*cmd, "--db", str(region["db"]), "--county", "张掖县"])
        assert res.exit_code == 2, (cmd, res.output)
        assert "没有「张掖县」" in res.output and "山丹县、民乐县" in res.output
    assert not (region["root"] / "nowhere").exists()


def test_a_city_file_goes_row_by_row_to_the_county_of_its_unit(region, tmp_path):
    """A city round's list at the top of data_raw (no county folder, no county in the title): each row goes to
    the county whose register has its unit, so the round counts in each county it touched; a bare short name
    that both registers have is held, naming both counties, never guessed."""
    raw = tmp_path / "raw"
    shutil.copytree(region["raw"], raw)
    write_xlsx(raw / "市委巡察" / "市委第五轮巡察被巡察单位名单.xlsx", {"名单": [
        ["市委第五轮巡察被巡察单位名单"],
        ["序号", "巡察轮次", "被巡察单位", "巡察组"],
        [1, "市委第五轮巡察", "山丹县审计局", "市委第一巡察组"],
        [2, "市委第五轮巡察", "民乐县审计局", "市委第一巡察组"],
        [3, "市委第五轮巡察", "县审计局", "市委第一巡察组"],
    ]})
    db = tmp_path / "wh.duckdb"
    s = ingest(raw, db)
    assert s["quarantine_by_reason"].get("unknown_county") == 1
    with duckdb.connect(str(db), read_only=True) as con:
        placed = sorted(con.execute("""SELECT county, unit_name FROM stg_inspections
                                       WHERE src_file LIKE '市委巡察/%'""").fetchall())
        held = con.execute("SELECT reason, suggestions, county FROM quarantine WHERE reason_code = 'unknown_county'"
                           ).fetchone()
        f = con.execute("SELECT rows_read, rows_loaded, rows_quarantined, rows_skipped FROM files "
                        "WHERE path LIKE '市委巡察/%'").fetchone()
    assert placed == [("山丹县", "山丹县审计局"), ("民乐县", "民乐县审计局")]
    assert "无法确定这一行属于哪个县" in held[0] and "山丹县、民乐县" in held[0] and held[2] is None
    assert f[0] == f[1] + f[2] + f[3] and f[1] == 2 and f[2] == 1  # nothing lost
    for c in COUNTIES:  # the city round now lists one more unit in each county; the county figures are unchanged
        with duckdb.connect(str(db), read_only=True) as con:
            from pipelines.warehouse.db import scope

            scope(con, c)
            n_units = con.execute("SELECT n_units FROM mart_rounds(?) WHERE round_name = '市委第五轮巡察'",
                                  [DEMO_AS_OF]).fetchone()[0]
        with duckdb.connect(str(region["alone"][c][0]), read_only=True) as one:
            before = one.execute("SELECT n_units FROM mart_rounds(?) WHERE round_name = '市委第五轮巡察'",
                                 [DEMO_AS_OF]).fetchone()[0]
        assert n_units == before + 1
        assert _metrics(db, "--county", c) == _metrics(region["alone"][c][0])


def test_a_county_is_told_by_register_title_names_folder_never_by_a_word_like_it():
    assert county_in_text("民乐县党组织名册") == "民乐县"
    assert county_in_text("中共民乐县委巡察轮次登记表") == "民乐县"
    assert county_in_text("张掖市甘州区党组织名册") == "甘州区"
    assert county_in_text("甘肃省张掖市肃南裕固族自治县党组织名册") == "肃南裕固族自治县"
    for text in ("党组织名册", "社区党组织名册", "县直单位党组织名册", "城区党组织名册", "全县巡察轮次登记表"):
        assert county_in_text(text) is None, text


@pytest.fixture(scope="module")
def region_reports(region):
    """The region's reports: May (the brief only, to have a history), then June's full sets and overview,
    with the workspace's settings naming the region and a threshold one county passes."""
    from pipelines import workspace
    from pipelines.report.render import render_set
    from pipelines.validate.run import validate

    root = region["root"] / "work"
    cfg = root / "config"
    cfg.mkdir(parents=True)
    (cfg / "settings.yaml").write_text("region_name: 张掖市\noverview_thresholds: {problems_overdue: 15}\n",
                                       encoding="utf-8")
    contract = workspace.load(cfg)
    db = root / "region.duckdb"
    shutil.copy(region["db"], db)
    out = root / "reports"
    validate(db, out, contract=contract)
    import datetime as dt

    may = render_set(db, out, as_of=dt.date(2020, 5, 31), notebooks=["monthly_brief"], contract=contract)
    june = render_set(db, out, as_of=DEMO_AS_OF, contract=contract)
    return {"db": db, "out": out, "may": may, "june": june, "contract": contract}


def test_the_region_gets_each_county_set_and_an_overview_in_one_render_call(region_reports, region):
    from pipelines.report.layout import NOTEBOOKS

    june, out = region_reports["june"], region_reports["out"]
    assert june["counties"] == COUNTIES
    want = {str((out / "2020-06" / c / f"{n}.html").resolve()) for c in COUNTIES for n, _ in NOTEBOOKS}
    assert set(june["files"]) == want | {str((out / "2020-06" / "overview.html").resolve())}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2020-06/overview.html"' in index and "张掖市巡察工作报告" in index
    for c in COUNTIES:
        for n, _ in NOTEBOOKS:
            assert f'href="2020-06/{c}/{n}.html"' in index
    assert 'href="2020-05/overview.html"' in index and 'href="2020-05/民乐县/monthly_brief.html"' in index
    # each county's own brief is titled with its name; no page of the region carries a personal name
    for c in COUNTIES:
        html = (out / "2020-06" / c / "monthly_brief.html").read_text(encoding="utf-8")
        assert f"<title>{c}" in html
        assert "未通过校验（6 条错误）" in html  # its own six bad rows, not the region's twelve
    assert "未通过校验（12 条错误）" in (out / "2020-06" / "overview.html").read_text(encoding="utf-8")
    names = region["exp"]["personal_names"]
    assert names
    for f in june["files"]:
        text = Path(f).read_text(encoding="utf-8")
        assert not [n for n in names if n in text], f


def test_every_period_records_the_region_and_each_county_in_the_history(region_reports, region):
    from pipelines import history

    rows = history.read(region_reports["db"], "SELECT period, county, metrics FROM metric_history ORDER BY 1, 2")
    assert [(p, c) for p, c, _ in rows] == [("2020-05", ""), ("2020-05", "山丹县"), ("2020-05", "民乐县"),
                                            ("2020-06", ""), ("2020-06", "山丹县"), ("2020-06", "民乐县")]
    june = {c: json.loads(m) for p, c, m in rows if p == "2020-06"}
    for c in COUNTIES:  # each county's row is its own figures, the whole warehouse's row their sum
        assert june[c] == _metrics(region["alone"][c][0])
    assert june[""] == sum_metrics([june[c] for c in COUNTIES])
    assert history.previous(region_reports["db"], "2020-06", county="民乐县")[0] == "2020-05"


def test_overview_page_in_chromium_offline(region_reports, region):
    from tests.test_reports import _browser, _open

    path = region_reports["out"] / "2020-06" / "overview.html"
    html = path.read_text(encoding="utf-8")
    assert not __import__("re").search(r"<script[^>]+src=", html)
    leaked = [n for n in region["exp"]["personal_names"] if n in html]
    assert leaked == []
    pw, browser = _browser()
    try:
        page, blocked = _open(browser, path)
        assert blocked == []
        n_figs = page.locator(".plotly-graph-div").count()
        drawn = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')]
                                 .filter(d => d.querySelector('.main-svg') && d._fullLayout).length""")
        assert n_figs >= 5 and drawn == n_figs  # four rankings and the change since May
        text = page.inner_text("body")
        table = page.evaluate("""() => [...document.querySelector('table.dataframe').rows]
                                 .map(r => [...r.cells].map(c => c.innerText.trim()))""")
        page.screenshot(path=str(Path(__file__).parent / "artifacts" / "overview.png"), full_page=True)
    finally:
        browser.close()
        pw.stop()
    by = {c: _metrics(region["alone"][c][0]) for c in COUNTIES}
    assert "张掖市巡察工作概览" in text
    for c in COUNTIES:
        assert c in text
        assert f"{by[c]['problems_overdue']}" in text
    rows = {r[0]: r for r in table[1:]}
    assert table[0][4] == "反馈问题" and table[0][6] == "整改率"
    assert list(rows) == [*COUNTIES, "张掖市合计"]
    for c in COUNTIES:
        assert rows[c][4] == str(by[c]["problems_total"]) and rows[c][7] == str(by[c]["problems_overdue"])
    assert rows["张掖市合计"][4] == "2000" and rows["张掖市合计"][5] == "1880"
    assert rows["张掖市合计"][6] == "94.0%"  # 1880 / 2000, from the summed counts
    assert "需关注（超过 15 个）" in text  # 民乐县's 19 overdue problems pass the workspace's threshold
    assert "2020年5月" in text  # month-over-month per county, from the history store
    assert "山丹县/monthly_brief.html" in html and "民乐县/rectification.html" in html


def test_validation_of_the_region_finds_what_each_county_alone_finds(region, tmp_path):
    """Rules join within a county: two counties' same round names or 清泉镇 are no duplicates, no strays."""
    from pipelines.validate.run import validate

    got = {}
    for name, db in [("region", region["db"]), *((c, region["alone"][c][0]) for c in COUNTIES)]:
        copy = tmp_path / f"{name}.duckdb"
        shutil.copy(db, copy)
        got[name] = validate(copy, tmp_path / name)["counts"]
    rules = set(got["region"]) | set(got["山丹县"]) | set(got["民乐县"])
    assert {r: got["region"].get(r, 0) for r in rules} == {
        r: got["山丹县"].get(r, 0) + got["民乐县"].get(r, 0) for r in rules}
    assert got["region"].get("unit_duplicate", 0) == 0 and got["region"]["quarantined"] == 12


def test_the_first_county_is_byte_for_byte_the_one_county_demo(region, demo_dir):
    import hashlib

    def digest(d: Path) -> dict:
        return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(d.rglob("*")) if p.is_file() and p.name != "expected.json"}

    assert digest(region["raw"] / "山丹县") == digest(demo_dir)


def test_all_pages_of_a_region_go_to_one_render_jobs_call(region, monkeypatch, tmp_path):
    """Part 4 (many counties fast) reuses kernels across the jobs of one call: the region hands it everything."""
    from pipelines.report import render
    from pipelines.report.layout import NOTEBOOKS

    calls = []

    def record(jobs, workers=None):
        calls.append(list(jobs))
        return [j[2] for j in jobs]

    monkeypatch.setattr(render, "render_jobs", record)
    db = tmp_path / "wh.duckdb"
    shutil.copy(region["db"], db)
    render.render_set(db, tmp_path / "reports", as_of=DEMO_AS_OF, record_history=False)
    assert len(calls) == 1
    jobs = calls[0]
    assert len(jobs) == len(COUNTIES) * len(NOTEBOOKS) + 1
    assert [(j[0], j[1]["county"], j[3]) for j in jobs if j[0] == "overview"] == [("overview", "", "全市")]
    for c in COUNTIES:
        mine = [j for j in jobs if j[1]["county"] == c]
        assert sorted(j[0] for j in mine) == sorted(n for n, _ in NOTEBOOKS)
        assert all(Path(j[2]).parent.name == c and j[3] == c for j in mine)


def test_each_county_exports_its_own_documents(region, tmp_path):
    from pipelines.export import run_export

    db = tmp_path / "wh.duckdb"
    shutil.copy(region["db"], db)
    res = run_export(db, tmp_path / "reports", as_of=DEMO_AS_OF)
    assert list(res["counties"]) == COUNTIES
    for c in COUNTIES:
        part = res["counties"][c]
        assert Path(part["ledger"]) == (tmp_path / "reports" / "2020-06" / c / "汇总台账.xlsx").resolve()
        assert Path(part["brief_docx"]).exists()
        alone = _metrics(region["alone"][c][0])
        assert part["problems_overdue"] == alone["problems_overdue"]
        assert part["rows_by_kind"] == region["alone"][c][1]["loaded_by_kind"]
    assert res["problems_overdue"] == _metrics(region["db"])["problems_overdue"]
    one = run_export(db, tmp_path / "one", as_of=DEMO_AS_OF, county="民乐县")
    assert "counties" not in one and Path(one["folder"]).name == "民乐县"


def test_monthly_on_a_region_writes_every_county_and_the_overview(region, tmp_path):
    from pipelines.monthly import run_monthly
    from pipelines.report.layout import NOTEBOOKS

    raw = tmp_path / "raw"
    shutil.copytree(region["raw"], raw)
    db, out = tmp_path / "data_clean" / "warehouse.duckdb", tmp_path / "reports"
    code, line = run_monthly(raw, db, out, "2020-06")
    assert code == 1, line  # the demo's deliberate bad rows fail validation: reports written and marked
    assert "13 个报告" in line and "2 个县各一份" in line
    assert (out / "2020-06" / "overview.html").exists()
    for c in COUNTIES:
        folder = out / "2020-06" / c
        assert {p.name for p in folder.glob("*.html")} == {f"{n}.html" for n, _ in NOTEBOOKS}
        assert (folder / "汇总台账.xlsx").exists() and (folder / "月度简报.docx").exists()
    code, line = run_monthly(raw, db, out, "2020-06", county="临泽县")
    assert code == 2 and "没有「临泽县」" in line


def test_a_province_corpus_beyond_the_named_counties_is_told_apart(tmp_path):
    """The scale corpus names counties past the tenth too (in characters, as real names are): each is found."""
    exp = generate(tmp_path / "raw", counties=12, problems_per_county=40, messy=False)
    s = ingest(tmp_path / "raw", tmp_path / "wh.duckdb")
    assert list(s["counties"]) == sorted(exp["counties"]) and len(set(exp["counties"])) == 12
    assert "unknown_county" not in s["quarantine_by_reason"]
    m = _metrics(tmp_path / "wh.duckdb")
    assert set(m.pop("by_county")) == set(exp["counties"])
    assert m == exp["metrics"]


# The one-row marts as DATA_CONTRACT section 6 words them, one scalar subquery per figure. The packaged macros
# aggregate each source once instead (sixteen subqueries cost most of every page's query time); they must give
# exactly these rows, of exactly these types, whole and per county.
REFERENCE_ONE_ROW_MARTS = {
    "mart_headline": """
WITH cov AS (SELECT * FROM mart_unit_coverage($d)), p AS (SELECT * FROM mart_problems($d) WHERE counted),
l AS (SELECT * FROM mart_leads($d) WHERE counted),
final AS (SELECT
    (SELECT count(*) FROM cov WHERE in_scope) AS units_in_scope,
    (SELECT count(*) FROM cov WHERE in_scope AND covered) AS units_covered,
    (SELECT count(*) FROM cov WHERE is_village) AS villages_total,
    (SELECT count(*) FROM cov WHERE is_village AND covered) AS villages_covered,
    (SELECT count(*) FROM p) AS problems_total, (SELECT count(*) FROM p WHERE rectified) AS problems_rectified,
    (SELECT count(*) FROM p WHERE overdue) AS problems_overdue,
    (SELECT count(*) FROM p WHERE status_unknown) AS problems_status_unknown,
    (SELECT count(*) FROM l) AS leads_transferred, (SELECT count(*) FROM l WHERE closed) AS leads_closed,
    (SELECT count(*) FROM l WHERE status_unknown) AS leads_status_unknown,
    (SELECT coalesce(sum(n_disciplined), 0) FROM l) AS people_disciplined,
    (SELECT coalesce(sum(n_org_handled), 0) FROM l) AS people_org_handled,
    (SELECT count(*) FROM stg_checklist) AS checklist_items, (SELECT count(*) FROM mart_teams) AS teams_total,
    (SELECT count(*) FROM mart_teams WHERE is_3n) AS teams_3n)
SELECT *, units_covered / nullif(units_in_scope, 0) AS coverage_rate,
       problems_rectified / nullif(problems_total, 0) AS rectification_rate,
       leads_closed / nullif(leads_transferred, 0) AS lead_closure_rate FROM final""",
    "mart_data_gaps": """
SELECT (SELECT count(*) FROM files WHERE status = 'failed') AS files_failed,
    (SELECT count(*) FROM sheets WHERE decision = 'uncertain') AS sheets_uncertain,
    (SELECT count(*) FROM sheets WHERE decision = 'unclassified' AND rows_read > 0) AS sheets_unclassified,
    (SELECT count(*) FROM sheets WHERE decision = 'loaded' AND missing_columns IS NOT NULL) AS sheets_missing_column,
    (SELECT count(*) FROM quarantine) AS rows_held,
    (SELECT count(*) FROM quarantine WHERE kind = 'problems') AS problems_held,
    (SELECT count(*) FROM quarantine WHERE kind = 'leads') AS leads_held,
    (SELECT count(*) FROM mart_problems($d) WHERE counted AND status IS NULL) AS problems_status_unknown,
    (SELECT count(*) FROM mart_leads($d) WHERE counted AND status IS NULL) AS leads_status_unknown,
    (SELECT list(DISTINCT kind ORDER BY kind) FROM sheets WHERE decision = 'loaded' AND rows_loaded > 0)
        AS kinds_supplied""",
}


@pytest.mark.parametrize("which", ["demo", "region"])
def test_one_row_marts_equal_their_subquery_definitions(which, demo_db, region):
    db = demo_db if which == "demo" else region["db"]
    with duckdb.connect(str(db), read_only=True) as con:
        for county in [None, *(COUNTIES if which == "region" else [])]:
            scope(con, county)
            for d in (dt.date(2017, 3, 1), DEMO_AS_OF, dt.date(2030, 1, 1)):
                for mart, ref in REFERENCE_ONE_ROW_MARTS.items():
                    ref = ref.replace("$d", f"DATE '{d}'")
                    got = con.execute(f"SELECT * FROM {mart}(DATE '{d}')")
                    got_types, got_rows = [(c[0], str(c[1])) for c in got.description], got.fetchall()
                    want = con.execute(ref)
                    want_types, want_rows = [(c[0], str(c[1])) for c in want.description], want.fetchall()
                    assert got_types == want_types, (mart, county)
                    assert got_rows == want_rows and len(got_rows) == 1, (mart, county, d)


def test_all_counties_in_one_pass_equal_each_county_on_its_own(region):
    """compute_by_county (the region's metrics and the overview, in a few queries) gives for each county exactly
    what that county's own scoped connection gives, at dates before, during and after the rounds."""
    from pipelines.metrics import compute, compute_by_county

    with duckdb.connect(str(region["db"]), read_only=True) as con:
        for d in (dt.date(2017, 3, 1), DEMO_AS_OF, dt.date(2030, 1, 1)):
            together = compute_by_county(con, d)
            assert list(together) == COUNTIES
            for c in COUNTIES:
                assert together[c] == compute(scope(con, c), d), (c, d)
            unscope(con)
    assert together[COUNTIES[0]]["problems_total"] > 0 and together[COUNTIES[0]]["rounds_by_kind"]


def test_a_county_that_sent_no_leads_ledger_is_unknown_there_and_left_out_of_the_sums(region, tmp_path):
    """民乐县 sends no 问题线索移交台账 this period: its lead figures are unknown (null, not_supplied), the region's
    lead totals are 山丹县's alone and say a county lacks the ledger, and 民乐县 ranks last on the closure rate,
    unflagged, not as a county with 0 of 0 closed; its problems figures are unchanged."""
    from pipelines.report import region as overview

    raw = tmp_path / "raw"
    shutil.copytree(region["raw"], raw)
    gone = list((raw / "民乐县").rglob("问题线索移交台账.xlsx"))
    assert len(gone) == 1
    gone[0].unlink()
    db = tmp_path / "wh.duckdb"
    ingest(raw, db, allow_shrink=True)
    m = _metrics(db)
    mle, shd = m["by_county"]["民乐县"], m["by_county"]["山丹县"]
    assert mle["leads_transferred"] is None and mle["lead_closure_rate"] is None and mle["people_disciplined"] is None
    assert mle["not_supplied"] == ["leads"] and "not_supplied" not in shd
    assert mle["problems_total"] == _metrics(region["alone"]["民乐县"][0])["problems_total"]
    assert m["leads_transferred"] == shd["leads_transferred"] > 0 and m["not_supplied"] == ["leads"]
    assert m["people_disciplined"] == shd["people_disciplined"]
    with duckdb.connect(str(db), read_only=True) as con:
        ranked = overview.ranking(overview.by_county(con, DEMO_AS_OF), "lead_closure_rate", 0.99)
    assert ranked["county"].tolist()[-1] == "民乐县" and not ranked["flagged"].tolist()[-1]
