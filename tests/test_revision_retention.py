"""Revision retention on real GeoPackages: the store, the `kizone` CLI and the write API."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.retention import DEFAULT_KEEP_REVISIONS, parse_keep_revisions
from geodata.revisions import PrunedRevision, UnknownRevision, revision_ranges
from geodata.store import GeoPackageStore
from tests.write_helpers import revisions_with_content, square_fc, store_copy

AUTH = {"Authorization": "Bearer s3cret"}


def _layer(n: int) -> gpd.GeoDataFrame:
    """`n` parcels: each revision written by the tests has its own feature count and checksum."""
    geoms = [shapely.box(170000 + i * 30, 280000, 170000 + i * 30 + 25, 280025) for i in range(n)]
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(n)], "use": ["support"] * n}, geometry=geoms,
                            crs="EPSG:5186")


def _store_with_history(tmp_path: Path, writes: int, keep: int | None) -> GeoPackageStore:
    """fez_districts with revision 0 (the default content) and `writes` imports of 1..writes parcels."""
    store = GeoPackageStore(store_copy(tmp_path), keep_revisions=keep)
    for n in range(1, writes + 1):
        store.replace_layer("fez_districts", _layer(n), source_file=f"night-{n}.shp")
    return store


def test_keep_setting_parses_default_all_and_rejects_nonsense():
    assert parse_keep_revisions(None) == parse_keep_revisions("") == DEFAULT_KEEP_REVISIONS == 50
    assert parse_keep_revisions("7") == 7 and parse_keep_revisions(" 1 ") == 1
    assert parse_keep_revisions("all") is None and parse_keep_revisions("ALL") is None
    assert parse_keep_revisions("0") is None
    with pytest.raises(ValueError, match="ZONES_KEEP_REVISIONS cannot be negative"):
        parse_keep_revisions("-3")
    with pytest.raises(ValueError, match="whole number of revisions"):
        parse_keep_revisions("fifty")
    assert revision_ranges([7, 1, 2, 3, 5, 6, 10]) == "1-3, 5-7, 10"


def test_settings_read_keep_revisions_from_the_environment(monkeypatch):
    monkeypatch.delenv("ZONES_KEEP_REVISIONS", raising=False)
    assert Settings.from_env().keep_revisions == 50
    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "12")
    assert Settings.from_env().keep_revisions == 12
    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "all")
    assert Settings.from_env().keep_revisions is None
    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "many")
    with pytest.raises(ValueError, match="ZONES_KEEP_REVISIONS"):
        Settings.from_env()


def test_writes_beyond_the_limit_drop_the_oldest_content_and_keep_every_record(tmp_path):
    store = _store_with_history(tmp_path, writes=5, keep=3)
    revs = store.revisions("fez_districts")
    assert [r.revision for r in revs] == [0, 1, 2, 3, 4, 5]  # the record list is complete
    assert [r.restorable for r in revs] == [False, False, False, True, True, True]
    assert [r.feature_count for r in revs] == [4, 1, 2, 3, 4, 5]  # records keep what they said
    assert all(r.data_pruned_utc for r in revs[:3]) and not any(r.data_pruned_utc for r in revs[3:])
    assert revisions_with_content(store.path, "fez_districts") == [3, 4, 5]
    # the newest three come back exactly
    for r in revs[3:]:
        store.restore("fez_districts", r.revision)
        assert store.checksum("fez_districts") == r.checksum
    # each restore was a write too: the window moved on, the records of all writes remain
    revs = store.revisions("fez_districts")
    assert [r.revision for r in revs] == list(range(9))
    assert [r.revision for r in revs if r.restorable] == [6, 7, 8]
    assert revisions_with_content(store.path, "fez_districts") == [6, 7, 8]
    # other layers' history is not touched by this layer's limit
    store.replace_layer("jeonju_sites", _layer(2))
    assert [r.revision for r in store.revisions("jeonju_sites")] == [0, 1]
    assert revisions_with_content(store.path, "fez_districts") == [6, 7, 8]
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_restoring_a_pruned_revision_is_a_clear_error_and_changes_nothing(tmp_path):
    store = _store_with_history(tmp_path, writes=4, keep=2)
    current = store.checksum("fez_districts")
    with pytest.raises(PrunedRevision) as err:
        store.restore("fez_districts", 1)
    assert err.value.oldest_restorable == 3 and err.value.restorable == [3, 4]
    message = str(err.value)
    assert "revision 1 of layer 'fez_districts' can no longer be restored" in message
    assert "oldest restorable revision is 3" in message and "ZONES_KEEP_REVISIONS" in message
    with pytest.raises(UnknownRevision):
        store.restore("fez_districts", 40)
    assert store.checksum("fez_districts") == current
    assert [r.revision for r in store.revisions("fez_districts")] == [0, 1, 2, 3, 4]


def test_keep_all_never_prunes_and_an_explicit_prune_applies_a_lower_limit(tmp_path):
    store = _store_with_history(tmp_path, writes=4, keep=None)
    assert all(r.restorable for r in store.revisions("fez_districts"))
    assert revisions_with_content(store.path, "fez_districts") == [0, 1, 2, 3, 4]
    generation = store.generation()
    [result] = GeoPackageStore(store.path, keep_revisions=2).prune(["fez_districts"])
    assert result.dropped == (0, 1, 2) and result.restorable == (3, 4) and result.oldest_restorable == 3
    assert result.features == 4 + 1 + 2 and result.content_bytes > 0
    assert revisions_with_content(store.path, "fez_districts") == [3, 4]
    assert store.generation() == generation  # the live layers did not change
    # a second run has nothing left to drop
    [again] = GeoPackageStore(store.path, keep_revisions=2).prune()
    assert again.dropped == () and again.features == 0 and again.oldest_restorable == 3


def test_a_store_written_before_retention_gains_the_marker_on_its_next_write(tmp_path):
    store = _store_with_history(tmp_path, writes=2, keep=None)
    con = sqlite3.connect(store.path)
    con.execute("ALTER TABLE zones_revisions DROP COLUMN data_pruned_utc")  # the table as it was before
    con.close()
    assert [r.restorable for r in store.revisions("fez_districts")] == [True, True, True]
    store.restore("fez_districts", 1)  # old content is still restorable before any pruning
    GeoPackageStore(store.path, keep_revisions=2).replace_layer("fez_districts", _layer(7))
    assert [r.restorable for r in store.revisions("fez_districts")] == [False, False, False, True, True]


def test_cli_lists_restorability_refuses_a_pruned_restore_and_prunes_on_demand(tmp_path, monkeypatch, capsys):
    store = _store_with_history(tmp_path, writes=4, keep=None)
    monkeypatch.setenv("ZONES_STORE", str(store.path))
    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "3")

    assert main(["revisions", "--layer", "fez_districts"]) == 0
    out = capsys.readouterr().out
    assert "restorable: 0-4" in out and "the newest 3 revisions per layer" in out  # nothing pruned yet

    assert main(["prune"]) == 0
    out = capsys.readouterr().out
    assert "fez_districts: dropped the content of revisions 0-1 (5 features," in out
    assert "oldest restorable revision: 2" in out and "--vacuum" in out

    assert main(["revisions", "--layer", "fez_districts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:6]] == ["0", "1", "2", "3", "4"]
    assert "pruned" in lines[1] and "pruned" in lines[2] and "yes" in lines[3]
    assert lines[-1].startswith("restorable: 2-4;")

    assert main(["revisions", "--layer", "fez_districts", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["revision"], r["restorable"]) for r in listed] == [(0, False), (1, False), (2, True), (3, True),
                                                                  (4, True)]

    assert main(["restore", "--layer", "fez_districts", "--revision", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kizone: error: revision 1 of layer 'fez_districts' can no longer be restored")
    assert "oldest restorable revision is 2" in err and "Traceback" not in err

    size = store.path.stat().st_size
    assert main(["prune", "--layer", "fez_districts", "--keep", "1", "--vacuum", "--format", "json"]) == 0
    out = capsys.readouterr().out
    [result] = json.loads(out[:out.rindex("]") + 1])
    assert result["dropped"] == [2, 3] and result["oldest_restorable"] == 4 and result["content_bytes"] > 0
    assert "vacuum: store.gpkg" in out and store.path.stat().st_size < size
    assert store.checksum("fez_districts") == store.revisions("fez_districts")[-1].checksum

    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "-1")
    assert main(["prune"]) == 2
    assert "ZONES_KEEP_REVISIONS cannot be negative" in capsys.readouterr().err
    assert main(["prune", "--keep", "some"]) == 2
    assert "--keep must be a whole number" in capsys.readouterr().err

    # a restore is a write: with one revision kept, the restored one's own content makes way
    monkeypatch.setenv("ZONES_KEEP_REVISIONS", "1")
    assert main(["restore", "--layer", "fez_districts", "--revision", "4"]) == 0
    out = capsys.readouterr().out
    assert "revision 4 restored as revision 5" in out and "the content of 4 was dropped" in out


def _client(path: Path, keep: int | None) -> TestClient:
    settings = Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),),
                        keep_revisions=keep)
    return TestClient(create_app(settings))


FEZ_IDS = ("fez_future_car", "fez_ai", "fez_smart_energy_1", "fez_smart_energy_2")


def _square(i: int) -> dict:
    """Write number `i` of fez_districts: small squares under the ids the plan reads (else 409)."""
    features = []
    for k, fid in enumerate(FEZ_IDS):
        x, y = 126.69 + i * 0.002, 35.15 + k * 0.002
        features += square_fc([(x, y), (x + 0.001, y), (x + 0.001, y + 0.001), (x, y + 0.001), (x, y)],
                              {"id": fid, "use": "support", "write": i})["features"]
    return {"type": "FeatureCollection", "features": features}


def test_api_prunes_on_write_lists_restorability_and_answers_410_for_a_pruned_revision(tmp_path):
    client = _client(store_copy(tmp_path), keep=2)
    answers = []
    for i in range(1, 4):
        r = client.put("/collections/fez_districts/items", json=_square(i), headers=AUTH)
        assert r.status_code == 200 and r.json()["revision"] == i
        answers.append(r.json())
    # each write says what it dropped: revision 2 pushed out the baseline, revision 3 pushed out 1
    assert [a["report"]["pruned_revisions"] for a in answers] == [[], [0], [1]]
    assert "content of revision 1 was dropped" in answers[2]["summary"]
    assert "dropped" not in answers[0]["summary"]
    listing = client.get("/collections/fez_districts/revisions").json()
    assert listing["keep_revisions"] == 2 and listing["oldest_restorable"] == 2
    assert [(r["revision"], r["restorable"]) for r in listing["revisions"]] == [(0, False), (1, False), (2, True),
                                                                               (3, True)]

    r = client.post("/collections/fez_districts/revisions/1/restore", headers=AUTH)
    assert r.status_code == 410 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["title"] == "Revision no longer restorable"
    assert problem["oldest_restorable"] == 2 and problem["restorable"] == [2, 3]
    assert "oldest restorable revision is 2" in problem["detail"]
    assert client.post("/collections/fez_districts/revisions/9/restore", headers=AUTH).status_code == 404

    r = client.post("/collections/fez_districts/revisions/2/restore", headers=AUTH)
    assert r.status_code == 200 and r.json()["revision"] == 4
    assert r.json()["pruned_revisions"] == [2]  # the restore is a write: revision 2's content made way
    assert {f["properties"]["write"] for f in client.get("/collections/fez_districts/items").json()["features"]} == {2}
    assert client.get("/collections/fez_districts/revisions").json()["oldest_restorable"] == 3


def test_a_refused_write_prunes_nothing(tmp_path):
    path = store_copy(tmp_path)
    client = _client(path, keep=2)
    for i in (1, 2):
        assert client.put("/collections/fez_districts/items", json=_square(i), headers=AUTH).status_code == 200
    before = client.get("/collections/fez_districts/revisions").json()
    stored = revisions_with_content(path, "fez_districts")
    assert stored == [1, 2]
    bowtie = square_fc([(126.69, 35.15), (126.70, 35.16), (126.70, 35.15), (126.69, 35.16), (126.69, 35.15)])
    assert client.put("/collections/fez_districts/items?strict=true", json=bowtie, headers=AUTH).status_code == 422
    point = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                        "geometry": {"type": "Point", "coordinates": [126.7, 35.1]}}]}
    assert client.put("/collections/fez_districts/items", json=point, headers=AUTH).status_code == 422
    assert client.get("/collections/fez_districts/revisions").json() == before
    assert revisions_with_content(path, "fez_districts") == stored
    r = client.post("/collections/fez_districts/revisions/1/restore", headers=AUTH)
    assert r.status_code == 200 and r.json()["revision"] == 3
