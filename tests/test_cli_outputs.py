"""Commands check their output paths before they work (an import never commits and then fails on
its report), and say in one line what is wrong: an unwritable path, an unknown layer, a store
that is no GeoPackage."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.make_parcels_sample import SAMPLE_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def store(tmp_path, monkeypatch) -> GeoPackageStore:
    path = store_copy(tmp_path)
    monkeypatch.setenv("ZONES_STORE", str(path))
    return GeoPackageStore(path)


def _unwritable(tmp_path: Path) -> list[Path]:
    """Folders no one can write in, root included: below a regular file, and in /proc (Linux)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return [blocker / "out"] + ([Path("/proc/kizone-out")] if Path("/proc/self").exists() else [])


def _one_error_line(capsys, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("kizone: error:"), err
    assert all(w in err for w in words), err
    return err


def test_import_with_an_unwritable_report_changes_nothing(store, tmp_path, capsys):
    for folder in _unwritable(tmp_path):
        generation = store.generation()
        code = main(["import", str(SAMPLE_FILE), "--layer", "parcels", "--report", str(folder / "r.json")])
        assert code == 2
        _one_error_line(capsys, "--report", str(folder / "r.json"))
        assert store.generation() == generation and "parcels" not in store.layer_ids()


def test_export_map_and_build_refuse_an_unwritable_path_in_one_line(store, tmp_path, capsys):
    for folder in _unwritable(tmp_path):
        assert main(["export", "--layer", "fez_districts", "--out", str(folder / "fez.gpkg")]) == 2
        _one_error_line(capsys, "--out", "fez.gpkg")
        assert main(["map", "--out", str(folder / "maps")]) == 2
        _one_error_line(capsys, "--out", "maps")
        assert main(["build-default", "--out", str(folder / "new.gpkg")]) == 2
        _one_error_line(capsys, "--out", "new.gpkg")


def test_an_import_report_into_a_new_folder_is_still_written(store, tmp_path, capsys):
    report = tmp_path / "reports" / "2024" / "r.json"
    assert main(["import", str(SAMPLE_FILE), "--layer", "parcels", "--report", str(report)]) == 0
    assert report.is_file() and f"report: {report}" in capsys.readouterr().out


def test_restore_of_an_unknown_layer_says_the_layer_is_unknown(store, tmp_path, capsys):
    assert main(["restore", "--layer", "nope", "--revision", "1"]) == 2
    _one_error_line(capsys, "no layer 'nope' in the store", "fez_districts")
    client = TestClient(create_app(Settings(store_path=store.path, plan_path=PLAN_FILE,
                                            write_tokens=(("alice", "s3cret"),))))
    r = client.post("/collections/nope/revisions/1/restore", headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 404 and "no layer 'nope' in the store" in r.json()["detail"]


def test_a_store_that_is_no_geopackage_stops_the_server_and_the_cli(tmp_path, capsys, monkeypatch):
    text = tmp_path / "zones.gpkg"
    text.write_text("id,name\n1,x\n")
    run = subprocess.run([sys.executable, "-c", "import api.app"], env={**os.environ, "ZONES_STORE": str(text)},
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("api.settings.SettingError: ZONES_STORE=") and "not a GeoPackage" in last
    monkeypatch.setenv("ZONES_STORE", str(text))
    assert main(["report"]) == 2
    _one_error_line(capsys, "ZONES_STORE", "not a GeoPackage")
