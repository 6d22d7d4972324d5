"""Facility siting: the rules, checks of candidate sites, where each facility can go.

The rules are read and bound to the store when the app is created, so a bad
rules file stops the start-up with the line at fault instead of failing later
on a request.
"""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from geodata.geojson_out import feature_collection
from geodata.site_candidates import SITE_BODY, check_sites
from geodata.siting_rules import SitingService
from zones.crs import LON_LAT, METRIC
from zones.siting import SiteCheck, check_planned, feasible_region, load_kernels
from zones.units import all_units

router = APIRouter(tags=["siting"], responses={
    404: {"description": "Unknown facility id"},
    422: {"description": "Body refused: empty, not JSON, not a site/FeatureCollection; or geometry invalid, "
                         "outside Korea, swapped lat/lon, wrong type"}})
GEOJSON = "application/geo+json"
ASSUMPTION_NOTE = ("No plan document gives a siting rule for the seven core infrastructures: every value "
                   "is an assumption of this tool (source \"assumption\"), some sized after a national "
                   "planning standard (basis). Edit geodata/siting_rules.toml to change them.")


# The example of /docs: the stored site of the certification centre, to 5 decimals (~1 m), its
# ring anticlockwise as RFC 7946 asks; it passes every rule, so "Try it out" shows a passing check.
EXAMPLE_SITE = {
    "facility": "certification_center",
    "geometry": {"type": "Polygon", "coordinates": [[[126.68516, 35.16098], [126.68517, 35.15942],
                                                      [126.68706, 35.15943], [126.68706, 35.16098],
                                                      [126.68516, 35.16098]]]}}


def install(app: FastAPI) -> None:
    """Read and bind the siting rules now (start-up), load the check kernels, then serve the /siting routes."""
    app.state.siting = SitingService(app.state.provider)
    load_kernels()
    app.include_router(router)


def _service(request: Request) -> SitingService:
    return request.app.state.siting


@router.get("/siting/rules", summary="The siting rules of the seven core infrastructures")
def siting_rules(request: Request) -> dict[str, Any]:
    rules = _service(request).rules
    return {
        "note": ASSUMPTION_NOTE,
        "facilities_layer": rules.facilities_layer,
        "facilities": [
            {"id": f.id, "name_ko": f.name_ko, "name_en": f.name_en, "rules": [r.as_dict() for r in f.rules]}
            for f in rules.facilities.values()
        ],
    }


SITE_SCHEMA = {
    "type": "object", "description": SITE_BODY, "examples": [EXAMPLE_SITE],
    "properties": {"facility": {"type": "string"}, "geometry": {"type": "object"},
                   "crs": {"type": ["string", "object", "null"],
                           "description": f"default (or null) lon/lat WGS84, e.g. {METRIC}"},
                   "type": {"type": "string", "enum": ["Feature", "FeatureCollection"]},
                   "features": {"type": "array", "items": {"type": "object"}}}}


@router.post("/siting/check", summary="Check candidate sites against a facility's rules",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": SITE_SCHEMA}, "application/geo+json": {"schema": SITE_SCHEMA}}}})
async def siting_check(request: Request) -> Any:
    """`{"facility", "geometry", "crs"?}` answers one check; a FeatureCollection whose features carry
    `properties.facility` answers a list in feature order. Geometries are lon/lat (WGS84) unless
    `"crs"` names another system, e.g. EPSG:5179. A batch with faulty features is refused in one
    422 whose `errors` list each of them (feature index, id, fault code, message; the first
    100, `errors_not_listed` counts the rest)."""
    data = await request.body()
    service = _service(request)
    checks, batch = await run_in_threadpool(lambda: check_sites(service.context(), data))
    out = [c.as_dict() for c in checks]
    return out if batch else out[0]


@router.get("/siting/feasible/{facility}", summary="Where a facility can go: its feasible region as GeoJSON")
def siting_feasible(request: Request, facility: str) -> JSONResponse:
    """The allowed zone shrunk by setbacks, minus clearance buffers and the other planned sites, kept
    where adjacency can be met; plus each constraint's geometry and the planned site (lon/lat)."""
    service = _service(request)
    service.rules.facility(facility)  # an unknown facility is a NotFound before any work
    ctx = service.context()
    region = feasible_region(ctx, facility)
    names = {"facility": facility, "name_ko": region.name_ko, "name_en": region.name_en}
    rows = [{"role": "feasible_region", "rule": "", "kind": "", **region.summary(),
             **_areas(region.area_m2), "geometry": region.geometry}]
    for c in region.constraints:
        rows.append({"role": c.role, "rule": c.rule, "kind": c.kind, **names, **_areas(float(c.geometry.area)),
                     "parts": _parts(c.geometry), "geometry": c.geometry})
    if facility in ctx.planned:
        check = check_planned_one(service, facility)
        site = ctx.planned[facility]
        rows.append({"role": "planned_site", "rule": "", "kind": "", **names, **_areas(float(site.area)),
                     "parts": _parts(site), "passed": check.passed, "geometry": site})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC).to_crs(LON_LAT)
    gdf.insert(0, "id", [f"{facility}:{r['role']}:{r['rule']}".rstrip(":") for r in rows])
    fc = feature_collection(gdf)
    fc.update({"facility": facility, "summary": region.summary(),
               "note": f"areas planar in {METRIC}; geometries lon/lat (WGS84)"})
    return JSONResponse(fc, media_type=GEOJSON)


def _areas(area_m2: float) -> dict[str, float]:
    """The area in every unit a planner reads (m², ha, km², 평), as the layer items carry them."""
    return {f"area_{u}": v for u, v in all_units(area_m2).items()}


def _parts(geom) -> int:
    """How many separate polygons a geometry has (a count, so an integer in the JSON too)."""
    return int(shapely.get_num_geometries(geom)) if not geom.is_empty else 0


def check_planned_one(service: SitingService, facility: str) -> SiteCheck:
    return next(c for c in check_planned(service.context()) if c.facility == facility)


@router.get("/siting/report", summary="Which stored core-infrastructure sites pass their rules")
def siting_report(request: Request) -> dict[str, Any]:
    service = _service(request)
    checks = check_planned(service.context())
    passed = sum(c.passed for c in checks)
    return {"layer": service.rules.facilities_layer, "note": ASSUMPTION_NOTE,
            "counts": {"sites": len(checks), "passed": passed, "failed": len(checks) - passed},
            "sites": [c.as_dict() for c in checks]}
