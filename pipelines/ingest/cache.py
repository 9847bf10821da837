"""The parse cache: every file's parse, pickled, in one SQLite file per parser version.

`build` keeps a file's parse so that the next ingest does not read an unchanged ledger again (a one-county
rebuild takes its other files from here). The cache was a file per ledger; it is one SQLite file
(`parses.sqlite` in the parser version's folder). The workers hand their parses back pickled; the main
process keeps the bytes and writes them in one transaction once the workers are done. Creating thousands of
small files is what a file system does slowest: at 100 counties the workers spent ~2–9 s of CPU in the
kernel finding free inodes for 2,900 new files (ext4, after earlier deletions; on Windows each new file also
meets the antivirus), against ~0.3–1 s for the same bytes in one SQLite file (SQLite's own measurements:
"35% Faster Than The Filesystem", https://sqlite.org/fasterthanfs.html).

Best effort, never wrong: a cache that cannot be opened or written (disk full, read-only file or folder,
another ingest holding it) is no cache, and the run is only slower, and it is left as it is; an entry whose
key and bytes do not match the digest stored with it (a torn write after a power cut can leave a page of
another entry) is a miss and the file is parsed again; a file SQLite says is not a database or is corrupt,
on opening or while writing, is removed and written anew. The parses of a run that stops part-way (a worker
killed, Ctrl-C) are still written.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path

FILE_NAME = "parses.sqlite"
_BUSY_S = 2.0  # another ingest writing the same cache: wait this long, then go on without it


def _digest(key: str, blob: bytes) -> bytes:
    """The entry's key and bytes together: a page of another entry left in the file by a torn write does not
    match, whether it holds another file's bytes or another file's key."""
    h = hashlib.blake2b(key.encode(), digest_size=16)
    h.update(b"\0")
    h.update(blob)
    return h.digest()


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """SQLite says the file is not a database or is corrupt (not: locked, read-only, disk full)."""
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


class ParseCache:
    """key → pickled parse. put_many() writes in one transaction."""

    def __init__(self, con: sqlite3.Connection, path: Path):
        self._con, self.path = con, path
        self._pending = False

    @classmethod
    def open(cls, folder: Path | None) -> ParseCache | None:
        if folder is None:
            return None
        path = Path(folder) / FILE_NAME
        for attempt in (1, 2):
            con = None
            try:
                con = sqlite3.connect(str(path), timeout=_BUSY_S, isolation_level=None)
                # the cache is only a cache: no fsync (a torn write is caught by the digest or by SQLite, and
                # then the file is parsed again)
                con.execute("PRAGMA synchronous = OFF")
                if con.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file (the pragmas write)
                    con.execute("PRAGMA page_size = 65536")  # a parse is ~30 KB: fewer overflow pages (~1.4× faster)
                    con.execute("PRAGMA auto_vacuum = INCREMENTAL")  # dropped parses give their space back
                # a rowid table: SQLite advises against WITHOUT ROWID for rows this large (and it was slower);
                # when the table is there this only reads the schema (a read-only file is still read)
                con.execute("CREATE TABLE IF NOT EXISTS parses (key TEXT PRIMARY KEY, digest BLOB NOT NULL, "
                            "blob BLOB NOT NULL)")
                con.execute("SELECT count(*) FROM parses WHERE 0").fetchone()
                return cls(con, path)
            except sqlite3.DatabaseError as exc:
                if con is not None:
                    with contextlib.suppress(sqlite3.Error):
                        con.close()
                # a damaged file is made anew; a locked or read-only one (another ingest writing it, another
                # account's file) is left as it is: this run goes on without the cache
                if attempt == 2 or not _damaged(exc) or not _remove(path):
                    return None
            except (sqlite3.Error, OSError):
                return None
        return None

    def get(self, key: str) -> bytes | None:
        try:
            row = self._con.execute("SELECT digest, blob FROM parses WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or _digest(key, row[1]) != row[0]:
            return None
        return row[1]

    def put_many(self, entries: list[tuple[str, bytes]]) -> ParseCache | None:
        """Write the entries in one transaction; returns the cache to go on with (a file found damaged while
        writing is removed and written anew, once), or None when it is gone."""
        try:
            self._insert(entries)
            return self
        except sqlite3.DatabaseError as exc:
            self._rollback()
            if not _damaged(exc):
                return self
        self.close()
        fresh = ParseCache.open(self.path.parent) if _remove(self.path) else None
        if fresh is not None:
            try:
                fresh._insert(entries)
            except sqlite3.Error:
                fresh._rollback()
        return fresh

    def _insert(self, entries: list[tuple[str, bytes]]) -> None:
        self._con.execute("BEGIN IMMEDIATE")
        self._pending = True
        self._con.executemany("INSERT OR REPLACE INTO parses VALUES (?, ?, ?)",
                              ((key, _digest(key, blob), blob) for key, blob in entries))
        self.commit()

    def commit(self) -> None:
        if not self._pending:
            return
        try:
            self._con.execute("COMMIT")
            self._pending = False
        except sqlite3.Error:
            self._rollback()

    def keys(self) -> set[str]:
        try:
            return {k for (k,) in self._con.execute("SELECT key FROM parses")}
        except sqlite3.Error:
            return set()

    def keep_only(self, keep: set[str]) -> None:
        """Drop the parses of files no longer in data_raw, so a monthly job's cache does not grow forever."""
        try:
            gone = [(k,) for k in self.keys() - keep]
            if gone:
                self._con.execute("BEGIN IMMEDIATE")
                self._con.executemany("DELETE FROM parses WHERE key = ?", gone)
                self._con.execute("COMMIT")
                self._con.executescript("PRAGMA incremental_vacuum;")  # execute() frees no page
        except sqlite3.Error:
            self._rollback()

    def close(self) -> None:
        self.commit()
        with contextlib.suppress(sqlite3.Error):
            self._con.close()

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
        self._pending = False


def _remove(path: Path) -> bool:
    """A cache file SQLite cannot read (damaged): removed, with its journal, so that it is made anew."""
    try:
        for p in (path, path.with_name(path.name + "-journal")):
            p.unlink(missing_ok=True)
        return True
    except OSError:
        return False
