"""Does each parcel lie in the legal dong its PNU names? A spatial cross-check, vectorised.

A parcel's representative point (always inside it) is looked up among the legal-dong polygons
with an STR-tree. The boundaries at hand are generalised and neighbouring dongs overlap, so a
point inside several dongs agrees when any of them is the PNU's; it disagrees when none is, and
is "outside" when it lies in no dong at all. Run on a whole frame in memory or on each partition
of the dataset: the same function either way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

DISAGREE_COLUMNS = ["pnu", "pnu_dong", "found_dong", "x", "y"]


def dong_disagreements(parcels: pd.DataFrame, dong_codes: np.ndarray, dong_geoms: np.ndarray) -> pd.DataFrame:
    """Parcels whose representative point lies in none of the dongs their PNU names (first 8 digits).

    `found_dong` is the first dong containing the point ("" when none does); x, y the point (metric CRS, `zones.crs.METRIC`).

    >>> dongs = np.array(["29110101", "29110102"], dtype=object)
    >>> geoms = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> frame = pd.DataFrame({"pnu": ["2911010100100010000", "2911010100100020000", "2911010200100010000"],
    ...                       "geometry": [shapely.box(1, 1, 2, 2), shapely.box(11, 1, 12, 2), shapely.box(30, 1, 31, 2)]})
    >>> dong_disagreements(frame, dongs, geoms)[["pnu", "found_dong"]].values.tolist()
    [['2911010100100020000', '29110102'], ['2911010200100010000', '']]
    """
    if not len(parcels):
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("x", "y") else object) for c in DISAGREE_COLUMNS})
    points = shapely.point_on_surface(np.asarray(parcels["geometry"].values, dtype=object))
    pnu = np.asarray(parcels["pnu"], dtype=object)
    claimed = np.array([p[:8] for p in pnu], dtype=object)
    tree = shapely.STRtree(dong_geoms)
    point_idx, dong_idx = tree.query(points, predicate="within")
    agree = np.zeros(len(points), dtype=bool)
    match = dong_codes[dong_idx] == claimed[point_idx]
    agree[point_idx[match]] = True
    found = np.full(len(points), "", dtype=object)
    first = np.unique(point_idx, return_index=True)
    found[first[0]] = dong_codes[dong_idx[first[1]]]
    bad = np.flatnonzero(~agree)
    xy = shapely.get_coordinates(points[bad]) if len(bad) else np.empty((0, 2))
    return pd.DataFrame({"pnu": pnu[bad], "pnu_dong": claimed[bad], "found_dong": found[bad],
                         "x": xy[:, 0], "y": xy[:, 1]})
