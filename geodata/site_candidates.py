"""Candidate sites for the siting check: bytes or GeoJSON in, checks out.

One reader and one check for POST /siting/check and `kizone siting check`, so a file checked in
the terminal is judged exactly as the same body sent to the API. GIS staff paste sites from QGIS
or scripts, and the usual mistakes are lat/lon in the wrong order, a bow-tie ring, a point where
a site was meant, a ring left open, or a coordinate from the wrong system. Each is refused with a
GeoInputFault that names the fault and, in a batch, the feature, instead of a wrong answer. The
bytes, the collection and the coordinates are read by the shared reader (geodata.geojson_in);
only the wording is the siting check's. No HTTP here: api/ turns the error's category into a status.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from geodata.geojson_in import (
    FaultyFeatures, GeoInputFault, checked_area, crs_member_name, epsg_name, feature_id, load_json, read_features,
    to_metric,
)
from zones.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE, LON_LAT, METRIC
from zones.errors import TooLarge
from zones.siting import SiteCheck, SitingContext, evaluate_mixed

MAX_CANDIDATES = 100_000
SITE_BODY = ('a JSON object {"facility": …, "geometry": …} (one site), or a GeoJSON FeatureCollection '
             'whose features carry properties.facility (several sites)')
_METRIC_HINT = f"; metric coordinates need \"crs\": \"{METRIC}\" (or the system they are in)"
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


@dataclass(frozen=True)
class Candidate:
    facility: str
    geometry: BaseGeometry  # in METRIC
    id: str | None = None


def check_sites(ctx: SitingContext, data: bytes | str, what: str = "the request body") -> tuple[list[SiteCheck], bool]:
    """(one check per site in input order, whether the body was a batch) for the raw body `data`.

    Refusals are GeoInputFault (the body or a site), TooLarge (too many sites) and, from the
    check itself, UnknownFacility (a facility without rules)."""
    candidates, batch = read_sites(data, what)
    checks = evaluate_mixed(ctx, [c.facility for c in candidates], [c.geometry for c in candidates],
                            [c.id for c in candidates])
    return checks, batch


def read_sites(data: bytes | str, what: str = "the request body") -> tuple[list[Candidate], bool]:
    """The candidate sites of a raw body (the shared JSON gate, then `parse_body`)."""
    try:
        body = load_json(data, what)
    except GeoInputFault as fault:
        if fault.facts.get("reason") != "empty":
            raise
        raise GeoInputFault(fault.kind, f"{what} is empty; send {SITE_BODY}", **fault.facts) from None
    return parse_body(body)


def parse_crs(value: Any) -> str:
    """The input CRS as "EPSG:nnnn": a name, or the old GeoJSON "crs" member; default lon/lat WGS84."""
    if value is None:
        return LON_LAT
    if isinstance(value, dict):
        value = crs_member_name(value)
    return epsg_name(value)


SITE_MEMBERS = {"facility", "geometry", "crs"}  # the members of a single-site body


def parse_body(body: Any) -> tuple[list[Candidate], bool]:
    """(candidates, is_batch) from {"facility", "geometry", "crs"?} or a FeatureCollection."""
    if not isinstance(body, dict):
        raise GeoInputFault("not_an_object", "the body must be a JSON object: " + SITE_BODY)
    crs = parse_crs(body.get("crs"))
    kind = body.get("type")
    if kind == "FeatureCollection":
        feats = body.get("features")
        if not isinstance(feats, list) or not feats:
            raise GeoInputFault("no_features", "a FeatureCollection needs a non-empty features array")
        if len(feats) > MAX_CANDIDATES:
            raise TooLarge(f"{len(feats):,} features; at most {MAX_CANDIDATES:,} per request",
                           code="too_many_sites", features=len(feats), limit=MAX_CANDIDATES)
        return _features(feats, crs, body.get("facility")), True
    if kind == "Feature":
        return [_feature(body, None, crs, body.get("facility"))], False
    unknown = sorted(set(body) - SITE_MEMBERS)
    if unknown:  # e.g. "features" without "type": "FeatureCollection", a "type" of neither kind
        raise GeoInputFault("unknown_member", f"a single site has only {', '.join(sorted(SITE_MEMBERS))}; "
                            f"not understood: {', '.join(unknown)[:200]} (a batch is a FeatureCollection, "
                            f"\"type\": \"FeatureCollection\")", members=unknown[:20])
    facility = body.get("facility")
    if not isinstance(facility, str) or not facility:
        raise GeoInputFault("no_facility", "give \"facility\" (a facility id, see GET /siting/rules) and \"geometry\"")
    if "geometry" not in body:
        raise GeoInputFault("no_geometry", "give \"geometry\": a GeoJSON Polygon or MultiPolygon of the site")
    return [Candidate(facility, site_geometry(body["geometry"], crs, "geometry"))], False


def _features(feats: list, crs: str, default_facility: Any) -> list[Candidate]:
    """Every feature of a batch, or one GeoInputFault listing every faulty feature (index, id, fault,
    message) in `facts["errors"]`, as /allocations/check lists faulty drafts: a batch exported from
    QGIS is fixed in one pass, not resent once per fault. One faulty feature reads as it always did."""
    try:
        return read_features(feats, lambda i, feat: _feature(feat, i, crs, default_facility), id_of=_site_id)
    except FaultyFeatures as faults:
        first = faults.listed[0].fault
        errors = [_entry(f.index, f.id, f.fault) for f in faults.listed]
        detail = first.detail if faults.total == 1 else (
            f"{faults.total:,} of {faults.size:,} features cannot be checked; the first: {first.detail} (see errors)")
        raise GeoInputFault(first.kind, detail, first.location, errors=errors, faulty_features=faults.total,
                            errors_not_listed=faults.not_listed) from None


def _entry(index: int, fid: Any, fault: GeoInputFault) -> dict[str, Any]:
    entry: dict[str, Any] = {"feature": index, "id": fid, "fault": fault.code, "detail": fault.detail}
    if fault.location is not None:
        entry["location"] = fault.location
    return entry


def _site_id(feat: Any) -> str | None:
    fid = feature_id(feat)
    return None if fid is None else str(fid)


def _feature(feat: Any, index: int | None, crs: str, default_facility: Any) -> Candidate:
    where = "feature" if index is None else f"features[{index}]"
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise GeoInputFault("not_a_feature", f"{where} is not a GeoJSON Feature")
    props = feat.get("properties")
    props = props if isinstance(props, dict) else {}
    facility = props.get("facility", default_facility)
    if not isinstance(facility, str) or not facility:
        raise GeoInputFault("no_facility", f"{where} has no properties.facility naming the facility to check")
    return Candidate(facility, site_geometry(feat.get("geometry"), crs, f"{where}.geometry"), _site_id(feat))


def site_geometry(geometry: Any, crs: str, where: str = "geometry") -> BaseGeometry:
    """A validated site polygon in `METRIC`, or a GeoInputFault naming what is wrong with it.

    A ring left open is refused, as GeoJSON (RFC 7946 §3.1.6) requires and as a draft allocation
    is: closing it silently could check a different site from the one the officer meant."""
    try:
        return to_metric(checked_area(geometry, crs), crs)
    except GeoInputFault as fault:
        hint = _METRIC_HINT if crs == LON_LAT else ""
        raise GeoInputFault(fault.kind, fault.worded(_SITE_WORDING, "{where}: {detail}", where=where, hint=hint),
                            fault.location, **fault.facts) from None
