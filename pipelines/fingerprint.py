"""What the parse cache and the warehouse depend on, as hashes: the package's own code, the contract,
the settings and the analyst's answers.

An upgrade that changes how headers are normalised or words looked up (pipelines/contract.py), or any
ingest module, must not be served stale parses; any change to the package or its SQL rebuilds the
warehouse on the next ingest.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _files(patterns: tuple[str, ...]) -> list[Path]:
    out: set[Path] = set()
    for pat in patterns:
        out.update(p for p in PACKAGE.glob(pat) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(out)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.relative_to(PACKAGE).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# the parse of one file depends on the ingest modules and the contract module (header normalisation,
# vocabulary lookup) -- and on the version string in __init__
PARSE_CODE = ("ingest/*.py", "contract.py", "__init__.py")
# the warehouse depends on all of the package: every module, the SQL marts and the packaged config
ALL_CODE = ("**/*.py", "**/*.sql", "config/*.yaml")


def parse_code() -> str:
    """Hash of the code a file's parse depends on (read fresh each time: a test or an upgrade may change it)."""
    return _digest(_files(PARSE_CODE))


@lru_cache(maxsize=1)
def _all_code_cached(stamp: tuple) -> str:
    return _digest([Path(p) for p, _, _ in stamp])


def all_code() -> str:
    """Hash of every .py, .sql and packaged .yaml of the package (memoised on the files' sizes and times)."""
    files = _files(ALL_CODE)
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _all_code_cached(stamp)
