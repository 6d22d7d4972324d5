"""POST /allocations/check: drafts laid over the stored layers, checked, never stored."""
import hashlib

import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from geodata import DEFAULT_STORE


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _stored(client, layer, fid, crs=None):
    params = {"crs": crs} if crs else {}
    return client.get(f"/collections/{layer}/items/{fid}", params=params).json()["geometry"]


def _fc(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


def _rows(resp):
    assert resp.status_code == 200, resp.text
    return {r["target_id"]: r for r in resp.json()["rows"]}


def test_redrawing_a_district_with_its_stored_shape_changes_nothing(client):
    stored = _rows(client.get("/allocations"))
    geom = _stored(client, "fez_districts", "fez_ai")
    rows = _rows(client.post("/allocations/check", json=_fc({"type": "Feature", "properties": {"target_id": "fez_ai"}, "geometry": geom})))
    assert rows["fez_ai"]["drafted"] and rows["fez_total"]["drafted"] and not rows["bitgreen_total"]["drafted"]
    assert rows["fez_ai"]["measured_m2"] == pytest.approx(stored["fez_ai"]["measured_m2"], abs=1.0)
    assert rows["bitgreen_total"] == {**stored["bitgreen_total"], "drafted": False}


def test_a_draft_overlapping_its_neighbour_is_reported(client):
    ai = shapely.geometry.shape(_stored(client, "fez_districts", "fez_ai"))
    grown = ai.buffer(0.003, join_style="mitre")  # ~300 m wider, into nothing but also over nothing
    future_car = shapely.geometry.shape(_stored(client, "fez_districts", "fez_future_car"))
    over = shapely.union(future_car, shapely.box(*ai.bounds).buffer(0.001, join_style="mitre"))
    resp = client.post("/allocations/check", json=_fc(
        {"type": "Feature", "id": "grown", "properties": {"target_id": "fez_ai"}, "geometry": shapely.geometry.mapping(grown)},
        {"type": "Feature", "id": "over", "properties": {"layer": "fez_districts", "id": "fez_future_car"},
         "geometry": shapely.geometry.mapping(over)}))
    rows = _rows(resp)
    # ~300 m wider on every side: over its figure, and out of its legal dongs too.
    assert rows["fez_ai"]["status"] == "misplaced" and rows["fez_ai"]["diff_pct"] > 1
    assert rows["fez_ai"]["provenance"] == "draft"
    kinds = {(f["kind"], f["target_id"], f["other_id"]) for f in resp.json()["findings"]}
    assert ("overlap", "fez_future_car", "fez_ai") in kinds
    assert [d["index"] for d in resp.json()["drafts"]] == [0, 1]


def test_a_whole_drafted_in_one_piece_checks_its_stored_parts_against_it(client):
    ai = shapely.geometry.shape(_stored(client, "fez_districts", "fez_ai"))
    resp = client.post("/allocations/check", json=_fc(
        {"type": "Feature", "properties": {"target_id": "fez_total"}, "geometry": shapely.geometry.mapping(ai)}))
    rows = _rows(resp)
    assert rows["fez_total"]["status"] == "under" and rows["fez_total"]["layer"] == "fez_districts"
    outside = {f["target_id"] for f in rows["fez_total"]["findings"] if f["kind"] == "outside"}
    assert outside == {"fez_future_car", "fez_smart_energy_1", "fez_smart_energy_2"}
    assert rows["fez_ai"]["drafted"] is False


def test_upload_in_5186_easting_northing(client):
    northing_easting = _stored(client, "fez_districts", "fez_ai", crs="EPSG:5186")
    swapped = shapely.transform(shapely.geometry.shape(northing_easting), lambda c: c[:, ::-1])
    body = _fc({"type": "Feature", "properties": {"target_id": "fez_ai"}, "geometry": shapely.geometry.mapping(swapped)},
               crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5186"}})
    rows = _rows(client.post("/allocations/check", json=body))
    assert rows["fez_ai"]["measured_m2"] == pytest.approx(swapped.area, rel=1e-9)
    assert rows["fez_ai"]["status"] == "ok"


def test_checking_stores_nothing(client):
    before = hashlib.sha256(DEFAULT_STORE.read_bytes()).hexdigest()
    allocations = client.get("/allocations").json()
    geom = shapely.geometry.mapping(shapely.geometry.shape(_stored(client, "fez_districts", "fez_ai")).buffer(0.01))
    client.post("/allocations/check", json=_fc({"type": "Feature", "properties": {"target_id": "fez_ai"}, "geometry": geom}))
    assert hashlib.sha256(DEFAULT_STORE.read_bytes()).hexdigest() == before
    assert client.get("/allocations").json() == allocations
