"""The one place where ingest keeps memoised results of pure functions of the configuration.

Ledgers repeat the same headers, words, dates and names thousands of times, so what a header means for a
kind, how a status word reads or what a date text parses to is worth computing once per distinct text. The
configuration itself (Contract, Kind, Vocabulary) is frozen; its memo tables live here instead, one dict per
(owner, name). So do those of the registers' resolvers (resolve.py: a unit or round name matched, a title
searched, an ambiguous name narrowed by its folders) and of build's per-sheet name resolution. A table dies with its owner (so a freed object's id can never hand its answers to a new one),
is bounded (LIMIT entries: a sheet of unique long texts cannot grow it forever) and is per process (a parse
worker fills its own).

Set XUNCHA_MEMO=0 to switch every table off (nothing is kept): results are the same, only slower; the
benchmark measures an ingest both ways to show what the memo is worth.
"""

from __future__ import annotations

import os
import weakref

LIMIT = 200_000
ENABLED = os.environ.get("XUNCHA_MEMO", "1").strip().lower() not in ("0", "off", "no", "false")

_tables: dict[int, dict] = {}


class _Off(dict):
    """A table that keeps nothing (XUNCHA_MEMO=0)."""

    def __setitem__(self, key, value) -> None:
        pass


def table(owner: object, name: object) -> dict:
    """The memo table `name` of `owner` (created empty on first use). Callers look up, and store with put()."""
    per = _tables.get(id(owner))
    if per is None:
        per = _tables[id(owner)] = {}
        weakref.finalize(owner, _tables.pop, id(owner), None)
    t = per.get(name)
    if t is None:
        t = per[name] = {} if ENABLED else _Off()
    return t


def put(t: dict, key: object, value):
    """Store value under key unless the table is full; returns value."""
    if len(t) < LIMIT:
        t[key] = value
    return value


def stats() -> dict[str, int]:
    """Entries per table name, summed over owners (what the memo holds in this process)."""
    out: dict[str, int] = {}
    for per in _tables.values():
        for name, t in per.items():
            key = name[0] if isinstance(name, tuple) else str(name)
            out[key] = out.get(key, 0) + len(t)
    return out
