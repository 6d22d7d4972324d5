"""The arrays the share and zone queries read (geodata.layer_arrays) against the layer loaded whole,
and the zone kernel on parcels an import makes (multipolygons, holes) against GEOS, one at a time."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata import PLAN_FILE
from geodata.layer_arrays import arrays_of, read_arrays
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.share_file import load_shares, shares_of_store
from geodata.store import GeoPackageStore
from geodata.zone_parcels import zone_report
from tests.write_helpers import store_copy
from zones.siting.clip import rings_of
from zones.zone_parcels import parcels_in_zone

X, Y = 180000.0, 280000.0


def _parcels(n_side: int = 12, seed: int = 3) -> gpd.GeoDataFrame:
    """A jittered grid of parcels sharing their edges, stored as multipolygons (as imports store
    them), a few with a hole, one with two parts, one empty."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.linspace(X, X + 120, n_side + 1), np.linspace(Y, Y + 120, n_side + 1))
    gx[1:-1, 1:-1] += rng.uniform(-3, 3, (n_side - 1, n_side - 1))
    gy[1:-1, 1:-1] += rng.uniform(-3, 3, (n_side - 1, n_side - 1))
    cells = [shapely.Polygon([(gx[j, i], gy[j, i]), (gx[j, i + 1], gy[j, i + 1]), (gx[j + 1, i + 1], gy[j + 1, i + 1]),
                              (gx[j + 1, i], gy[j + 1, i])]) for j in range(n_side) for i in range(n_side)]
    for k in (20, 45, 77):  # a courtyard in a few parcels
        c = cells[k].centroid
        cells[k] = cells[k].difference(shapely.box(c.x - 1.5, c.y - 1.5, c.x + 1.5, c.y + 1.5))
    cells.append(shapely.MultiPolygon([shapely.box(X + 200, Y, X + 210, Y + 10), shapely.box(X + 54, Y + 130, X + 66, Y + 140)]))
    geoms = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in cells] + [shapely.MultiPolygon()]
    n = len(geoms)
    return gpd.GeoDataFrame({"id": [f"p{k}" for k in range(n)], "use": [("industrial", "green", None)[k % 3] for k in range(n)],
                             "zone": ["z1" if k % 2 else "z2" for k in range(n)]}, geometry=geoms, crs="EPSG:5186")


ZONES = {
    "inside and crossing": shapely.box(X + 10.5, Y + 10.5, X + 70.2, Y + 90.7),
    "with a hole": shapely.box(X, Y, X + 120, Y + 120).difference(shapely.Point(X + 60, Y + 60).buffer(25)),
    "multipart, one part over the two-part parcel": shapely.MultiPolygon(
        [shapely.box(X + 5, Y + 5, X + 40, Y + 30), shapely.box(X + 50, Y + 100, X + 70, Y + 150)]),
    "concave": shapely.Polygon([(X, Y), (X + 100, Y + 10), (X + 30, Y + 40), (X + 90, Y + 100), (X + 5, Y + 90)]),
    "outside everything": shapely.box(X + 500, Y + 500, X + 600, Y + 600),
    "the grid's own outline (every parcel inside, edges touching)": shapely.box(X, Y, X + 120, Y + 120),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = GeoPackageStore(store_copy(tmp_path_factory.mktemp("layer_arrays")))
    s.replace_layer("parcels", _parcels())
    return s


def test_arrays_read_without_geometries_equal_those_of_the_loaded_layer(store):
    read = read_arrays(store, "parcels", ["use"])
    loaded = arrays_of(LayerProvider(store).layer("parcels"))
    assert read.ids.tolist() == loaded.ids.tolist()
    assert read.area_m2 == pytest.approx(loaded.area_m2, rel=1e-12, abs=1e-9)  # shoelace from the bytes vs GEOS
    assert np.array_equal(read.bounds, loaded.bounds, equal_nan=True)
    assert np.array_equal(read.rings.coords, loaded.rings.coords) and np.array_equal(read.rings.sign, loaded.rings.sign)
    assert np.array_equal(read.rings.ring_geom, loaded.rings.ring_geom)
    (codes, names), (codes_loaded, names_loaded) = read.codes("use"), loaded.codes("use")
    assert codes.tolist() == codes_loaded.tolist() and names == names_loaded and "" in names  # a missing use is ""


def test_a_layer_of_other_geometries_is_read_through_shapely_and_holds_no_area(tmp_path):
    s = GeoPackageStore(store_copy(tmp_path))
    points = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[shapely.Point(X, Y), shapely.Point(X + 5, Y + 7)],
                              crs="EPSG:5186")
    s.replace_layer("wells", points)
    read = read_arrays(s, "wells", [])
    loaded = arrays_of(LayerProvider(s).layer("wells"))
    assert read.area_m2.tolist() == loaded.area_m2.tolist() == [0.0, 0.0]
    assert np.array_equal(read.bounds, loaded.bounds) and read.bounds[1].tolist() == [X + 5, Y + 7, X + 5, Y + 7]
    assert len(read.rings.ring_geom) == 0
    assert parcels_in_zone(shapely.box(X - 1, Y - 1, X + 9, Y + 9), read.rings, read.bounds, read.area_m2).rows.size == 0


