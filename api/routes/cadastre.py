"""The cadastral map (연속지적도) served from the parcel dataset: OGC API - Features items by bbox and
OGC API - Tiles vector tiles (MVT), as collection `cadastre` (api.cadastre_docs says why not `parcels`).

Items read only the partitions and row groups a bbox meets (geodata.cadastre.bbox_reader); a page
without a bbox reads only the row groups that hold it. Tiles come from geodata.cadastre.vector_tiles,
cached by the dataset's generation. Everything that touches the disk runs in the thread pool.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path as FsPath

import orjson
from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api import html
from api.cadastre_docs import (COLLECTION_ID, TMS_ID, collection_doc, tile_matrix_set, tilesets_doc, tileset_doc)
from api.http_methods import declare_read_only
from api.ogc import (EPSG_5186, GEOJSON, HTML, JSON, ServedCrs, base_url, format_query, link, parse_bbox,
                     parse_crs, reject_unknown_params, self_and_alternate, wants_html, with_params)
from api.ogc_models import problem_responses
from api.problems import Problem
from api.routes.collections import DEFAULT_LIMIT, MAX_LIMIT, GeoJSONResponse, prev_offset
from geodata.cadastre.bbox_reader import ParcelIndex
from geodata.cadastre.dataset import dataset_root
from geodata.cadastre.jimok import load_jimok_classes
from geodata.cadastre.vector_tiles import MVT_MEDIA_TYPE, ParcelTiles
from geodata.geojson_out import feature, rounded
from zones.crs import METRIC, reproject, transformer

router = APIRouter(tags=["cadastre"])
ITEM_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "crs", "f"}
BASE = f"/collections/{COLLECTION_ID}"


def install(app: FastAPI, store: FsPath) -> None:
    """Serve the dataset beside `store`; the routes must come before the generic /collections/{id} ones."""
    app.state.parcel_tiles = ParcelTiles(dataset_root(store))
    app.include_router(router)
    declare_read_only(app, f"{BASE}/items")  # the store's layer writes take /collections/{id}/items too


def _tiles(request: Request) -> ParcelTiles:
    return request.app.state.parcel_tiles


def dataset_index(request: Request) -> ParcelIndex:
    """The dataset's index as it is now, or a 404 saying how to import one (stats files: call off the loop)."""
    index = _tiles(request).indexes.current()
    if index is None:
        from geodata.cadastre.engine import NoParcels

        raise NoParcels(f"collection {COLLECTION_ID!r} holds the imported 연속지적도, and none is imported beside "
                        "this store: import one with kizone import-parcels FILE")
    return index


async def require_index(request: Request) -> ParcelIndex:
    return await run_in_threadpool(dataset_index, request)


@router.get(BASE, responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **problem_responses(400, 404)},
            summary="The imported cadastral map (연속지적도): extent, CRSs, links to items and vector tiles")
async def cadastre_collection(request: Request, f: str | None = format_query()):
    reject_unknown_params(request, {"f"})
    doc = collection_doc(request, await require_index(request))
    return html.collection(doc) if wants_html(request) else JSONResponse(doc)


def _metric_bbox(value: str, bbox_crs: ServedCrs) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = parse_bbox(value, bbox_crs)
    if bbox_crs is EPSG_5186:
        return minx, miny, maxx, maxy
    box = transformer(bbox_crs.epsg, METRIC).transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    if not all(math.isfinite(v) for v in box):
        raise Problem(400, "Invalid bbox", f"bbox {value!r} cannot be expressed in {METRIC}", parameter="bbox")
    return box


def _encoded(frame, out_crs: ServedCrs) -> list[bytes]:
    """The parcels of a page as GeoJSON Features in `out_crs` (its axis order), id = PNU."""
    classes = load_jimok_classes()
    geoms = reproject(frame.geometry.values, METRIC, out_crs.epsg) if out_crs is not EPSG_5186 else frame.geometry.values
    geoms = rounded(geoms, out_crs.decimals, swap=out_crs.lat_first)
    records = frame.drop(columns=frame.geometry.name).to_dict(orient="records")
    return [orjson.dumps(feature({"id": r["pnu"], **r, "land_use": classes.get(r.get("jimok", ""), "unknown")}, g))
            for r, g in zip(records, geoms)]


@router.get(f"{BASE}/items", response_class=GeoJSONResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **problem_responses(400, 404)},
            summary="Parcels of the cadastral map in a bbox, paged; only the partitions and row groups it meets are read")
