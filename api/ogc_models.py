"""OpenAPI schemas (with examples) of the OGC API - Features documents and of errors.

The routes build these documents as plain dicts or pre-encoded bytes for speed; the models
describe them so `/docs` shows real examples and clients can validate what they receive.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.ogc import CRS_URIS, STORAGE_CRS

_EX_BASE = "http://127.0.0.1:8000"


class Link(BaseModel):
    href: str = Field(examples=[f"{_EX_BASE}/collections/fez_districts/items?f=json"])
    rel: str = Field(examples=["items"])
    type: str | None = Field(default=None, examples=["application/geo+json"])
    title: str | None = Field(default=None, examples=["Features"])


class LandingPage(BaseModel):
    title: str = Field(examples=["Korean industrial zones: planning API"])
    description: str
    links: list[Link] = Field(examples=[[
        {"href": f"{_EX_BASE}/?f=json", "rel": "self", "type": "application/json"},
        {"href": f"{_EX_BASE}/openapi.json", "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.1"},
        {"href": f"{_EX_BASE}/conformance", "rel": "conformance", "type": "application/json"},
        {"href": f"{_EX_BASE}/collections", "rel": "data", "type": "application/json"},
    ]])


class Conformance(BaseModel):
    conformsTo: list[str] = Field(examples=[[
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ]])


class SpatialExtent(BaseModel):
    bbox: list[list[float]] = Field(examples=[[[126.75, 35.10, 126.92, 35.24]]])
    crs: str = Field(examples=["http://www.opengis.net/def/crs/OGC/1.3/CRS84"])


class Extent(BaseModel):
    spatial: SpatialExtent


class Collection(BaseModel):
    id: str = Field(examples=["fez_districts"])
    title: str = Field(examples=["Gwangju Free Economic Zone: four districts"])
    title_ko: str = Field(examples=["광주경제자유구역 4개 지구"])
    title_en: str = Field(examples=["Gwangju Free Economic Zone: four districts"])
    description: str
    itemType: str = Field(examples=["feature"])
    extent: Extent
    crs: list[str] = Field(examples=[CRS_URIS])
    storageCrs: str = Field(examples=[STORAGE_CRS.uri])
    links: list[Link]


class Collections(BaseModel):
    links: list[Link]
    collections: list[Collection]


class Feature(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["Feature"])
    id: str | None = Field(examples=["fez_future_car"])
    geometry: dict[str, Any] | None = Field(examples=[{"type": "MultiPolygon", "coordinates": [[[[126.79, 35.20], [126.80, 35.20], [126.80, 35.21], [126.79, 35.20]]]]}])
    properties: dict[str, Any] = Field(examples=[{"id": "fez_future_car", "name_ko": "미래자동차 지구", "name_en": "Future car district",
                                                  "provenance": "schematic", "area_m2": 1846976.4, "area_pyeong": 558710.4}])


class FeatureCollection(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["FeatureCollection"])
    features: list[Feature]
    numberMatched: int = Field(examples=[4])
    numberReturned: int = Field(examples=[4])
    timeStamp: str = Field(examples=["2026-01-01T00:00:00Z"])
    links: list[Link]


class ProblemDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["about:blank"])
    title: str = Field(examples=["Invalid bbox"])
    status: int = Field(examples=[400])
    detail: str = Field(examples=["bbox needs 4 numbers (or 6 with heights), got 3: '126.8,35.1,126.9'"])
    instance: str | None = Field(default=None, examples=["/collections/fez_districts/items"])


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, all application/problem+json."""
    what = {400: "Bad request parameter (bbox, crs, limit, unknown parameter)", 404: "Unknown collection or feature",
            413: "Request body over the configured size limit", 422: "Invalid GeoJSON upload; names the feature and the fault"}
    return {s: {"description": what.get(s, "Error"), "content": {"application/problem+json": {"schema": ProblemDetail.model_json_schema()}}}
            for s in statuses}
