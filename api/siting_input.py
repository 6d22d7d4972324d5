"""Candidate sites from a request body: GeoJSON in, metric (EPSG:5186) polygons out.

GIS staff paste sites from QGIS or scripts, and the usual mistakes are lat/lon
in the wrong order, a bow-tie ring, a point where a site was meant, or a
coordinate from the wrong system. Each is refused with a message that names the
fault and, in a batch, the feature, instead of a wrong answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from zones.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE, transformer

MAX_CANDIDATES = 100_000
_CRS84 = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84", "CRS84"}


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
    """The input CRS as "EPSG:nnnn"; GeoJSON's default is lon/lat WGS84."""
    if value is None:
        return "EPSG:4326"
    if isinstance(value, dict):  # the old GeoJSON "crs" member: {"type": "name", "properties": {"name": ...}}
        value = (value.get("properties") or {}).get("name")
    if not isinstance(value, str) or not value.strip():
        raise SiteInputError("Invalid CRS", f"crs must be a string such as \"EPSG:5186\", got {value!r}")
    if value.strip() in _CRS84:
        return "EPSG:4326"
    try:
        crs = CRS.from_user_input(value.strip())
    except CRSError:
        raise SiteInputError("Invalid CRS", f"unknown crs {value!r}; use e.g. EPSG:4326 (lon/lat), EPSG:5186 or EPSG:5179") from None
    epsg = crs.to_epsg()
    if epsg is None or not (crs.is_geographic or crs.is_projected):
        raise SiteInputError("Invalid CRS", f"crs {value!r} has no EPSG code this service can use")
    return f"EPSG:{epsg}"


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
    props = feat.get("properties") or {}
    facility = props.get("facility", default_facility)
    if not isinstance(facility, str) or not facility:
        raise SiteInputError("Invalid site", f"{where} has no properties.facility naming the facility to check")
    fid = feat.get("id", props.get("id"))
    return Candidate(facility, to_metric(feat.get("geometry"), crs, f"{where}.geometry"),
                     None if fid is None else str(fid))


def to_metric(geometry: Any, crs: str, where: str = "geometry") -> BaseGeometry:
    """A validated site polygon in EPSG:5186, or SiteInputError naming what is wrong with it."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise SiteInputError("Invalid geometry", f"{where} must be a GeoJSON geometry object")
    gtype = geometry.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise SiteInputError("Invalid geometry", f"{where}: a site must be a Polygon or MultiPolygon, got {gtype!r}")
    try:
        geom = shapely.geometry.shape(geometry)
    except Exception as exc:  # malformed coordinate arrays raise many kinds of errors
        raise SiteInputError("Invalid geometry", f"{where}: coordinates do not form a {gtype} ({exc})") from None
    xy = shapely.get_coordinates(geom)
    if geom.is_empty or not len(xy):
        raise SiteInputError("Invalid geometry", f"{where} is empty")
    if not np.isfinite(xy).all():
        raise SiteInputError("Invalid geometry", f"{where} has a coordinate that is not a finite number (NaN or infinity)")
    lonlat = xy if crs == "EPSG:4326" else np.column_stack(transformer(crs, "EPSG:4326").transform(xy[:, 0], xy[:, 1]))
    _check_in_korea(lonlat, xy, crs, where)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise SiteInputError("Invalid geometry", f"{where} is not a valid polygon: {reason} "
                             "(a ring crosses itself or its holes; redraw or repair it in QGIS)")
    if crs == "EPSG:5186":
        return geom
    t = transformer(crs, "EPSG:5186")
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _check_in_korea(lonlat: np.ndarray, xy: np.ndarray, crs: str, where: str) -> None:
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    ok = np.isfinite(lon) & np.isfinite(lat) & _between(lon, KOREA_LON_RANGE) & _between(lat, KOREA_LAT_RANGE)
    if ok.all():
        return
    bad = int(np.flatnonzero(~ok)[0])
    x, y = (float(v) for v in xy[bad])
    if crs == "EPSG:4326" and _between(x, KOREA_LAT_RANGE) and _between(y, KOREA_LON_RANGE):
        raise SiteInputError("Invalid geometry", f"{where}: coordinate ({x:g}, {y:g}) looks like (lat, lon); "
                             "GeoJSON coordinates are (lon, lat), e.g. (126.69, 35.15)")
    hint = "" if crs != "EPSG:4326" else "; metric coordinates need \"crs\": \"EPSG:5186\" (or the system they are in)"
    if crs == "EPSG:4326" and (abs(x) > 180 or abs(y) > 90):
        raise SiteInputError("Invalid geometry", f"{where}: coordinate ({x:g}, {y:g}) is not a lon/lat{hint}")
    raise SiteInputError("Invalid geometry", f"{where}: coordinate ({x:g}, {y:g}) in {crs} lies outside Korea"
                         f" ({KOREA_LON_RANGE[0]:g}–{KOREA_LON_RANGE[1]:g}°E, {KOREA_LAT_RANGE[0]:g}–{KOREA_LAT_RANGE[1]:g}°N){hint}")


def _between(v, rng: tuple[float, float]):
    return (v >= rng[0]) & (v <= rng[1])