async def cadastre_items(
    request: Request,
    limit: int = Query(DEFAULT_LIMIT, ge=1, description=f"page size; above {MAX_LIMIT:,} is clamped"),
    offset: int = Query(0, ge=0, description="parcels to skip (the next/prev links carry it)"),
    bbox: str | None = Query(None, description="minx,miny,maxx,maxy in bbox-crs axis order (default CRS84: lon,lat)",
                             openapi_examples={"Bitgreen, lon/lat": {"value": "126.74,35.10,126.76,35.12"}}),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox"),
    crs: str | None = Query(None, description="CRS of the coordinates (its own axis order); default CRS84 lon,lat"),
    f: str | None = format_query("json (GeoJSON) or html"),
):
    reject_unknown_params(request, ITEM_PARAMS)
    out_crs = parse_crs(crs, "crs")
    b_crs = parse_crs(bbox_crs, "bbox-crs")
    as_html = wants_html(request)
    box = None if bbox is None else _metric_bbox(bbox, b_crs)
    index = await require_index(request)
    limit = min(limit, MAX_LIMIT)
    page = await run_in_threadpool(index.page, box, offset, limit)
    body_features = await run_in_threadpool(_encoded, page.frame, out_crs) if len(page.frame) else []
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit", "f")}
    url = f"{base_url(request)}{BASE}/items"
    links = self_and_alternate(request, f"{BASE}/items", GEOJSON, {**params, "limit": str(limit), "offset": str(offset)},
                               html=as_html)
    pages = []
    previous = prev_offset(offset, limit, page.matched if page.matched is not None else offset + 1)
    if previous is not None:
        pages.append(("prev", previous))
    if page.more:
        pages.append(("next", offset + limit))
    for rel, start in pages:
        for fmt, media in (("json", GEOJSON), ("html", HTML)):
            links.append(link(with_params(url, {**params, "limit": str(limit), "offset": str(start), "f": fmt}), rel, media))
    links.append(link(f"{base_url(request)}{BASE}", "collection", JSON, "the collection"))
    tail = {"numberReturned": len(body_features),
            "timeStamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "links": links}
    if page.matched is not None:
        tail = {"numberMatched": int(page.matched), **tail}
    read = page.stats
    headers = {"Content-Crs": out_crs.header,
               "X-Parcels-Read": f"files={read.files}; row-groups={read.row_groups}; rows={read.rows_scanned}"}
    body = b'{"type":"FeatureCollection","features":[' + b",".join(body_features) + b"]," + orjson.dumps(tail)[1:]
    if as_html:
        return _items_html(orjson.loads(body), headers)
    return GeoJSONResponse(body, headers=headers)


async def _read_only(request: Request) -> None:
    raise Problem(405, "Method not allowed", f"collection {COLLECTION_ID!r} is read-only: it is the imported 연속지적도; "
                  "replace it with kizone import-parcels")


router.add_api_route(f"{BASE}/items", _read_only, methods=["PUT"], include_in_schema=False)


def _items_html(fc: dict, headers: dict[str, str]):
    rows = []
    for feat in fc["features"]:
        p = feat["properties"]
        rows.append({"PNU": html.Link(f"{BASE}/items/{html.path_segment(feat['id'])}?f=html", str(feat["id"])),
                     "JIBUN": p.get("jibun"), "지목 JIMOK": p.get("jimok"), "land use": p.get("land_use"),
                     "시군구": p.get("sigungu")})
    pager = " ".join(html.a(lk["href"], lk["rel"]) for lk in fc["links"]
                     if lk["rel"] in ("prev", "next") and lk["type"] == HTML)
    matched = fc.get("numberMatched")
    count = f"{int(fc['numberReturned'])} of {int(matched):,}" if matched is not None else f"{int(fc['numberReturned'])}"
    body = (f"<p>{count} parcels. {pager}</p>" + html.table(rows, ["PNU", "JIBUN", "지목 JIMOK", "land use", "시군구"]))
    return html.page(f"{COLLECTION_ID}: 연속지적도 parcels", body, headers=headers)


@router.get(f"{BASE}/items/{{pnu}}", response_class=GeoJSONResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **problem_responses(400, 404)},
            summary="One parcel of the cadastral map by its PNU (19 digits)")
