"""The plan targets, and the check of draft allocations against them (nothing is stored)."""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import get_plan, get_provider
from api.geojson_input import parse_drafts
from api.models import AllocationRowOut, FindingOut
from api.ogc import STORAGE_CRS, reject_unknown_params
from api.ogc_models import problem_responses
from geodata.allocation_inputs import allocation_inputs, origins_of
from geodata.provider import LayerProvider
from zones.crs import METRIC
from zones.drafts import check_drafts, layers_needed
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])


class PlanTargetOut(BaseModel):
    id: str = Field(examples=["fez_future_car"])
    name_ko: str = Field(examples=["미래형자동차 산업지구 (빛그린국가산단)"])
    name_en: str = Field(examples=["Future-car industry district (Bitgreen)"])
    layer: str = Field(description="collection whose features realise the target", examples=["fez_districts"])
    features: list[str] = Field(description="feature ids measured (their union)", examples=[["fez_future_car"]])
    value: float = Field(description="the gazetted figure, in `unit`", examples=[1847000])
    unit: str = Field(description="m2, ha, km2 or pyeong (1 평 = 400/121 m²)", examples=["m2"])
    planned_m2: float = Field(examples=[1847000.0])
    tolerance_pct: float = Field(description="this tool's default tolerance (an assumption, not gazetted)", examples=[1.0])
    source: str = Field(examples=["2020 designation notice (Yonhap via investkorea.org ntt_sn=487701; ajunews 20200611144330671)"])
    parts: list[str] = Field(description="child targets that should tile this one", examples=[[]])
    within: str | None = Field(description="target that must contain this one", examples=[None])
    note: str = Field(examples=[""])


class PlanOut(BaseModel):
    targets: list[PlanTargetOut]


class DraftRowOut(AllocationRowOut):
    drafted: bool = Field(description="true when the measured geometry includes a draft polygon", examples=[True])


class DraftOut(BaseModel):
    index: int = Field(description="position in the uploaded FeatureCollection", examples=[0])
    target_id: str | None = Field(examples=["fez_future_car"])
    layer: str | None = Field(examples=[None])
    feature_id: str | None = Field(examples=[None])
    area_m2: float = Field(description=f"planar area in {METRIC}", examples=[1846989.7])


class DraftReportOut(BaseModel):
    rows: list[DraftRowOut]
    counts: dict[str, int] = Field(examples=[{"ok": 28, "over": 0, "under": 0, "misplaced": 0, "missing": 3}])
    findings: list[FindingOut] = Field(description="every finding of every row (overlap, outside, sums, missing)")
    drafts: list[DraftOut]


def _target_out(t: PlanTarget) -> PlanTargetOut:
    return PlanTargetOut(id=t.id, name_ko=t.name_ko, name_en=t.name_en, layer=t.layer, features=list(t.features),
                         value=t.value, unit=t.unit, planned_m2=t.planned_m2, tolerance_pct=t.tolerance_pct,
                         source=t.source, parts=list(t.parts), within=t.within, note=t.note)


@router.get("/plan", response_model=PlanOut, responses=problem_responses(400),
            summary="The plan targets: gazetted figures, the features that realise them, and their sources")
def plan(request: Request, targets: list[PlanTarget] = Depends(get_plan)) -> PlanOut:
    reject_unknown_params(request, set())
    return PlanOut(targets=[_target_out(t) for t in targets])


_SQUARE = [[126.677021, 35.174366], [126.676973, 35.186616], [126.662051, 35.186575],
           [126.662102, 35.174326], [126.677021, 35.174366]]
DRAFT_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "description": "GeoJSON FeatureCollection of draft Polygon/MultiPolygon features (lon, lat unless a crs "
                   "member or the crs parameter says otherwise; x, y order). Each feature claims "
                   "properties.target_id, or properties.layer + properties.id of the stored feature it replaces.",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "crs": {"type": ["object", "null"], "required": ["type", "properties"],
                "properties": {"type": {"type": "string", "enum": ["name"]},
                               "properties": {"type": "object", "required": ["name"],
                                              "properties": {"name": {"type": "string"}}}},
                "description": 'optional (GeoJSON 2008 named CRS), e.g. {"type": "name", "properties": {"name": '
                               '"urn:ogc:def:crs:EPSG::5186"}}; null: none (lon, lat)'},
        "features": {"type": "array", "items": {
            "type": "object", "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": ["string", "integer"]},
                "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
                    "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                    "coordinates": {"type": "array"}}},
                "properties": {"type": "object", "properties": {
                    "target_id": {"type": "string"}, "layer": {"type": "string"}, "id": {"type": "string"}}},
            }}},
    },
}
DRAFT_EXAMPLES = {
    "claim a target": {"summary": "A redrawn future-car district (claims target fez_future_car)", "value": {
        "type": "FeatureCollection", "features": [{"type": "Feature", "id": "draft-1",
            "properties": {"target_id": "fez_future_car"},
            "geometry": {"type": "Polygon", "coordinates": [_SQUARE]}}]}},
    "replace a feature": {"summary": "Replace stored feature fez_ai of layer fez_districts", "value": {
        "type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"layer": "fez_districts", "id": "fez_ai"},
            "geometry": {"type": "Polygon", "coordinates": [_SQUARE]}}]}},
    "self-intersecting (422)": {"summary": "A bow-tie ring: answered with 422 naming feature #0", "value": {
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"target_id": "fez_ai"},
            "geometry": {"type": "Polygon", "coordinates": [[[126.80, 35.20], [126.81, 35.21], [126.81, 35.20],
                                                             [126.80, 35.21], [126.80, 35.20]]]}}]}},
}


