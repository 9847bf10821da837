"""Ingest is the stage list build.STAGES (discover → scope → parse → place → resolve → tables → write): the
run record names each stage with its seconds, and no stage writes into what an earlier one returned -- above
all not into the parsed files, which the parse cache holds.

Real files: a generated region of two counties (colliding short names), plus a city round's list at the top of
data_raw that is placed row by row; a real DuckDB warehouse and history store."""

from __future__ import annotations

import datetime as dt
import gc
import json
import pickle
import shutil
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.contract import default_contract
from pipelines.demo.generate import generate
from pipelines.history import path_for
from pipelines.ingest import build as B
from tests.conftest import write_xlsx


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("stages") / "raw"
    generate(raw, counties=2, problems_per_county=80, plain_names=True)
    write_xlsx(raw / "市委巡察" / "市委第五轮巡察被巡察单位名单.xlsx", {"名单": [
        ["市委第五轮巡察被巡察单位名单"],
        ["序号", "巡察轮次", "被巡察单位", "巡察组"],
        [1, "市委第五轮巡察", "山丹县审计局", "市委第一巡察组"],
        [2, "市委第五轮巡察", "民乐县审计局", "市委第一巡察组"],
        [3, "市委第五轮巡察", "县审计局", "市委第一巡察组"],  # both registers have it: held
        [4, "市委第五轮巡察", "山丹县清泉镇、山丹县位奇镇", "市委第一巡察组"],  # two records from one row
    ]})
    write_xlsx(raw / "市委巡察" / "汇总.xlsx", {"汇总": [  # the same record again: merged by de-duplication
        ["序号", "巡察轮次", "被巡察单位", "巡察组"],
        [1, "市委第五轮巡察", "山丹县审计局", "市委第一巡察组"],
    ]})
    return raw


def _stages_recorded(db: Path) -> list[dict]:
    with duckdb.connect(str(path_for(db)), read_only=True) as con:
        return [json.loads(r[0]) for r in con.execute("SELECT stages FROM ingest_runs ORDER BY started_at").fetchall()]


def test_ingest_runs_the_stage_list_and_records_each_stage(region, tmp_path):
    names = [st.name for st in B.STAGES]
    assert names == ["discover", "scope", "parse", "place", "resolve", "tables", "write"]
    raw = tmp_path / "raw"
    shutil.copytree(region, raw)
    shutil.rmtree(raw / "市委巡察")  # a file placed row by row makes every change a full rebuild (incremental.py)
    db = tmp_path / "wh" / "warehouse.duckdb"
    B.ingest(raw, db)
    (full,) = _stages_recorded(db)
    assert list(full) == names and all(isinstance(s, float) and s >= 0 for s in full.values())
    assert full["parse"] > 0 and full["write"] > 0

    B.ingest(raw, db)  # nothing changed: the scope stage answers with the last summary, nothing is written
    assert len(_stages_recorded(db)) == 1

    # one county's file changed: the same stage list runs, on that county's files only
    ledger = next((raw / "民乐县").rglob("问题线索移交台账.xlsx"))
    wb = openpyxl.load_workbook(ledger)
    ws = wb.worksheets[0]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and len(cell.value) > 12 and cell.row > 3:
                cell.value += "（已更正）"
                break
        else:
            continue
        break
    wb.save(ledger)
    B.ingest(raw, db)
    runs = _stages_recorded(db)
    assert len(runs) == 2 and list(runs[1]) == names
    with duckdb.connect(str(path_for(db)), read_only=True) as con:
        parsed, cached = con.execute("SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at DESC "
                                     "LIMIT 1").fetchone()
    with duckdb.connect(str(db), read_only=True) as con:
        n_county, n_all = con.execute("SELECT count(*) FILTER (WHERE county = '民乐县'), count(*) FROM files "
                                      "WHERE status = 'ingested'").fetchone()
    assert parsed == 1 and parsed + cached == n_county < n_all  # the county's files only; the changed one parsed


