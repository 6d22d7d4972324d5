"""CRS handling of imports, above all the legacy Bessel systems.

Control value: the natural origin of EPSG:5174 (Korean 1985 / Modified Central
Belt), easting 200,000 m / northing 500,000 m, is by the definition of that
projection the Korean 1985 (Bessel 1841) point 38°N, 127°00'10.405"E
(127.0028902777778°). Its WGS84 position is derived below, independently of
PROJ, with the 7-parameter Helmert transformation Korean 1985 -> WGS84 that the
National Geographic Information Institute (NGII) published and Korean GIS
practice uses: tx -115.80, ty 474.99, tz 674.11 m, rx 1.16, ry -2.31, rz -1.63
arc-seconds, scale 6.43 ppm (position-vector convention, the proj4
`+towgs84=` form). EPSG's own operation (EPSG:5191 from EPSG:5189, NGII notice
2003-497, stated accuracy 1 m) agrees with it to a few centimetres in Korea.
"""
from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod

from geodata import korean_crs
from geodata.importers import read_any
from geodata.layer_import import ImportOptions, prepare

BESSEL = (6377397.155, 1 / 299.1528128)
WGS84 = (6378137.0, 1 / 298.257223563)
NGII_HELMERT = (-115.80, 474.99, 674.11, 1.16, -2.31, -1.63, 6.43)
ORIGIN_5174_BESSEL = (127.0028902777778, 38.0)

# ESRI-style .prj as legacy Korean data ships it: home-made names, no EPSG code, no TOWGS84.
ESRI_5174_UNNAMED = (
    'PROJCS["TM_Middle_Bessel",GEOGCS["GCS_Bessel_1841",DATUM["D_Bessel_1841",'
    'SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",200000.0],PARAMETER["False_Northing",500000.0],'
    'PARAMETER["Central_Meridian",127.00289027777778],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",38.0],UNIT["Meter",1.0]]')


def _geocentric(lon, lat, ellps):
    a, f = ellps
    e2 = f * (2 - f)
    phi, lam = math.radians(lat), math.radians(lon)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return np.array([n * math.cos(phi) * math.cos(lam), n * math.cos(phi) * math.sin(lam), n * (1 - e2) * math.sin(phi)])


def _geodetic(xyz, ellps):
    a, f = ellps
    e2 = f * (2 - f)
    x, y, z = xyz
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        n = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * n * math.sin(lat), p)
    return math.degrees(math.atan2(y, x)), math.degrees(lat)


def _ngii_wgs84(lon, lat):
    tx, ty, tz, rx, ry, rz, ppm = NGII_HELMERT
    sec = math.pi / 180 / 3600
    rx, ry, rz = rx * sec, ry * sec, rz * sec
    rot = np.array([[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]])  # position vector convention
    xyz = np.array([tx, ty, tz]) + (1 + ppm * 1e-6) * rot @ _geocentric(lon, lat, BESSEL)
    return _geodetic(xyz, WGS84)


def _write_shp(tmp_path, prj_text, geom, name="legacy"):
    gdf = gpd.GeoDataFrame({"id": ["origin"]}, geometry=[geom], crs=None)
    path = tmp_path / f"{name}.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided": the .prj is written by hand
        gdf.to_file(path)
    if prj_text is not None:
        (tmp_path / f"{name}.prj").write_text(prj_text)
    return path


