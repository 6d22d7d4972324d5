"""The parcels of a zone: which lie in it, how much of each, and the land use they make up.

A parcel wholly inside the zone counts with its whole area; a parcel crossing the zone's
boundary counts with the exact area of its intersection with the zone; a parcel outside, or
only touching the boundary, does not count. The parcels away from the zone's outline are
settled by one vectorised point-in-polygon test against the prepared zone (its holes and parts
respected); only those near the outline get the exact `contains` test, and only the few that
cross it are intersected. Areas are planar in the metric CRS (`zones.crs.METRIC`), the same as
everywhere else in this tool.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from zones.crs import METRIC

METHOD = (f"planar {METRIC}; parcels wholly inside count whole (STR-tree, prepared zone), "
          "parcels crossing the boundary count with their intersection with the zone")


@dataclass(frozen=True)
class ZoneParcels:
    """Parcels (row numbers of the parcel layer, ascending) that have area inside one zone."""

    rows: np.ndarray  # row numbers into the parcel layer
    area_in_zone_m2: np.ndarray  # planar m² of each parcel inside the zone
    whole: np.ndarray  # True where the parcel lies wholly inside the zone

    @property
    def crossing(self) -> np.ndarray:
        return self.rows[~self.whole]


BOUNDARY_PIECE_M = 50.0  # the zone's outline is cut into pieces this long to find the parcels near it


def first_vertices(parcels: np.ndarray) -> np.ndarray:
    """(n, 2) first vertex of each parcel's first exterior ring (NaN for a missing or empty one): the
    first coordinate of each geometry, taken from one flat `get_coordinates` call.

    >>> first_vertices(np.array([shapely.box(0, 0, 1, 1), None, shapely.Polygon([(5, 6), (7, 6), (7, 8)])])).tolist()
    [[1.0, 0.0], [nan, nan], [5.0, 6.0]]
    """
    parcels = np.asarray(parcels, dtype=object)
    out = np.full((len(parcels), 2), np.nan)
    coords, index = shapely.get_coordinates(parcels, return_index=True)
    if len(index):
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        out[index[starts]] = coords[starts]
    return out


def parcels_in_zone(zone: BaseGeometry, parcels: np.ndarray, tree: STRtree | None = None,
                    parcel_areas: np.ndarray | None = None, vertices: np.ndarray | None = None) -> ZoneParcels:
    """The parcels of `zone` (both in `METRIC`); `tree` is an STRtree over `parcels`, `parcel_areas`
    their planar areas and `vertices` their `first_vertices` (each computed when None).

    A parcel whose envelope meets no piece of the zone's outline cannot cross it: it lies wholly
    inside or wholly outside, which one vertex tells (a vectorised point-in-polygon against the
    prepared zone). Only the parcels near the outline are tested exactly and, when they cross
    it, intersected.

    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(30, 0, 40, 10)])
    >>> got = parcels_in_zone(shapely.box(0, 0, 15, 10), cells)
    >>> got.rows.tolist(), got.area_in_zone_m2.tolist(), got.whole.tolist()
    ([0, 1], [100.0, 50.0], [True, False])
    """
    parcels = np.asarray(parcels, dtype=object)
    if zone is None or zone.is_empty or not len(parcels):
        return ZoneParcels(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool))
    tree = tree if tree is not None else STRtree(parcels)
    zone = shapely.from_wkb(shapely.to_wkb(zone))  # a private copy to prepare: the caller's is left as it is
    shapely.prepare(zone)
    candidates = np.sort(tree.query(zone))  # envelopes only
    outline = shapely.segmentize(shapely.boundary(zone), BOUNDARY_PIECE_M)
    coords, ring = shapely.get_coordinates(shapely.get_parts(shapely.get_parts(outline)), return_index=True)
    same = ring[:-1] == ring[1:]
    pieces = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    near = np.intersect1d(candidates, np.unique(tree.query(pieces)[1]), assume_unique=False)
    far = np.setdiff1d(candidates, near, assume_unique=True)
    xy = vertices[far] if vertices is not None else first_vertices(parcels[far])
    inside_far = far[shapely.contains_xy(zone, xy[:, 0], xy[:, 1])]
    whole_near = shapely.contains(zone, parcels[near])
    rest = near[~whole_near]
    crossing = rest[shapely.intersects(zone, parcels[rest])]
    inside = np.union1d(inside_far, near[whole_near])
    cross_area = shapely.area(shapely.intersection(parcels[crossing], zone)) if len(crossing) else np.zeros(0)
    keep = cross_area > 0.0  # parcels only touching the outline have nothing inside
    crossing, cross_area = crossing[keep], cross_area[keep]
    whole_area = (parcel_areas[inside] if parcel_areas is not None else shapely.area(parcels[inside])).astype(float)
    rows = np.concatenate([inside, crossing])
    order = np.argsort(rows, kind="stable")
    return ZoneParcels(rows=rows[order], area_in_zone_m2=np.concatenate([whole_area, cross_area])[order],
                       whole=np.concatenate([np.ones(len(inside), bool), np.zeros(len(crossing), bool)])[order])


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
    """`parcels_in_zone` for several zones over one batch of parcels (one STR-tree, one set of areas):
    one row per (zone, parcel with area inside it), in zone order then row order.

    Each parcel's verdict and area depend on that parcel and the zone alone, so the table of a
    whole dataset is the concatenation of the tables of its partitions (rows renumbered).

    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> parcels_in_zones([("a", shapely.box(0, 0, 15, 10)), ("b", shapely.box(12, 0, 20, 5))], cells).values.tolist()
    [['a', 0, 100.0, 100.0, True], ['a', 1, 100.0, 50.0, False], ['b', 1, 100.0, 40.0, False]]
    """
    parcels = np.asarray(parcels, dtype=object)
    tree = STRtree(parcels) if len(parcels) else None
    areas = shapely.area(parcels) if len(parcels) else np.zeros(0)
    parts = []
    for ref, zone in zones:
        found = parcels_in_zone(zone, parcels, tree, areas)
        parts.append(pd.DataFrame({"zone": np.full(len(found.rows), ref, dtype=object), "row": found.rows,
                                   "area_m2": areas[found.rows].astype(float), "area_in_zone_m2": found.area_in_zone_m2,
                                   "whole": found.whole}))
    if not parts:
        return pd.DataFrame({"zone": pd.Series(dtype=object), "row": pd.Series(dtype=np.int64),
                             "area_m2": pd.Series(dtype=float), "area_in_zone_m2": pd.Series(dtype=float),
                             "whole": pd.Series(dtype=bool)})
    return pd.concat(parts, ignore_index=True)[ZONE_TABLE_COLUMNS]
