"""The write stage's table load, measured (benchmarks/README.md, "The write stage"): how the rows of a real build
could go into DuckDB, each candidate timed on the same tables and checked against the project's own load.

An ingest of RAW is run once (into SCRATCH/wh.duckdb) and the tables it writes are kept in memory. Then each
candidate loads all of them into a new DuckDB file in SCRATCH, REPS times, in turn (A B C A B C ...: the
machine's drift hits all alike); the medians of wall and CPU seconds (CPU: this process's threads, DuckDB's
included) are printed as JSON:

- `pandas`: `db.create_table`, what the warehouse uses (a frame of Python objects, cast by the declared types);
- `numpy`: a dict of one numpy object array per column (DuckDB reads it without pandas);
- `json`: the rows as JSON objects (orjson) in a file, read back by `read_json` with the declared types;
- `floor`: the same tables copied from an in-memory DuckDB copy: no Python at all, only DuckDB storing
  (and compressing) the values, which no way of handing them over can avoid;
- `floor_no_cells`: the floor without `raw_rows.cells` and every `stg_*.src_cells` (the provenance JSON):
  what storing that text costs.

Every candidate's tables are compared row by row with `pandas`'s (EXCEPT ALL both ways); a difference is
printed and the run fails, so a fast wrong candidate cannot pass.

Usage: python -m benchmarks.write_stage RAW SCRATCH [REPS]   (SCRATCH is deleted first)"""
from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import orjson

from pipelines.ingest.build import ingest
from pipelines.warehouse import db as W

def _ddl(cols) -> str:
    return ", ".join(f'"{c}" {t}' for c, t in cols)


def _cast(cols, source: str) -> str:
    return f"SELECT {', '.join(f'CAST({chr(34)}{c}{chr(34)} AS {t})' for c, t in cols)} FROM {source}"


def load_pandas(con, name, cols, rows, work):
    W.create_table(con, name, cols, rows, create=False)


def load_numpy(con, name, cols, rows, work):
    n = len(rows)
    arrays = {c: np.fromiter(v, dtype=object, count=n) for (c, _), v in zip(cols, zip(*rows))}
    con.register("_incoming", arrays)
    con.execute(f'INSERT INTO "{name}" {_cast(cols, "_incoming")}')
    con.unregister("_incoming")


def load_json(con, name, cols, rows, work):
    keys = [f"c{i}" for i in range(len(cols))]
    path = work / "_incoming.json"
    path.write_bytes(orjson.dumps([dict(zip(keys, r)) for r in rows]))
    spec = "{" + ", ".join(f"'{k}': '{t}'" for k, (_, t) in zip(keys, cols)) + "}"
    try:
        con.execute(f"INSERT INTO \"{name}\" SELECT * FROM read_json('{path}', format='array', columns={spec}, "
                    f"maximum_object_size={path.stat().st_size + 1024})")
    finally:
        path.unlink()


def main(argv: list[str]) -> None:
    raw, work = Path(argv[0]), Path(argv[1])
    reps = int(argv[2]) if len(argv) > 2 else 3
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    kept: dict = {}
    write = W.write_warehouse

    def keeping(db_path, tables, run, **kw):
        kept.update(tables)  # the same lists the warehouse is written from (write_warehouse pops them)
        return write(db_path, tables, run, **kw)

    W.write_warehouse = keeping
    try:
        ingest(raw, work / "wh.duckdb")
    finally:
        W.write_warehouse = write
    mem = duckdb.connect()
    for name, (cols, rows) in kept.items():
        mem.execute(f'CREATE TABLE "{name}" ({_ddl(cols)})')
        W.create_table(mem, name, cols, rows, create=False)

    def floor(cells: bool):
        def load(con, name, cols, rows, work):
            keep = [c for c, _ in cols if cells or not (c == "src_cells" or (name == "raw_rows" and c == "cells"))]
            sel = ", ".join(f'"{c}"' for c in keep)
            con.execute(f'INSERT INTO "{name}" ({sel}) SELECT {sel} FROM memory.main."{name}"')
        return load

    candidates = {"pandas": load_pandas, "numpy": load_numpy, "json": load_json, "floor": floor(True),
                  "floor_no_cells": floor(False)}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in candidates}
    bad = []
    for rep in range(reps):
        for label, load in candidates.items():
            path = work / f"{label}.duckdb"
            for p in (path, Path(f"{path}.wal")):
                p.unlink(missing_ok=True)
            if label.startswith("floor"):
                mem.execute(f"ATTACH '{path}' AS target")
                con = mem.cursor()
                con.execute("USE target")
            else:
                con = duckdb.connect(str(path))
            for name, (cols, _rows) in kept.items():
                con.execute(f'CREATE TABLE "{name}" ({_ddl(cols)})')
            wall, cpu = time.perf_counter(), time.process_time()
            for name, (cols, rows) in kept.items():
                if rows:
                    load(con, name, cols, rows, work)
            con.execute("CHECKPOINT")
            times[label].append((time.perf_counter() - wall, time.process_time() - cpu))
            con.close()
            if label.startswith("floor"):
                mem.execute("DETACH target")
            if rep == 0 and label in ("numpy", "json"):
                bad += _compare(work / "pandas.duckdb", path, label)
    out = {"tables": len(kept), "rows": sum(len(r) for _, r in kept.values()), "reps": reps}
    for label, v in times.items():
        out[f"{label}_wall_s"] = round(statistics.median(w for w, _ in v), 3)
        out[f"{label}_cpu_s"] = round(statistics.median(c for _, c in v), 3)
    out["differences"] = bad
    print(json.dumps(out, ensure_ascii=False))
    if bad:
        sys.exit(1)


def _compare(a: Path, b: Path, label: str) -> list[str]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    bad = []
    for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'").fetchall():
        for x, y in (("a", "b"), ("b", "a")):
            n = con.execute(f'SELECT count(*) FROM (SELECT * FROM {x}."{t}" EXCEPT ALL SELECT * FROM {y}."{t}")').fetchone()[0]
            if n:
                bad.append(f"{label}: {t}: {n} rows only in {x}")
    con.close()
    return bad


if __name__ == "__main__":
    main(sys.argv[1:])
