"""Diffs between revisions: one fixture per class, the feature index, the API and kizone."""
from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main as kizone
from geodata import PLAN_FILE
from geodata.layer_diff import diff_frames, diff_revisions
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

X0, Y0 = 170000.0, 280000.0  # 광산구, EPSG:5186


def _layer(features: list[tuple[str, str, shapely.Geometry]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [f[0] for f in features], "use": [f[1] for f in features]},
                            geometry=[f[2] for f in features], crs="EPSG:5186")


def _square(i: int, size: float = 20.0) -> shapely.Geometry:
    return shapely.box(X0 + i * 50, Y0, X0 + i * 50 + size, Y0 + size)


BEFORE = [(f"p{i}", "support", _square(i)) for i in range(8)]


def _after(**changes) -> gpd.GeoDataFrame:
    feats = {fid: (fid, use, geom) for fid, use, geom in BEFORE}
    for fid, value in changes.items():
        if value is None:
            del feats[fid]
        else:
            feats[fid] = value
    return _layer(list(feats.values()))


def _two_revisions(tmp_path, after: gpd.GeoDataFrame) -> GeoPackageStore:
    store = GeoPackageStore(store_copy(tmp_path))
    store.replace_layer("parcels", _layer(BEFORE))
    store.replace_layer("parcels", after)
    return store


def _only(diff, change: str):
    assert [c.change for c in diff.changes] == [change], [c.as_dict() for c in diff.changes]
    return diff.changes[0]


def test_added(tmp_path):
    store = _two_revisions(tmp_path, _after(p9=("p9", "green", _square(9, 30))))
    d = diff_revisions(store.path, "parcels", 1, 2)
    c = _only(d, "added")
    assert c.id == "p9" and c.area_before_m2 is None and c.area_after_m2 == pytest.approx(900)
    assert d.summary.area_added_m2 == pytest.approx(900) and d.summary.unchanged == 8


def test_removed(tmp_path):
    store = _two_revisions(tmp_path, _after(p3=None))
    d = diff_revisions(store.path, "parcels", 1, 2)
    c = _only(d, "removed")
    assert c.id == "p3" and c.area_before_m2 == pytest.approx(400) and d.summary.area_removed_m2 == pytest.approx(400)


def test_modified_attributes_only(tmp_path):
    store = _two_revisions(tmp_path, _after(p2=("p2", "green", _square(2))))
    c = _only(diff_revisions(store.path, "parcels", 1, 2), "modified")
    assert c.id == "p2" and c.changed_attributes == ("use",) and c.area_before_m2 == c.area_after_m2


def test_reshaped(tmp_path):
    store = _two_revisions(tmp_path, _after(p4=("p4", "support", _square(4, 25))))
    c = _only(diff_revisions(store.path, "parcels", 1, 2), "reshaped")
    assert c.area_before_m2 == pytest.approx(400) and c.area_after_m2 == pytest.approx(625)


def test_moved_is_moved_with_distance_and_direction(tmp_path):
    moved = shapely.affinity.translate(_square(5), 30.0, -40.0)  # 50 m to the south-east
    store = _two_revisions(tmp_path, _after(p5=("p5", "support", moved)))
    d = diff_revisions(store.path, "parcels", 1, 2)
    c = _only(d, "moved")
    assert c.id == "p5" and c.shift_m == pytest.approx(50.0) and c.bearing_deg == pytest.approx(143.13, abs=0.01)
    assert c.direction == "SE" and c.area_change_m2 == pytest.approx(0, abs=1e-6)
    assert d.summary.counts["removed"] == d.summary.counts["added"] == 0


def test_moved_under_a_new_id_is_one_move_not_removed_and_added(tmp_path):
    moved = shapely.affinity.translate(_square(6), 0.0, 100.0)
    store = _two_revisions(tmp_path, _after(p6=None, q6=("q6", "support", moved)))
    c = _only(diff_revisions(store.path, "parcels", 1, 2), "moved")
    assert (c.id, c.id_before, c.direction) == ("q6", "p6", "N")


def test_a_ring_starting_elsewhere_or_running_the_other_way_is_no_change(tmp_path):
    turned = shapely.Polygon(list(_square(1).exterior.coords)[::-1][1:] + [list(_square(1).exterior.coords)[::-1][1]])
    assert not shapely.equals_exact(turned, _square(1), 0) and turned.equals(_square(1))
    store = _two_revisions(tmp_path, _after(p1=("p1", "support", turned)))
    d = diff_revisions(store.path, "parcels", 1, 2)
    assert d.changes == [] and d.summary.unchanged == 8


def test_every_class_at_once_and_in_reverse(tmp_path):
    after = _after(p0=None, p2=("p2", "green", _square(2)), p4=("p4", "support", _square(4, 25)),
                   p5=("p5", "support", shapely.affinity.translate(_square(5), 0, 60)),
                   p9=("p9", "support", _square(9, 30)))
    store = _two_revisions(tmp_path, after)
    forward = diff_revisions(store.path, "parcels", 1, 2)
    assert forward.summary.counts == {"added": 1, "removed": 1, "modified": 1, "reshaped": 1, "moved": 1}
    back = diff_revisions(store.path, "parcels", 2, 1)
    assert back.summary.counts == {"added": 1, "removed": 1, "modified": 1, "reshaped": 1, "moved": 1}
    assert {c.id: c.change for c in back.changes}["p0"] == "added"
    assert next(c for c in back.changes if c.id == "p5").direction == "S"


