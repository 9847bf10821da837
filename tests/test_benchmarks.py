"""The benchmark harness runs end to end at a small scale (the harness, not the timings, is tested)."""

from __future__ import annotations

import json
import subprocess
import sys

KEYS = {"files", "rows", "parse_s", "ingest_s", "ingest_over_parse", "reingest_s", "reingest_over_ingest",
        "one_file_changed_s", "validate_s", "metrics_s", "report_s", "kernel_baseline_s", "peak_rss_mb",
        "report_html_mb", "report_query_s", "report_budget_s", "report_over_budget", "export_s", "peer_pandas_s",
        "ingest_over_peer", "engine_pages", "engine_s", "engine_pages_per_s", "fresh_pages", "fresh_s",
        "fresh_pages_per_s", "engine_over_fresh", "engine_kernels_started", "engine_kernel_rss_mb_max",
        "engine_peak_tree_rss_mb", "one_file_changed_over_ingest", "ingest_memo_off_s", "memo_speedup",
        "counties", "region_pages", "region_render_s", "region_over_target", "county_sets_s", "overview_s",
        "report_peak_tree_rss_mb"}


def test_harness_small_scale(tmp_path):
    p = subprocess.run([sys.executable, "-m", "benchmarks", "--scale", "2", "--problems", "120", "--json",
                        "--engine-sets", "2", "--fresh-sets", "1", "--keep", str(tmp_path / "work")],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert KEYS <= set(res)
    assert res["files"] == 58 and res["rows_loaded"] > 0  # 29 ledger files a county (the interview ledger is one)
    assert all(isinstance(res[k], (int, float)) and res[k] >= 0 for k in KEYS)
    # the cold ingest's stages, as the history store recorded them: every stage, and together about the whole
    stages = res["ingest_stages"]
    assert list(stages) == ["discover", "scope", "parse", "place", "resolve", "tables", "write"]
    assert 0.5 * res["ingest_s"] <= sum(stages.values()) <= res["ingest_s"] + 0.05
    assert res["n_notebooks"] == 2 * 6 + 1  # two counties: each its own set of six pages, and the overview
    # every notebook's queries were timed inside its kernel (through kit.connect), so the budget is real
    assert res["n_queries"] >= 6 and res["report_query_s"] > 0
    # the engine rendered the demo set for 2 parameter sets in kept kernels (one per worker), the baseline 1 set
    assert res["engine_pages"] == 12 and res["fresh_pages"] == 6
    assert 1 <= res["engine_kernels_started"] <= res["cpus"]
    assert res["engine_kernel_rss_mb_max"] > 50 and res["engine_peak_tree_rss_mb"] > res["engine_kernel_rss_mb_max"]
    assert res["counties"] == 2 and res["region_pages"] == 13
    # the overview is rendered last, after the county sets, and both fit in the region's render time
    assert 0 < res["overview_s"] < res["region_render_s"] and 0 < res["county_sets_s"] <= res["region_render_s"]
    assert res["report_peak_tree_rss_mb"] > res["region_kernel_rss_mb_max"]  # kernels and workers were counted
    # the changed meetings file lies in one county's folder: only that county was rebuilt (its 29 files)
    import duckdb

    with duckdb.connect(str(tmp_path / "work" / "wh.history.duckdb"), read_only=True) as con:
        parsed, cached = con.execute("SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at DESC"
                                     " LIMIT 1").fetchone()
    assert parsed == 1 and parsed + cached <= 29
    pages = sorted((tmp_path / "work" / "pages" / "engine").rglob("*.html"))
    assert len(pages) == 12 and all(p.stat().st_size > 100_000 for p in pages)


def test_write_stage_benchmark_loads_every_candidate_identically(demo_dir, demo_db, tmp_path):
    """benchmarks.write_stage times ways of loading a build's tables; each candidate's tables must equal the
    warehouse's own load, and its comparison finds a changed row (so a fast wrong candidate cannot pass)."""
    import duckdb

    from benchmarks.write_stage import _compare

    p = subprocess.run([sys.executable, "-m", "benchmarks.write_stage", str(demo_dir), str(tmp_path / "w"), "1"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["differences"] == []
    for label in ("pandas", "numpy", "json", "floor", "floor_no_cells"):
        assert res[f"{label}_wall_s"] > 0 and res[f"{label}_cpu_s"] > 0
    with duckdb.connect(str(demo_db), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name NOT IN "
                                            "('warehouse_meta', 'int_units', 'int_rounds', 'int_inspections')")
                  .fetchall()]
        assert res["tables"] == len(tables)
        assert res["rows"] == sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    loaded = tmp_path / "w" / "json.duckdb"
    assert _compare(tmp_path / "w" / "pandas.duckdb", loaded, "json") == []
    with duckdb.connect(str(loaded)) as con:
        con.execute("UPDATE stg_problems SET description = description || ' ' WHERE rowid = 0")
    assert _compare(tmp_path / "w" / "pandas.duckdb", loaded, "json") == [
        "json: stg_problems: 1 rows only in a", "json: stg_problems: 1 rows only in b"]
