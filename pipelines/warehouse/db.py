"""The DuckDB warehouse: atomic builds, read-only connections, SQL marts.

Only ingest writes the warehouse, and only by building a complete new one next to it that replaces it
with os.replace, so a crash at any point leaves the previous warehouse intact and readers (an analyst's
notebook, a report) are never blocked. It holds nothing but what the inputs determine; run history,
validation results and the metric history live in the history store (pipelines/history.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import signal
import time
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import __version__
from pipelines.files import signature

SQL_DIR = Path(__file__).parent
MARTS_DIR = SQL_DIR / "marts"

class WarehouseMissing(FileNotFoundError):
    pass


class WarehouseUnwritable(OSError):
    pass


class WarehouseUnusable(RuntimeError):
    """The warehouse exists but cannot be read as it is: held by another program, or another version's."""


class WarehouseLocked(WarehouseUnusable):
    pass


class WarehouseVersion(WarehouseUnusable):
    pass


_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def locked_message(db_path: Path, exc: BaseException) -> str:
    m = _LOCK_PID.search(str(exc))
    who = f"（进程 {m[1]}）" if m else ""
    return (f"数据仓库 {db_path} 正被另一个程序以读写方式打开{who}，xuncha 无法读取：请在该程序中关闭连接"
            "（duckdb 命令行输入 .quit；JupyterLab 中运行 con.close()），以后请用只读方式打开"
            f"（duckdb -readonly {db_path.name}，或 duckdb.connect(..., read_only=True)），然后重试")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "Could not set lock" in str(exc)


def _version_message(db_path: Path, theirs: str | None) -> str:
    return (f"数据仓库 {db_path} 是另一个版本的 xuncha（{theirs or '未知版本'}）生成的，当前程序是 {__version__}，"
            "两者的表结构可能不同：请运行 `xuncha ingest` 用当前版本重新生成（台账不变，历史记录会保留）")


def connect_ro(db_path: Path, *, check_version: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-only connection. A warehouse held read-write by another program (an analyst's own duckdb
    session) or written by another xuncha version raises WarehouseLocked / WarehouseVersion with the fix."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise WarehouseMissing(f"数据仓库不存在：{db_path}。请先运行 `xuncha ingest`（或 `xuncha demo`）")
    if db_path.is_dir():
        raise WarehouseMissing(f"{db_path} 是文件夹，不是数据仓库文件：请用 --db 指定 .duckdb 文件，"
                               "例如 --db data_clean/warehouse.duckdb")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise WarehouseLocked(locked_message(db_path, exc)) from None
        if "version" in str(exc).lower() or "not a valid DuckDB database" in str(exc):
            raise WarehouseVersion(_version_message(db_path, "DuckDB 文件格式不同")) from None
        raise
    if check_version:
        try:
            theirs = con.execute("SELECT code_version FROM warehouse_meta").fetchone()
        except duckdb.Error:
            theirs = None
        if not theirs or theirs[0] != __version__:
            con.close()
            raise WarehouseVersion(_version_message(db_path, theirs[0] if theirs else None))
    return con


_HOST: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (pid, the in-memory instance files are attached to)
_OPEN_BLOCKS = 0  # attached() blocks open now
_INHERITED: list = []  # a parent's instance a forked child holds: never destroyed there (its threads are gone)
_ALIASES = itertools.count()


def unique_alias(prefix: str) -> str:
    """A database name no other attachment in this process's instance uses."""
    return f"{prefix}_{next(_ALIASES)}"


def attach_sql(path: Path, alias: str, read_only: bool = False) -> str:
    """The ATTACH statement for a DuckDB file (a quote in the path doubled)."""
    return f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias}" + (" (READ_ONLY)" if read_only else "")


def release_host(force: bool = False) -> None:
    """Close the shared instance when no block holds a file (its memory is given back: DuckDB keeps freed
    buffers for the instance's life). Called before the process forks. Not after every ingest: closing and
    making the instance again cost a one-file rebuild ~1.15 times the time (4 paired runs), and what the
    blocks read and write is one county's rows. force: close it even so (after a failed clean-up: closing the
    instance releases every file attached to it)."""
    global _HOST
    if _HOST is not None and (force or _OPEN_BLOCKS == 0) and _HOST[0] == os.getpid():
        host, _HOST = _HOST, None
        with contextlib.suppress(Exception):
            host[1].close()


def _forked_child() -> None:
    global _HOST, _OPEN_BLOCKS
    if _HOST is not None:
        _INHERITED.append(_HOST)  # destroying it would wait for the parent's threads, which the child has not
        _HOST, _OPEN_BLOCKS = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=release_host, after_in_child=_forked_child)


