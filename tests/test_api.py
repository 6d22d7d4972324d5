"""The API through the real ASGI app (no server process)."""
import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["layers"] >= 6


def test_collections_lists_the_layers_with_extents(client):
    body = client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids[:8] == ["fez_districts", "bitgreen_complex", "future_car_special_complex",
                       "core_infrastructure", "jeonju_sites", "gwangju_sites", "whole_boundaries", "admin_dongs"]
    fez = body["collections"][0]
    minx, miny, maxx, maxy = fez["extent"]["spatial"]["bbox"][0]
    assert 126.6 < minx < maxx < 127.0 and 35.0 < miny < maxy < 35.3
    assert fez["title_ko"] and fez["title_en"]
    # the one title a GIS client's layer list shows carries both names
    assert fez["title"] == f"{fez['title_ko']} · {fez['title_en']}" and "광주" in fez["title"]


def test_items_are_lon_lat_geojson_with_areas(client):
    resp = client.get("/collections/fez_districts/items")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    fc = resp.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 4
    for feat in fc["features"]:
        lon, lat = feat["geometry"]["coordinates"][0][0][0]
        assert 126 < lon < 128 and 34 < lat < 36, "GeoJSON must be lon, lat"
        props = feat["properties"]
        assert props["area_pyeong"] == pytest.approx(props["area_m2"] * 121 / 400)
        assert props["provenance"] == "schematic"
    total = sum(f["properties"]["area_m2"] for f in fc["features"])
    assert total == pytest.approx(4_371_000, rel=0.01)


def test_unknown_collection_is_a_404_problem(client):
    resp = client.get("/collections/no_such_layer/items")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert "fez_districts" in resp.json()["detail"]


def test_allocations_rows_have_the_agreed_shape(client):
    body = client.get("/allocations").json()
    keys = {"target_id", "name_ko", "name_en", "planned_m2", "measured_m2", "diff_m2", "diff_pct",
            "tolerance_pct", "status", "reason", "source"}
    assert body["rows"] and all(keys <= set(r) for r in body["rows"])
    rows = {r["target_id"]: r for r in body["rows"]}
    assert rows["fez_total"]["planned_m2"] == pytest.approx(4_371_000)
    assert rows["fez_total"]["status"] == "ok"
    assert rows["fcsc_total"]["planned_m2"] == pytest.approx(3_305_785.12, abs=0.01)
