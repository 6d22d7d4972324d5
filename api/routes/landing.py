"""OGC API landing page and conformance declaration: where a client (QGIS, GDAL) starts."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api import html
from api.cadastre_docs import REL_TILING_SCHEMES, TILES_CONFORMANCE
from api.ogc import HTML, JSON, OPENAPI_JSON, base_url, format_query, link, reject_unknown_params, self_and_alternate, wants_html
from api.ogc_models import Conformance, LandingPage, problem_responses
from zones.crs import LON_LAT, METRIC

router = APIRouter(tags=["service"])
_HTML_200 = {200: {"content": {"text/html": {"schema": {"type": "string"}}}}}

# Only what is implemented. The OpenAPI document is 3.1 (FastAPI), so "oas30" is not claimed.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *TILES_CONFORMANCE,
]
FORMAT = format_query(openapi_examples={"JSON": {"value": "json"}, "HTML": {"value": "html"}})


@router.get("/", response_model=LandingPage, responses={**_HTML_200, **problem_responses(400)},
            summary="Landing page: links to the API description, conformance, the layers and the maps")
async def landing(request: Request, f: str | None = FORMAT):
    reject_unknown_params(request, {"f"})
    as_html = wants_html(request)
    base = base_url(request)
    doc = {
        "title": request.app.title,
        "description": "OGC API - Features service for the Korean industrial-zone layers (GeoJSON, CRS84 by default; "
                       f"{LON_LAT}, {METRIC} and EPSG:5179 on request), with the plan and allocation checks.",
        "links": [
            *self_and_alternate(request, "/", html=as_html),
            link(f"{base}/openapi.json", "service-desc", OPENAPI_JSON, "API definition (OpenAPI)"),
            link(f"{base}/docs", "service-doc", HTML, "API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes implemented"),
            link(f"{base}/collections", "data", JSON, "The layers (collections)"),
            link(f"{base}/tileMatrixSets", REL_TILING_SCHEMES, JSON, "Tile matrix sets of the vector tiles"),
            link(f"{base}/plan", "related", JSON, "Plan targets with sources"),
            link(f"{base}/allocations", "related", JSON, "Allocation check of the stored layers"),
            link(f"{base}/allocations?f=html", "related", HTML,
                 "Allocation report page: tables, findings, map; CSV, XLSX and PDF downloads"),
            link(f"{base}/maps/overview", "related", HTML, "Overview map"),
            link(f"{base}/maps/allocation", "related", HTML, "Allocation map"),
            link(f"{base}/maps/siting", "related", HTML, "Siting maps of the seven core infrastructures"),
        ],
    }
    return html.landing(doc) if as_html else JSONResponse(doc)


@router.get("/conformance", response_model=Conformance, responses={**_HTML_200, **problem_responses(400)},
            summary="The OGC API conformance classes this service implements")
async def conformance(request: Request, f: str | None = FORMAT):
    reject_unknown_params(request, {"f"})
    doc = {"conformsTo": CONFORMANCE}
    return html.conformance(doc) if wants_html(request) else JSONResponse(doc)
