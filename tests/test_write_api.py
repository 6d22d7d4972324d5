"""The write endpoints through the real ASGI app on a real GeoPackage copy."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, parse_write_tokens
from geodata import PLAN_FILE
from geodata.make_parcels_sample import SAMPLE_FILE
from tests.write_helpers import square_fc, store_copy

AUTH = {"Authorization": "Bearer s3cret"}
GOOD = square_fc([(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)],
                 {"id": "p1", "use": "support", "zone": "future_car_special_complex"})


def _client(tmp_path, tokens=(("alice", "s3cret"),)):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=tokens,
                        max_upload_bytes=2 * 1024 * 1024)
    return TestClient(create_app(settings))


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_tokens_parse():
    assert parse_write_tokens("alice:a1, bob:b2,,solo") == (("alice", "a1"), ("bob", "b2"), ("token-4", "solo"))


def test_writes_disabled_without_tokens(tmp_path):
    client = _client(tmp_path, tokens=())
    body = _is_problem(client.put("/collections/parcels/items", json=GOOD, headers=AUTH), 403)
    assert "ZONES_WRITE_TOKENS" in body["detail"]


def test_missing_and_wrong_token(tmp_path):
    client = _client(tmp_path)
    missing = client.put("/collections/parcels/items", json=GOOD)
    _is_problem(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer ")  # RFC 9110 §15.5.2: a 401 names the scheme
    _is_problem(client.put("/collections/parcels/items", json=GOOD, headers={"Authorization": "Bearer nope"}), 403)
    _is_problem(client.put("/collections/parcels/items", json=GOOD, headers={"Authorization": "Basic s3cret"}), 401)
    _is_problem(client.post("/collections/fez_districts/revisions/0/restore"), 401)


def test_put_replaces_layer_and_history_records_token_name(tmp_path):
    client = _client(tmp_path)
    r = client.put("/collections/parcels/items", json=GOOD, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revision"] == 1 and body["report"]["validation"]["feature_count"] == 1
    assert "IMPORTED" in body["summary"]
    items = client.get("/collections/parcels/items").json()
    assert [f["id"] for f in items["features"]] == ["p1"]
    revs = client.get("/collections/parcels/revisions").json()["revisions"]
    assert revs[0]["token_name"] == "alice" and revs[0]["source_file"] == "PUT body"
    assert "s3cret" not in json.dumps(revs)


def test_restore_over_api(tmp_path):
    client = _client(tmp_path)
    before = client.get("/collections/fez_districts/items").json()
    edited = json.loads(json.dumps(before))
    edited["features"][0]["properties"]["name_en"] = "edited"  # the plan's feature ids stay (else 409)
    assert client.put("/collections/fez_districts/items", json=edited, headers=AUTH).status_code == 200
    assert client.get("/collections/fez_districts/items").json()["features"][0]["properties"]["name_en"] == "edited"
    r = client.post("/collections/fez_districts/revisions/0/restore", headers=AUTH)
    assert r.status_code == 200 and r.json()["revision"] == 2
    after = client.get("/collections/fez_districts/items").json()
    assert [f["id"] for f in after["features"]] == [f["id"] for f in before["features"]]
    assert after["features"][0]["properties"]["name_en"] == before["features"][0]["properties"]["name_en"]
    assert after["features"][0]["properties"]["area_m2"] == pytest.approx(before["features"][0]["properties"]["area_m2"])
    _is_problem(client.post("/collections/fez_districts/revisions/99/restore", headers=AUTH), 404)


def test_upload_zip_and_sample(tmp_path):
    client = _client(tmp_path)
    r = client.post("/collections/parcels/import", headers=AUTH,
                    files={"file": ("parcels_sample.geojson", SAMPLE_FILE.read_bytes(), "application/geo+json")},
                    data={"strict": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["report"]["validation"]["feature_count"] == 40
    shares = client.get("/allocations/shares").json()
    assert shares["counts"] == {"ok": 8, "over": 0, "under": 0, "missing": 0}


@pytest.mark.parametrize("body,status,needle", [
    (b"{not json", 422, "not valid JSON"),  # the same 422 as on the check endpoints
    (json.dumps({"type": "Feature"}).encode(), 422, "FeatureCollection"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
      "geometry": {"type": "Point", "coordinates": [126.7, 35.1]}}]}).encode(), 422, "fatal"),
    (json.dumps({"type": "FeatureCollection", "features": []}).encode(), 422, "no features"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
      "geometry": {"type": "Polygon", "coordinates": [[[126.7, 35.1], [126.8, 35.1]]]}}]}).encode(), 422, "geometry"),
])
def test_bad_put_bodies(tmp_path, body, status, needle):
    client = _client(tmp_path)
    r = client.put("/collections/parcels/items", content=body, headers=AUTH)
    problem = _is_problem(r, status)
    assert needle in problem["detail"]


def test_strict_refusal_carries_report_and_changes_nothing(tmp_path):
    client = _client(tmp_path)
    bowtie = square_fc([(126.69, 35.15), (126.70, 35.16), (126.70, 35.15), (126.69, 35.16), (126.69, 35.15)])
    r = client.put("/collections/fez_districts/items?strict=true", json=bowtie, headers=AUTH)
    problem = _is_problem(r, 422)
    assert problem["report"]["validation"]["counts"]["invalid_geometry"] == 1
    assert client.get("/collections/fez_districts/revisions").json()["revisions"] == []
    assert len(client.get("/collections/fez_districts/items").json()["features"]) == 4
    # default mode repairs and imports (into a layer no plan target or siting rule reads)
    r = client.put("/collections/parcels/items", json=bowtie, headers=AUTH)
    assert r.status_code == 200 and r.json()["report"]["validation"]["repaired"] == 1


def test_upload_limits_and_bad_ids(tmp_path):
    client = _client(tmp_path)
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("x.bin", b"\0" * (3 * 1024 * 1024))
    _is_problem(client.post("/collections/parcels/import", headers=AUTH, files={"file": ("x.zip", big.getvalue())}), 413)
    _is_problem(client.post("/collections/parcels/import", headers=AUTH, files={"file": ("x.txt", b"hello")}), 422)
    _is_problem(client.put("/collections/gpkg_contents/items", json=GOOD, headers=AUTH), 400)
    _is_problem(client.put("/collections/Bad-Id/items", json=GOOD, headers=AUTH), 400)
    _is_problem(client.get("/collections/nowhere/revisions"), 404)
    nocrs = client.post("/collections/parcels/import", headers=AUTH, data={"crs": "EPSG:99999999"},
                        files={"file": ("p.geojson", json.dumps(GOOD).encode())})
    _is_problem(nocrs, 422)


def test_property_names_that_clash_with_geopackage_columns_are_renamed(tmp_path):
    client = _client(tmp_path)
    ring = [(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)]
    props = {"id": "k", "fid": "x", "geom": 1, "geometry": "g", "use": "a", "USE": "b", "": 3, "nested": {"a": [1]}}
    r = client.put("/collections/parcels/items", json=square_fc(ring, props), headers=AUTH)
    assert r.status_code == 200, r.text
    stored = client.get("/collections/parcels/items").json()["features"][0]["properties"]
    assert {stored["fid_attr"], stored["geom_attr"], stored["geometry_attr"]} == {"x", 1, "g"}
    assert (stored["use"], stored["USE_2"], stored["unnamed"]) == ("a", "b", 3)
    assert stored["nested"] == '{"a": [1]}'


def test_a_method_the_route_does_not_take_is_405_with_allow(tmp_path):
    r = _client(tmp_path).delete("/collections/parcels/items")
    _is_problem(r, 405)
    assert "GET" in r.headers["allow"].replace(" ", "").split(",")  # RFC 9110 §15.5.6: a 405 says what is allowed
