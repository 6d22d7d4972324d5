"""GeoDataFrame rows to GeoJSON (RFC 7946: lon/lat, WGS84)."""
from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from zones.crs import COORD_DECIMALS_DEGREES

COORD_DECIMALS = COORD_DECIMALS_DEGREES  # the precision every lon/lat answer of the API is written with


def feature_collection(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features(gdf, decimals)}


def features(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS) -> list[dict[str, Any]]:
    geoms = shapely.set_precision(gdf.geometry.values, 10.0 ** -decimals) if len(gdf) else []
    props = gdf.drop(columns=gdf.geometry.name)
    records = props.to_dict(orient="records")
    out = []
    for record, geom in zip(records, geoms):
        fid = record.get("id")
        out.append({
            "type": "Feature",
            "id": str(fid) if fid is not None else None,
            "geometry": shapely.geometry.mapping(geom) if geom is not None and not geom.is_empty else None,
            "properties": {k: _plain(v) for k, v in record.items()},
        })
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
