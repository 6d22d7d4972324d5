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
MAX_LISTED = 100  # faulty features listed in one answer; the rest are counted
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
    """A candidate site that cannot be checked; `detail` says why in planning terms.

    `fault` is the stable fault code (those of /allocations/check where the fault is the same),
    `location` the x, y at fault when known. A batch refused for several features carries one
    entry per faulty feature in `errors` (at most MAX_LISTED) and the total in `faulty`.
    """

    def __init__(self, title: str, detail: str, status: int = 422, fault: str = "invalid_site",
                 location: list[float] | None = None, errors: list[dict[str, Any]] | None = None,
                 faulty: int = 0):
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.status = status
        self.fault = fault
        self.location = location
        self.errors = errors or []
        self.faulty = faulty

    def extra(self) -> dict[str, Any]:
        """What a problem+json answer adds to title and detail: the per-feature list of a batch."""
        if not self.errors:
            return {}
        return {"faulty_features": self.faulty, "errors_not_listed": self.faulty - len(self.errors),
                "errors": self.errors}


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
        return _features(feats, crs, body.get("facility")), True
    if kind == "Feature":
        return [_feature(body, None, crs, body.get("facility"))], False
    facility = body.get("facility")
    if not isinstance(facility, str) or not facility:
        raise SiteInputError("Invalid request", "give \"facility\" (a facility id, see GET /siting/rules) and \"geometry\"")
    if "geometry" not in body:
        raise SiteInputError("Invalid request", "give \"geometry\": a GeoJSON Polygon or MultiPolygon of the site")
    return [Candidate(facility, to_metric(body["geometry"], crs, "geometry"))], False


def _features(feats: list, crs: str, default_facility: Any) -> list[Candidate]:
    """Every feature of a batch, or one SiteInputError listing every faulty feature (index, id,
    fault, message), as /allocations/check lists faulty drafts: a batch exported from QGIS is
    fixed in one pass, not resent once per fault. With one faulty feature the answer reads as
    it always did."""
    out: list[Candidate] = []
    errors: list[dict[str, Any]] = []
    first: SiteInputError | None = None
    faulty = 0
    for i, feat in enumerate(feats):
        try:
            out.append(_feature(feat, i, crs, default_facility))
        except SiteInputError as exc:
            faulty += 1
            first = first or exc
            if len(errors) < MAX_LISTED:
                errors.append(_entry(i, feat, exc))
    if first is None:
        return out
    if faulty == 1:
        raise SiteInputError(first.title, first.detail, first.status, first.fault, first.location, errors, faulty)
    raise SiteInputError("Invalid sites", f"{faulty:,} of {len(feats):,} features cannot be checked; "
                         f"the first: {first.detail} (see errors)", 422, first.fault, first.location, errors, faulty)


def _entry(index: int, feat: Any, exc: SiteInputError) -> dict[str, Any]:
    fid = _feature_id(feat) if isinstance(feat, dict) else None
    entry: dict[str, Any] = {"feature": index, "id": fid, "fault": exc.fault, "detail": exc.detail}
    if exc.location is not None:
        entry["location"] = exc.location
    return entry


def _feature_id(feat: dict) -> str | None:
    props = feat.get("properties")
    fid = feat.get("id", props.get("id") if isinstance(props, dict) else None)
    return None if fid is None else str(fid)


def _feature(feat: Any, index: int | None, crs: str, default_facility: Any) -> Candidate:
    where = "feature" if index is None else f"features[{index}]"
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise SiteInputError("Invalid site", f"{where} is not a GeoJSON Feature", fault="not_a_feature")
    props = feat.get("properties")
    props = props if isinstance(props, dict) else {}
    facility = props.get("facility", default_facility)
    if not isinstance(facility, str) or not facility:
        raise SiteInputError("Invalid site", f"{where} has no properties.facility naming the facility to check",
                             fault="no_facility")
    return Candidate(facility, to_metric(feat.get("geometry"), crs, f"{where}.geometry"), _feature_id(feat))


def to_metric(geometry: Any, crs: str, where: str = "geometry") -> BaseGeometry:
    """A validated site polygon in EPSG:5186, or SiteInputError naming what is wrong with it.

    A ring left open is refused, as GeoJSON (RFC 7946 §3.1.6) requires and as a draft allocation
    is: closing it silently could check a different site from the one the officer meant."""
    try:
        return area_to_metric(checked_area(geometry, crs), crs)
    except GeoInputFault as fault:
        hint = _METRIC_HINT if crs == _LON_LAT else ""
        raise SiteInputError("Invalid geometry", fault.worded(_SITE_WORDING, "{where}: {detail}", where=where,
                                                              hint=hint), fault=fault.code,
                             location=fault.location) from None
