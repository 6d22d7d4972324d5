"""OGC API - Features Part 1 (core) and Part 2 (CRS): collections and their items.

Items are served from features pre-encoded per layer and CRS (api.feature_cache), so a page
is a slice and a byte join. Filters: bbox (+ bbox-crs), simple property equality, and
`within=<zone>` (features with area inside a zone feature or plan target, geodata.zone_parcels).

The routes are async for the hot path (a ready page costs no thread hop); anything that
reads the store, reprojects or encodes runs in the thread pool (FeatureCache.served,
FeatureCache.off_loop), never on the event loop.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import orjson
import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from starlette.concurrency import run_in_threadpool

from api import html
from api.cadastre_docs import collection_doc as cadastre_collection_doc
from api.feature_cache import FeatureCache, ServedLayer
from api.ogc import (CRS84, GEOJSON, HTML, JSON, STORAGE_CRS, ServedCrs, base_url, feature_collection_doc, format_query, link,
                     parse_bbox, parse_crs, path_segment, reject_unknown_params, self_and_alternate, wants_html, with_params)
from api.ogc_models import Collection, Collections, Feature, FeatureCollection, problem_responses
from api.problems import Problem
from geodata.provider import LayerData
from geodata.store import UnknownLayer
from zones.crs import LON_LAT, METRIC, transformer

router = APIRouter(tags=["features"])

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
ITEM_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f", "within", "scenario"}
_HTML_200 = {"text/html": {"schema": {"type": "string"}}}


class GeoJSONResponse(JSONResponse):
    """GeoJSON body already encoded to bytes (a JSONResponse so OpenAPI documents its schema)."""
    media_type = GEOJSON

    def render(self, content) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


async def get_feature_cache(request: Request) -> FeatureCache:
    return request.app.state.feature_cache


CollectionId = Path(description="layer id, see GET /collections", openapi_examples={
    "FEZ districts": {"value": "fez_districts"}, "legal dongs": {"value": "admin_dongs"}})


def layer_extent(data: LayerData) -> list[float]:
    """The layer's bounding box in CRS84 (zeros for an empty layer)."""
    return [float(v) for v in data.wgs84.total_bounds] if len(data.wgs84) else [0.0] * 4


async def known_layer_ids(cache: FeatureCache) -> list[str]:
    return await cache.off_loop("layer-ids", cache.provider.layer_ids)


async def require_layer(cache: FeatureCache, layer_id: str) -> None:
    """A 404 (UnknownLayer) for a collection the store does not hold, before anything else."""
    ids = await known_layer_ids(cache)
    if layer_id not in ids:
        raise UnknownLayer(layer_id, ids)


async def collection_doc(request: Request, cache: FeatureCache, layer_id: str) -> dict:
    provider = cache.provider
    info, (minx, miny, maxx, maxy) = await cache.off_loop(
        ("collection", layer_id), lambda: (provider.layer(layer_id).info, layer_extent(provider.layer(layer_id))))
    base = base_url(request)
    url = f"{base}/collections/{path_segment(layer_id)}"
    return feature_collection_doc(
        url, layer_id,
        title=info.title if info else layer_id,  # both names: QGIS and ogrinfo show only this one
        title_ko=info.title_ko if info else layer_id, title_en=info.title_en if info else layer_id,
        description=info.description if info else "imported layer", bbox=[minx, miny, maxx, maxy],
        items_title="Features", more_links=[link(f"{base}/maps/overview", "related", HTML, "Overview map")])


@router.get("/collections", response_model=Collections, responses={200: {"content": _HTML_200}, **problem_responses(400)},
            summary="The layers: FEZ districts, Bitgreen, special complex, core sites, Jeonju, legal dongs")
async def list_collections(request: Request, cache: FeatureCache = Depends(get_feature_cache),
                     f: str | None = format_query(openapi_examples={"JSON": {"value": "json"}, "HTML": {"value": "html"}})):
    reject_unknown_params(request, {"f"})
    docs = [await collection_doc(request, cache, layer_id) for layer_id in await known_layer_ids(cache)]
    cadastre = await run_in_threadpool(request.app.state.parcel_tiles.indexes.current)
    if cadastre is not None:  # the imported 연속지적도, listed only while it holds parcels
        docs.append(cadastre_collection_doc(request, cadastre))
    doc = {"links": self_and_alternate(request, "/collections", html=wants_html(request)), "collections": docs}
    return html.collections(doc) if wants_html(request) else JSONResponse(doc)


@router.get("/collections/{collection_id}", response_model=Collection,
            responses={200: {"content": _HTML_200}, **problem_responses(400, 404)},
            summary="One layer: titles, extent (CRS84), the CRSs it is served in, storage CRS")