async def cadastre_item(request: Request, pnu: str = Path(description="필지고유번호 (PNU), 19 digits"),
                        crs: str | None = Query(None, description="CRS of the coordinates; default CRS84"),
                        f: str | None = format_query("json (GeoJSON) or html")):
    reject_unknown_params(request, {"crs", "f"})
    out_crs = parse_crs(crs, "crs")
    as_html = wants_html(request)
    if not (len(pnu) == 19 and pnu.isascii() and pnu.isdigit()):
        raise Problem(404, "Unknown feature", f"no parcel {pnu!r} in collection {COLLECTION_ID}: a PNU is 19 digits")
    index = await require_index(request)
    frame = await run_in_threadpool(index.find, pnu)
    if frame.empty:
        raise Problem(404, "Unknown feature", f"no parcel with PNU {pnu} in collection {COLLECTION_ID}")
    encoded = (await run_in_threadpool(_encoded, frame.iloc[:1], out_crs))[0]
    links = self_and_alternate(request, f"{BASE}/items/{pnu}", GEOJSON, {"crs": crs} if crs else {}, html=as_html) + [
        link(f"{base_url(request)}{BASE}", "collection", JSON, "the collection")]
    body = encoded[:-1] + b',"links":' + orjson.dumps(links) + b"}"
    headers = {"Content-Crs": out_crs.header}
    if as_html:
        return html.feature(COLLECTION_ID, orjson.loads(body), headers)
    return GeoJSONResponse(body, headers=headers)


# --- OGC API - Tiles -----------------------------------------------------------------------------

def _require_tms(tms: str) -> None:
    if tms != TMS_ID:
        raise Problem(404, "Unknown tile matrix set", f"tile matrix set {tms!r} is not served; use {TMS_ID}",
                      parameter="tileMatrixSetId", supported=[TMS_ID])


@router.get(f"{BASE}/tiles", responses=problem_responses(400, 404),
            summary="The vector tilesets of the cadastral map (one: WebMercatorQuad)")
async def cadastre_tilesets(request: Request):
    reject_unknown_params(request, {"f"})
    return JSONResponse(tilesets_doc(request, await require_index(request)))


@router.get(f"{BASE}/tiles/{{tileMatrixSetId}}", responses=problem_responses(400, 404),
            summary="Tileset metadata: layers, zooms (parcels from zoom 15, a density grid below), URL template, limits")
async def cadastre_tileset(request: Request, tileMatrixSetId: str = Path(description="WebMercatorQuad")):
    reject_unknown_params(request, {"f"})
    _require_tms(tileMatrixSetId)
    return JSONResponse(tileset_doc(request, await require_index(request)))


def _tile_number(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise Problem(400, "Invalid tile address", f"{name} must be a whole number of at most 9 digits, got {value!r}",
                      parameter=name)
    return int(value)


@router.get(f"{BASE}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
            response_class=Response,
            responses={200: {"content": {MVT_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "a Mapbox vector tile"},
                       204: {"description": "no parcel in this tile"}, **problem_responses(400, 404)},
            summary="One vector tile (MVT) of the cadastral map: parcels from zoom 15, a density grid below")
def cadastre_tile(request: Request, tileMatrixSetId: str = Path(description="WebMercatorQuad"),
                  tileMatrix: str = Path(description="zoom, 0 to 22"), tileRow: str = Path(description="row from the top"),
                  tileCol: str = Path(description="column from the left")) -> Response:
    reject_unknown_params(request, {"f"})
    if request.query_params.get("f") not in (None, "mvt"):
        raise Problem(400, "Unknown format", "f: tiles are served as mvt only", parameter="f")
    _require_tms(tileMatrixSetId)
    z, row, col = (_tile_number(v, n) for v, n in ((tileMatrix, "tileMatrix"), (tileRow, "tileRow"), (tileCol, "tileCol")))
    tile = _tiles(request).tile(z, row, col)
    if not tile.data:
        return Response(status_code=204)
    return Response(tile.data, media_type=MVT_MEDIA_TYPE, headers={"X-Tile-Layer": tile.layer})


@router.get("/tileMatrixSets", summary="The tile matrix sets tiles are served on")
async def tile_matrix_sets(request: Request):
    reject_unknown_params(request, {"f"})
    base = base_url(request)
    tms = tile_matrix_set()
    return JSONResponse({"tileMatrixSets": [{"id": tms["id"], "title": tms["title"], "uri": tms["uri"],
                                             "links": [link(f"{base}/tileMatrixSets/{TMS_ID}",
                                                            "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                                                            JSON, tms["title"])]}]})


@router.get("/tileMatrixSets/{tileMatrixSetId}", responses=problem_responses(400, 404),
            summary="The WebMercatorQuad tile matrix set (OGC 2DTMS 2.0 JSON)")
async def tile_matrix_set_doc(request: Request, tileMatrixSetId: str = Path(description="WebMercatorQuad")):
    reject_unknown_params(request, {"f"})
    _require_tms(tileMatrixSetId)
    return JSONResponse(tile_matrix_set())

