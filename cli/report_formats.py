"""`kizone report --format csv|xlsx|pdf --out FILE`: the report as a file a planner files.

The output path is checked (`cli.output_paths.check_file`) before the report is computed
(and, for a PDF, before Chromium is started), so a typo costs nothing; the file is written
whole or not at all (a temporary file beside it, renamed into place).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from reports.records import ReportDocument

FILE_FORMATS = ("csv", "xlsx", "pdf")


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
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
