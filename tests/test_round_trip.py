"""Features read from the items endpoint and sent back as they are are checked as drafts."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from tests.write_helpers import store_copy


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = store_copy(tmp_path_factory.mktemp("rt"))
    return TestClient(create_app(Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=())))


def _items(client, layer: str) -> dict:
    fc = client.get(f"/collections/{layer}/items?limit=1000").json()
    assert all("layer" not in f["properties"] for f in fc["features"])
    return {"type": "FeatureCollection", "features": fc["features"]}


def test_items_sent_back_as_they_are_are_checked_with_their_layer_inferred(client):
    r = client.post("/allocations/check", json=_items(client, "fez_districts"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert {d["layer"] for d in body["drafts"]} == {"fez_districts"}
    assert {d["feature_id"] for d in body["drafts"]} == {"fez_ai", "fez_future_car", "fez_smart_energy_1",
                                                         "fez_smart_energy_2"}
    assert {r["target_id"] for r in body["rows"] if r["drafted"]} >= {"fez_ai", "fez_total"}
    assert body["counts"]["over"] == body["counts"]["under"] == 0


def test_the_layer_can_be_named_by_parameter_or_path(client):
    fc = _items(client, "fez_districts")
    assert client.post("/allocations/check?layer=fez_districts", json=fc).status_code == 200
    assert client.post("/collections/fez_districts/check", json=fc).status_code == 200
    assert client.post("/collections/nope/check", json=fc).status_code == 404


def test_an_id_in_no_layer_or_in_two_is_named(client, tmp_path):
    fc = _items(client, "fez_districts")
    fc["features"][0]["properties"]["id"] = fc["features"][0]["id"] = "no_such_feature"
    r = client.post("/allocations/check", json=fc)
    assert r.status_code == 422 and r.json()["errors"][0]["fault"] == "unknown_feature"
    assert "?layer=" in r.json()["detail"]


def test_ambiguous_id_says_which_layers(tmp_path):
    import geopandas as gpd

    from geodata.store import GeoPackageStore

    path = store_copy(tmp_path)
    store = GeoPackageStore(path)
    copy = store.read("fez_districts")
    store.replace_layer("fez_copy", gpd.GeoDataFrame(copy, crs=copy.crs))
    client = TestClient(create_app(Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=())))
    r = client.post("/allocations/check", json=_items(client, "fez_districts"))
    assert r.status_code == 422
    entry = r.json()["errors"][0]
    assert entry["fault"] == "ambiguous_feature" and "fez_copy, fez_districts" in entry["detail"]
    assert client.post("/allocations/check?layer=fez_districts", json=_items(client, "fez_districts")).status_code == 200
