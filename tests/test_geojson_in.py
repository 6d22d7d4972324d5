"""The checks every uploaded GeoJSON area goes through: CRS names, positions, place in Korea."""
import pytest
import shapely
from pyproj import Geod

from geodata.geojson_in import GeoInputFault, checked_area, crs_member_name, epsg_name, to_metric

SQUARE = [[126.69, 35.15], [126.70, 35.15], [126.70, 35.16], [126.69, 35.16], [126.69, 35.15]]
# EPSG:5186 easting, northing of a site in the Bitgreen complex (Gwangju)
METRIC_SQUARE = [[171400, 284900], [171450, 284900], [171450, 284950], [171400, 284950], [171400, 284900]]
# the same place in EPSG:5179 (Unified CS), whose northings (~1.7 million m) cannot pass for eastings
UNIFIED_SQUARE = [[925874, 1685284], [925924, 1685284], [925924, 1685334], [925874, 1685334], [925874, 1685284]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def fault(geometry, crs="EPSG:4326", **kw) -> GeoInputFault:
    with pytest.raises(GeoInputFault) as info:
        checked_area(geometry, crs, **kw)
    return info.value


@pytest.mark.parametrize("name", ["EPSG:5186", "epsg:5186", " EPSG:5186 ", "[EPSG:5186]", "urn:ogc:def:crs:EPSG::5186",
                                  "http://www.opengis.net/def/crs/EPSG/0/5186",
                                  "https://www.opengis.net/def/crs/EPSG/0/5186"])
def test_the_ways_gis_tools_name_a_crs_are_read(name):
    assert epsg_name(name) == "EPSG:5186"


@pytest.mark.parametrize("name", ["CRS84", "OGC:CRS84", "[OGC:CRS84]", "urn:ogc:def:crs:OGC:1.3:CRS84",
                                  "urn:ogc:def:crs:OGC::CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"])
def test_crs84_is_lon_lat_wgs84(name):
    assert epsg_name(name) == "EPSG:4326"


@pytest.mark.parametrize("name, kind, says", [
    ("EPSG:999999", "unknown_crs", "unknown crs"),
    ("EPSG:4978", "unknown_crs", "no EPSG code"),  # geocentric x, y, z: no map positions
    ("", "invalid_crs", "must be a string"),
    (5186, "invalid_crs", "must be a string"),
])
def test_an_unusable_crs_is_named(name, kind, says):
    with pytest.raises(GeoInputFault) as info:
        epsg_name(name)
    assert info.value.kind == kind and says in info.value.detail


def test_the_old_geojson_crs_member_gives_its_name():
    assert crs_member_name({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5179"}}) == \
        "urn:ogc:def:crs:EPSG::5179"
    assert crs_member_name("EPSG:5186") is None and crs_member_name({"properties": {"name": 5186}}) is None


def test_lon_lat_area_in_epsg_5186_matches_the_geodesic_area():
    metric = to_metric(checked_area(polygon(SQUARE), "EPSG:4326"), "EPSG:4326")
    geodesic, _ = Geod(ellps="GRS80").polygon_area_perimeter(*zip(*SQUARE))
    assert metric.area == pytest.approx(abs(geodesic), rel=1e-4)  # EPSG:5186 scale error < 0.01 % here


def test_unified_cs_square_is_where_the_central_belt_one_is():
    unified = to_metric(checked_area(polygon(UNIFIED_SQUARE), "EPSG:5179"), "EPSG:5179")
    assert unified.area == pytest.approx(2500, rel=1e-3)
    assert unified.centroid.distance(shapely.Polygon(METRIC_SQUARE).centroid) < 1.0


def test_metric_input_is_kept_as_sent():
    shape = to_metric(checked_area(polygon(METRIC_SQUARE), "EPSG:5186"), "EPSG:5186")
    assert shape.area == 2500.0 and shapely.get_coordinates(shape)[0].tolist() == [171400, 284900]


def test_an_open_ring_is_refused_at_its_last_position():
    open_ring = polygon(SQUARE[:-1])
    assert fault(open_ring).code == "unclosed_ring"
    assert fault(open_ring).location == SQUARE[-2]


@pytest.mark.parametrize("geometry, crs, code, kind", [
    (polygon([p[::-1] for p in SQUARE]), "EPSG:4326", "swapped_lat_lon", "swapped_lat_lon"),
    (polygon([p[::-1] for p in UNIFIED_SQUARE]), "EPSG:5179", "swapped_axes", "swapped_axes"),
    (polygon(METRIC_SQUARE), "OGC:CRS84", "outside_korea", "metres_as_degrees"),
    (polygon(SQUARE), "EPSG:5186", "outside_korea", "degrees_as_metres"),
    (polygon([[x + 13, y + 0.5] for x, y in SQUARE]), "EPSG:4326", "outside_korea", "outside_korea"),  # Tokyo
    (polygon([[126.69, 35.15], [126.70, 35.16], [126.70, 35.15], [126.69, 35.16], [126.69, 35.15]]), "EPSG:4326",
     "self_intersection", "self_intersection"),
    (polygon(SQUARE, [[x + 0.02, y] for x, y in SQUARE]), "EPSG:4326", "invalid_geometry", "invalid_geometry"),
    (polygon([["126.69", "35.15"]] * 4), "EPSG:4326", "bad_coordinates", "bad_coordinates"),
    (polygon([[True, 35.15], [126.70, 35.15], [126.70, 35.16], [True, 35.15]]), "EPSG:4326", "bad_coordinates",
     "bad_coordinates"),
    (polygon([SQUARE[0], [float("nan"), 35.15], *SQUARE[2:]]), "EPSG:4326", "non_finite_coordinate",
     "non_finite_coordinate"),
    (polygon([[10 ** 400, 35.15], *SQUARE[1:4], [10 ** 400, 35.15]]), "EPSG:4326", "non_finite_coordinate",
     "non_finite_coordinate"),
    (polygon([SQUARE[0], SQUARE[1], SQUARE[0]]), "EPSG:4326", "too_few_points", "too_few_points"),
    ({"type": "Polygon", "coordinates": []}, "EPSG:4326", "bad_coordinates", "empty_coordinates"),
    ({"type": "Point", "coordinates": SQUARE[0]}, "EPSG:4326", "wrong_geometry_type", "wrong_geometry_type"),
    (None, "EPSG:4326", "no_geometry", "no_geometry"),
])
def test_each_fault_gets_its_likeliest_cause(geometry, crs, code, kind):
    found = fault(geometry, crs)
    assert (found.code, found.kind) == (code, kind)


def test_the_fault_points_at_the_first_position_outside_korea():
    ring = [SQUARE[0], [140.0, 35.15], SQUARE[2], SQUARE[0]]
    found = fault(polygon(ring))
    assert found.location == [140.0, 35.15] and "140, 35.15" in found.detail


def test_a_self_intersection_is_located_where_geos_finds_it():
    found = fault(polygon([[126.69, 35.15], [126.70, 35.16], [126.70, 35.15], [126.69, 35.16], [126.69, 35.15]]))
    assert found.location == pytest.approx([126.695, 35.155]) and "Self-intersection" in found.facts["reason"]


def test_positions_with_heights_and_multipolygons_with_holes_are_areas():
    hole = [[126.693, 35.153], [126.693, 35.156], [126.696, 35.156], [126.696, 35.153], [126.693, 35.153]]
    shape = checked_area({"type": "MultiPolygon", "coordinates": [[[p + [12.5] for p in SQUARE], hole],
                                                                  [[[x + 0.02, y] for x, y in SQUARE]]]}, "EPSG:4326")
    assert shape.geom_type == "MultiPolygon" and len(shape.geoms[0].interiors) == 1
    assert shape.area == pytest.approx(2 * 0.01 * 0.01 - 0.003 * 0.003)


def test_a_fault_reads_in_the_callers_words():
    found = fault(polygon([p[::-1] for p in SQUARE]))
    assert found.worded({"swapped_lat_lon": "{where}: ({x:g}, {y:g}) is lat, lon"}, where="site") == \
        "site: (35.15, 126.69) is lat, lon"
    assert found.worded({}) == found.detail and found.worded({}, "{where}: {detail}", where="site").startswith("site: ")
