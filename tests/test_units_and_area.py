import math
from fractions import Fraction

import pytest
import shapely

from zones.area import measure
from zones.crs import transformer
from zones.units import PYEONG_M2_EXACT, all_units, from_m2, to_m2


def test_pyeong_is_six_ja_squared():
    ja = Fraction(10, 33)
    assert PYEONG_M2_EXACT == (6 * ja) ** 2 == Fraction(400, 121)
    assert to_m2(1_000_000, "pyeong") == pytest.approx(3_305_785.1239669, abs=1e-6)


def test_unit_round_trip_and_table():
    units = all_units(2_250_000)
    assert units == pytest.approx({"m2": 2_250_000, "ha": 225, "km2": 2.25, "pyeong": 2_250_000 * 121 / 400})
    assert from_m2(to_m2(600_000, "pyeong"), "pyeong") == pytest.approx(600_000)


def test_unknown_unit_is_named():
    with pytest.raises(ValueError, match="unknown area unit 'acre'"):
        to_m2(1, "acre")


def test_square_in_5186_is_exact():
    square = shapely.box(200_000, 300_000, 201_234, 301_000)
    area = measure(square, "EPSG:5186")
    assert area.planar_m2 == 1_234_000.0
    # On the central meridian the projection's scale factor is 1: geodesic agrees to 0.001 %.
    assert area.geodesic_m2 == pytest.approx(1_234_000.0, rel=1e-5)


@pytest.mark.parametrize("lon, lat", [(126.67, 35.17), (127.09, 35.87)])
def test_one_km2_square_in_lonlat_measures_1_km2_both_ways(lon, lat):
    to_lonlat = transformer("EPSG:5186", "EPSG:4326")
    x0, y0 = transformer("EPSG:4326", "EPSG:5186").transform(lon, lat)
    # A 1 km × 1 km square drawn on the ellipsoid via the local projection, densified.
    ring = shapely.segmentize(shapely.box(x0, y0, x0 + 1000, y0 + 1000), 50).exterior.coords
    lonlat = shapely.Polygon([to_lonlat.transform(x, y) for x, y in ring])
    area = measure(lonlat, "EPSG:4326")
    assert area.planar_m2 == pytest.approx(1e6, rel=1e-3)
    assert area.geodesic_m2 == pytest.approx(1e6, rel=1e-3)
    assert abs(area.planar_vs_geodesic_pct) < 0.1


def test_degrees_are_never_read_as_square_metres():
    lonlat = shapely.box(126.66, 35.17, 126.67, 35.18)
    area = measure(lonlat, "EPSG:4326")
    assert area.planar_m2 > 1e5  # ~0.9 km², not 1e-4 "square degrees"
    assert not math.isclose(area.planar_m2, lonlat.area)


def test_holes_are_subtracted_in_both_methods():
    outer = shapely.box(200_000, 300_000, 201_000, 301_000)
    hole = shapely.box(200_250, 300_250, 200_750, 300_750)
    area = measure(outer.difference(hole), "EPSG:5186")
    assert area.planar_m2 == 750_000.0
    assert area.geodesic_m2 == pytest.approx(750_000.0, rel=1e-4)


def test_ellipsoidal_cross_check_matches_the_geodesic_polygon_to_one_ppm():
    """The vectorised cross-check (equal-area projection) against pyproj's geodesic polygon area
    (Karney) on every feature of the default store: zones, sites and 305 legal dongs up to 84 km²."""
    import numpy as np
    from pyproj import Geod

    from geodata import DEFAULT_STORE
    from geodata.store import GeoPackageStore
    from zones.area import geodesic_areas_m2
    from zones.crs import to_lonlat

    grs80 = Geod(ellps="GRS80")
    store = GeoPackageStore(DEFAULT_STORE)
    scale_error = 0.0
    for layer in store.layer_ids():
        geoms = np.asarray(store.read(layer).geometry.values)
        ours = geodesic_areas_m2(geoms)
        karney = np.array([abs(sum(grs80.geometry_area_perimeter(shapely.geometry.polygon.orient(p, 1.0))[0]
                                   for p in shapely.get_parts(to_lonlat(g, "EPSG:5186")))) for g in geoms])
        assert np.all(np.abs(ours - karney) <= 1e-6 * karney), layer
        scale_error = max(scale_error, float(np.max(np.abs(shapely.area(geoms) - karney) / karney)))
    assert scale_error > 1e-5  # EPSG:5186's own scale error, which the cross-check shows, is far larger (Gwangju)


def test_layers_get_the_cross_check_only_when_asked(tmp_path):
    import numpy as np

    from geodata import DEFAULT_STORE
    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore
    from zones.area import geodesic_areas_m2

    data = LayerProvider(GeoPackageStore(DEFAULT_STORE)).layer("fez_districts")
    assert "area_geodesic_m2" not in data.metric.columns  # measuring never pays for it
    expected = geodesic_areas_m2(data.metric.geometry.values)
    assert np.array_equal(data.full_metric["area_geodesic_m2"].to_numpy(), expected)
    assert np.array_equal(data.wgs84["area_geodesic_m2"].to_numpy(), expected)
    assert data.full_metric is data.full_metric  # made once
