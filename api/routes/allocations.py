"""Allocation check of the stored layers against the plan, as JSON, an HTML page, CSV, XLSX or PDF.

The answer depends only on the stored layers and the plan, so it is computed once per state
of the store (its freshness stamp, geodata.freshness) and each format is encoded once from it
after that. Every format shows the same tables (`reports.records`), so a number in the
spreadsheet is the number of the JSON.
"""
from __future__ import annotations

import threading
from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import get_plan, get_provider
from api.models import AllocationReportOut
from api.ogc import reject_unknown_params
from api.ogc_models import problem_responses
from api.problems import Problem
from api.report_formats import RESPONSE_CONTENT, Format, requested_format
from geodata.views import viewed_scenario
from geodata.allocation_inputs import allocation_report
from geodata.provider import LayerProvider
from geodata.statutory_file import statutory_report
from reports.records import ReportDocument, document
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])
_print_lock = threading.Lock()  # one Chromium at a time: each takes a few hundred MB

NAV = (("./", "Home · 처음"), ("collections?f=html", "Collections · 레이어"), ("plan", "Plan · 계획 (JSON)"),
       ("maps/allocation", "Allocation map · 배분 지도"), ("maps/overview", "Overview map · 개요 지도"))
DOWNLOADS = (("allocations?f=json", "JSON"), ("allocations?f=csv", "CSV"),
             ("allocations?f=csv&table=findings", "CSV findings 발견 사항"),
             ("allocations?f=csv&table=statutory", "CSV statutory 법정 기준"),
             ("allocations?f=xlsx", "XLSX (Excel)"), ("allocations?f=pdf", "PDF"))


@router.get("/allocations", response_model=AllocationReportOut,
            summary="Measured areas of the stored layers against the gazetted plan (JSON, HTML, CSV, XLSX, PDF)",
            responses={200: {"content": RESPONSE_CONTENT}, **problem_responses(400, 503)})
def allocations(request: Request, provider: LayerProvider = Depends(get_provider),
                plan: list[PlanTarget] = Depends(get_plan),
                f: str | None = Query(None, description="json (default), html (the report page with the map), csv, "
                                                        "xlsx or pdf (printed by headless Chromium)"),
                table: str | None = Query(None, description="with f=csv: allocation (default), findings or "
                                                            "statutory")) -> Response:
    reject_unknown_params(request, {"f", "table"})
    fmt, csv_table = requested_format(request)
    cache = request.app.state.allocations_cache
    view = viewed_scenario() or "base"  # one report per scenario read (?scenario=, api.scenario_view)
    doc, as_json = cache.get(("report", view), lambda: _report(provider, plan))
    body = as_json if fmt.name == "json" else cache.get(
        ("report", view, fmt.name, csv_table), lambda: _encode(request, fmt, csv_table, doc, provider, plan))
    return Response(body, media_type=fmt.media_type, headers=fmt.disposition)


def _report(provider: LayerProvider, plan: list[PlanTarget]) -> tuple[ReportDocument, bytes]:
    """The report's tables for the files and pages, and its JSON answer."""
    report = allocation_report(provider, plan)
    statutory = statutory_report(provider, plan)
    out = AllocationReportOut(rows=[asdict(r) for r in report.rows], counts=report.counts(),
                              schematic=report.any_schematic, statutory=[asdict(r) for r in statutory])
    return document(report, statutory, provider.path.name), out.model_dump_json().encode()


def _encode(request: Request, fmt: Format, table: str, doc: ReportDocument, provider: LayerProvider,
            plan: list[PlanTarget]) -> bytes:
    if fmt.name == "html":
        from reports.page import report_page

        return report_page(doc, map_src="maps/allocation", nav=NAV, downloads=DOWNLOADS).encode()
    if fmt.name == "csv":
        from reports.sheets import report_csv

        return report_csv(doc, table)
    if fmt.name == "xlsx":
        from reports.sheets import report_xlsx

        return report_xlsx(doc)
    from api.routes.maps import _cached
    from maps.allocation import allocation_html
    from reports.pdf import BrowserUnavailable, report_pdf

    map_page = _cached(request, "allocation", lambda: allocation_html(provider, plan))
    try:
        with _print_lock:
            return report_pdf(doc, map_page)
    except BrowserUnavailable as exc:
        raise Problem(503, "PDF printing unavailable",
                      f"the PDF is printed by headless Chromium, which this server cannot start: {exc}; "
                      "f=html, csv and xlsx are served without it") from None