def test_no_stage_writes_into_the_parse_or_an_earlier_stage_value(region, tmp_path):
    contract = default_contract()
    db = tmp_path / "wh.duckdb"
    run = B.Run(region, db, contract, 1, None, tmp_path / "cache" / B.parser_fingerprint(contract), None, False,
                dt.datetime.now(), time.perf_counter(), B.parser_fingerprint(contract))
    files = B._discover(run)
    scope = B._scope(run, files)
    assert isinstance(scope, B.Scope) and scope.plan is None
    parsed = B._parse(run, scope)
    parses = [f.parsed for f in parsed.files if f.parsed is not None]
    before = pickle.dumps(parses, protocol=pickle.HIGHEST_PROTOCOL)
    pending = [f for f in scope.part if f.status == "pending"]
    assert pending and all(f.status != "pending" for f in parsed.files)
    assert all(f.parsed is None and f.status == "pending" for f in pending)  # new records; the scope's as they were

    placed = B._place(run, scope, parsed)
    assert isinstance(placed, B.Placed) and len(placed.groups) == 2 and len(placed.held) == 1
    # place makes no copy of a ledger row's values (it only reads them); a register row's it tidies in a copy
    placed_items = [it for g in placed.groups for its in g.items.values() for it in its]
    assert all((it.values is it.pr.values) == (it.kind not in ("units", "rounds")) for it in placed_items)
    placed_state = pickle.dumps([[(it.values, it.outcome, it.reason, it.county) for its in g.items.values()
                                  for it in its] for g in placed.groups], protocol=pickle.HIGHEST_PROTOCOL)
    res = B._resolve(run, placed)
    built = B._tables(run, scope, parsed, res)
    assert gc.isenabled()  # the tail pauses the cyclic collector only while a stage runs
    # every resolved row has values of its own: resolve writes into none the parse or place holds
    held = {id(it) for it in placed.held}  # rows no county places pass through resolve as they are
    resolved = {id(it.values) for its in res.items.values() for it in its if id(it) not in held}
    assert resolved and not resolved & ({id(it.values) for it in placed_items} | {id(it.pr.values) for it in placed_items})

    assert pickle.dumps(parses, protocol=pickle.HIGHEST_PROTOCOL) == before  # the parse cache's objects
    assert pickle.dumps([[(it.values, it.outcome, it.reason, it.county) for its in g.items.values() for it in its]
                         for g in placed.groups], protocol=pickle.HIGHEST_PROTOCOL) == placed_state
    # ... although resolution did change values: short names resolved, several names or units expanded
    by_row = {id(it.pr): it for its in res.items.values() for it in its if not it.derived}
    renamed = [it for it in by_row.values() if it.kind not in ("units", "rounds") and it.outcome == "loaded"
               and it.values.get("unit_name") != it.pr.values.get("unit_name")]
    assert len(renamed) > 20, len(renamed)
    assert any(it.derived for its in res.items.values() for it in its)
    assert any(it.outcome == "skipped" for its in res.items.values() for it in its)  # de-duplication ran

    # the value tables returns is what a full ingest writes, and the counts add up per file (nothing lost)
    assert built.summary == B.ingest(region, tmp_path / "again.duckdb", cache_dir=tmp_path / "cache2")
    files_rows = built.tables["files"][1]
    assert sum(r[8] for r in files_rows) == built.summary["rows_read"] == sum(r[9] + r[10] + r[11] for r in files_rows)


