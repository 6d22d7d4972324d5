"""The parcels of a zone: which lie in it, how much of each, and the land use they make up.

A parcel wholly inside the zone counts with its whole area; a parcel crossing the zone's
boundary counts with the exact area of its intersection with the zone; a parcel outside, or
only touching the boundary, does not count. The parcels come as flat arrays (boxes, rings,
areas: `zones.siting.clip.Rings`), not geometry objects: the candidates are the parcels whose
box meets the zone's, and the zone, cut once into convex pieces, clips them all in one compiled
loop (`zones.siting.clip`), which settles a parcel that no segment of the zone's outline meets
(its holes and parts respected) by one vertex, without clipping it. Areas are planar in the
metric CRS (`zones.crs.METRIC`), the same as everywhere else in this tool.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from zones.crs import METRIC
from zones.siting.clip import Rings, ring_overlap_areas, rings_of, triangulate

METHOD = (f"planar {METRIC}; parcels wholly inside count whole, parcels crossing the boundary count with "
          "their intersection with the zone (the zone cut into convex pieces, each parcel clipped at them)")

# A parcel's part inside (or outside) the zone smaller than this fraction of the parcel (and of
# 1 m²) is the rounding of the clip, not land: a parcel touching the zone from outside gets
# nothing, one touching its outline from inside lies wholly in it. The clip agrees with GEOS to
# ~1e-12 of a parcel's area, so a real sliver (a square millimetre of a 1.5 ha parcel) still counts.
AREA_RTOL = 1e-12


@dataclass(frozen=True)
class ZoneParcels:
    """Parcels (row numbers of the parcel layer, ascending) that have area inside one zone."""

    rows: np.ndarray  # row numbers into the parcel layer
    area_in_zone_m2: np.ndarray  # planar m² of each parcel inside the zone
    whole: np.ndarray  # True where the parcel lies wholly inside the zone

    @property
    def crossing(self) -> np.ndarray:
        return self.rows[~self.whole]


def parcels_in_zone(zone: BaseGeometry, rings: Rings, bounds: np.ndarray, parcel_areas: np.ndarray) -> ZoneParcels:
    """The parcels of `zone`, given as the `rings` of the parcel layer, their `bounds` ((n, 4),
    NaN for none) and their planar `parcel_areas`, all in `METRIC` like the zone.

    Parameters
    ----------
    zone : shapely geometry
        Its polygonal parts count (holes excluded); None or empty holds no parcel.
    rings : Rings
        The parcels' rings (`zones.siting.clip.rings_of`); a parcel without rings has no area.
    bounds : ndarray, shape (n, 4)
        xmin, ymin, xmax, ymax of each parcel.
    parcel_areas : ndarray, shape (n,)
        Each parcel's planar area: what a wholly inside parcel counts.

    Returns
    -------
    ZoneParcels
        Rows with area inside, that area, and which lie wholly inside.

    Examples
    --------
    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(30, 0, 40, 10),
    ...                   shapely.box(-10, 0, 0, 10)])
    >>> got = parcels_in_zone(shapely.box(0, 0, 15, 10), rings_of(cells), shapely.bounds(cells), shapely.area(cells))
    >>> got.rows.tolist(), got.area_in_zone_m2.tolist(), got.whole.tolist()
    ([0, 1], [100.0, 50.0], [True, False])
    """
    n = rings.n
    if zone is None or zone.is_empty or not n:
        return ZoneParcels(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool))
    zx0, zy0, zx1, zy1 = zone.bounds
    candidates = np.flatnonzero((bounds[:, 0] <= zx1) & (bounds[:, 2] >= zx0) &
                                (bounds[:, 1] <= zy1) & (bounds[:, 3] >= zy0))  # NaN boxes meet nothing
    inside = _areas_inside(zone, rings.take(candidates), bounds[candidates])
    area = np.asarray(parcel_areas, dtype=float)[candidates]
    slack = AREA_RTOL * np.maximum(np.abs(area), 1.0)
    keep = inside > slack
    rows, inside, area, slack = candidates[keep], inside[keep], area[keep], slack[keep]
    whole = inside >= area - slack
    return ZoneParcels(rows=rows, area_in_zone_m2=np.where(whole, area, inside), whole=whole)


def _areas_inside(zone: BaseGeometry, rings: Rings, bounds: np.ndarray) -> np.ndarray:
    """m² of each geometry of `rings` inside `zone`: the compiled clip, or GEOS overlays of the
    rebuilt geometries when the zone cannot be cut into pieces that add up to it."""
    pieces = triangulate(zone)
    if pieces is not None:
        return ring_overlap_areas(rings, pieces, 1, bounds=np.ascontiguousarray(bounds, dtype=np.float64))[:, 0]
    geoms = rings.geometries()
    out = np.zeros(rings.n)
    has = np.flatnonzero(shapely.intersects(geoms, zone))
    out[has] = shapely.area(shapely.intersection(geoms[has], zone))
    return out


def zone_summary(zone_ref: str, zone: BaseGeometry, found: ZoneParcels, ids: np.ndarray, use_codes: np.ndarray,
                 use_names: list[str], parcel_areas: np.ndarray, layer: str) -> dict:
    """What a planner reads about the parcels of one zone: counts, area by use with its share of the
    parcels' area inside the zone, and each crossing parcel with the part of it inside.
    `use_codes`/`use_names`: each parcel's use as a code into the names ("" for none)."""
    codes = use_codes[found.rows]
    k = len(use_names)
    area = np.bincount(codes, weights=found.area_in_zone_m2, minlength=k)
    count = np.bincount(codes, minlength=k)
    crossing = np.bincount(codes[~found.whole], minlength=k)
    total = float(found.area_in_zone_m2.sum())
    zone_area = float(zone.area) if zone is not None else 0.0
    by_use = [{"use": use_names[u], "area_m2": float(area[u]),
               "share_pct": float(area[u] / total * 100.0) if total else None,
               "parcels": int(count[u]), "crossing": int(crossing[u])} for u in np.flatnonzero(count)]
    cross = found.crossing
    return {
        "zone": zone_ref,
        "layer": layer,
        "zone_area_m2": zone_area,
        "parcels": int(len(found.rows)),
        "parcels_inside": int(found.whole.sum()),
        "parcels_crossing": int(len(cross)),
        "parcel_area_in_zone_m2": total,
        "parcel_cover_pct": total / zone_area * 100.0 if zone_area else None,
        "by_use": by_use,
        "crossing": [{"id": str(ids[r]), "use": use_names[use_codes[r]], "area_m2": float(parcel_areas[r]),
                      "area_in_zone_m2": float(a)}
                     for r, a in zip(cross.tolist(), found.area_in_zone_m2[~found.whole].tolist())],
        "method": METHOD,
    }


