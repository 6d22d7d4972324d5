"""The web maps as HTML pages: each one self-contained (Leaflet inlined), so a
planner can also save it with the browser and open it later with no network."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import get_plan, get_provider
from geodata.provider import LayerProvider
from maps.allocation import allocation_html
from maps.overview import overview_html
from zones.plan import PlanTarget

router = APIRouter(prefix="/maps", tags=["maps"])

_lock = threading.Lock()


def _cached(request: Request, name: str, provider: LayerProvider, build: Callable[[], str]) -> str:
    """A map is rebuilt only when the store file changes (same identity rule as the provider)."""
    try:
        st = os.stat(provider.path)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        stamp = None
    with _lock:
        cache = getattr(request.app.state, "map_cache", None)
        if cache is None:
            cache = request.app.state.map_cache = {}
        hit = cache.get(name)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    html = build()
    with _lock:
        cache[name] = (stamp, html)
    return html


@router.get("/overview", response_class=HTMLResponse,
            summary="Map of every layer over the legal dongs (self-contained HTML, works offline)")
def overview(request: Request, provider: LayerProvider = Depends(get_provider)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "overview", provider, lambda: overview_html(provider, "siting")))


@router.get("/allocation", response_class=HTMLResponse,
            summary="Map of the plan targets coloured by allocation status (ok / over / under / missing)")
def allocation(request: Request, provider: LayerProvider = Depends(get_provider),
               plan: list[PlanTarget] = Depends(get_plan)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "allocation", provider, lambda: allocation_html(provider, plan)))


@router.get("/siting", response_class=HTMLResponse,
            summary="Siting map of one core infrastructure (?facility=id); without it, the list of the seven",
            responses={404: {"description": "Unknown facility id (problem+json)"}})
def siting(request: Request, facility: str | None = None,
           provider: LayerProvider = Depends(get_provider)) -> HTMLResponse:
    """The feasible region, the planned site and each rule's geometry as named layers, with
    the planned site's result per rule; `facility` picks one of the seven (see GET /siting/rules)."""
    from maps.siting import siting_html
    from maps.siting_index import siting_index_html

    service = request.app.state.siting
    if facility is None:
        return HTMLResponse(_cached(request, "siting", provider,
                                    lambda: siting_index_html(service.context(), api_link, "overview")))
    service.rules.facility(facility)  # an unknown facility is a NotFound: 404
    return HTMLResponse(_cached(request, f"siting:{facility}", provider,
                                lambda: siting_html(provider, service.context(), facility, api_link, "siting")))


def api_link(facility: str) -> str:
    """Relative to /maps/, so the page works behind any prefix or proxy."""
    return f"siting?facility={facility}"
