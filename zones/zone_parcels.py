"""The parcels of a zone: which lie in it, how much of each, and the land use they make up.

A parcel wholly inside the zone counts with its whole area; a parcel crossing the zone's
boundary counts with the exact area of its intersection with the zone; a parcel outside, or
only touching the boundary, does not count. The wholly-inside parcels are found with one
prepared, vectorised predicate over a spatial index (`contains`: the zone's holes and parts are
respected; one envelope query, then the zone prepared once and tested against every candidate
in one call), so only the few crossing parcels are intersected. Areas are planar EPSG:5186, the
same as everywhere else in this tool.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

METHOD = ("planar EPSG:5186; parcels wholly inside count whole (prepared 'contains' over an STR-tree), "
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


def parcels_in_zone(zone: BaseGeometry, parcels: np.ndarray, tree: STRtree | None = None,
                    parcel_areas: np.ndarray | None = None) -> ZoneParcels:
    """The parcels of `zone` (both in EPSG:5186); `tree` is an STRtree over `parcels` (built when
    None) and `parcel_areas` their planar areas (computed when None).

    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(30, 0, 40, 10)])
    >>> got = parcels_in_zone(shapely.box(0, 0, 15, 10), cells)
    >>> got.rows.tolist(), got.area_in_zone_m2.tolist(), got.whole.tolist()
    ([0, 1], [100.0, 50.0], [True, False])
    """
    parcels = np.asarray(parcels, dtype=object)
    tree = tree if tree is not None else STRtree(parcels)
    if zone is None or zone.is_empty or not len(parcels):
        return ZoneParcels(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool))
    candidates = np.sort(tree.query(zone))  # envelopes only
    zone = shapely.from_wkb(shapely.to_wkb(zone))
    shapely.prepare(zone)  # a private prepared copy: the caller's geometry is left as it is
    whole = shapely.contains(zone, parcels[candidates])
    inside = candidates[whole]
    rest = candidates[~whole]
    crossing = rest[shapely.intersects(zone, parcels[rest])]
    cross_area = shapely.area(shapely.intersection(parcels[crossing], zone)) if len(crossing) else np.zeros(0)
    keep = cross_area > 0.0  # parcels only touching the boundary have nothing inside
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