@contextlib.contextmanager
def attached(path: Path, *, read_only: bool = False):
    """A connection whose default database is the DuckDB file at path, attached to one in-memory DuckDB instance
    the process keeps while it ingests. Opening a file as a DuckDB instance of its own costs ~13 ms, attaching it
    ~2 ms, and a one-county rebuild opens three (the warehouse to plan, its copy, the history store). When the
    block ends the file is detached: closed, checkpointed if written, its lock released; should that fail, the
    instance itself is closed, which releases every file. Errors are those of duckdb.connect (a file another
    program holds read-write: "Could not set lock", is_lock_error). The instance is closed before the process
    forks (release_host); a forked child makes its own."""
    global _HOST, _OPEN_BLOCKS
    if _HOST is None or _HOST[0] != os.getpid():
        _HOST = (os.getpid(), duckdb.connect(":memory:"))
    alias = unique_alias("xuncha")
    cur = _HOST[1].cursor()
    try:
        cur.execute(attach_sql(path, alias, read_only))
    except BaseException:
        cur.close()
        raise
    _OPEN_BLOCKS += 1
    failed = False
    try:
        cur.execute(f"USE {alias}")
        yield cur
    except BaseException:
        failed = True
        raise
    finally:
        _OPEN_BLOCKS -= 1
        with contextlib.suppress(duckdb.Error):
            cur.rollback()  # a transaction the block left open (it failed): nothing of it is kept
        try:
            cur.execute("USE memory")
            cur.execute(f"DETACH {alias}")
        except BaseException:
            release_host(force=True)
            if not failed:  # the file could not be written out (disk full …): the caller must know
                raise
        finally:
            with contextlib.suppress(Exception):
                cur.close()


def _tmp_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.{os.getpid()}.building")


