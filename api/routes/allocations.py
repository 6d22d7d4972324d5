"""Allocation check of the stored layers against the plan.

The answer depends only on the stored layers and the plan, so it is computed once per state
of the store (its freshness stamp, geodata.freshness) and served as pre-encoded JSON after that.
"""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import get_plan, get_provider
from api.models import AllocationReportOut
from geodata.provider import LayerProvider
from geodata.allocation_inputs import allocation_report
from geodata.statutory_file import statutory_report
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])


@router.get("/allocations", response_model=AllocationReportOut,
            summary="Measured areas of the stored layers against the gazetted plan")
def allocations(request: Request, provider: LayerProvider = Depends(get_provider),
                plan: list[PlanTarget] = Depends(get_plan)) -> Response:
    cache = request.app.state.allocations_cache
    return Response(cache.get("report", lambda: _report_json(provider, plan)), media_type="application/json")


def _report_json(provider: LayerProvider, plan: list[PlanTarget]) -> bytes:
    report = allocation_report(provider, plan)
    out = AllocationReportOut(rows=[asdict(r) for r in report.rows], counts=report.counts(),
                              schematic=report.any_schematic,
                              statutory=[asdict(r) for r in statutory_report(provider, plan)])
    return out.model_dump_json().encode()
