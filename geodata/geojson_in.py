"""The one reader of GeoJSON sent in: bytes to JSON, a FeatureCollection to features, areas checked.

Draft allocations (POST /allocations/check), candidate sites (POST /siting/check, `kizone siting
check`) and layer imports (PUT /collections/{id}/items, uploads, `kizone import`) go wrong in the
same ways: bytes that are not JSON (or JSON nested or numbered past what a parser takes), latitude
and longitude in the wrong order, metres sent without saying which CRS, degrees sent under a metric
CRS, NaN or text where a number belongs, an unclosed or bow-tie ring, a place outside Korea. One
gate (`load_json`), one collection reader (`collection_features`, `read_features`, one cap on the
faults listed) and one set of geometry checks (`checked_area`) find those faults, so every entry
point judges the same input the same way. Each fault is a `GeoInputFault` (zones.errors) with a
stable code, a plain-English `detail`, the facts behind it and, where it helps, the position on the
map; each caller words it for its own reader from `facts` with `worded`.

Positions are x, y as QGIS and ogr2ogr write GeoJSON: longitude, latitude in WGS 84 (`zones.crs.CRS84`
or `LON_LAT`), easting, northing in a projected CRS such as `zones.crs.METRIC` or EPSG:5179.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.crs import CRS84, LON_LAT, check_in_korea, crs_member_name, crs_name, to_metric
from zones.errors import GeoInputFault

__all__ = ["AREA_TYPES", "MAX_LISTED", "FaultyFeatures", "FeatureFault", "GeoInputFault", "check_in_korea",
           "checked_area", "collection_features", "crs_member_name", "epsg_name", "feature_id", "load_json",
           "read_features", "to_metric"]

AREA_TYPES = ("Polygon", "MultiPolygon")
# Faulty features listed in one refusal; the rest are counted. A batch exported from QGIS is fixed
# in one pass when every fault is listed, and a hundred is as many as anyone reads.
MAX_LISTED = 100
# A JSON integer beyond 64 bits is read as a float, as JavaScript and GDAL read it: no coordinate,
# id or attribute a GeoPackage can store is larger, and Python's int conversion refuses 4,300 digits.
_INT64_DIGITS = 18
_JSON_NUMBER = (int, float)  # exact types: bool is an int subclass, and true is not a coordinate
_GEOS_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\]")
T = TypeVar("T")


def load_json(data: bytes | str, what: str = "the body") -> Any:
    """The input gate: `data` as JSON, or a GeoInputFault "invalid_json" saying why not.

    Every GeoJSON entry point reads its bytes here, so whatever the parser refuses (a syntax error,
    bytes that are not UTF-8, nesting deeper than the parser's recursion limit) is one clear fault,
    never an internal error. NaN and Infinity literals are let through so the geometry checks can
    name the feature they sit in; integers too long for 64 bits are read as floats.
    """
    if isinstance(data, (bytes, bytearray)):
        if not data.strip():
            raise GeoInputFault("invalid_json", f"{what} is empty; send a GeoJSON FeatureCollection", what=what,
                                reason="empty")
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoInputFault("invalid_json", f"{what} is not UTF-8 text (byte {exc.start})", what=what,
                                reason="not UTF-8") from None
    else:
        text = data
    try:
        return json.loads(text, parse_constant=float, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        reason = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except RecursionError:
        reason = "nested too deeply"
    except ValueError as exc:  # anything else the parser or a number conversion refuses
        reason = str(exc)[:120]
    raise GeoInputFault("invalid_json", f"{what} is not valid JSON ({reason})", what=what, reason=reason)


def _json_int(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= _INT64_DIGITS else float(text)


def collection_features(doc: Any) -> list:
    """The `features` of a GeoJSON FeatureCollection, or a GeoInputFault saying what `doc` is instead."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise GeoInputFault("not_a_feature_collection", f"expected a GeoJSON FeatureCollection, got "
                            f"{str(kind)[:40]!r}", got=str(kind)[:40])
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise GeoInputFault("no_features", "the FeatureCollection has no features")
    return features


def feature_id(feat: Any) -> str | int | None:
    """A feature's id (the member, else properties.id), when it is a string or a number."""
    if not isinstance(feat, dict):
        return None
    props = feat.get("properties")
    fid = feat.get("id", props.get("id") if isinstance(props, dict) else None)
    return fid if isinstance(fid, (str, int, float)) and not isinstance(fid, bool) else None


@dataclass(frozen=True)
class FeatureFault:
    """One faulty feature: its place in the collection, its id, and what is wrong with it."""

    index: int
    id: str | int | None
    fault: GeoInputFault


class FaultyFeatures(GeoInputFault):
    """A collection refused for its faulty features: the first MAX_LISTED in `listed`, all counted
    in `total`. `code` and `location` are the first fault's, so a batch of one reads as that fault."""

    def __init__(self, listed: list[FeatureFault], total: int, size: int):
        first = listed[0].fault
        super().__init__(first.kind, first.detail, first.location, **first.facts)
        self.listed = listed
        self.total = total
        self.size = size

    @property
    def not_listed(self) -> int:
        return self.total - len(self.listed)


def read_features(features: list, read_one: Callable[[int, Any], T],
                  id_of: Callable[[Any], str | int | None] | None = None) -> list[T]:
    """`read_one(index, feature)` of every feature, or FaultyFeatures listing each one that raised a
    GeoInputFault (the first MAX_LISTED; all are counted), so every caller refuses a collection alike.
    `id_of` gives the id a faulty feature is named by (default `feature_id`)."""
    id_of = id_of or feature_id
    out: list[T] = []
    listed: list[FeatureFault] = []
    total = 0
    for i, feat in enumerate(features):
        try:
            out.append(read_one(i, feat))
        except GeoInputFault as fault:
            total += 1
            if len(listed) < MAX_LISTED:
                listed.append(FeatureFault(i, id_of(feat), fault))
        except RecursionError:
            total += 1
            if len(listed) < MAX_LISTED:
                listed.append(FeatureFault(i, id_of(feat), GeoInputFault(
                    "bad_coordinates", "is nested too deeply to be a GeoJSON feature")))
    if total:
        raise FaultyFeatures(listed, total, len(features))
    return out


def epsg_name(value: Any) -> str:
    """"EPSG:nnnn" for a CRS named any way `zones.crs.crs_name` reads; CRS84 is read as `LON_LAT`,
    since sent positions are x, y (longitude, latitude) either way."""
    name = crs_name(value)
    return LON_LAT if name == CRS84 else name


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
    check_in_korea(every_ring[0] if len(every_ring) == 1 else np.vstack(every_ring), crs, label)
    parts = [shapely.Polygon(rings[0], rings[1:] or None) for rings in polygons]
    shape = parts[0] if gtype == "Polygon" else shapely.MultiPolygon(parts)
    _check_valid(shape)
    if shape.area <= 0:
        raise GeoInputFault("empty_area", "has zero area")
    return shape


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
