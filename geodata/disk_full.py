"""Telling "the disk is full" apart from other write failures, and saying it as `StorageFull`.

A full disk reaches the tool in three forms: SQLite's SQLITE_FULL ("database or disk is full")
from the store's transaction, an OSError (ENOSPC, EDQUOT, EFBIG) from a file the tool writes,
and GDAL's message text from the scratch GeoPackage. Each write path that can meet one turns it
into `StorageFull` after making sure nothing was left half-written, so the server answers 507
and the CLI one line instead of a traceback.
"""
from __future__ import annotations

import errno
import sqlite3

from zones.errors import StorageFull

_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_WORDS = ("no space left on device", "disk quota exceeded", "file too large", "database or disk is full")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the file size or quota limit) ran out."""
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) is not None:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL:
            return True
    if isinstance(exc, OSError) and exc.errno in _ERRNOS:
        return True
    return any(w in str(exc).lower() for w in _WORDS)


def storage_full(what: str) -> StorageFull:
    """The refusal for a write that ran out of disk; `what` says what was being written."""
    return StorageFull(f"the disk ran out while writing {what}: store unchanged, nothing of this write was kept. "
                       f"Free some space and send it again", code="storage_full")
