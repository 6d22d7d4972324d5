"""The web maps as HTML pages: each one self-contained (Leaflet inlined), so a
planner can also save it with the browser and open it later with no network."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from api.deps import get_plan, get_provider
from geodata.freshness import StampedCache
from geodata.provider import LayerProvider
from maps.allocation import allocation_html
from maps.overview import overview_html
from zones.plan import PlanTarget

router = APIRouter(prefix="/maps", tags=["maps"])


def install(app: FastAPI, provider: LayerProvider) -> None:
    """Serve the maps, each page built once per state of the store (its freshness stamp)."""
    app.state.map_cache = provider.cache()
    app.include_router(router)


def _cached(request: Request, name: str, build: Callable[[], str]) -> str:
    """A map is rebuilt only when the store's content changes (its freshness stamp, WAL included)."""
    cache: StampedCache[str] = request.app.state.map_cache
    return cache.get(name, build)


@router.get("/overview", response_class=HTMLResponse,
            summary="Map of every layer over the legal dongs (self-contained HTML, works offline)")
def overview(request: Request, provider: LayerProvider = Depends(get_provider)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "overview", lambda: overview_html(provider, "siting")))


@router.get("/allocation", response_class=HTMLResponse,
            summary="Map of the plan targets coloured by allocation status (ok / over / under / missing)")
def allocation(request: Request, provider: LayerProvider = Depends(get_provider),
               plan: list[PlanTarget] = Depends(get_plan)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "allocation", lambda: allocation_html(provider, plan)))


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
        return HTMLResponse(_cached(request, "siting",
                                    lambda: siting_index_html(service.context(), api_link, "overview")))
    service.rules.facility(facility)  # an unknown facility is a NotFound: 404
    return HTMLResponse(_cached(request, f"siting:{facility}",
                                lambda: siting_html(provider, service.context(), facility, api_link, "siting")))


def api_link(facility: str) -> str:
    """Relative to /maps/, so the page works behind any prefix or proxy."""
    return f"siting?{urlencode({'facility': facility})}"
