"""Scratch folders of writes live in one private folder and do not outlive a crash: a write
killed mid-way leaves its folder, the next server or `kizone` start removes it; live ones stay."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.scratch import root, scratch_dir
from tests.write_helpers import grid_geojson, store_copy

ROOT = Path(__file__).resolve().parents[1]
# A write killed inside its transaction, when its scratch copy is on disk: the store's own write
# path runs; only the moment of the kill is chosen.
KILLED_WRITE = """
import os, signal, sys
import geopandas as gpd
from geodata import gpkg_tx
from geodata.store import GeoPackageStore

def killed_in_the_transaction(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

gpkg_tx._swap_layer = killed_in_the_transaction
GeoPackageStore(sys.argv[1]).replace_layer("parcels", gpd.read_file(sys.argv[2]))
"""


@pytest.fixture(autouse=True)
def private_temp(tmp_path, monkeypatch):
    """A temp folder of this test's own, so another suite's writes on the machine never show up
    in the scratch folder these tests count (the subprocess inherits it through TMPDIR)."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def _killed_write(store: Path, layer_file: Path) -> set[str]:
    """Run a write that is SIGKILLed inside its transaction; the scratch folders it left."""
    before = {p.name for p in root().iterdir()}
    run = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(store), str(layer_file)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    return {p.name for p in root().iterdir()} - before


def test_a_killed_writes_scratch_folder_is_removed_at_the_next_server_start(tmp_path):
    store = store_copy(tmp_path)
    left = _killed_write(store, grid_geojson(tmp_path / "g.geojson", 50))
    assert len(left) == 1 and next(iter(left)).startswith("write-")
    with scratch_dir("upload") as live:  # a write of a running process is not touched
        create_app(Settings(store_path=store, plan_path=PLAN_FILE))
        assert live.is_dir()
        assert not left & {p.name for p in root().iterdir()}
    assert not live.exists()


def test_kizone_removes_them_too(tmp_path, monkeypatch):
    store = store_copy(tmp_path)
    left = _killed_write(store, grid_geojson(tmp_path / "g.geojson", 50))
    monkeypatch.setenv("ZONES_STORE", str(store))
    assert main(["revisions", "--layer", "fez_districts"]) == 0
    assert not left & {p.name for p in root().iterdir()}


def test_the_scratch_folder_is_private():
    assert root().stat().st_mode & 0o777 == 0o700 and root().stat().st_uid == os.getuid()
