"""Simulate a national roll-up (benchmarks/README.md): a built warehouse copied K times into one DuckDB file, every
copy's county renamed (100 counties × 28 = 2,800), then its two largest tables written as Parquet partitioned by
county; prints the sizes and the time of the nation's headline, one county's metrics and a group-by over the files.

Usage: python -m benchmarks --scale 100 --keep WORK, then
       python -m benchmarks.national WORK/wh.duckdb SCRATCH_FOLDER 28   (SCRATCH_FOLDER is deleted first)"""
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import duckdb

from pipelines.metrics import compute
from pipelines.warehouse.db import scope


def main(argv: list[str]) -> None:
    src, work, k = argv[0], Path(argv[1]), int(argv[2])
    shutil.rmtree(work, ignore_errors=True); work.mkdir(parents=True)
    db = work / "nation.duckdb"
    shutil.copyfile(src, db)
    con = duckdb.connect(str(db))
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'warehouse_meta'").fetchall()]
    t = time.perf_counter()
    for t_ in tables:
        cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [t_]).fetchall()]
        sel = ", ".join(f'"{c}" || \'#\' || i AS "county"' if c == "county" else f'"{c}"' for c in cols)
        con.execute(f'CREATE TABLE "{t_}_x" AS SELECT {sel} FROM "{t_}", range(1, {k}) r(i) UNION ALL SELECT * FROM "{t_}"')
        con.execute(f'DROP TABLE "{t_}"'); con.execute(f'ALTER TABLE "{t_}_x" RENAME TO "{t_}"')
    con.execute("CHECKPOINT")
    build = time.perf_counter() - t
    n_c = con.execute("SELECT count(DISTINCT county) FROM stg_units").fetchone()[0]
    rows = con.execute("SELECT count(*) FROM raw_rows").fetchone()[0]
    t = time.perf_counter(); con.execute("SELECT * FROM mart_headline(DATE '2020-06-30')").fetchall(); head = time.perf_counter() - t
    one = con.execute("SELECT min(county) FROM stg_units").fetchone()[0]
    con.close()
    t = time.perf_counter()
    with duckdb.connect(str(db), read_only=True) as c2:
        compute(scope(c2, one), dt.date(2020, 6, 30))
    county_q = time.perf_counter() - t
    t = time.perf_counter()
    (work / 'parquet').mkdir()
    with duckdb.connect(str(db)) as c3:
        c3.execute(f"COPY (SELECT * FROM stg_problems) TO '{work}/parquet/stg_problems' (FORMAT parquet, PARTITION_BY (county))")
        c3.execute(f"COPY (SELECT * FROM raw_rows) TO '{work}/parquet/raw_rows' (FORMAT parquet, PARTITION_BY (county))")
    pq = time.perf_counter() - t
    t = time.perf_counter()
    r = duckdb.sql(f"SELECT county, count(*) FROM read_parquet('{work}/parquet/stg_problems/*/*.parquet', hive_partitioning=true) GROUP BY 1").fetchall()
    pqq = time.perf_counter() - t
    size = db.stat().st_size / 2**20
    print(dict(counties=n_c, raw_rows=rows, build_s=round(build, 1), db_mb=round(size), headline_all_s=round(head, 2),
               one_county_metrics_s=round(county_q, 2), parquet_write_s=round(pq, 1), parquet_group_by_county_s=round(pqq, 2),
               parquet_partitions=len(r)))


if __name__ == "__main__":
    main(sys.argv[1:])