def test_only_the_differing_buckets_and_features_are_read(tmp_path):
    """4,000 features, one changed: the diff reads the changed buckets' rows only (the index), and
    matches what an in-memory diff of the whole layers finds."""
    big = [(f"f{i}", "support", shapely.box(X0 + (i % 80) * 30, Y0 + (i // 80) * 30,
                                            X0 + (i % 80) * 30 + 25, Y0 + (i // 80) * 30 + 25)) for i in range(4000)]
    store = GeoPackageStore(store_copy(tmp_path))
    store.replace_layer("parcels", _layer(big))
    changed = list(big)
    changed[1234] = ("f1234", "green", big[1234][2])
    store.replace_layer("parcels", _layer(changed))
    con = sqlite3.connect(store.path)
    traced: list[str] = []
    try:
        buckets = con.execute("SELECT count(*) FROM zones_revision_index WHERE layer = 'parcels' AND revision = 2 "
                              "AND bucket >= 0").fetchone()[0]
    finally:
        con.close()
    assert buckets > 1000  # the index is cut into buckets
    import geodata.layer_diff as layer_diff

    real = layer_diff.read_buckets
    layer_diff.read_buckets = lambda con, layer, rev, wanted: traced.append(len(list(wanted))) or real(
        con, layer, rev, wanted)
    try:
        d = diff_revisions(store.path, "parcels", 1, 2)
    finally:
        layer_diff.read_buckets = real
    assert traced == [1, 1]  # one bucket of each revision
    assert [(c.id, c.change) for c in d.changes] == [("f1234", "modified")] and d.summary.unchanged == 3999
    in_memory = diff_frames("parcels", _layer(big), _layer(changed), "a", "b")
    assert [(c.id, c.change) for c in in_memory.changes] == [("f1234", "modified")]


def test_a_revision_written_before_the_index_is_fingerprinted_from_its_content(tmp_path):
    store = _two_revisions(tmp_path, _after(p3=None, p4=("p4", "support", _square(4, 25))))
    con = sqlite3.connect(store.path)
    con.execute("DELETE FROM zones_revision_index")
    con.commit()
    con.close()
    d = diff_revisions(store.path, "parcels", 1, 2)
    assert sorted((c.id, c.change) for c in d.changes) == [("p3", "removed"), ("p4", "reshaped")]


def test_pruned_revisions_lose_their_index_and_cannot_be_diffed(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path), keep_revisions=1)
    store.replace_layer("parcels", _layer(BEFORE))
    store.replace_layer("parcels", _after(p1=None))
    con = sqlite3.connect(store.path)
    revisions = [r[0] for r in con.execute("SELECT DISTINCT revision FROM zones_revision_index WHERE layer='parcels'")]
    con.close()
    assert revisions == [2]
    with pytest.raises(Exception) as err:
        diff_revisions(store.path, "parcels", 1, 2)
    assert getattr(err.value, "code", "") == "pruned_revision"


@pytest.fixture()
def client_and_store(tmp_path):
    store = _two_revisions(tmp_path, _after(p3=None, p2=("p2", "<b>green</b>", _square(2)),
                                            p5=("p5", "support", shapely.affinity.translate(_square(5), 0, 60))))
    settings = Settings(store_path=store.path, plan_path=PLAN_FILE, write_tokens=())
    return TestClient(create_app(settings)), store


def test_api_diff_json_geojson_and_escaped_html(client_and_store):
    client, _ = client_and_store
    r = client.get("/collections/parcels/revisions/1/diff/2")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["counts"] == {"added": 0, "removed": 1, "modified": 1, "reshaped": 0, "moved": 1}
    assert {f["id"]: f["change"] for f in body["features"]} == {"p3": "removed", "p2": "modified", "p5": "moved"}
    assert "allocation_changes" in body
    g = client.get("/collections/parcels/revisions/1/diff/2?f=geojson")
    assert g.headers["content-type"].startswith("application/geo+json")
    fc = g.json()
    assert {f["properties"]["change"] for f in fc["features"]} == {"removed", "modified", "moved"}
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 124 < lon < 132 and 33 < lat < 39
    page = client.get("/collections/parcels/revisions/1/diff/2?f=html").text
    assert "<b>green</b>" not in page
    assert client.get("/collections/parcels/revisions/1/diff/9").status_code == 404
    assert client.get("/collections/parcels/revisions/1/diff/2?f=xml").status_code == 400


def test_kizone_diff(client_and_store, capsys):
    _, store = client_and_store
    assert kizone(["diff", "parcels", "1", "2", "--store", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "moved     p5  60.0 m N (0°)" in out and "removed   p3" in out and "modified  p2" in out
    assert kizone(["diff", "parcels", "1", "2", "--store", str(store.path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["counts"]["moved"] == 1


def test_a_removal_changes_only_its_own_bucket(tmp_path):
    """Stored rows are renumbered when a feature goes; the bucket digests ignore where a row is
    stored, so only the removed feature's bucket differs."""
    big = [(f"f{i}", "support", shapely.box(X0 + (i % 80) * 30, Y0 + (i // 80) * 30,
                                            X0 + (i % 80) * 30 + 25, Y0 + (i // 80) * 30 + 25)) for i in range(3000)]
    store = GeoPackageStore(store_copy(tmp_path))
    store.replace_layer("parcels", _layer(big))
    store.replace_layer("parcels", _layer(big[:10] + big[11:]))
    con = sqlite3.connect(store.path)
    try:
        differing = con.execute(
            "SELECT count(*) FROM zones_revision_index a LEFT JOIN zones_revision_index b ON b.layer = a.layer AND "
            "b.revision = 2 AND b.bucket = a.bucket WHERE a.layer = 'parcels' AND a.revision = 1 AND a.bucket >= 0 "
            "AND (b.digest IS NULL OR b.digest != a.digest)").fetchone()[0]
    finally:
        con.close()
    assert differing == 1
    assert [(c.id, c.change) for c in diff_revisions(store.path, "parcels", 1, 2).changes] == [("f10", "removed")]
