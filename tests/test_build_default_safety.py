"""`kizone build-default`: reproducible output, and no silent loss of imports or history."""
from __future__ import annotations

import shutil
import sqlite3

import pytest

from cli.main import build_parser, main
from geodata import DEFAULT_STORE
from geodata.admin import BASE_DATE
from geodata.build_default import build
from geodata.build_output import StoreInUse, fixed_timestamp
from geodata.store import GeoPackageStore


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "a.gpkg"
    build(path)
    return path


def _contents(path):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return con.execute("SELECT table_name, last_change FROM gpkg_contents ORDER BY table_name").fetchall()


def test_rebuilding_an_unchanged_recipe_gives_the_same_bytes(built, tmp_path):
    again = tmp_path / "b.gpkg"
    build(again)
    assert again.read_bytes() == built.read_bytes()
    assert {stamp for _, stamp in _contents(built)} == {f"{BASE_DATE}T00:00:00.000Z"}


def test_source_date_epoch_sets_the_timestamps(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert fixed_timestamp(BASE_DATE) == "2023-11-14T22:13:20.000Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert fixed_timestamp(BASE_DATE) == "2023-09-15T00:00:00.000Z"


def test_embedded_store_matches_the_recipe(built):
    """The tracked store holds what the recipe draws now (text fields included)."""
    fresh, embedded = GeoPackageStore(built), GeoPackageStore(DEFAULT_STORE)
    assert embedded.layer_ids() == fresh.layer_ids()
    for layer in fresh.layer_ids():
        a, b = fresh.read(layer), embedded.read(layer)
        cols = [c for c in a.columns if c != "geometry"]
        assert a[cols].equals(b[cols]), layer
        assert a.geometry.area.round(2).tolist() == b.geometry.area.round(2).tolist(), layer
    assert _contents(DEFAULT_STORE) == _contents(built)


def _used_store(built, tmp_path):
    """A store after an import: one recipe layer replaced (a revision) and one new layer."""
    path = tmp_path / "used.gpkg"
    shutil.copy(built, path)
    store = GeoPackageStore(path)
    fez = store.read("fez_districts")
    store.replace_layer("fez_districts", fez.iloc[:2], source_file="survey.shp")
    store.replace_layer("parcels", fez.iloc[:1], source_file="parcels.shp")
    return path


def test_refuses_to_overwrite_imports_and_history(built, tmp_path):
    path = _used_store(built, tmp_path)
    before = path.read_bytes()
    with pytest.raises(StoreInUse) as err:
        build(path)
    message = str(err.value)
    assert "parcels" in message and "revisions of fez_districts, parcels" in message and "--force" in message
    assert path.read_bytes() == before


def test_cli_says_what_would_be_lost_and_force_overwrites(built, tmp_path, capsys):
    path = _used_store(built, tmp_path)
    assert main(["build-default", "--out", str(path)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and "parcels" in err
    assert main(["build-default", "--out", str(path), "--force"]) == 0
    assert path.read_bytes() == built.read_bytes()  # imports and history gone, as asked


def test_build_default_never_targets_zones_store(monkeypatch, tmp_path):
    monkeypatch.setenv("ZONES_STORE", str(tmp_path / "imported.gpkg"))
    assert build_parser().parse_args(["build-default"]).out == str(DEFAULT_STORE)
