"""Output paths of the `kizone` commands, checked before the command does its work.

An import that commits a revision and then cannot write its report, or an export that reads
and converts a layer and then cannot create its file, leaves the user unsure what happened.
So every command that writes files checks first that it can: the nearest existing folder on the
way is really probed by creating (and removing) a file in it, because permissions say nothing
for root and nothing about read-only file systems. Nothing is created by the check.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from zones.errors import InvalidInput


class OutputPathError(InvalidInput):
    """An output path the command cannot write; the message names the option and the path."""

    default_code = "unwritable_output"


def check_file(path: Path, option: str) -> Path:
    """`path` if a file can be written there (its folders are created later if missing)."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{option} {path}: is a folder; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputPathError(f"{option} {path}: the file exists and cannot be overwritten")
    _probe(_nearest_existing(path.parent, option, path), option, path)
    return path


def check_folder(path: Path, option: str) -> Path:
    """`path` if files can be written into it (it is created later if missing)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{option} {path}: is a file, not a folder")
    _probe(_nearest_existing(path, option, path), option, path)
    return path


def _nearest_existing(folder: Path, option: str, target: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise OutputPathError(f"{option} {target}: cannot write there, {candidate} is a file, not a folder")
            return candidate
    return Path.cwd()


def _probe(folder: Path, option: str, target: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kizone-probe-"):
            pass
    except OSError as exc:
        raise OutputPathError(f"{option} {target}: cannot write in {folder} ({exc.strerror or exc}); "
                              f"nothing was done") from None
