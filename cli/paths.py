"""Input paths named on the command line."""
from __future__ import annotations

import errno
import os
from pathlib import Path


def existing_file(name: str | Path) -> Path:
    """The input file the user named, or a FileNotFoundError naming it (`kizone` prints it as one line).

    Readers that open the file themselves say what they could not parse ("not a readable zip
    archive"); a path that does not exist at all is a typo and is named as such first.
    """
    path = Path(name)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    return path
