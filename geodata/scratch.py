"""Scratch directories of writes and imports, and their removal after a crash.

A write stages the new layer in a scratch GeoPackage, an import unpacks its zip, an upload
spools the file: each in a directory of its own, removed when it is done. A process killed
mid-way (SIGKILL, power cut) cannot remove its directory, so every directory lives in one
folder this tool owns (`<system temp>/kizone-scratch-<uid>`, mode 0700) and carries the id of
the process that made it; `clean_stale` removes the ones whose process is gone. The server
and the writing `kizone` commands call it when they start.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KINDS = ("write", "zip", "upload")


def root() -> Path:
    """The folder holding every scratch directory of this user, created private on first use.

    The system temp folder is shared: a folder of that name made by someone else (or a link
    planted there) is refused rather than written into."""
    path = Path(tempfile.gettempdir()) / f"kizone-scratch-{os.getuid()}"
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private folder of this user (a link, another owner or open "
                              f"to others); remove it so the tool can make its own")
    return path


@contextmanager
def scratch_dir(kind: str) -> Iterator[Path]:
    """A fresh directory for one write or import, removed when the block ends."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}; one of {', '.join(KINDS)}")
    path = Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_stale() -> list[Path]:
    """Remove the scratch directories whose process no longer runs; the ones removed."""
    removed = []
    for entry in root().iterdir():
        kind, _, rest = entry.name.partition("-")
        pid = rest.partition("-")[0]
        if kind not in KINDS or not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user holds the id
        return True
    return True
