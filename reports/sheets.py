"""The report as CSV (one table a file) and as an XLSX workbook (every table, one sheet each).

CSV: RFC 4180, one rectangular table per file so that pandas, QGIS or a database load it
as is; the header is the JSON field names; floats are written at full precision; UTF-8
with a byte-order mark, without which Excel shows Korean as mojibake. The findings and
the statutory table are the same report's other tables (`table=findings|statutory`).

XLSX: a first sheet that says what the report rests on (the schematic banner, the counts,
the CRS, the store), then one sheet per table with a bilingual header, numbers as numbers
(formatted, never text), the header frozen and filters on.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from reports.records import TABLES, Column, ReportDocument

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SHEET_TITLES = {"allocation": "Allocation 배분", "findings": "Findings 발견 사항", "statutory": "Statutory 법정 기준"}
_NUMBER_FORMATS = {"m2": "#,##0", "pct": "+0.00;-0.00;0.00", "count": "0", "number": "#,##0.####"}
_STATUS_FILLS = {"ok": "D9EFDF", "over": "F7D4D4", "under": "D5E5F2", "misplaced": "FBE0CC",
                 "missing": "E5E5E5", "no data": "E5E5E5"}


def csv_value(value: Any) -> Any:
    """JSON value -> CSV field: null empty, booleans as JSON spells them, lists comma-joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    return value


def report_csv(doc: ReportDocument, table: str = "allocation") -> bytes:
    columns = TABLES[table]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    for row in doc.table(table):
        writer.writerow([csv_value(row[c.key]) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def report_xlsx(doc: ReportDocument) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    about = wb.active
    about.title = "Report 보고서"
    bold = Font(bold=True)
    lines: list[tuple[str, Any]] = [("배분 점검 보고서 · Allocation report", None)]
    if doc.store:
        lines.append(("store · 저장소", doc.store))
    lines.append(("areas · 면적", doc.crs_note))
    if doc.banner:
        lines += [("!! " + doc.banner[1], None), ("!! " + doc.banner[0], None)]
    lines.append(("targets per status · 판정별 목표 수", None))
    lines += [(f"  {status}", n) for status, n in doc.counts.items()]
    lines += [("", None), ("sheets · 시트", None)]
    lines += [(f"  {SHEET_TITLES[t]}", f"{len(doc.table(t))} rows") for t in TABLES]
    for i, (label, value) in enumerate(lines, start=1):
        about.cell(i, 1, label)
        if value is not None:
            about.cell(i, 2, value)
        if label.startswith("!!"):
            about.cell(i, 1).font = Font(bold=True, color="B34700")
    about.cell(1, 1).font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 40
    about.column_dimensions["B"].width = 60
    for name, columns in TABLES.items():
        ws = wb.create_sheet(SHEET_TITLES[name])
        ws.append([c.label for c in columns])
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in doc.table(name):
            ws.append([_xlsx_value(row[c.key]) for c in columns])
        _format(ws, columns, PatternFill)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, (list, tuple)) else value


def _format(ws, columns: tuple[Column, ...], fill_cls) -> None:
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        wide = col.key in ("reason", "reason_ko", "message", "message_ko", "source")
        ws.column_dimensions[letter].width = 60 if wide else (16 if col.kind != "text" else 22)
        fmt = _NUMBER_FORMATS.get(col.kind)
        status = col.key == "status"
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            if status and cell.value in _STATUS_FILLS:
                cell.fill = fill_cls("solid", fgColor=_STATUS_FILLS[cell.value])