def _table_rows(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> "
                                           "'warehouse_meta' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in names}


def test_a_county_rebuild_whose_files_place_elsewhere_runs_the_stages_again_for_everything(region, tmp_path,
                                                                                        monkeypatch):
    """Only 民乐县's folder changed, but the new file there is 山丹县's register (its title and names say so): the
    one-county rebuild cannot stand, so `place` sends the run back to `parse` for every file -- and the result is
    the warehouse a fresh full build writes."""
    raw = tmp_path / "raw"
    shutil.copytree(region, raw)
    shutil.rmtree(raw / "市委巡察")
    db = tmp_path / "wh" / "warehouse.duckdb"
    B.ingest(raw, db)
    src = next((raw / "山丹县").rglob("党组织名册.xlsx"))
    wb = openpyxl.load_workbook(src)
    wb.save(raw / "民乐县" / "基础台账" / "转来的名册.xlsx")
    calls = []
    real = B.place_rows

    def spy(files, contract, only=None):
        placed = real(files, contract, only)
        calls.append((only, len(files), placed is None))
        return placed
    monkeypatch.setattr(B, "place_rows", spy)
    summary = B.ingest(raw, db)
    monkeypatch.undo()
    n_files = summary["files_seen"]
    n_county = sum(1 for p in (raw / "民乐县").rglob("*") if p.is_file())
    assert [c[0] for c in calls] == ["民乐县", None] and calls[0][1:] == (n_county, True) and calls[1][1:] == (
        n_files, False)
    runs = _stages_recorded(db)
    assert len(runs) == 2 and list(runs[1]) == [st.name for st in B.STAGES]
    with duckdb.connect(str(path_for(db)), read_only=True) as con:
        parsed, cached = con.execute("SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at DESC "
                                     "LIMIT 1").fetchone()
    with duckdb.connect(str(db), read_only=True) as con:
        n_ingested = con.execute("SELECT count(*) FROM files WHERE status = 'ingested'").fetchone()[0]
        assert con.execute("SELECT county FROM files WHERE path LIKE '%转来的名册.xlsx'").fetchone()[0] == "山丹县"
    # every county's files were read; none was parsed by the full run: the county attempt parsed the new file
    # (and stored it in the parse cache) before `place` sent the run back (a build planned in full parses it)
    assert (parsed, cached) == (0, n_ingested)
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    assert summary == B.ingest(raw, fresh)
    assert _table_rows(db) == _table_rows(fresh)


def test_discover_lists_the_files_a_recursive_glob_lists_in_its_order(tmp_path):
    """discover walks each folder once (os.scandir); it must list what sorted(rglob("*")) listed, in that order:
    nested and Chinese-named folders, links to files followed, links to folders not entered, odd suffixes."""
    import os

    raw = tmp_path / "raw"
    (raw / "乙县" / "第一轮").mkdir(parents=True)
    (raw / "甲县").mkdir()
    (raw / "Z").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "别处.csv").write_text("日期,会议\n2020-01-01,会\n", encoding="utf-8")
    for rel in ["乙县/第一轮/台账.csv", "乙县/b.xlsx", "甲县/名单.csv", "Z/a.", "Z/x.tar.gz", "Z/B.CSV", "a.csv",
                "说明.md", "readme.txt", "~$锁.xlsx"]:
        (raw / rel).write_bytes(rel.encode())  # each its own bytes: none is a duplicate of another
    os.symlink(outside, raw / "链接文件夹")  # a link to a folder: not entered (as rglob did not)
    os.symlink(outside / "别处.csv", raw / "甲县" / "链接.csv")  # a link to a file: read
    os.symlink(tmp_path / "nowhere.csv", raw / "断链.csv")  # a broken link: not a file

    expected = []
    for p in sorted(raw.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(raw)
        if any(B.IGNORED_NAMES.match(part) for part in rel.parts) or p.suffix.lower() in B.IGNORED_SUFFIXES:
            continue
        expected.append((rel.as_posix(), p.suffix.lower()))
    files = B.discover_files(raw, default_contract())
    assert [(f.rel, f.path.suffix.lower()) for f in files] == expected
    assert "甲县/链接.csv" in {f.rel for f in files} and not any(f.rel.startswith("链接文件夹") for f in files)
    by_rel = {f.rel: f for f in files}
    assert by_rel["Z/a."].status == "failed" and "无扩展名" in by_rel["Z/a."].error  # Path("a.").suffix is ""
    assert by_rel["Z/B.CSV"].status == "pending" and by_rel["Z/B.CSV"].sha256
