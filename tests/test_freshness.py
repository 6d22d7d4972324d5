"""One freshness stamp for the store, used by every cache; blocking reads never on the event loop."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
import shapely
from fastapi.testclient import TestClient

import api.feature_cache
from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

AUTH = {"Authorization": "Bearer s3cret"}
SITE = "certification_center"


def _edited_layer(client: TestClient) -> dict:
    """core_infrastructure as GeoJSON, with the certification centre renamed and shrunk to 64 %."""
    fc = client.get("/collections/core_infrastructure/items?limit=100").json()
    features = []
    for f in fc["features"]:
        props = {k: v for k, v in f["properties"].items() if not k.startswith("area_")}
        geom = f["geometry"]
        if f["id"] == SITE:
            props["name_en"] = "Renamed certification centre"
            shape = shapely.geometry.shape(geom)
            small = shapely.affinity.scale(shape, 0.8, 0.8, origin="centroid")
            geom = shapely.geometry.mapping(shapely.set_precision(small, 1e-9))
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": features}


def _readers(client: TestClient) -> dict[str, str]:
    """Every cached view of the store's content, as text."""
    return {
        "items": client.get("/collections/core_infrastructure/items?limit=100").text,
        "items 5186": client.get("/collections/core_infrastructure/items",
                                 params={"limit": 100, "crs": "http://www.opengis.net/def/crs/EPSG/0/5186"}).text,
        "item": client.get(f"/collections/core_infrastructure/items/{SITE}").text,
        "allocations": client.get("/allocations").text,
        "siting report": client.get("/siting/report").text,
        "overview map": client.get("/maps/overview").text,
        "allocation map": client.get("/maps/allocation").text,
        "siting map": client.get(f"/maps/siting?facility={SITE}").text,
    }


def test_a_write_that_stays_in_the_wal_reaches_every_cached_reader(tmp_path):
    path = store_copy(tmp_path)
    settings = Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),))
    # Another program (QGIS, a backup) holds a read transaction on the store in WAL mode: the
    # write commits into the write-ahead log and cannot be folded back into the .gpkg.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM gpkg_contents").fetchall()
    try:
        client = TestClient(create_app(settings))
        before = _readers(client)
        body = _edited_layer(client)
        gpkg_before = path.stat()
        r = client.put("/collections/core_infrastructure/items", json=body, headers=AUTH)
        assert r.status_code == 200, r.text
        gpkg_after = path.stat()
        assert (gpkg_after.st_mtime_ns, gpkg_after.st_size) == (gpkg_before.st_mtime_ns, gpkg_before.st_size), \
            "the write was expected to sit in the WAL, leaving the .gpkg as it was"
        after = _readers(client)
    finally:
        holder.execute("COMMIT")
        holder.close()
    stale = [name for name in before if after[name] == before[name]]
    assert not stale, f"served from a stale cache after the write: {stale}"
    assert "Renamed certification centre" in after["items"] and "Renamed certification centre" in after["overview map"]


def test_the_stamp_moves_with_every_commit_and_only_then(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    first = store.stamp()
    assert store.stamp(first) == first  # nothing written: same state
    store.replace_layer("fez_districts", store.read("fez_districts"))  # a committed write (a new revision)
    second = store.stamp(first)
    assert second != first and second.generation == first.generation + 1
    assert store.stamp(second) == second


def test_no_cache_is_keyed_on_object_identity():
    """id() of an object the cache does not keep alive can be reused by a newer object."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    offenders = [str(p.relative_to(root)) for d in ("api", "geodata", "maps", "zones", "cli")
                 for p in (root / d).rglob("*.py") if "id(self.provider" in p.read_text() or "tuple(id(" in p.read_text()]
    assert not offenders


@pytest.fixture
def loop_spy(monkeypatch):
    """Records every store read and feature-copy build made on a thread that runs an event loop."""
    on_loop: list[str] = []

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                on_loop.append(name)
            except RuntimeError:
                pass
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(GeoPackageStore, "read_consistent", spy("read", GeoPackageStore.read_consistent))
    monkeypatch.setattr(GeoPackageStore, "layer_ids", spy("layer ids", GeoPackageStore.layer_ids))
    monkeypatch.setattr(api.feature_cache, "_build", spy("encode", api.feature_cache._build))
    return on_loop


def test_async_routes_read_and_encode_off_the_event_loop(tmp_path, loop_spy):
    client = TestClient(create_app(Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE)))
    loop_spy.clear()  # start-up (siting rules bound at creation) is not a request
    for url in ("/collections", "/collections/admin_dongs", "/collections/admin_dongs/items?limit=5",
                "/collections/fez_districts/items?crs=http://www.opengis.net/def/crs/EPSG/0/5179",
                "/collections/fez_districts/items/fez_ai?f=html"):
        assert client.get(url).status_code == 200, url
    draft = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"target_id": "fez_ai"},
             "geometry": {"type": "Polygon", "coordinates": [[[126.70, 35.20], [126.71, 35.20], [126.71, 35.21],
                                                              [126.70, 35.21], [126.70, 35.20]]]}}]}
    assert client.post("/allocations/check", json=draft).status_code == 200
    assert client.get("/collections/no_such_layer/items").status_code == 404
    assert not loop_spy, f"blocking store work ran on the event loop: {loop_spy}"