def _remove_stale_builds(db_path: Path) -> None:
    """Half-built copies left by killed runs (their pid is gone) are deleted."""
    for p in db_path.parent.glob(f".{db_path.name}.*.building*"):
        try:
            pid = int(p.name[len(db_path.name) + 2:].split(".")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not pid_alive(pid):
            with contextlib.suppress(OSError):
                p.unlink()


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists (psutil on every OS: on Windows os.kill(pid, 0) would
    send Ctrl-C to the process instead of probing it)."""
    try:
        import psutil  # installed with ipykernel
    except ImportError:  # pragma: no cover
        psutil = None
    if psutil is not None:
        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_IO_WORDS = ("No space left", "Could not write", "Permission denied", "Read-only file system", "Disk quota")


def _is_io_failure(exc: BaseException) -> bool:
    """A storage failure (disk full, no permission), as opposed to a bug in our SQL."""
    return isinstance(exc, (OSError, duckdb.IOException)) or any(w in str(exc) for w in _IO_WORDS)


def _cleanup(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def create_table(con: duckdb.DuckDBPyConnection, name: str, cols: list[tuple[str, str]], rows: list[tuple],
                 create: bool = True) -> None:
    """Create the table (create=False: it exists) and insert the rows, typed by the declared columns.

    A frame of Python objects cast by the declared types is the fastest exact way in with what is installed
    (no pyarrow): numpy arrays per column, JSON read back by read_json, chunked inserts were measured and were
    not faster; most of the time is DuckDB storing the values (python -m benchmarks.write_stage)."""
    if create:
        ddl = ", ".join(f'"{c}" {t}' for c, t in cols)
        con.execute(f'CREATE TABLE "{name}" ({ddl})')
    if not rows:
        return
    df = pd.DataFrame(rows, columns=[c for c, _ in cols], dtype=object)  # None stays None, no inference
    con.register("_incoming", df)
    select = ", ".join(f'CAST("{c}" AS {t})' for c, t in cols)
    con.execute(f'INSERT INTO "{name}" SELECT {select} FROM _incoming')
    con.unregister("_incoming")


def _maybe_crash(stage: str, crash_after: str | None) -> None:
    """Test hook: simulate a kill at a named stage (tests prove the old warehouse survives)."""
    if crash_after and crash_after == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def apply_marts(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the intermediate tables, views and mart macros from the SQL files, in name order."""
    for path in sorted(MARTS_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def refresh_intermediate(con: duckdb.DuckDBPyConnection, rewritten: list[str]) -> bool:
    """Make the intermediate tables (00_*.sql: tables computed from the staging tables) again, when one of the
    rewritten tables is one they read (their SQL names it); returns whether it did. The views and macros (the
    other files) are left: they read the tables by name, and only a warehouse built by the same code (the same
    SQL files) is ever changed in place of a rebuild."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(MARTS_DIR.glob("00_*.sql"))]
    if not any(re.search(rf"\b{re.escape(t)}\b", text) for t in rewritten for text in texts):
        return False
    for text in texts:
        con.execute(text)
    return True


@contextlib.contextmanager
def _building(db_path: Path):
    """A connection to a new private file next to the warehouse. On any failure it is removed and the
    warehouse is untouched; storage failures become WarehouseUnwritable."""
    _remove_stale_builds(db_path)
    tmp = _tmp_path(db_path)
    _cleanup(tmp)
    advice = f"原仓库未改动。请检查 {db_path.parent} 所在磁盘的剩余空间和写权限后重试"
    try:
        con = duckdb.connect(str(tmp))
    except OSError as exc:
        _cleanup(tmp)
        raise WarehouseUnwritable(f"无法写入数据仓库（{exc.strerror}）：{advice}") from None
    try:
        yield con
        con.execute("CHECKPOINT")
    except (duckdb.Error, OSError) as exc:
        con.close()
        _cleanup(tmp)
        if not _is_io_failure(exc):
            raise
        raise WarehouseUnwritable(f"写入数据仓库失败（{str(exc)[:160]}）：{advice}") from None
    except BaseException:
        con.close()
        _cleanup(tmp)
        raise
    con.close()


def _swap_in(db_path: Path) -> None:
    tmp = _tmp_path(db_path)
    os.replace(tmp, db_path)
    with contextlib.suppress(FileNotFoundError):
        Path(str(tmp) + ".wal").unlink()


def write_warehouse(db_path: Path, tables: dict, run: dict, *, crash_after: str | None = None) -> None:
    """Build a complete new warehouse next to db_path, then atomically replace it."""
    crash_after = crash_after or os.environ.get("XUNCHA_TEST_CRASH_AFTER")
    db_path = Path(db_path)
    with _building(db_path) as con:
        for name in list(tables):
            cols, rows = tables.pop(name)  # each table's rows are released once written
            create_table(con, name, cols, rows)
            del rows
            _maybe_crash(name, crash_after)
        con.execute("""CREATE TABLE warehouse_meta AS SELECT
            sha256(string_agg(coalesce(sha256, path) || ':' || status, ',' ORDER BY path)) AS data_hash,
            ? AS built_at, ? AS code_version, ? AS input_fingerprint, ? AS summary, ? AS config_fingerprint
            FROM files""", [run["finished_at"], run["code_version"], run.get("input_fingerprint"), run["summary"],
                            run.get("config_fingerprint")])
        apply_marts(con)
        _maybe_crash("marts", crash_after)
    _finish(db_path, run, crash_after)


def update_warehouse(db_path: Path, change, run: dict, *, crash_after: str | None = None) -> None:
    """change(tmp, crash) writes a changed copy of the warehouse at tmp (crash(stage): the test hook); then it
    atomically replaces the warehouse, as a full build does. Any failure leaves the warehouse untouched."""
    crash_after = crash_after or os.environ.get("XUNCHA_TEST_CRASH_AFTER")
    db_path = Path(db_path)
    _remove_stale_builds(db_path)
    tmp = _tmp_path(db_path)
    _cleanup(tmp)
    try:
        change(tmp, lambda stage: _maybe_crash(stage, crash_after))
    except (duckdb.Error, OSError) as exc:
        _cleanup(tmp)
        if not _is_io_failure(exc):
            raise
        raise WarehouseUnwritable(f"写入数据仓库失败（{str(exc)[:160]}）：原仓库未改动。请检查 {db_path.parent} "
                                  "所在磁盘的剩余空间和写权限后重试") from None
    except BaseException:
        _cleanup(tmp)
        raise
    _finish(db_path, run, crash_after)


def _finish(db_path: Path, run: dict, crash_after: str | None) -> None:
    """The new warehouse is complete at its temporary path: carry the history over, swap it in, record the run."""
    from pipelines import history

    with contextlib.ExitStack() as stack:
        try:  # opened before the swap: an older warehouse's history tables are carried into the store, once
            store = stack.enter_context(history.writing(db_path))
        except (duckdb.Error, OSError) as exc:
            _cleanup(_tmp_path(db_path))
            raise WarehouseUnwritable(f"无法写入历史记录库 {history.path_for(db_path)}（{str(exc)[:160]}）："
                                      "原仓库未改动。请检查磁盘空间和写权限后重试") from None
        _maybe_crash("before_replace", crash_after)
        _swap_in(db_path)
        if "write_started" in run:  # the write's own seconds, beside the earlier stages' (build.run_stages)
            run = {**run, "stages": {**run.get("stages", {}),
                                     "write": round(time.perf_counter() - run["write_started"], 3)}}
        history.insert_ingest(store, run)


def data_hash(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("SELECT data_hash FROM warehouse_meta").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def county(con: duckdb.DuckDBPyConnection) -> str:
    """The county the warehouse (or a scope() connection) is about: the scope's county; else the settings'
    county_name, or the one inferred from the register at ingest; "" for a warehouse of several counties."""
    return scoped_county(con) or json_summary(con).get("county") or ""


class UnknownCounty(ValueError):
    """--county names no county of the warehouse (the message lists those it has)."""


_BY_FILE: dict[tuple, object] = {}  # (warehouse file as it is now, what) -> a fact of it (by_file)


def by_file(con: duckdb.DuckDBPyConnection, what, compute):
    """compute(), kept for the warehouse file a read-only connection reads, as long as that file is unchanged
    (its path, size, modification time and inode: a rebuilt warehouse is a new file): a region's report pages ask
    the same facts of the warehouse hundreds of times (its counties, its tables, the names a page must mask).
    A read-write or in-memory connection computes every time."""
    try:
        path, mode = con.execute("SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()), "
                                 "current_setting('access_mode')").fetchone()
    except duckdb.Error:
        return compute()
    sig = signature(path) if path and str(mode).lower() == "read_only" else None
    if sig is None:
        return compute()
    key = (path, sig, what)
    if key not in _BY_FILE:
        if len(_BY_FILE) >= 512:
            _BY_FILE.clear()
        _BY_FILE[key] = compute()
    return _BY_FILE[key]


def counties(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The counties the warehouse holds, by name (one name, or none when a one-county register names none)."""
    def read() -> list[str]:
        try:
            return [r[0] for r in con.execute(
                f"SELECT DISTINCT county FROM {_base(con)}.raw_rows WHERE county IS NOT NULL AND county <> '' "
                "ORDER BY 1").fetchall()]
        except duckdb.Error:
            return []

    return list(by_file(con, "counties", read))


def _base(con: duckdb.DuckDBPyConnection) -> str:
    """The warehouse's own schema, fully qualified (a scope's TEMP views shadow the bare and main. names)."""
    db = con.execute("SELECT current_database()").fetchone()[0]
    return '"' + db.replace('"', '""') + '".main'


def scope(con: duckdb.DuckDBPyConnection, county: str | None) -> duckdb.DuckDBPyConnection:
    """Narrow a (read-only) connection to one county: every base table with a county column is shadowed by a
    TEMP view of that county's rows (and the rows whose county could not be told, so the county's pages
    still say what was held), so every view, mart macro, metric and notebook works per county unchanged.
    The view names the table fully qualified (unqualified, DuckDB reports infinite recursion)."""
    if not county:
        return con
    have = counties(con)
    if county not in have:
        own = have[0] if len(have) == 1 else None
        if own is None and not have:
            own = (json_summary(con).get("county") or None)
        if own == county or (not have and not own):
            return con  # a one-county warehouse, asked for its own county: as it is
        listed = "、".join(have) if have else "（仓库中没有县名）"
        raise UnknownCounty(f"数据仓库中没有「{county}」：仓库里的县是 {listed}。请用 --county 写其中一个的全称")
    if len(have) == 1:
        return con
    db = con.execute("SELECT current_database()").fetchone()[0]
    base = _base(con)
    tables = by_file(con, "county_tables", lambda: [r[0] for r in con.execute(
        """SELECT t.table_name FROM duckdb_tables() t JOIN duckdb_columns() c
           ON c.database_name = t.database_name AND c.schema_name = t.schema_name AND c.table_name = t.table_name
           WHERE t.database_name = ? AND t.schema_name = 'main' AND c.column_name = 'county' ORDER BY 1""",
        [db]).fetchall()])
    lit = "'" + county.replace("'", "''") + "'"
    for t in tables:
        con.execute(f'CREATE OR REPLACE TEMP VIEW "{t}" AS SELECT * FROM {base}."{t}" '
                    f"WHERE county = {lit} OR county IS NULL")
    con.execute(f"CREATE OR REPLACE TEMP VIEW xuncha_scope AS SELECT {lit} AS county")
    return con


def json_summary(con: duckdb.DuckDBPyConnection) -> dict:
    import json

    try:
        row = con.execute(f"SELECT summary FROM {_base(con)}.warehouse_meta LIMIT 1").fetchone()
        return json.loads(row[0]) if row and row[0] else {}
    except (duckdb.Error, ValueError):
        return {}


def scoped_county(con: duckdb.DuckDBPyConnection) -> str | None:
    """The county a scope() connection is narrowed to (None: the whole warehouse)."""
    try:
        row = con.execute("SELECT county FROM temp.xuncha_scope").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def connect_county(db_path: Path, county: str | None = None) -> duckdb.DuckDBPyConnection:
    """connect_ro narrowed to one county (scope); raises UnknownCounty for a county the warehouse lacks."""
    con = connect_ro(db_path)
    try:
        return scope(con, county)
    except BaseException:
        con.close()
        raise


def unscope(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Undo scope(): drop the TEMP views, so the connection sees the whole warehouse again."""
    for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall():
        con.execute(f'DROP VIEW IF EXISTS temp.main."{name}"')
    return con
