"""The parcels of a zone and their land use by zone geometry, against an independent shapely
computation (each parcel intersected with the zone), from the store, the API and kizone."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from geodata.zone_parcels import parcels_of_zone, zone_report
from tests.write_helpers import store_copy

X, Y = 180000.0, 280000.0
USES = ("industrial", "support", "green")
HOLED = shapely.box(X + 5.5, Y + 5.5, X + 95.5, Y + 95.5).difference(shapely.box(X + 35.5, Y + 35.5, X + 64.5, Y + 64.5))
# Two parts; the second's west edge lies on the grid, so the cells west of it only touch the zone.
MULTI = shapely.MultiPolygon([shapely.box(X + 2.5, Y + 2.5, X + 17.5, Y + 27.5), shapely.box(X + 60, Y + 70, X + 87.3, Y + 93)])
ZONES = {"holed": HOLED, "multi": MULTI}


def _cells() -> gpd.GeoDataFrame:
    cells = [shapely.box(X + i * 10, Y + j * 10, X + (i + 1) * 10, Y + (j + 1) * 10) for j in range(11) for i in range(11)]
    cells.append(shapely.box(X + 300, Y, X + 310, Y + 10))  # far outside
    return gpd.GeoDataFrame({"id": [f"c{k}" for k in range(len(cells))], "use": [USES[k % 3] for k in range(len(cells))],
                             "zone": "test"}, geometry=cells, crs="EPSG:5186")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = store_copy(tmp_path_factory.mktemp("zone_parcels"))
    s = GeoPackageStore(path)
    s.replace_layer("test_zones", gpd.GeoDataFrame({"id": list(ZONES)}, geometry=list(ZONES.values()), crs="EPSG:5186"))
    s.replace_layer("parcels", _cells())
    return s


def _expected(zone) -> dict[str, float]:
    """Independently: every parcel intersected with the zone, one at a time."""
    out = {}
    for _, p in _cells().iterrows():
        inside = p.geometry.intersection(zone).area
        if inside > 0:
            out[p["id"]] = inside
    return out


@pytest.mark.parametrize("name", list(ZONES))
def test_zone_query_equals_intersecting_each_parcel(store, name):
    report = zone_report(LayerProvider(store), load_plan(), f"test_zones:{name}")
    expected = _expected(ZONES[name])
    cells = _cells().set_index("id")
    whole = {i for i, a in expected.items() if abs(a - cells.loc[i].geometry.area) < 1e-9}
    assert report["parcels"] == len(expected) and report["parcels_inside"] == len(whole)
    crossing = {c["id"]: c["area_in_zone_m2"] for c in report["crossing"]}
    assert set(crossing) == set(expected) - whole and crossing  # some cross, some are whole
    assert all(crossing[i] == pytest.approx(expected[i], abs=1e-6) for i in crossing)
    by_use = {r["use"]: r["area_m2"] for r in report["by_use"]}
    for use in USES:
        assert by_use.get(use, 0.0) == pytest.approx(sum(a for i, a in expected.items() if cells.loc[i, "use"] == use), abs=1e-6)
    total = sum(expected.values())
    assert report["parcel_area_in_zone_m2"] == pytest.approx(total, abs=1e-6)
    assert report["parcel_area_in_zone_m2"] == pytest.approx(ZONES[name].area, abs=1e-6)  # the grid covers the zone
    assert sum(r["share_pct"] for r in report["by_use"]) == pytest.approx(100.0)


def test_the_hole_and_the_touching_cells_are_left_out(store):
    provider = LayerProvider(store)
    holed = {c["id"] for c in zone_report(provider, load_plan(), "test_zones:holed")["crossing"]}
    report = zone_report(provider, load_plan(), "test_zones:holed")
    inner = "c60"  # cell (5, 5): in the middle of the hole
    assert inner not in holed and report["parcels"] == len(_expected(HOLED))
    _, found, arrays = parcels_of_zone(provider, load_plan(), "test_zones:multi")
    ids = set(arrays.ids[found.rows])
    assert "c82" not in ids and "c83" in ids  # cell (5, 7) ends at x = 60, the second part's west edge: it only touches


def test_api_and_kizone_give_the_same_numbers(store, capsys):
    client = TestClient(create_app(Settings(store_path=store.path, plan_path=PLAN_FILE)))
    for name in ZONES:
        ref = f"test_zones:{name}"
        api = client.get("/collections/parcels/zone-summary", params={"zone": ref})
        assert api.status_code == 200, api.text
        assert main(["parcels", "zone", ref, "--format", "json", "--store", str(store.path)]) == 0
        assert json.loads(capsys.readouterr().out) == api.json()
        items = client.get("/collections/parcels/items", params={"within": ref, "limit": 1000}).json()
        assert sorted(f["id"] for f in items["features"]) == sorted(_expected(ZONES[name]))
        assert items["numberMatched"] == api.json()["parcels"]
    assert main(["parcels", "zone", "test_zones:holed", "--store", str(store.path)]) == 0
    assert "crossing" in capsys.readouterr().out


def test_plan_targets_and_bad_references(store):
    client = TestClient(create_app(Settings(store_path=store.path, plan_path=PLAN_FILE)))
    plan = client.get("/collections/parcels/zone-summary", params={"zone": "plan:fez_total"})
    assert plan.status_code == 200 and plan.json()["parcels"] == 0  # the test parcels lie outside the FEZ
    unknown = client.get("/collections/no_such_layer/zone-summary", params={"zone": "plan:fez_total"})
    assert unknown.status_code == 404 and "no_such_layer" in unknown.json()["detail"], unknown.text
    for ref, word in (("fez_districts", "<layer>:<feature id>"), ("nowhere:x", "no layer"),
                      ("fez_districts:nope", "no feature"), ("plan:nope", "no plan target")):
        r = client.get("/collections/parcels/zone-summary", params={"zone": ref})
        assert r.status_code == 400 and word in r.json()["detail"], r.text
        r = client.get("/collections/parcels/items", params={"within": ref})
        assert r.status_code == 400 and word in r.json()["detail"], r.text
