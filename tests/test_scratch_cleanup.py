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
from tests.write_helpers import store_copy

ROOT = Path(__file__).resolve().parents[1]
ZIPPED = ROOT / "geodata" / "samples" / "parcels_5174.zip"
# An import of a zipped Shapefile killed while its members are unpacked in its scratch folder:
# the importer's own path runs; only the moment of the kill is chosen.
KILLED_WRITE = """
import os, signal, sys
from geodata import safe_unzip
from geodata.layer_import import ImportOptions, import_file
from geodata.store import GeoPackageStore

def killed_while_unpacking(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

safe_unzip.extract = killed_while_unpacking
import_file(GeoPackageStore(sys.argv[1]), sys.argv[2], ImportOptions(layer="parcels"))
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
    """Run an import that is SIGKILLed while it unpacks; the scratch folders it left."""
    before = {p.name for p in root().iterdir()}
    run = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(store), str(layer_file)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    return {p.name for p in root().iterdir()} - before


def test_a_killed_writes_scratch_folder_is_removed_at_the_next_server_start(tmp_path):
    store = store_copy(tmp_path)
    left = _killed_write(store, ZIPPED)
    assert len(left) == 1 and next(iter(left)).startswith("zip-")
    with scratch_dir("upload") as live:  # a write of a running process is not touched
        create_app(Settings(store_path=store, plan_path=PLAN_FILE))
        assert live.is_dir()
        assert not left & {p.name for p in root().iterdir()}
    assert not live.exists()


def test_kizone_removes_them_too(tmp_path, monkeypatch):
    store = store_copy(tmp_path)
    left = _killed_write(store, ZIPPED)
    monkeypatch.setenv("ZONES_STORE", str(store))
    assert main(["revisions", "--layer", "fez_districts"]) == 0
    assert not left & {p.name for p in root().iterdir()}


def test_the_scratch_folder_is_private():
    assert root().stat().st_mode & 0o777 == 0o700 and root().stat().st_uid == os.getuid()
