"""Candidate sites for the siting check: GeoJSON in, metric (EPSG:5186) polygons out.

One reader for POST /siting/check and `kizone siting check`, so a file checked in the terminal
is judged exactly as the same body sent to the API. GIS staff paste sites from QGIS or
scripts, and the usual mistakes are lat/lon in the wrong order, a bow-tie ring, a point where
a site was meant, a ring left open, or a coordinate from the wrong system. Each is refused with a message that
names the fault and, in a batch, the feature, instead of a wrong answer. The coordinate checks
are those of every uploaded area (geodata.geojson_in); only the wording is the siting check's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from geodata.geojson_in import GeoInputFault, checked_area, crs_member_name, epsg_name
from geodata.geojson_in import to_metric as area_to_metric
from zones.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE

MAX_CANDIDATES = 100_000
_LON_LAT = "EPSG:4326"
_METRIC_HINT = "; metric coordinates need \"crs\": \"EPSG:5186\" (or the system they are in)"
_BOX = f"{KOREA_LON_RANGE[0]:g}–{KOREA_LON_RANGE[1]:g}°E, {KOREA_LAT_RANGE[0]:g}–{KOREA_LAT_RANGE[1]:g}°N"
_NOT_FORMED = "{where}: coordinates do not form a {type} ({detail})"
# A site is named by its place in the request ("geometry", "features[3].geometry"), and its
# faults in the siting check's own words; faults not listed read "{where}: {detail}".
_SITE_WORDING = {
    "no_geometry": "{where} must be a GeoJSON geometry object",
    "wrong_geometry_type": "{where}: a site must be a Polygon or MultiPolygon, got {type!r}",
    "empty_coordinates": "{where} is empty",
    "bad_coordinates": _NOT_FORMED,
    "too_few_points": _NOT_FORMED,
    "non_finite_coordinate": "{where} has a coordinate that is not a finite number (NaN or infinity)",
    "swapped_lat_lon": "{where}: coordinate ({x:g}, {y:g}) looks like (lat, lon); "
                       "GeoJSON coordinates are (lon, lat), e.g. (126.69, 35.15)",
    "metres_as_degrees": "{where}: coordinate ({x:g}, {y:g}) is not a lon/lat" + _METRIC_HINT,
    "outside_korea": "{where}: coordinate ({x:g}, {y:g}) in {crs} lies outside Korea (" + _BOX + "){hint}",
    "self_intersection": "{where} is not a valid polygon: {reason} "
                         "(a ring crosses itself or its holes; redraw or repair it in QGIS)",
}
_SITE_WORDING["invalid_geometry"] = _SITE_WORDING["self_intersection"]


class SiteInputError(ValueError):
    """A candidate site that cannot be checked; `detail` says why in planning terms."""

    def __init__(self, title: str, detail: str, status: int = 422):
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class Candidate:
    facility: str
    geometry: BaseGeometry  # EPSG:5186
    id: str | None = None


def parse_crs(value: Any) -> str:
    """The input CRS as "EPSG:nnnn": a name, or the old GeoJSON "crs" member; default lon/lat WGS84."""
    if value is None:
        return _LON_LAT
    if isinstance(value, dict):
        value = crs_member_name(value)
    try:
        return epsg_name(value)
    except GeoInputFault as fault:
        raise SiteInputError("Invalid CRS", fault.detail) from None


def parse_body(body: Any) -> tuple[list[Candidate], bool]:
    """(candidates, is_batch) from {"facility", "geometry", "crs"?} or a FeatureCollection."""
    if not isinstance(body, dict):
        raise SiteInputError("Invalid request", "the body must be a JSON object")
    crs = parse_crs(body.get("crs"))
    kind = body.get("type")
    if kind == "FeatureCollection":
        feats = body.get("features")
        if not isinstance(feats, list) or not feats:
            raise SiteInputError("Invalid request", "a FeatureCollection needs a non-empty features array")
        if len(feats) > MAX_CANDIDATES:
            raise SiteInputError("Too many sites", f"{len(feats):,} features; at most {MAX_CANDIDATES:,} per request", 413)
        return [_feature(f, i, crs, body.get("facility")) for i, f in enumerate(feats)], True
    if kind == "Feature":
        return [_feature(body, None, crs, body.get("facility"))], False
    facility = body.get("facility")
    if not isinstance(facility, str) or not facility:
        raise SiteInputError("Invalid request", "give \"facility\" (a facility id, see GET /siting/rules) and \"geometry\"")
    if "geometry" not in body:
        raise SiteInputError("Invalid request", "give \"geometry\": a GeoJSON Polygon or MultiPolygon of the site")
    return [Candidate(facility, to_metric(body["geometry"], crs, "geometry"))], False


def _feature(feat: Any, index: int | None, crs: str, default_facility: Any) -> Candidate:
    where = "feature" if index is None else f"features[{index}]"
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise SiteInputError("Invalid site", f"{where} is not a GeoJSON Feature")
    props = feat.get("properties")
    props = props if isinstance(props, dict) else {}
    facility = props.get("facility", default_facility)
    if not isinstance(facility, str) or not facility:
        raise SiteInputError("Invalid site", f"{where} has no properties.facility naming the facility to check")
    fid = feat.get("id", props.get("id"))
    return Candidate(facility, to_metric(feat.get("geometry"), crs, f"{where}.geometry"),
                     None if fid is None else str(fid))


def to_metric(geometry: Any, crs: str, where: str = "geometry") -> BaseGeometry:
    """A validated site polygon in EPSG:5186, or SiteInputError naming what is wrong with it.

    A ring left open is refused, as GeoJSON (RFC 7946 §3.1.6) requires and as a draft allocation
    is: closing it silently could check a different site from the one the officer meant."""
    try:
        return area_to_metric(checked_area(geometry, crs), crs)
    except GeoInputFault as fault:
        hint = _METRIC_HINT if crs == _LON_LAT else ""
        raise SiteInputError("Invalid geometry", fault.worded(_SITE_WORDING, "{where}: {detail}", where=where,
                                                              hint=hint)) from None
