"""A write that runs out of disk answers 507 / one CLI line saying "store unchanged", and the store
is exactly as before. On a real full disk: a 2 MiB tmpfs (needs root; skipped with the reason
otherwise)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import grid_geojson

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture()
def small_disk(tmp_path):
    """A 2 MiB file system of its own, mounted for the test and removed after it."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small file system to fill")
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"mounting a 2 MiB tmpfs is not permitted here ({run.stderr.strip() or run.returncode}); "
                    f"the disk-full tests need root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture(scope="module")
def big_layer(tmp_path_factory) -> Path:
    """8,000 parcels: more than the ~1.2 MB left on the small disk once the store is on it."""
    return grid_geojson(tmp_path_factory.mktemp("big") / "parcels.geojson", 8000)


def _state(path: Path) -> tuple:
    store = GeoPackageStore(path)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    return store.generation(), tuple((layer, store.checksum(layer)) for layer in store.layer_ids())


def test_a_put_that_fills_the_disk_is_507_and_the_store_is_unchanged(small_disk, big_layer):
    path = small_disk / "store.gpkg"
    shutil.copyfile(DEFAULT_STORE, path)
    before = _state(path)
    client = TestClient(create_app(Settings(store_path=path, plan_path=PLAN_FILE,
                                            write_tokens=(("alice", "s3cret"),))))
    r = client.put("/collections/parcels/items", content=big_layer.read_bytes(),
                   headers={**AUTH, "Content-Type": "application/geo+json"})
    assert r.status_code == 507 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert "store unchanged" in r.json()["detail"] and r.json()["code"] == "storage_full"
    assert _state(path) == before
    assert client.get("/collections/fez_districts/items").status_code == 200
    small = json.loads(big_layer.read_text())
    small["features"] = small["features"][:3]
    assert client.put("/collections/parcels/items", json=small, headers=AUTH).status_code == 200  # still writable


def test_kizone_import_on_a_full_disk_is_one_line(small_disk, big_layer, tmp_path):
    path = small_disk / "store.gpkg"
    shutil.copyfile(DEFAULT_STORE, path)
    before = _state(path)
    r = subprocess.run([sys.executable, "-m", "cli.main", "import", str(big_layer), "--layer", "parcels",
                        "--report", str(tmp_path / "r.json")], cwd=ROOT, env=dict(os.environ, ZONES_STORE=str(path)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "store unchanged" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and "cannot rollback" not in r.stderr
    assert _state(path) == before


def test_a_full_temporary_folder_does_not_stop_a_write(small_disk, big_layer, tmp_path):
    """A write stages nothing in the temporary folder (the layer is written once, straight into the
    store, and SQLite keeps its temporary data in memory): a full temporary disk does not fail it."""
    path = tmp_path / "store.gpkg"
    shutil.copyfile(DEFAULT_STORE, path)
    (small_disk / "filler").write_bytes(b"\0" * (1900 * 1024))
    r = subprocess.run([sys.executable, "-m", "cli.main", "import", str(big_layer), "--layer", "parcels",
                        "--report", str(tmp_path / "r.json")], cwd=ROOT,
                       env=dict(os.environ, ZONES_STORE=str(path), TMPDIR=str(small_disk)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert len(GeoPackageStore(path).read("parcels")) == 8000
    assert _state(path)[0] == 1
