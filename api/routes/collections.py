"""OGC API - Features: collections and their items."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.deps import get_provider
from api.geojson import feature_collection
from geodata.provider import LayerProvider

router = APIRouter(tags=["features"])
GEOJSON = "application/geo+json"


def _collection(request: Request, provider: LayerProvider, layer_id: str) -> dict:
    data = provider.layer(layer_id)
    minx, miny, maxx, maxy = (float(v) for v in data.wgs84.total_bounds)
    base = str(request.base_url).rstrip("/")
    info = data.info
    return {
        "id": layer_id,
        "title": info.title_en if info else layer_id,
        "title_ko": info.title_ko if info else layer_id,
        "title_en": info.title_en if info else layer_id,
        "description": info.description if info else "imported layer",
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [[minx, miny, maxx, maxy]], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "links": [
            {"href": f"{base}/collections/{layer_id}/items", "rel": "items", "type": GEOJSON, "title": "Features"},
        ],
    }


@router.get("/collections", summary="The layers: FEZ districts, Bitgreen, special complex, core sites, Jeonju, legal dongs")
def list_collections(request: Request, provider: LayerProvider = Depends(get_provider)) -> dict:
    base = str(request.base_url).rstrip("/")
    return {
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [_collection(request, provider, layer_id) for layer_id in provider.layer_ids()],
    }


@router.get("/collections/{collection_id}/items", summary="Features of a layer as GeoJSON (lon/lat, with areas)",
            response_class=JSONResponse)
def items(collection_id: str, provider: LayerProvider = Depends(get_provider)) -> JSONResponse:
    data = provider.layer(collection_id)
    body = feature_collection(data.wgs84)
    body["numberMatched"] = len(data.wgs84)
    body["numberReturned"] = len(data.wgs84)
    return JSONResponse(body, media_type=GEOJSON)