def test_unnamed_esri_bessel_prj_is_recognised_and_datum_shifted_within_1m(tmp_path):
    x0, y0 = 200000.0, 500000.0
    tiny = shapely.box(x0 - 5, y0 - 5, x0 + 5, y0 + 5)
    shp = _write_shp(tmp_path, ESRI_5174_UNNAMED, tiny)
    read = read_any(shp)
    gdf, report, refused = prepare(read, ImportOptions(layer="legacy"))
    assert not refused
    crs = report["crs"]
    assert crs["epsg"] == 5174 and crs["bessel"] and crs["matched_by"] == "projection parameters + ellipsoid"
    assert "Korean 1985 to KGD2002" in crs["transformation"] and crs["accuracy_m"] == 1.0
    centre = gdf.to_crs("EPSG:4326").geometry.iloc[0].centroid
    expected = _ngii_wgs84(*ORIGIN_5174_BESSEL)
    geod = Geod(ellps="WGS84")
    error_m = geod.inv(centre.x, centre.y, *expected)[2]
    assert error_m < 1.0, f"{error_m:.3f} m from the NGII-derived WGS84 position {expected}"
    # Treating the Bessel coordinates as if on GRS80 (no datum shift) would be ~360 m off.
    naive = geod.inv(*ORIGIN_5174_BESSEL, *expected)[2]
    assert 300 < naive < 450


@pytest.mark.parametrize("code", [5174, 5173, 5175, 2097, 5186, 5185, 5187, 5188, 5179])
def test_esri_wkt_of_korean_systems_is_identified(code):
    esri = CRS.from_epsg(code).to_wkt("WKT1_ESRI")
    crs, res = korean_crs.resolve(CRS.from_wkt(esri), None)
    assert res.epsg == code
    assert res.bessel == (code in (5174, 5173, 5175, 2097))
    assert res.accuracy_m is not None  # never a ballpark transformation


def test_no_crs_is_refused_unless_given(tmp_path):
    shp = _write_shp(tmp_path, None, shapely.box(200000, 500000, 200100, 500100), name="nocrs")
    read = read_any(shp)
    _, _, refused = prepare(read, ImportOptions(layer="x"))
    assert refused and "--crs" in refused[0]
    gdf, report, refused = prepare(read_any(shp), ImportOptions(layer="x", crs="EPSG:5174"))
    assert not refused and report["crs"]["source"] == "--crs" and report["crs"]["epsg"] == 5174


def test_unknown_bessel_projection_is_refused(tmp_path):
    odd = ESRI_5174_UNNAMED.replace("127.00289027777778", "127.3")
    _, _, refused = prepare(read_any(_write_shp(tmp_path, odd, shapely.box(200000, 500000, 200100, 500100))),
                            ImportOptions(layer="x"))
    assert refused and "Bessel" in refused[0]


def test_swapped_lat_lon_is_refused_in_strict_and_warned_otherwise(tmp_path):
    from geodata.importers import from_geojson_obj
    from tests.write_helpers import square_fc

    latlon = square_fc([(35.15, 126.70), (35.15, 126.71), (35.16, 126.71), (35.16, 126.70), (35.15, 126.70)])
    _, report, refused = prepare(from_geojson_obj(latlon, "t"), ImportOptions(layer="x", strict=True))
    assert refused and report["validation"]["counts"].get("swapped_coordinates") == 1
    outside = square_fc([(139.7, 35.6), (139.71, 35.6), (139.71, 35.61), (139.7, 35.6)])  # Tokyo
    _, report, refused = prepare(from_geojson_obj(outside, "t"), ImportOptions(layer="x", strict=True))
    assert refused and report["validation"]["counts"].get("outside_korea") == 1
    # northing/easting swapped in EPSG:5179 (Gwangju is about x 935,000, y 1,680,000)
    box = shapely.box(1680000, 935000, 1680100, 935100)
    shp = _write_shp(tmp_path, CRS.from_epsg(5179).to_wkt("WKT1_ESRI"), box, name="swapped")
    _, report, refused = prepare(read_any(shp), ImportOptions(layer="x", strict=True))
    assert refused and report["validation"]["counts"].get("swapped_coordinates") == 1
    gdf, report, refused = prepare(read_any(shp), ImportOptions(layer="x"))
    assert not refused and len(gdf) == 1  # default mode: warned in the report, imported as given
    assert any(f["kind"] == "swapped_coordinates" for f in report["validation"]["findings"])
