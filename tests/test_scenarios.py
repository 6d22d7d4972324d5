"""Scenarios on real GeoPackage copies: API, kizone, compare, promote (SIGKILLed too), delete."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main as kizone
from geodata import PLAN_FILE
from geodata.provider import LayerProvider
from geodata.scenarios import get_scenario
from geodata.store import GeoPackageStore
from tests.write_helpers import grid_geojson, store_copy

AUTH = {"Authorization": "Bearer s3cret"}


def _checksums(path: Path) -> dict[str, str]:
    store = GeoPackageStore(path)
    return {layer: store.checksum(layer) for layer in store.layer_ids()}


@pytest.fixture()
def client(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),))
    return TestClient(create_app(settings))


def _moved_feature_fc(client, layer: str, fid: str, dx: float, dy: float) -> dict:
    """The layer's items as a GIS client reads them, with one feature moved (metres, EPSG:5186)."""
    fc = client.get(f"/collections/{layer}/items?limit=1000&crs=http://www.opengis.net/def/crs/EPSG/0/5186").json()
    for f in fc["features"]:
        if f["id"] == fid:
            geom = shapely.geometry.shape(f["geometry"])  # northing, easting as served
            moved = shapely.affinity.translate(geom, dy, dx)
            f["geometry"] = shapely.geometry.mapping(_swap(moved))
        else:
            g = shapely.geometry.shape(f["geometry"])
            f["geometry"] = shapely.geometry.mapping(_swap(g))
    return fc


def _swap(geom):
    """Northing, easting (as EPSG:5186 is served) to easting, northing (as a GIS client writes it)."""
    return shapely.transform(geom, lambda c: c[:, ::-1])