def test_another_column_is_read_alone_and_the_rest_shared(store):
    provider = LayerProvider(store)
    first = provider.arrays("parcels", ["use"])
    second = provider.arrays("parcels", ["use", "zone"])
    assert second.rings is first.rings and second.bounds is first.bounds and second.ids is first.ids
    assert second.columns["zone"].tolist() == _parcels()["zone"].tolist()
    assert provider.arrays("parcels", ["use"]) is second  # the wider one serves the narrower ask
    missing = provider.arrays("parcels", ["use", "no_such_column"])
    assert "no_such_column" not in missing.columns and provider.arrays("parcels", ["no_such_column"]) is missing
    assert provider._cache.peek("parcels") is None  # no geometry object was kept for any of it


def test_a_write_is_seen_by_the_next_query(tmp_path):
    s = GeoPackageStore(store_copy(tmp_path))
    s.replace_layer("parcels", _parcels())
    provider = LayerProvider(s)
    before = provider.arrays("parcels", ["use"])
    s.replace_layer("parcels", _parcels().iloc[:10])
    after = provider.arrays("parcels", ["use", "zone"])  # not an extension of the old generation
    assert len(before) == 146 and len(after) == 10 and after.generation > before.generation


@pytest.mark.parametrize("name", list(ZONES))
def test_zone_kernel_equals_geos_one_parcel_at_a_time(name):
    zone = ZONES[name]
    geoms = _parcels().geometry.to_numpy()
    got = parcels_in_zone(zone, rings_of(geoms), shapely.bounds(geoms), shapely.area(geoms))
    expected = {k: g.intersection(zone).area for k, g in enumerate(geoms)}
    expected = {k: a for k, a in expected.items() if a > 0}
    assert got.rows.tolist() == sorted(expected)
    assert got.area_in_zone_m2 == pytest.approx([expected[k] for k in got.rows], abs=1e-6)
    assert got.whole.tolist() == [bool(zone.covers(geoms[k])) for k in got.rows]


def test_shares_and_zone_summary_from_the_arrays_match_the_layer(store):
    provider = LayerProvider(store)
    report = zone_report(provider, load_plan(PLAN_FILE), "plan:fez_total")  # no parcel lies in the FEZ
    assert report["parcels"] == 0 and report["by_use"] == []
    shares = shares_of_store(provider, [s for s in load_shares(PLAN_FILE) if s.layer == "parcels"])
    assert shares.as_dict()["rows"]  # computed from the arrays, without loading the layer
    assert provider._cache.peek("parcels") is None
