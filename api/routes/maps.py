"""The web maps as HTML pages: each one self-contained (Leaflet inlined), so a
planner can also save it with the browser and open it later with no network."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import get_plan, get_provider
from api.ogc_models import problem_responses
from geodata.freshness import StampedCache
from geodata.provider import LayerProvider
from geodata.views import viewed_scenario
from maps.allocation import allocation_html
from maps.cadastre import TILE_PATH
from maps.overview import overview_html
from zones.plan import PlanTarget

router = APIRouter(prefix="/maps", tags=["maps"])


def install(app: FastAPI, provider: LayerProvider) -> None:
    """Serve the maps, each page built once per state of the store (its freshness stamp)."""
    app.state.map_cache = provider.cache()
    app.include_router(router)


def _cached(request: Request, name: str, build: Callable[[], str]) -> str:
    """A map is rebuilt only when the store's content changes (its freshness stamp, WAL included);
    a scenario's page (?scenario=) is a page of its own."""
    cache: StampedCache[str] = request.app.state.map_cache
    return cache.get((name, viewed_scenario()), build)


@router.get("/overview", response_class=HTMLResponse,
            summary="Map of every layer over the legal dongs (self-contained HTML, works offline)")
def overview(request: Request, provider: LayerProvider = Depends(get_provider)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "overview", lambda: overview_html(provider, "siting")))


@router.get("/allocation", response_class=HTMLResponse,
            summary="Map of the plan targets coloured by allocation status (ok / over / under / missing)")
def allocation(request: Request, provider: LayerProvider = Depends(get_provider),
               plan: list[PlanTarget] = Depends(get_plan)) -> HTMLResponse:
    return HTMLResponse(_cached(request, "allocation", lambda: allocation_html(provider, plan)))


@router.get("/cadastre", response_class=HTMLResponse, responses=problem_responses(404),
            summary="The imported cadastral map (연속지적도) drawn from the vector tiles: parcels by land use from "
                    "zoom 15, their density below")
def cadastre(request: Request, provider: LayerProvider = Depends(get_provider)) -> HTMLResponse:
    from api.cadastre_docs import lonlat_extent
    from api.routes.cadastre import dataset_index
    from maps.cadastre import build_cadastre_map
    from maps.render import render_html

    index = dataset_index(request)
    return HTMLResponse(_cached(request, f"cadastre:{index.rows}:{hash(index.stamp)}",
                                lambda: render_html(build_cadastre_map(provider, lonlat_extent(index),
                                                                       "../" + TILE_PATH))))


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


@router.get("/diff", response_class=HTMLResponse,
            summary="Map of what changed in a layer between two revisions (?layer=…&from=…&to=…): before dashed, "
                    "after solid, coloured by class, moves as arrows, rows whose status changed",
            responses={**problem_responses(400, 404, 410), 404: {"description": "Unknown layer or revision (problem+json)"}})
def diff_map(request: Request, layer: str, from_: int = Query(..., alias="from"), to: int = Query(...),
             plan: list[PlanTarget] = Depends(get_plan)) -> HTMLResponse:
    from geodata.diff_impact import revision_diff
    from maps.diff_map import diff_map_html

    provider = request.app.state.provider

    def build() -> str:
        result = revision_diff(provider, plan, request.app.state.siting.rules, layer, from_, to)
        return diff_map_html(provider.view("base"), [result.diff], result.rows, result.diff.before,
                             result.diff.after)
    return HTMLResponse(_cached(request, f"diff:{layer}:{from_}:{to}", build))


@router.get("/compare", response_class=HTMLResponse,
            summary="Map of two scenarios (?a=…&b=…, either may be base): A dashed, B solid, coloured by class, "
                    "a toggle between them, rows whose status changed",
            responses={**problem_responses(400, 404), 404: {"description": "Unknown scenario (problem+json)"}})
def compare_map(request: Request, a: str, b: str) -> HTMLResponse:
    from api.routes.scenarios import comparison
    from maps.diff_map import diff_map_html

    provider = request.app.state.provider

    def build() -> str:
        cmp = comparison(request, a, b)
        return diff_map_html(provider.view(b), cmp.layers, cmp.rows, a, b, "compare")
    return HTMLResponse(_cached(request, f"compare:{a}:{b}", build))
