"""Writing output files so that a reader never sees half of one: write a sibling, then os.replace."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path):
    """Yield a temporary sibling path; when the block succeeds it replaces `path`, otherwise it is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def signature(path) -> tuple | None:
    """What changes whenever a file is written or replaced (modification time, size, inode); None when it is
    missing. The key of caches of what a file holds while it stays the same file."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
