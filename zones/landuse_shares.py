"""Land-use shares by 시군구 from the land category (지목) of cadastral parcels.

One function, `landuse_sums`, turns a frame of parcels into planar area and parcel count per
(시군구, land-use class); it is what runs on the whole frame in memory and on each partition of
the Dask dataset, so the two paths cannot disagree by construction, only by the order of the
floating-point sums. `shares_table` turns the sums (added over partitions) into percentages.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from zones.errors import InvalidInput
from zones.pnu import JIMOK_CODES

UNCLASSIFIED = "unclassified"
SUM_COLUMNS = ["sigungu", "land_use", "area_m2", "parcels"]


class JimokMappingError(InvalidInput):
    """The 지목 → land-use mapping leaves a code out, names one twice, or names an unknown one."""

    default_code = "invalid_jimok_mapping"


def jimok_groups(groups: Mapping[str, list[str]], where: str = "", kind: str = "land-use class ") -> dict[str, str]:
    """{지목 code: group} from {group: [codes]}, refusing an unknown code or one named under two groups;
    messages start with `where` (e.g. the file and table) and call a group a `kind`. Codes left out
    are the caller's to judge.

    >>> jimok_groups({"industrial": ["장", "창"], "support": ["대"]})
    {'장': 'industrial', '창': 'industrial', '대': 'support'}
    >>> jimok_groups({"a": ["대"], "b": ["대"]})
    Traceback (most recent call last):
    ...
    zones.landuse_shares.JimokMappingError: 지목 '대' is in both 'a' and 'b'
    """
    out: dict[str, str] = {}
    for name, codes in groups.items():
        for code in codes:
            if code not in JIMOK_CODES:
                raise JimokMappingError(f"{where}{kind}{name!r} names {code!r}, which is not a 지목 code")
            if code in out:
                raise JimokMappingError(f"{where}지목 {code!r} is in both {out[code]!r} and {name!r}")
            out[code] = name
    return out


def class_of_jimok(classes: Mapping[str, list[str]]) -> dict[str, str]:
    """{지목 code: class} from {class: [codes]}, refusing a mapping that is not a partition of the 28 codes.

    >>> class_of_jimok({"a": list("전답"), "b": [c for c in "과목임광염대장학차주창도철제천구유양수공체원종사묘잡"]})["답"]
    'a'
    """
    out = jimok_groups(classes)
    missing = [c for c in JIMOK_CODES if c not in out]
    if missing:
        raise JimokMappingError(f"지목 codes with no land-use class: {''.join(missing)}")
    return out


def landuse_sums(parcels: pd.DataFrame, jimok_class: Mapping[str, str]) -> pd.DataFrame:
    """Planar area (m², of the `geometry` column, in the metric CRS, `zones.crs.METRIC`) and parcel count per (sigungu, land_use).

    `parcels` has `sigungu`, `jimok` and `geometry` (shapely geometries or a GeoSeries). A 지목 the
    mapping does not know is summed as "unclassified", never dropped.

    >>> import shapely
    >>> df = pd.DataFrame({"sigungu": ["29110", "29110", "29140"], "jimok": ["대", "장", "대"],
    ...                    "geometry": [shapely.box(0, 0, 10, 10), shapely.box(0, 0, 5, 2), shapely.box(0, 0, 1, 1)]})
    >>> landuse_sums(df, {"대": "residential", "장": "industrial"}).values.tolist()
    [['29110', 'industrial', 10.0, 1], ['29110', 'residential', 100.0, 1], ['29140', 'residential', 1.0, 1]]
    """
    area = shapely.area(np.asarray(parcels["geometry"].values, dtype=object)) if len(parcels) else np.zeros(0)
    return landuse_sums_of_areas(np.asarray(parcels["sigungu"], dtype=object), np.asarray(parcels["jimok"], dtype=object),
                                 area, jimok_class)


def landuse_sums_of_areas(sigungu: np.ndarray, jimok: np.ndarray, area: np.ndarray,
                          jimok_class: Mapping[str, str]) -> pd.DataFrame:
    """`landuse_sums` from each parcel's 시군구, 지목 and area (NaN, a missing geometry, adds nothing
    but still counts the parcel), in (sigungu, land_use) order. Keys are factorised and summed with
    one `bincount`, so a million parcels take milliseconds.

    >>> landuse_sums_of_areas(np.array(["2", "1", "1"], dtype=object), np.array(["대", "장", "잡"], dtype=object),
    ...                       np.array([1.0, 2.0, np.nan]), {"대": "residential", "장": "industrial"}).values.tolist()
    [['1', 'industrial', 2.0, 1], ['1', 'unclassified', 0.0, 1], ['2', 'residential', 1.0, 1]]
    """
    if not len(area):
        return pd.DataFrame({"sigungu": pd.Series(dtype=object), "land_use": pd.Series(dtype=object),
                             "area_m2": pd.Series(dtype=float), "parcels": pd.Series(dtype=np.int64)})
    s_codes, s_names = pd.factorize(np.asarray(sigungu, dtype=object))
    j_codes, j_names = pd.factorize(np.asarray(jimok, dtype=object))
    return landuse_sums_of_codes(s_codes, np.asarray(s_names, dtype=object), j_codes, np.asarray(j_names, dtype=object),
                                 area, jimok_class)


def landuse_sums_of_codes(s_codes: np.ndarray, s_names: np.ndarray, j_codes: np.ndarray, j_names: np.ndarray,
                          area: np.ndarray, jimok_class: Mapping[str, str]) -> pd.DataFrame:
    """`landuse_sums_of_areas` from the parcels' 시군구 and 지목 as codes into their names (as a
    dictionary-encoded column holds them, so no text is touched per parcel).

    >>> landuse_sums_of_codes(np.array([1, 0, 0]), np.array(["2", "1"], dtype=object), np.array([0, 1, 1]),
    ...                       np.array(["대", "장"], dtype=object), np.array([1.0, 2.0, 3.0]), {"대": "r", "장": "i"}).values.tolist()
    [['1', 'r', 1.0, 1], ['2', 'i', 5.0, 2]]
    """
    s_rank = np.argsort(np.argsort(s_names, kind="stable"), kind="stable")  # 시군구 codes in name order
    c_of_j, c_names = pd.factorize(np.array([jimok_class.get(j, UNCLASSIFIED) for j in j_names], dtype=object), sort=True)
    k = max(len(c_names), 1)
    key = s_rank[s_codes].astype(np.int64) * k + c_of_j[j_codes]
    size = len(s_names) * k
    sums = np.bincount(key, weights=np.nan_to_num(np.asarray(area, dtype=float), nan=0.0), minlength=size)
    counts = np.bincount(key, minlength=size)
    present = np.flatnonzero(counts)
    ordered = np.asarray(s_names, dtype=object)[np.argsort(s_names, kind="stable")]
    return pd.DataFrame({"sigungu": ordered[present // k],
                         "land_use": np.asarray(c_names, dtype=object)[present % k],
                         "area_m2": sums[present], "parcels": counts[present].astype(np.int64)})


def combine_sums(parts: list[pd.DataFrame] | pd.DataFrame, by: str = "sigungu") -> pd.DataFrame:
    """Add the sums of several partitions into one table keyed by (`by`, land_use)."""
    frame = pd.concat(parts, ignore_index=True) if isinstance(parts, list) else parts
    return frame.groupby([by, "land_use"], as_index=False, sort=True)[["area_m2", "parcels"]].sum()


def shares_table(sums: pd.DataFrame, by: str = "sigungu") -> pd.DataFrame:
    """Each land-use class's share (%) of its group's (a 시군구's, or a complex's: `by`) parcel area, beside the sums.

    >>> t = shares_table(pd.DataFrame({"sigungu": ["1", "1"], "land_use": ["a", "b"], "area_m2": [30.0, 10.0],
    ...                                "parcels": [1, 1]}))
    >>> t["share_pct"].tolist()
    [75.0, 25.0]
    """
    out = combine_sums(sums, by).copy()
    total = out.groupby(by)["area_m2"].transform("sum")
    out["share_pct"] = np.where(total > 0, out["area_m2"] / total.where(total > 0, 1.0) * 100.0, 0.0)
    return out