def _holders(provider: LayerProvider):
    """feature id -> the layers holding it, built on first use (only drafts without a layer ask)."""
    index: dict[str, list[str]] = {}

    def holding(fid: str) -> list[str]:
        if not index:
            for lid in provider.layer_ids():
                for f in provider.layer(lid).metric["id"]:
                    index.setdefault(str(f), []).append(lid)
            index.setdefault("\0", [])  # built, even for an empty store
        return sorted(set(index.get(fid, [])))
    return holding


async def _check(request: Request, crs: str | None, layer: str | None, provider: LayerProvider,
                 targets: list[PlanTarget]) -> DraftReportOut:
    body = await request.body()
    # Parsing, measuring and checking are blocking work: the thread pool, never the event loop.
    return await run_in_threadpool(_check_drafts, body, crs, layer, provider, targets)


def _check_drafts(body: bytes, crs: str | None, layer: str | None, provider: LayerProvider,
                  targets: list[PlanTarget]) -> DraftReportOut:
    if layer is not None:
        provider.layer(layer)  # an unknown collection is a 404
    drafts = parse_drafts(body, crs, {t.id for t in targets}, set(provider.layer_ids()), _holders(provider), layer)
    needed = sorted(layers_needed(targets, drafts) & set(provider.layer_ids()))
    inputs = allocation_inputs(provider, targets)
    result = check_drafts(targets, provider.geometries(needed), drafts,
                          origins=origins_of(provider, needed), dongs=inputs.dongs)
    rows = [DraftRowOut(**asdict(r), drafted=r.target_id in result.drafted) for r in result.report.rows]
    return DraftReportOut(
        rows=rows, counts=result.report.counts(),
        findings=[FindingOut(**asdict(f)) for f in result.report.findings],
        drafts=[DraftOut(index=d.index, target_id=d.target_id, layer=d.layer, feature_id=d.feature_id,
                         area_m2=float(d.geometry.area)) for d in drafts],
    )


_CRS_QUERY = Query(None, description="CRS of the uploaded positions (x, y order), default CRS84 lon, lat",
                   openapi_examples={"lon/lat": {"value": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                                     f"{STORAGE_CRS.epsg} easting, northing": {"value": STORAGE_CRS.uri}})


@router.post("/allocations/check", response_model=DraftReportOut, responses=problem_responses(400, 404, 413, 422),
             summary="Check draft polygons against the plan without storing them",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/geo+json": {"schema": DRAFT_SCHEMA, "examples": DRAFT_EXAMPLES},
                 "application/json": {"schema": DRAFT_SCHEMA, "examples": DRAFT_EXAMPLES}}}})
async def check(
    request: Request,
    crs: str | None = _CRS_QUERY,
    layer: str | None = Query(None, description="the layer whose features drafts without properties.layer replace "
                                                "(features read from /collections/{layer}/items and sent back); "
                                                "without it, the one layer holding each feature's id"),
    provider: LayerProvider = Depends(get_provider),
    targets: list[PlanTarget] = Depends(get_plan),
) -> DraftReportOut:
    reject_unknown_params(request, {"crs", "layer"})
    return await _check(request, crs, layer, provider, targets)


@router.post("/collections/{collection_id}/check", response_model=DraftReportOut,
             responses=problem_responses(400, 404, 413, 422),
             summary="Check a layer's features as drafts (e.g. its items edited in QGIS and sent back as they are)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/geo+json": {"schema": DRAFT_SCHEMA}, "application/json": {"schema": DRAFT_SCHEMA}}}})
async def check_layer(
    request: Request,
    collection_id: str,
    crs: str | None = _CRS_QUERY,
    provider: LayerProvider = Depends(get_provider),
    targets: list[PlanTarget] = Depends(get_plan),
) -> DraftReportOut:
    reject_unknown_params(request, {"crs"})
    return await _check(request, crs, collection_id, provider, targets)
