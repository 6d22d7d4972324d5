"""Allocation check of the stored layers against the plan.

The answer depends only on the stored layers and the plan, so it is computed once per state
of the store (the provider hands out new LayerData objects when the file changes) and served
as pre-encoded JSON after that.
"""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import get_plan, get_provider
from api.models import AllocationReportOut
from geodata.provider import LayerProvider
from geodata.statutory_file import PARCEL_LAYER, statutory_report
from geodata.allocation_inputs import DONG_LAYER, allocation_report, plan_layers
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])


@router.get("/allocations", response_model=AllocationReportOut,
            summary="Measured areas of the stored layers against the gazetted plan")
def allocations(request: Request, provider: LayerProvider = Depends(get_provider),
                plan: list[PlanTarget] = Depends(get_plan)) -> Response:
    extra = [lid for lid in (DONG_LAYER, PARCEL_LAYER) if lid in provider.layer_ids()]
    layers = plan_layers(provider, plan) + extra
    sources = tuple(provider.layer(layer) for layer in layers)
    cached = getattr(request.app.state, "allocations_cache", None)
    if cached is not None and len(cached[0]) == len(sources) and all(a is b for a, b in zip(cached[0], sources)):
        body = cached[1]
    else:
        report = allocation_report(provider, plan)
        out = AllocationReportOut(rows=[asdict(r) for r in report.rows], counts=report.counts(),
                                  schematic=report.any_schematic,
                                  statutory=[asdict(r) for r in statutory_report(provider, plan)])
        body = out.model_dump_json().encode()
        request.app.state.allocations_cache = (sources, body)
    return Response(body, media_type="application/json")
