"""A write that would take away features the plan or the siting rules read is refused inside its
transaction (409 over the API, one line from the CLI), and every reader keeps working."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import square_fc, store_copy

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"Authorization": "Bearer s3cret"}
ANY_POLYGON = square_fc([(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)],
                        {"id": "x1"})
READERS = ("/siting/report", "/siting/feasible/certification_center", "/maps/siting", "/allocations")


@pytest.fixture()
def app_store(tmp_path):
    path = store_copy(tmp_path)
    settings = Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),))
    return TestClient(create_app(settings)), GeoPackageStore(path)


def _readers_answer(client) -> None:
    for url in READERS:
        assert client.get(url).status_code == 200, url
    check = client.post("/siting/check", json={"facility": "certification_center", "geometry": {
        "type": "Polygon", "coordinates": [[[126.68516, 35.16098], [126.68517, 35.15942], [126.68706, 35.15943],
                                            [126.68706, 35.16098], [126.68516, 35.16098]]]}})
    assert check.status_code == 200, check.text


def test_a_put_to_admin_dongs_that_drops_the_rules_dongs_is_409_and_siting_keeps_working(app_store):
    client, store = app_store
    before = store.checksum("admin_dongs")
    r = client.put("/collections/admin_dongs/items", json=ANY_POLYGON, headers=AUTH)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert body["code"] == "layer_in_use" and "29200159" in body["detail"] and "siting rule" in body["detail"]
    assert body["siting_rules"] and "nothing was changed" in body["detail"]
    assert store.checksum("admin_dongs") == before and store.revisions("admin_dongs") == []
    _readers_answer(client)


def test_a_put_dropping_plan_features_names_the_targets(app_store):
    client, store = app_store
    r = client.put("/collections/fez_districts/items", json=ANY_POLYGON, headers=AUTH)
    assert r.status_code == 409, r.text
    body = r.json()
    assert "fez_total" in body["detail"] and "fez_ai (needs fez_ai)" in body["detail"]
    assert len(body["plan_targets"]) == 5 and body["siting_rules"] == []
    assert store.revisions("fez_districts") == []


def test_an_upload_is_guarded_too(app_store, tmp_path):
    client, store = app_store
    r = client.post("/collections/core_infrastructure/import", headers=AUTH,
                    files={"file": ("sites.geojson", json.dumps(ANY_POLYGON).encode(), "application/geo+json")})
    assert r.status_code == 409 and "certification_center" in r.json()["detail"], r.text
    _readers_answer(client)


def test_a_restore_that_would_break_the_rules_is_409(app_store):
    client, store = app_store
    # a revision without the rules' dongs, written by a tool that does not check (e.g. an older version)
    bad = store.read("admin_dongs").iloc[:3]
    store.replace_layer("admin_dongs", bad, source_file="old.shp")
    assert client.post("/collections/admin_dongs/revisions/0/restore", headers=AUTH).status_code == 200
    r = client.post("/collections/admin_dongs/revisions/1/restore", headers=AUTH)
    assert r.status_code == 409 and "siting rule" in r.json()["detail"], r.text
    assert [x.revision for x in store.revisions("admin_dongs")] == [0, 1, 2]
    _readers_answer(client)


def test_a_write_keeping_the_ids_goes_through(app_store):
    client, store = app_store
    fc = client.get("/collections/fez_districts/items").json()
    fc["features"][1]["properties"]["name_en"] = "surveyed"
    assert client.put("/collections/fez_districts/items", json=fc, headers=AUTH).status_code == 200
    _readers_answer(client)


def test_kizone_import_is_guarded_in_one_line(tmp_path):
    store = store_copy(tmp_path)
    src = tmp_path / "dongs.geojson"
    src.write_text(json.dumps(ANY_POLYGON))
    before = GeoPackageStore(store).checksum("admin_dongs")
    r = subprocess.run([sys.executable, "-m", "cli.main", "import", str(src), "--layer", "admin_dongs",
                        "--report", str(tmp_path / "r.json")], cwd=ROOT, env=dict(os.environ, ZONES_STORE=str(store)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "siting rule" in r.stderr and "29200159" in r.stderr
    assert GeoPackageStore(store).checksum("admin_dongs") == before