async def get_collection(request: Request, collection_id: str = CollectionId, cache: FeatureCache = Depends(get_feature_cache),
                   f: str | None = format_query()):
    await require_layer(cache, collection_id)
    reject_unknown_params(request, {"f"})
    doc = await collection_doc(request, cache, collection_id)
    return html.collection(doc) if wants_html(request) else JSONResponse(doc)


def _matching_rows(request: Request, served: ServedLayer, bbox: str | None, bbox_crs: ServedCrs,
                   zone_mask: np.ndarray | None = None) -> np.ndarray:
    """Row numbers passing the bbox and property filters, in layer order."""
    n = len(served.ids)
    mask = np.ones(n, dtype=bool)
    if bbox is not None:
        minx, miny, maxx, maxy = parse_bbox(bbox, bbox_crs)
        if bbox_crs is not served.crs and not (bbox_crs.geographic and served.crs.geographic):
            minx, miny, maxx, maxy = transformer(bbox_crs.epsg, served.crs.epsg).transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
            if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
                raise Problem(400, "Invalid bbox", f"bbox {bbox!r} cannot be expressed in {served.crs.label}", parameter="bbox")
        b = served.bounds_xy
        mask &= (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        candidates = np.flatnonzero(mask)
        if len(candidates):
            hit = shapely.intersects(served.geoms_xy[candidates], shapely.box(minx, miny, maxx, maxy))
            mask[candidates[~hit]] = False
    if zone_mask is not None:
        mask &= zone_mask
    props = served.properties
    for key, value in request.query_params.items():
        if key in ITEM_PARAMS:
            continue
        column = props[key]
        if column.dtype.kind in "if":
            try:
                number = float(value)
            except ValueError:
                raise Problem(400, "Invalid property filter", f"{key} is numeric; {value!r} is not a number", parameter=key) from None
            mask &= np.isclose(column.to_numpy(dtype=float), number, rtol=0, atol=1e-9)
        else:
            mask &= column.astype(str).to_numpy() == value
    return np.flatnonzero(mask)


def within_mask(request: Request, data, zone_ref: str) -> np.ndarray:
    """Rows of a loaded layer with area inside the zone `zone_ref` names (a 400 when it names none).
    Reads the store: call it off the event loop."""
    from geodata.layer_arrays import arrays_of
    from geodata.zone_parcels import BadZoneReference, UnknownZone, find_in_zone, zone_geometry

    try:
        zone = zone_geometry(request.app.state.provider, request.app.state.plan, zone_ref)
    except (BadZoneReference, UnknownZone) as exc:
        raise Problem(400, "Invalid within", exc.detail, parameter="within") from None
    found = find_in_zone(zone, arrays_of(data))
    mask = np.zeros(len(data.metric), dtype=bool)
    mask[found.rows] = True
    return mask


def prev_offset(offset: int, limit: int, matched: int) -> int | None:
    """Offset of the `prev` page: one page back, or, past the end, the last page that holds
    features on the same page grid (offset - k·limit), so `prev` never leads to another empty
    page; None on the first page or when nothing matched."""
    if offset <= 0 or matched == 0:
        return None
    if offset < matched:
        return max(offset - limit, 0)
    steps = -(-(offset - matched + 1) // limit)  # ceil: enough pages back to land before `matched`
    return max(offset - steps * limit, 0)


@router.get("/collections/{collection_id}/items", response_model=FeatureCollection, response_class=GeoJSONResponse,
            responses={200: {"content": _HTML_200, "headers": {"Content-Crs": {"schema": {"type": "string"}, "description": "CRS of the coordinates, e.g. <http://www.opengis.net/def/crs/OGC/1.3/CRS84>"}}},
                       **problem_responses(400, 404)},
            summary="Features of a layer as GeoJSON, with areas; paged, bbox and property filters, crs")
async def items(
    request: Request,
    collection_id: str = CollectionId,
    limit: int = Query(DEFAULT_LIMIT, ge=1, description=f"page size; values above {MAX_LIMIT:,} are clamped to {MAX_LIMIT:,}",
                       openapi_examples={"ten": {"value": 10}, "hundred": {"value": 100}}),
    offset: int = Query(0, ge=0, description="features to skip (the next/prev links carry it for you)",
                        openapi_examples={"first page": {"value": 0}, "second page": {"value": 10}}),
    bbox: str | None = Query(None, description="minx,miny,maxx,maxy in bbox-crs axis order (default CRS84: lon,lat)",
                             openapi_examples={"Gwangju, lon/lat": {"value": "126.70,35.05,127.00,35.30"},
                                               f"Gwangju, {STORAGE_CRS.epsg} north,east": {"value": "270000,160000,300000,190000"}}),
    within: str | None = Query(None, description="only features with area inside this zone: <layer>:<feature id> or "
                               "plan:<target id>", openapi_examples={"FEZ AI district": {"value": "fez_districts:fez_ai"},
                                                                     "plan target": {"value": "plan:fez_total"}}),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox; one of the collection's crs list",
                                 openapi_examples={"CRS84": {"value": CRS84.uri}, STORAGE_CRS.epsg: {"value": STORAGE_CRS.uri}}),
    crs: str | None = Query(None, description=f"CRS of the response coordinates (axis order of that CRS: {LON_LAT} lat,lon; "
                            f"{METRIC} and EPSG:5179 northing,easting); default CRS84 lon,lat",
                            openapi_examples={"CRS84": {"value": CRS84.uri}, STORAGE_CRS.epsg: {"value": STORAGE_CRS.uri}}),
    datetime: str | None = Query(None, description="accepted for OGC API compatibility; the layers carry no time, so it filters nothing"),
    f: str | None = format_query("json (GeoJSON) or html"),
    cache: FeatureCache = Depends(get_feature_cache),
):
    await require_layer(cache, collection_id)  # 404 before anything else
    out_crs = parse_crs(crs, "crs")
    b_crs = parse_crs(bbox_crs, "bbox-crs")
    served = await cache.served(collection_id, out_crs)
    queryables = set(served.properties.columns)
    reject_unknown_params(request, ITEM_PARAMS | queryables,
                          hint=" (property filters are equality on a property of this collection)")
    as_html = wants_html(request)
    zone_mask = None if within is None else await cache.off_loop(
        ("within", collection_id, within), lambda: within_mask(request, served.source, within))
    rows = _matching_rows(request, served, bbox, b_crs, zone_mask)
    limit = min(limit, MAX_LIMIT)
    page = rows[offset:offset + limit]
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit", "f")}
    collection_path = f"/collections/{path_segment(collection_id)}"
    url = f"{base_url(request)}{collection_path}/items"
    links = self_and_alternate(request, f"{collection_path}/items", GEOJSON,
                               {**params, "limit": str(limit), "offset": str(offset)}, html=as_html)
    pages = []
    previous = prev_offset(offset, limit, len(rows))
    if previous is not None:
        pages.append(("prev", previous))
    if offset + limit < len(rows):
        pages.append(("next", offset + limit))
    for rel, start in pages:
        for fmt, media in (("json", GEOJSON), ("html", HTML)):
            links.append(link(with_params(url, {**params, "limit": str(limit), "offset": str(start), "f": fmt}), rel, media))
    links.append(link(f"{base_url(request)}{collection_path}", "collection", JSON, "the collection"))
    headers = {"Content-Crs": out_crs.header}
    tail = orjson.dumps({"numberMatched": int(len(rows)), "numberReturned": int(len(page)),
                         "timeStamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "links": links})
    body = b'{"type":"FeatureCollection","features":[' + b",".join(served.encoded[i] for i in page) + b"]," + tail[1:]
    if as_html:
        return html.items(collection_id, orjson.loads(body), headers)
    return GeoJSONResponse(body, headers=headers)


@router.get("/collections/{collection_id}/items/{feature_id}", response_model=Feature, response_class=GeoJSONResponse,
            responses={200: {"content": _HTML_200}, **problem_responses(400, 404)},
            summary="One feature by id, e.g. fez_future_car")
async def item(
    request: Request,
    collection_id: str = CollectionId,
    feature_id: str = Path(description="the feature's id property", openapi_examples={"FEZ future-car district": {"value": "fez_future_car"}}),
    crs: str | None = Query(None, description="CRS of the response coordinates (its own axis order); default CRS84 lon,lat",
                            openapi_examples={STORAGE_CRS.epsg: {"value": STORAGE_CRS.uri}}),
    f: str | None = format_query("json (GeoJSON) or html"),
    cache: FeatureCache = Depends(get_feature_cache),
):
    await require_layer(cache, collection_id)
    reject_unknown_params(request, {"crs", "f"})
    out_crs = parse_crs(crs, "crs")
    served = await cache.served(collection_id, out_crs)
    row = served.index.get(feature_id)
    if row is None:
        sample = ", ".join(served.ids[:12]) + (" …" if len(served.ids) > 12 else "")
        raise Problem(404, "Unknown feature", f"no feature {feature_id!r} in collection {collection_id}; ids: {sample}")
    as_html = wants_html(request)
    collection_path = f"/collections/{path_segment(collection_id)}"
    params = {"crs": crs} if crs else {}
    links = self_and_alternate(request, f"{collection_path}/items/{path_segment(feature_id)}", GEOJSON, params,
                               html=as_html) + [
        link(f"{base_url(request)}{collection_path}", "collection", JSON, "the collection")]
    body = served.encoded[row][:-1] + b',"links":' + orjson.dumps(links) + b"}"
    headers = {"Content-Crs": out_crs.header}
    if as_html:
        return html.feature(collection_id, orjson.loads(body), headers)
    return GeoJSONResponse(body, headers=headers)
