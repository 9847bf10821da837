"""The memo (pipelines/memo.py) only saves time: with it switched off every warehouse table is the same, and a
table never outlives the configuration object it belongs to."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import duckdb

from pipelines import memo
from pipelines.contract import load_contract


def test_a_memo_table_dies_with_its_owner_and_is_bounded(monkeypatch):
    c = load_contract()
    v = c.vocabularies["problem_status"]
    assert v.lookup("已整改") == "rectified"
    assert memo.table(v, "classify").get("已整改") == ("rectified", "exact")
    key = id(v)
    assert key in memo._tables
    del v, c
    gc.collect()
    assert key not in memo._tables  # a new object that reuses the id starts empty
    monkeypatch.setattr(memo, "LIMIT", 2)
    t: dict = {}
    for i in range(5):
        memo.put(t, i, i)
    assert len(t) == 2


def _tables(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'warehouse_meta'"
                                           " ORDER BY 1").fetchall()]
        skip = {"ingested_at", "built_at"}
        out = {}
        for t in names:
            cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                              "ORDER BY column_index", [t]).fetchall() if r[0] not in skip]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(map(repr, con.execute(f"SELECT {sel} FROM {t}").fetchall()))
        return out


def test_switching_the_memo_off_changes_no_table(demo_dir, demo_db, tmp_path):
    env = {**os.environ, "XUNCHA_MEMO": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    off = tmp_path / "off.duckdb"
    subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--raw", str(demo_dir), "--db", str(off),
                    "--json"], check=True, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, timeout=600)
    on, without = _tables(demo_db), _tables(off)
    assert on.keys() == without.keys() and len(on) > 10
    for t in on:
        assert on[t] == without[t], t
    assert len(on["stg_problems"]) > 900
