"""Allocation check of the stored layers against the plan."""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends

from api.deps import get_plan, get_provider
from api.models import AllocationReportOut
from geodata.provider import LayerProvider
from zones.allocation import check_allocations
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])


@router.get("/allocations", response_model=AllocationReportOut,
            summary="Measured areas of the stored layers against the gazetted plan")
def allocations(provider: LayerProvider = Depends(get_provider),
                plan: list[PlanTarget] = Depends(get_plan)) -> AllocationReportOut:
    layers = sorted({t.layer for t in plan} & set(provider.layer_ids()))
    report = check_allocations(plan, provider.geometries(layers))
    return AllocationReportOut(rows=[asdict(r) for r in report.rows], counts=report.counts())