ZONE_TABLE_COLUMNS = ["zone", "row", "area_m2", "area_in_zone_m2", "whole"]


def parcels_in_zones(zones: Sequence[tuple[str, BaseGeometry]], parcels: np.ndarray) -> pd.DataFrame:
    """`parcels_in_zone` for several zones over one batch of parcels (their rings, boxes and areas
    taken once): one row per (zone, parcel with area inside it), in zone order then row order.

    Each parcel's verdict and area depend on that parcel and the zone alone, so the table of a
    whole dataset is the concatenation of the tables of its partitions (rows renumbered).

    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> parcels_in_zones([("a", shapely.box(0, 0, 15, 10)), ("b", shapely.box(12, 0, 20, 5))], cells).values.tolist()
    [['a', 0, 100.0, 100.0, True], ['a', 1, 100.0, 50.0, False], ['b', 1, 100.0, 40.0, False]]
    """
    parcels = np.asarray(parcels, dtype=object)
    rings = rings_of(parcels)
    bounds = shapely.bounds(parcels) if len(parcels) else np.zeros((0, 4))
    areas = shapely.area(parcels) if len(parcels) else np.zeros(0)
    parts = []
    for ref, zone in zones:
        found = parcels_in_zone(zone, rings, bounds, areas)
        parts.append(pd.DataFrame({"zone": np.full(len(found.rows), ref, dtype=object), "row": found.rows,
                                   "area_m2": areas[found.rows].astype(float), "area_in_zone_m2": found.area_in_zone_m2,
                                   "whole": found.whole}))
    if not parts:
        return pd.DataFrame({"zone": pd.Series(dtype=object), "row": pd.Series(dtype=np.int64),
                             "area_m2": pd.Series(dtype=float), "area_in_zone_m2": pd.Series(dtype=float),
                             "whole": pd.Series(dtype=bool)})
    return pd.concat(parts, ignore_index=True)[ZONE_TABLE_COLUMNS]
