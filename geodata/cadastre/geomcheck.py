"""The geometry half of the parcel import's checks, run on a batch's WKB in a worker process.

Parsing WKB into GEOS geometries and checking their validity is most of an import's CPU; it needs
nothing but the batch's WKB, so a worker process does it on the machine's second core while the
importer reads the next batch and decodes its attributes (geodata/cadastre/importer.py). Small
imports run the same function in-process.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS

from geodata.korean_crs import to_metric

POLYGONAL = (3, 6)  # shapely type ids of Polygon, MultiPolygon


@dataclass
class GeometryCheck:
    """Per row of a batch: a non-empty polygon or multipolygon (`usable`), valid by GEOS (`valid`), its
    type id, bounds in the metric CRS (NaN where not valid), and its WKB in the metric CRS when the
    source was in another CRS (`wkb`, None when the source's WKB is already metric)."""

    usable: np.ndarray
    valid: np.ndarray
    types: np.ndarray
    bounds: np.ndarray
    wkb: pa.Array | None


def check_geometry(wkb: pa.Array, source_wkt: str | None) -> GeometryCheck:
    """Check a batch's geometries; `source_wkt` is the source CRS when it is not `zones.crs.METRIC`."""
    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    types = shapely.get_type_id(geoms)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isin(types, POLYGONAL)
    valid = np.zeros(len(geoms), dtype=bool)
    valid[usable] = shapely.is_valid(geoms[usable])
    out = None
    if source_wkt is not None:
        metric = np.full(len(geoms), None, dtype=object)
        metric[valid] = to_metric(geoms[valid], CRS.from_wkt(source_wkt))
        out = pa.array(shapely.to_wkb(metric), pa.binary())
        geoms = metric
    bounds = np.full((len(geoms), 4), np.nan)
    bounds[valid] = shapely.bounds(geoms[valid])
    return GeometryCheck(usable, valid, types, bounds, out)


def why_invalid(wkb: bytes | None) -> str:
    """Why one geometry is not imported, in words."""
    g = shapely.from_wkb(wkb) if wkb is not None else None
    if g is None or g.is_empty:
        return "no geometry"
    if shapely.get_type_id(g) not in POLYGONAL:
        return f"a {g.geom_type}, not a polygon"
    return shapely.is_valid_reason(g)
