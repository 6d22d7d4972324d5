"""GeoJSON areas sent in by a planner: their CRS, their coordinates, their place in Korea.

Draft allocations (POST /allocations/check) and candidate sites (POST /siting/check, `kizone
siting check`) go wrong in the same ways: latitude and longitude in the wrong order, metres
sent without saying which CRS, degrees sent under a metric CRS, NaN or text where a number
belongs, an unclosed or bow-tie ring, a place outside Korea. One set of checks finds those
faults, so every entry point judges the same coordinates the same way and hands on the same
metric EPSG:5186 geometry. Each fault is a `GeoInputFault` with a stable code, a plain-English
`detail` and, where it helps, the position on the map; a caller that speaks to other readers
(a single site named by its place in the request) rewords it from `facts` with `worded`.

Positions are x, y as QGIS and ogr2ogr write GeoJSON: longitude, latitude in WGS 84 (CRS84 or
EPSG:4326), easting, northing in a projected CRS such as EPSG:5186 or EPSG:5179.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from zones.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE, transformer

AREA_TYPES = ("Polygon", "MultiPolygon")
METRIC = "EPSG:5186"
LON_LAT = frozenset({"EPSG:4326", "OGC:CRS84"})  # x is longitude, y latitude (GeoJSON order)
_KOREA_BOX = f"lon {KOREA_LON_RANGE[0]:g}–{KOREA_LON_RANGE[1]:g}, lat {KOREA_LAT_RANGE[0]:g}–{KOREA_LAT_RANGE[1]:g}"
_JSON_NUMBER = (int, float)  # exact types: bool is an int subclass, and true is not a coordinate
_GEOS_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\]")
# Finer kinds that are published under a broader fault code (the code is part of the API).
_PUBLISHED_AS = {"empty_coordinates": "bad_coordinates", "metres_as_degrees": "outside_korea",
                 "degrees_as_metres": "outside_korea"}


class GeoInputFault(ValueError):
    """One thing wrong with a sent geometry or CRS, with the facts needed to word it again.

    `kind` names the fault as precisely as it was found; `code` is the fault code published in
    error reports; `location` is the x, y position at fault, in the CRS it was sent in.
    """

    def __init__(self, kind: str, detail: str, location: list[float] | None = None, **facts: Any):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.location = location
        self.facts = facts

    @property
    def code(self) -> str:
        return _PUBLISHED_AS.get(self.kind, self.kind)

    def worded(self, wording: Mapping[str, str], default: str = "{detail}", **context: Any) -> str:
        """The fault in a caller's words: its template for this kind (str.format over `facts`,
        `detail` and `context`), else `default`."""
        return wording.get(self.kind, default).format(detail=self.detail, **self.facts, **context)


def crs_member_name(member: Any) -> str | None:
    """The name in a GeoJSON 2008 `crs` member ({"type": "name", "properties": {"name": ...}}),
    still written by ogr2ogr and QGIS for non-WGS 84 files; None when it has another shape
    (another `type`, no name, an empty one), which callers refuse rather than ignore."""
    if not isinstance(member, dict) or member.get("type") != "name":
        return None
    properties = member.get("properties")
    name = properties.get("name") if isinstance(properties, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def epsg_name(value: Any) -> str:
    """"EPSG:nnnn" for a CRS named as EPSG:n, an OGC URN or URI, or CRS84 (read as EPSG:4326,
    since positions are x, y anyway); any geographic or projected EPSG system is accepted."""
    if not isinstance(value, str) or not value.strip():
        raise GeoInputFault("invalid_crs", f"crs must be a string such as \"EPSG:5186\", got {value!r}")
    name = value.strip()
    if name.startswith("[") and name.endswith("]"):  # an OGC API safe CURIE, [EPSG:5186]
        name = name[1:-1]
    if name.upper() in ("CRS84", "OGC:CRS84"):  # PROJ reads OGC:CRS84 but not the bare name
        return "EPSG:4326"
    try:
        crs = CRS.from_user_input(name)
    except CRSError:
        raise GeoInputFault("unknown_crs", f"unknown crs {value!r}; use e.g. EPSG:4326 (lon/lat), EPSG:5186 "
                            "or EPSG:5179") from None
    if crs.to_authority() == ("OGC", "CRS84"):
        return "EPSG:4326"
    epsg = crs.to_epsg()
    if epsg is None or not (crs.is_geographic or crs.is_projected):
        raise GeoInputFault("unknown_crs", f"crs {value!r} has no EPSG code this service can use")
    return f"EPSG:{epsg}"


def checked_area(geometry: Any, crs: str, label: str | None = None) -> BaseGeometry:
    """The Polygon or MultiPolygon in `crs` (x, y as sent), or the first GeoInputFault found.

    `label` names the CRS in messages (default `crs`). An open ring is refused, as RFC 7946 asks:
    closing it silently could hide a truncated export.
    """
    label = label or crs
    if not isinstance(geometry, dict):
        raise GeoInputFault("no_geometry", "has no geometry; it must be a Polygon or MultiPolygon")
    gtype = geometry.get("type")
    if gtype not in AREA_TYPES:
        raise GeoInputFault("wrong_geometry_type", f"is a {str(gtype)[:40]}; it must be an area (Polygon or "
                            "MultiPolygon)", type=gtype)
    polygons = _polygon_rings(gtype, geometry.get("coordinates"))
    every_ring = [ring for rings in polygons for ring in rings]
    _check_in_korea(every_ring[0] if len(every_ring) == 1 else np.vstack(every_ring), crs, label)
    parts = [shapely.Polygon(rings[0], rings[1:] or None) for rings in polygons]
    shape = parts[0] if gtype == "Polygon" else shapely.MultiPolygon(parts)
    _check_valid(shape)
    if shape.area <= 0:
        raise GeoInputFault("empty_area", "has zero area")
    return shape


def to_metric(shape: BaseGeometry, crs: str) -> BaseGeometry:
    """The shape in EPSG:5186, where every area in this tool is measured."""
    if crs == METRIC:
        return shape
    t = transformer(crs, METRIC)
    return shapely.transform(shape, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _polygon_rings(gtype: str, coords: Any) -> list[list[np.ndarray]]:
    polygons = [coords] if gtype == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise GeoInputFault("empty_coordinates" if polygons == [] else "bad_coordinates",
                            f"{gtype} coordinates must be a non-empty array", type=gtype)
    out = []
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            raise GeoInputFault("empty_coordinates" if rings == [] else "bad_coordinates", f"polygon {p} has no rings",
                                type=gtype)
        part = f"polygon {p}, " if gtype == "MultiPolygon" else ""
        out.append([_ring(ring, f"{part}ring {r}", gtype) for r, ring in enumerate(rings)])
    return out


def _ring(ring: Any, where: str, gtype: str) -> np.ndarray:
    xy = _plain_xy(ring)
    if xy is None:
        xy = _explained_xy(ring, where, gtype)
    first, last = (ring[0][:2], ring[-1][:2]) if len(xy) else (None, None)
    if len(xy) < 4:
        raise GeoInputFault("too_few_points", f"{where} has {len(xy)} positions; a ring needs at least 4 (closed)",
                            type=gtype)
    if first != last:
        raise GeoInputFault("unclosed_ring", f"{where} is not closed: first position {first} differs from last "
                            f"{last}; repeat the first position at the end", last, type=gtype)
    return xy


def _plain_xy(ring: Any) -> np.ndarray | None:
    """The usual ring, [x, y] pairs of finite JSON numbers, at array speed (a batch of sites has
    100,000 rings); None for anything else, which `_explained_xy` then goes through position by position."""
    if not isinstance(ring, list) or not all(
            type(pos) is list and len(pos) == 2 and type(pos[0]) in _JSON_NUMBER and type(pos[1]) in _JSON_NUMBER
            for pos in ring):
        return None
    try:
        xy = np.array(ring, dtype=float).reshape(-1, 2)
    except OverflowError:  # a JSON integer of hundreds of digits
        return None
    return xy if np.isfinite(xy).all() else None


def _explained_xy(ring: Any, where: str, gtype: str) -> np.ndarray:
    """x, y of a ring that is not plain pairs of finite numbers: 3D positions pass (z is dropped),
    anything else is a fault naming the first position at fault."""
    if not isinstance(ring, list):
        raise GeoInputFault("bad_coordinates", f"{where} is not an array of positions", type=gtype)
    for k, pos in enumerate(ring):
        if (not isinstance(pos, list) or len(pos) not in (2, 3)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
            raise GeoInputFault("bad_coordinates", f"{where}, position {k} is not [x, y] numbers: {str(pos)[:60]}",
                                type=gtype)
        if not all(_finite(v) for v in pos):
            raise GeoInputFault("non_finite_coordinate",
                                f"{where}, position {k} has NaN or infinite coordinates: {str(pos)[:60]}", type=gtype)
    return np.array([pos[:2] for pos in ring], dtype=float).reshape(-1, 2)


def _finite(v: float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # a JSON integer of hundreds of digits
        return False


def _in_box(lon: Any, lat: Any) -> np.ndarray:
    lon, lat = np.asarray(lon), np.asarray(lat)
    return ((KOREA_LON_RANGE[0] <= lon) & (lon <= KOREA_LON_RANGE[1])
            & (KOREA_LAT_RANGE[0] <= lat) & (lat <= KOREA_LAT_RANGE[1]))


def check_in_korea(xy: np.ndarray, crs: str, label: str | None = None) -> None:
    """The place check of `checked_area` on bare x, y positions in `crs` (an "EPSG:n" name), for
    readers that parse geometries themselves (file imports): the same GeoInputFault kinds."""
    _check_in_korea(np.asarray(xy, dtype=float).reshape(-1, 2), crs, label or crs)


def _check_in_korea(xy: np.ndarray, crs: str, label: str) -> None:
    """Every position inside Korea, or the likeliest reason why not: axes swapped, metres sent as
    degrees or degrees as metres (the CRS is missing or wrong), or a place outside Korea."""
    x, y = xy[:, 0], xy[:, 1]
    lon_lat = crs in LON_LAT
    lon, lat = (x, y) if lon_lat else transformer(crs, "EPSG:4326").transform(x, y)
    if (KOREA_LON_RANGE[0] <= lon.min() and lon.max() <= KOREA_LON_RANGE[1]
            and KOREA_LAT_RANGE[0] <= lat.min() and lat.max() <= KOREA_LAT_RANGE[1]):
        return
    inside = _in_box(lon, lat)
    bad = int(np.flatnonzero(~inside)[0])
    at = [float(x[bad]), float(y[bad])]
    pos = f"{at[0]:g}, {at[1]:g}"
    facts = {"x": at[0], "y": at[1], "crs": crs}
    if (_in_box(y, x) if lon_lat else _in_box(*transformer(crs, "EPSG:4326").transform(y, x))).all():
        if lon_lat:
            raise GeoInputFault("swapped_lat_lon", f"coordinates look like latitude, longitude (first position {pos}); "
                                "GeoJSON positions are longitude, latitude: swap them", at, **facts)
        raise GeoInputFault("swapped_axes", f"coordinates look like northing, easting in {label} (first position "
                            f"{pos}); uploads are easting, northing: swap them", at, **facts)
    if lon_lat and (np.abs(xy) > 360).any():
        raise GeoInputFault("metres_as_degrees", f"coordinates like {pos} look like metres; say which CRS they are "
                            "in (e.g. EPSG:5186) or send lon, lat", at, **facts)
    if not lon_lat and (np.abs(xy) <= 360).all():
        raise GeoInputFault("degrees_as_metres", f"coordinates like {pos} look like degrees but the crs is {label}; "
                            "drop the crs to send lon, lat", at, **facts)
    in_crs = "" if lon_lat else f" in {label}"
    raise GeoInputFault("outside_korea", f"position {pos}{in_crs} lies outside Korea ({_KOREA_BOX})", at, **facts)


def _check_valid(shape: BaseGeometry) -> None:
    """GEOS validity, with the place GEOS names so the officer can find it in QGIS."""
    reason = shapely.is_valid_reason(shape)
    if reason == "Valid Geometry":
        return
    match = _GEOS_LOCATION.search(reason)
    location = [float(match.group(1)), float(match.group(2))] if match else None
    at = f" at {location[0]:g} {location[1]:g}" if location else ""
    if "self-intersection" in reason.lower():
        raise GeoInputFault("self_intersection", f"ring self-intersects{at} (GEOS: {reason}); fix it in QGIS with "
                            "Vector ▸ Geometry Tools ▸ Check Validity", location, reason=reason)
    raise GeoInputFault("invalid_geometry", f"invalid polygon{at} (GEOS: {reason}); fix it in QGIS with "
                        "Vector ▸ Geometry Tools ▸ Check Validity", location, reason=reason)
