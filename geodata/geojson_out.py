"""GeoJSON out: the one writer of every feature the tool hands on (API answers, maps, files).

Coordinates are rounded, never snapped: each vertex keeps its place in its ring, so a client
can compare two answers position by position and a ring stays a ring. The precision belongs to
the CRS (`zones.crs.coord_decimals`): 9 decimals in degrees (0.1 mm; a GET-then-PUT round trip
moves no area by more than 0.2 m²) and 3 in metres (1 mm). Maps draw at `DRAWING_DECIMALS`
instead: 6 decimals in degrees is 0.1 m on the ground, finer than a screen pixel at any zoom a
web map reaches, and it keeps the pages within their size budget; a map is a drawing, never data
to take back.

>>> import shapely
>>> rounded([shapely.Point(126.123456789123, 35.5)], 6)[0].wkt
'POINT (126.123457 35.5)'
>>> rounded([shapely.Point(126.5, 35.25)], 3, swap=True)[0].wkt  # lat-first CRSs (EPSG 4326)
'POINT (35.25 126.5)'
>>> rounded([None, shapely.Polygon()], 3).tolist()
[None, <POLYGON EMPTY>]
>>> feature({"id": 7, "name_ko": "구역", "share": float("nan")}, None)
{'type': 'Feature', 'id': '7', 'geometry': None, 'properties': {'id': 7, 'name_ko': '구역', 'share': None}}
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.crs import COORD_DECIMALS_DEGREES, METRIC, to_lonlat

DRAWING_DECIMALS = 6


def rounded(geoms: Iterable[BaseGeometry | None], decimals: int, *, swap: bool = False) -> np.ndarray:
    """`geoms` with every position rounded to `decimals` (and x, y swapped for lat-first CRSs)."""
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    return shapely.transform(arr, lambda c: np.round(c[:, ::-1] if swap else c, decimals))


def feature(record: dict[str, Any], geom: BaseGeometry | None) -> dict[str, Any]:
    """One Feature: `record` as its properties (numpy values made plain, NaN as null), its `id`
    as a string, an empty or missing geometry as null."""
    fid = record.get("id")
    return {
        "type": "Feature",
        "id": str(fid) if fid is not None else None,
        "geometry": shapely.geometry.mapping(geom) if geom is not None and not geom.is_empty else None,
        "properties": {k: plain(v) for k, v in record.items()},
    }


def features(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS_DEGREES) -> list[dict[str, Any]]:
    """The rows of `gdf` (already in the CRS to write) as Features, coordinates at `decimals`."""
    geoms = rounded(gdf.geometry.values, decimals) if len(gdf) else []
    records = gdf.drop(columns=gdf.geometry.name).to_dict(orient="records")
    return [feature(record, geom) for record, geom in zip(records, geoms)]


def feature_collection(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS_DEGREES) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features(gdf, decimals)}


def lonlat_geometry(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """A stored (metric) geometry as an RFC 7946 geometry: lon/lat at the tool's precision."""
    if geom is None or geom.is_empty:
        return None
    return shapely.geometry.mapping(rounded([to_lonlat(geom, METRIC)], COORD_DECIMALS_DEGREES)[0])


def plain(value: Any) -> Any:
    """A value JSON can hold: numpy numbers as Python numbers, NaN and infinities as null."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    return value