def _create(client, sid="support-east", title="Support complex moved east"):
    r = client.post("/scenarios", json={"id": sid, "title": title, "note": "test"}, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()


def test_writes_need_a_token_and_unknown_scenarios_are_named(client):
    assert client.post("/scenarios", json={"id": "x", "title": "x"}).status_code == 401
    assert client.post("/scenarios", json={"id": "x", "title": "x"},
                       headers={"Authorization": "Bearer no"}).status_code == 403
    r = client.get("/allocations?scenario=nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"] and "base" in r.json()["detail"]
    assert client.post("/scenarios", json={"id": "base", "title": "x"}, headers=AUTH).status_code == 422
    _create(client)
    assert client.post("/scenarios", json={"id": "support-east", "title": "again"}, headers=AUTH).status_code == 409
    r = client.put("/collections/parcels/items?scenario=support-east", json={}, headers=AUTH)
    assert r.status_code == 400 and "scenario" in r.json()["detail"]


def test_a_part_moved_out_of_its_whole_flips_its_row_and_base_is_untouched(client):
    path = client.app.state.provider.path
    before = _checksums(path)
    meta = _create(client)
    assert meta["created_by"] == "alice" and meta["revision"] == 1
    fc = _moved_feature_fc(client, "future_car_special_complex", "fcsc_support", 3000.0, 0.0)
    r = client.put("/scenarios/support-east/collections/future_car_special_complex/items?crs=EPSG:5186",
                   json=fc, headers=AUTH)
    assert r.status_code == 200, r.text
    edit = r.json()
    assert edit["edits"] == {"replaced": 1, "added": 0, "removed": 0}  # the features sent back unchanged are no edit
    assert [(f["id"], f["change"], round(f["shift_m"])) for f in edit["features"]] == [("fcsc_support", "moved", 3000)]
    assert _checksums(path) == before  # editing a scenario never writes the base

    base_rows = {r["target_id"]: r for r in client.get("/allocations").json()["rows"]}
    scen_rows = {r["target_id"]: r for r in client.get("/allocations?scenario=support-east").json()["rows"]}
    assert base_rows["fcsc_support"]["status"] == "ok" and scen_rows["fcsc_support"]["status"] == "misplaced"

    cmp = client.get("/scenarios/base/compare/support-east").json()
    row = next(t for t in cmp["targets"] if t["id"] == "fcsc_support")
    assert (row["status_a"], row["status_b"], row["status_changed"]) == ("ok", "misplaced", True)
    whole = next(t for t in cmp["targets"] if t["id"] == "fcsc_total")
    assert whole["faults_changed"] and any("fcsc_support lies" in f and "outside fcsc_total" in f
                                           for f in whole["faults_b"])
    assert row["difference_m2"] == pytest.approx(0, abs=0.01) and "difference_pyeong" in row
    sites = {s["id"]: s for s in cmp["sitings"]}
    assert sites["mobility_data_center"]["status_b"] == "fails"
    assert [(f["id"], f["change"]) for d in cmp["features"] for f in d["features"]] == [("fcsc_support", "moved")]
    csv = client.get("/scenarios/base/compare/support-east?f=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert any(line.startswith("target,fcsc_support,") and ",ok,misplaced,True," in line
               for line in csv.text.splitlines())
    assert "misplaced" in client.get("/scenarios/base/compare/support-east?f=html").text
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/scenarios/base/compare/support-east?f=xlsx").content))
    rows = list(book["compare"].values)
    assert any(r[:2] == ("target", "fcsc_support") and r[10:12] == ("ok", "misplaced") for r in rows)
    assert [r[:3] for r in book["features"].values][1:] == [("future_car_special_complex", "fcsc_support", "moved")]


def test_every_read_answers_for_the_scenario(client):
    _create(client)
    fc = _moved_feature_fc(client, "core_infrastructure", "auto_theme_park", 0.0, 300.0)
    assert client.put("/scenarios/support-east/collections/core_infrastructure/items?crs=EPSG:5186",
                      json=fc, headers=AUTH).status_code == 200
    base = client.get("/collections/core_infrastructure/items/auto_theme_park").json()
    scen = client.get("/collections/core_infrastructure/items/auto_theme_park?scenario=support-east").json()
    (bx, by), (sx, sy) = base["geometry"]["coordinates"][0][0][0], scen["geometry"]["coordinates"][0][0][0]
    assert sx == pytest.approx(bx, abs=1e-5) and sy - by == pytest.approx(300 / 111_000, rel=0.02)
    page = client.get("/collections/core_infrastructure/items?scenario=support-east&limit=2").json()
    assert all("scenario=support-east" in link["href"] for link in page["links"] if link["rel"] == "next")
    assert client.get("/siting/report?scenario=support-east").json()["counts"]["failed"] == \
        client.get("/siting/report").json()["counts"]["failed"] + 1
    assert client.get("/allocations/shares?scenario=support-east").status_code == 200
    base_map = client.get("/maps/allocation").text
    assert client.get("/maps/allocation?scenario=support-east").text != base_map
    assert client.get("/maps/allocation").text == base_map


def test_delete_never_touches_base_and_promote_writes_it(client):
    path = client.app.state.provider.path
    before = _checksums(path)
    _create(client)
    fc = _moved_feature_fc(client, "core_infrastructure", "auto_theme_park", 0.0, 300.0)
    client.put("/scenarios/support-east/collections/core_infrastructure/items?crs=EPSG:5186", json=fc, headers=AUTH)
    assert client.delete("/scenarios/support-east").status_code == 401
    assert client.delete("/scenarios/support-east", headers=AUTH).status_code == 200
    assert _checksums(path) == before
    assert client.get("/scenarios/support-east").status_code == 404

    _create(client, "north", "Theme park north")
    client.put("/scenarios/north/collections/core_infrastructure/items?crs=EPSG:5186", json=fc, headers=AUTH)
    r = client.post("/scenarios/north/promote", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["revisions"]["core_infrastructure"]["token_name"] == "alice"
    after = _checksums(path)
    assert {k for k in after if after[k] != before[k]} == {"core_infrastructure"}
    assert get_scenario(path, "north").promoted_by == "alice"
    diff = client.get("/collections/core_infrastructure/revisions/0/diff/1").json()
    assert [(f["id"], f["change"], f["direction"]) for f in diff["features"]] == [("auto_theme_park", "moved", "N")]
    assert client.post("/scenarios/north/promote", headers=AUTH).status_code == 409  # once
    refused = client.put("/scenarios/north/collections/core_infrastructure/items?crs=EPSG:5186", json=fc,
                         headers=AUTH)
    assert refused.status_code == 409


def test_a_scenario_edit_that_drops_a_plan_feature_is_refused(client):
    _create(client)
    fc = client.get("/collections/fez_districts/items?limit=100").json()
    fc["features"] = [f for f in fc["features"] if f["id"] != "fez_ai"]
    r = client.put("/scenarios/support-east/collections/fez_districts/items", json=fc, headers=AUTH)
    assert r.status_code == 409 and "fez_ai" in r.json()["detail"]
    assert client.get("/scenarios/support-east").json()["layers"] == {}


def test_kizone_scenario_commands(tmp_path, capsys):
    path = store_copy(tmp_path)
    before = _checksums(path)
    store = ["--store", str(path)]
    assert kizone(["scenario", "create", "north", "--title", "Theme park north", *store]) == 0
    gdf = GeoPackageStore(path).read("core_infrastructure")
    one = gdf[gdf["id"] == "auto_theme_park"].copy()
    one["geometry"] = one.geometry.translate(0, 300)
    edit = tmp_path / "park.geojson"
    one.to_crs(4326).to_file(edit, driver="GeoJSON")
    assert kizone(["scenario", "edit", "north", str(edit), "--layer", "core_infrastructure", "--merge", *store]) == 0
    assert "moved     auto_theme_park  300.0 m N" in capsys.readouterr().out
    assert kizone(["scenario", "compare", "base", "north", *store]) == 0
    out = capsys.readouterr().out
    assert "auto_theme_park" in out and "passes -> fails" in out
    assert kizone(["report", "--scenario", "north", "--format", "json", *store]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["ok"] == 28
    assert kizone(["report", "--scenario", "nope", *store]) == 2
    assert kizone(["scenario", "show", "north", *store]) == 0
    assert "edit core_infrastructure (1 replaced, 0 added, 0 removed)" in capsys.readouterr().out
    assert _checksums(path) == before
    assert kizone(["scenario", "delete", "north", *store]) == 0
    assert _checksums(path) == before


def test_sigkill_during_promote_leaves_base_unchanged_or_fully_promoted(tmp_path):
    """A scenario replacing 30,000 parcels and moving a core site, promoted by a real `kizone
    scenario promote` killed at varied moments: both layers are old or both new, and the
    scenario is marked promoted exactly when they are new."""
    prepared = store_copy(tmp_path, "prepared.gpkg")
    store = GeoPackageStore(prepared)
    store.replace_layer("parcels", gpd.read_file(grid_geojson(tmp_path / "small.geojson", 50)))
    provider = LayerProvider(store)
    assert kizone(["scenario", "create", "big", "--title", "Resurvey", "--store", str(prepared)]) == 0
    big = grid_geojson(tmp_path / "big.geojson", 30_000, use="green")
    assert kizone(["scenario", "edit", "big", str(big), "--layer", "parcels", "--store", str(prepared)]) == 0
    site = provider.base_layer("core_infrastructure").metric
    one = site[site["id"] == "auto_theme_park"][["id", "geometry"]].copy()
    one["geometry"] = one.geometry.translate(0, 200)
    one.to_crs(4326).to_file(tmp_path / "park.geojson", driver="GeoJSON")
    assert kizone(["scenario", "edit", "big", str(tmp_path / "park.geojson"), "--layer", "core_infrastructure",
                   "--merge", "--store", str(prepared)]) == 0
    old = _checksums(prepared)
    cwd = Path(__file__).resolve().parents[1]
    rng = random.Random(13)
    # one run to its end (how long a promote takes here), then kills at random moments within that
    # time and twice inside the write transaction (the WAL growing)
    delays: list = [None, "wal", "wal"]
    killed = completed = 0
    new = None
    n = 0
    while n < len(delays):
        delay = delays[n]
        path = tmp_path / f"run{n}.gpkg"
        shutil.copyfile(prepared, path)
        wal = Path(str(path) + "-wal")
        env = dict(os.environ, ZONES_STORE=str(path))
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "scenario", "promote", "big"], cwd=cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if delay == "wal":
            while proc.poll() is None and time.monotonic() - started < 60:
                if wal.exists() and wal.stat().st_size > 64 * 1024:
                    break
                time.sleep(0.002)
        elif delay is not None:
            time.sleep(delay)
        if delay is not None:
            proc.send_signal(signal.SIGKILL)
        rc = proc.wait()
        if n == 0:
            took = time.monotonic() - started
            delays += [rng.uniform(0.2, 0.9) * took for _ in range(3)]
        n += 1
        now = _checksums(path)
        promoted = get_scenario(path, "big").promoted
        changed = {k for k in now if now[k] != old[k]}
        assert rc in (0, -signal.SIGKILL), rc
        if changed:
            assert changed == {"parcels", "core_infrastructure"} and promoted
            new = new or now
            assert now == new
            completed += 1
        else:
            assert not promoted, "scenario marked promoted but the base is unchanged"
            killed += 1
        assert len(GeoPackageStore(path).read("parcels")) in (50, 30_000)
    assert killed >= 3 and completed >= 1, (killed, completed)
