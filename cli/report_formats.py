"""`kizone report --format csv|xlsx|pdf --out FILE`: the report as a file a planner files.

The output path is checked before the report is computed (and, for a PDF, before
Chromium is started), so a typo costs nothing; the file is written whole or not at all
(a temporary file beside it, renamed into place).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from reports.records import ReportDocument

FILE_FORMATS = ("csv", "xlsx", "pdf")


class OutputError(ValueError):
    """The output file cannot be written (no folder, not writable, a folder itself)."""


def check_writable(out: Path) -> None:
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name, e.g. {out / 'allocations'}.<format>")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise OutputError(f"{out}: not writable")


def export_bytes(fmt: str, doc: ReportDocument, map_html: Callable[[], str], table: str = "allocation") -> bytes:
    if fmt == "csv":
        from reports.sheets import report_csv

        return report_csv(doc, table)
    if fmt == "xlsx":
        from reports.sheets import report_xlsx

        return report_xlsx(doc)
    if fmt == "pdf":
        from reports.pdf import report_pdf

        generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return report_pdf(doc, map_html(), generated=generated)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")


def write_atomically(out: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
