"""Dependencies injected into the routes: the layer provider and the plan."""
from __future__ import annotations

from fastapi import Request

from geodata.provider import LayerProvider
from zones.plan import PlanTarget


def get_provider(request: Request) -> LayerProvider:
    return request.app.state.provider


def get_plan(request: Request) -> list[PlanTarget]:
    return request.app.state.plan
