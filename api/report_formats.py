"""Which format an /allocations request asks for, and what each one is sent as.

`f` wins (json, html, csv, xlsx, pdf); without it the Accept header decides between JSON
and HTML, as on the OGC pages. `table` picks the CSV's table: one rectangular table a file.
"""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.ogc import JSON, wants_html
from api.problems import Problem
from reports.pdf import PDF_MEDIA_TYPE
from reports.records import TABLES
from reports.sheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

FORMATS = ("json", "html", "csv", "xlsx", "pdf")


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    filename: str | None = None  # Content-Disposition for the files a planner saves
    inline: bool = False

    @property
    def disposition(self) -> dict[str, str]:
        if self.filename is None:
            return {}
        return {"Content-Disposition": f'{"inline" if self.inline else "attachment"}; filename="{self.filename}"'}


def requested_format(request: Request) -> tuple[Format, str]:
    """(format, csv table) of the request, or a 400 naming the formats and tables served."""
    f = request.query_params.get("f")
    table = request.query_params.get("table")
    name = f.lower() if f is not None else None
    if name is not None and name not in FORMATS:
        raise Problem(400, "Unknown format", f"f={f!r}: use one of {', '.join(FORMATS)}", parameter="f")
    if name is None or name in ("json", "html"):
        name = "html" if (name == "html" or (name is None and wants_html(request))) else "json"
    if table is not None and name != "csv":
        raise Problem(400, "Invalid table", "table applies to f=csv only (the other formats hold every table)",
                      parameter="table")
    table = table or "allocation"
    if table not in TABLES:
        raise Problem(400, "Invalid table", f"table={table!r}: use one of {', '.join(TABLES)}", parameter="table")
    stem = "allocations" if table == "allocation" else f"allocations-{table}"
    return {
        "json": Format("json", JSON),
        "html": Format("html", "text/html; charset=utf-8"),
        "csv": Format("csv", CSV_MEDIA_TYPE, f"{stem}.csv"),
        "xlsx": Format("xlsx", XLSX_MEDIA_TYPE, "allocations.xlsx"),
        "pdf": Format("pdf", PDF_MEDIA_TYPE, "allocations.pdf", inline=True),
    }[name], table


# The OpenAPI description of the 200 answer in every format.
RESPONSE_CONTENT = {
    "text/html": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
    XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
}
