"""The published shape of the continuous cadastral map (연속지적도, LSMD_CONT_LDREG).

One zip per 시도, `LSMD_CONT_LDREG_{시도 code}_{yyyymm}.zip`, holding one shapefile of the same
stem (.shp, .shx, .dbf, .prj), attributes in cp949 with `PNU` and `JIBUN`, coordinates in
Korea 2000 / Central Belt 2010 (`zones.crs.METRIC`) with the ESRI .prj below (older copies: Korean 1985 Modified Central Belt, EPSG:5174).
"""
from __future__ import annotations

import re

STEM = "LSMD_CONT_LDREG"
NAME_PATTERN = re.compile(r"^LSMD_CONT_LDREG_(\d{2})_(\d{6})$")
ENCODING = "cp949"

# The .prj text the published files carry (ESRI WKT, KGD2002 / Central Belt 2010).
PRJ_CENTRAL_BELT_2010 = (
    'PROJCS["Korea_2000_Korea_Central_Belt_2010",GEOGCS["GCS_Korea_2000",DATUM["D_Korea_2000",'
    'SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",200000.0],PARAMETER["False_Northing",600000.0],'
    'PARAMETER["Central_Meridian",127.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",38.0],'
    'UNIT["Meter",1.0]]')
# Older copies: Korean 1985 (Bessel 1841) Modified Central Belt, ESRI WKT without TOWGS84.
PRJ_BESSEL_CENTRAL = (
    'PROJCS["Korean_1985_Modified_Korea_Central_Belt",GEOGCS["GCS_Korean_Datum_1985",DATUM["D_Korean_Datum_1985",'
    'SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",200000.0],PARAMETER["False_Northing",500000.0],'
    'PARAMETER["Central_Meridian",127.00289027777778],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",38.0],UNIT["Meter",1.0]]')


def file_stem(sido: str, yyyymm: str) -> str:
    """`LSMD_CONT_LDREG_29_202411` for Gwangju, November 2024.

    >>> file_stem("29", "202411")
    'LSMD_CONT_LDREG_29_202411'
    """
    if not re.fullmatch(r"\d{2}", sido) or not re.fullmatch(r"\d{6}", yyyymm):
        raise ValueError(f"시도 code must be 2 digits and the month yyyymm, got {sido!r}, {yyyymm!r}")
    return f"{STEM}_{sido}_{yyyymm}"
