"""The store's write guarantees, tested on real GeoPackages and real processes."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from tests.write_helpers import grid_geojson, revisions_with_content, store_copy


def _layer(n: int, use: str) -> gpd.GeoDataFrame:
    geoms = [shapely.box(170000 + i * 30, 280000, 170000 + i * 30 + 25, 280025) for i in range(n)]
    return gpd.GeoDataFrame({"id": [f"{use}{i}" for i in range(n)], "use": [use] * n}, geometry=geoms, crs="EPSG:5186")


def _integrity(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def test_write_records_revision_and_checksum(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    before = store.checksum("fez_districts")
    rev = store.replace_layer("fez_districts", _layer(3, "x"), token_name="alice", source_file="x.geojson")
    revs = store.revisions("fez_districts")
    assert [r.revision for r in revs] == [0, 1]
    assert revs[0].action == "baseline" and revs[0].checksum == before and revs[0].feature_count == 4
    assert rev.revision == 1 and rev.token_name == "alice" and rev.feature_count == 3
    assert store.checksum("fez_districts") == rev.checksum != before
    assert _integrity(store.path) == "ok"
    # the other layers are untouched and the history tables are not layers
    assert "zones_revisions" not in store.layer_ids() and "bitgreen_complex" in store.layer_ids()


def test_restore_brings_back_exact_content_and_copy_carries_history(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    original = store.checksum("jeonju_sites")
    store.replace_layer("jeonju_sites", _layer(2, "y"))
    restored = store.restore("jeonju_sites", 0)
    assert restored.revision == 2 and restored.action == "restore"
    assert store.checksum("jeonju_sites") == original
    back = store.read("jeonju_sites")
    assert set(back["id"]) >= {"jeonju_carbon_complex", "jeonju_special_zone"}
    # a plain file copy is a complete store, history included (WAL folded back in)
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(store.path.read_bytes())
    assert [r.revision for r in GeoPackageStore(copy).revisions("jeonju_sites")] == [0, 1, 2]
    assert GeoPackageStore(copy).checksum("jeonju_sites") == original


def test_new_layer_id_creates_a_layer_that_opens_in_gdal(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    store.replace_layer("parcels", _layer(5, "green"))
    info = pyogrio.read_info(store.path, layer="parcels")
    assert info["features"] == 5 and info["crs"] == "EPSG:5186"
    assert store.revisions("parcels")[0].revision == 1  # a new layer has no baseline
    provider = LayerProvider(store)
    assert provider.layer_ids()[-1] == "parcels"


def test_provider_cache_follows_writes_from_another_process(tmp_path):
    path = store_copy(tmp_path)
    provider = LayerProvider(GeoPackageStore(path))
    assert len(provider.layer("fez_districts").metric) == 4
    code = ("import geopandas as gpd, shapely; from geodata.store import GeoPackageStore;"
            "g = gpd.GeoDataFrame({'id': ['a']}, geometry=[shapely.box(170000, 280000, 170100, 280100)], crs='EPSG:5186');"
            f"GeoPackageStore({str(path)!r}).replace_layer('fez_districts', g)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
    assert list(provider.layer("fez_districts").metric["id"]) == ["a"]


def test_concurrent_readers_see_old_or_new_never_a_mix(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    versions = {"a": _layer(300, "a"), "b": _layer(450, "b")}
    store.replace_layer("parcels", versions["a"])
    stop = threading.Event()
    seen: list[tuple[int, frozenset]] = []
    errors: list[BaseException] = []

    def reader(provider_mode: bool):
        provider = LayerProvider(GeoPackageStore(store.path))
        reader_store = GeoPackageStore(store.path)
        while not stop.is_set():
            try:
                gdf = provider.layer("parcels").metric if provider_mode else reader_store.read("parcels")
                seen.append((len(gdf), frozenset(gdf["use"])))
            except BaseException as exc:  # noqa: BLE001 - any failure is a finding
                errors.append(exc)

    def sql_reader():
        con = sqlite3.connect(store.path, timeout=30)
        while not stop.is_set():
            n, uses = con.execute("SELECT count(*), group_concat(DISTINCT use) FROM parcels").fetchone()
            seen.append((n, frozenset(uses.split(","))))
        con.close()

    threads = [threading.Thread(target=reader, args=(m,)) for m in (True, False, False)]
    threads.append(threading.Thread(target=sql_reader))
    for t in threads:
        t.start()
    writes = 0
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        store.replace_layer("parcels", versions["b" if writes % 2 == 0 else "a"])
        writes += 1
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert writes >= 4 and len(seen) > 20
    assert set(seen) <= {(300, frozenset({"a"})), (450, frozenset({"b"}))}, set(seen) - {(300, frozenset({"a"})), (450, frozenset({"b"}))}
    assert len(set(seen)) == 2  # both states were actually observed


def test_sigkill_during_import_leaves_layer_exactly_as_before(tmp_path):
    """Kill a real `kizone import` of 30,000 parcels at varied moments, one of them while the
    transaction is writing to the WAL; after each kill the store must be intact and the layer
    must be byte-for-byte the last committed revision. The imports keep one revision's content,
    so a killed import must also leave the pruning undone."""
    path = store_copy(tmp_path)
    store = GeoPackageStore(path)
    store.replace_layer("parcels", _layer(50, "before"))
    big = grid_geojson(tmp_path / "big.geojson", 30_000)
    env = dict(os.environ, ZONES_STORE=str(path), ZONES_KEEP_REVISIONS="1")
    cmd = [sys.executable, "-m", "cli.main", "import", str(big), "--layer", "parcels",
           "--report", str(tmp_path / "report.json")]
    cwd = Path(__file__).resolve().parents[1]
    rng = random.Random(6)
    delays = [rng.uniform(0.6, 3.0) for _ in range(5)] + ["wal"]
    killed = completed = 0
    wal = Path(str(path) + "-wal")
    for delay in delays:
        expected = store.checksum("parcels")
        revs_before = len(store.revisions("parcels"))
        restorable_before = [r.revision for r in store.revisions("parcels") if r.restorable]
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if delay == "wal":  # wait until the transaction has spilled pages into the WAL, then kill
            start = time.monotonic()
            while proc.poll() is None and time.monotonic() - start < 20:
                if wal.exists() and wal.stat().st_size > 64 * 1024:
                    break
                time.sleep(0.002)
        else:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait()
        if delay == "wal":  # killed inside the transaction: uncommitted frames are left in the WAL
            assert rc == -signal.SIGKILL and wal.stat().st_size > 64 * 1024
        assert _integrity(path) == "ok"
        after = store.checksum("parcels")
        revs = store.revisions("parcels")
        if rc == -signal.SIGKILL:
            killed += 1
            assert after == expected, f"killed after {delay}: layer changed"
            assert len(revs) == revs_before
            assert [r.revision for r in revs if r.restorable] == restorable_before
            assert revisions_with_content(path, "parcels") == restorable_before
        else:
            completed += 1
            assert rc == 0 and len(revs) == revs_before + 1 and revs[-1].feature_count == 30_000
            assert [r.revision for r in revs if r.restorable] == [revs[-1].revision]
        assert revs[-1].checksum == after  # history and layer never disagree
        assert len(store.read("parcels")) in (50, 30_000)
    assert killed >= 4, f"only {killed} of {len(delays)} runs were killed mid-way"


READER_SCRIPT = """
import json, sys, time
from geodata.store import GeoPackageStore
store = GeoPackageStore(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    gdf = store.read("parcels")
    print(json.dumps([len(gdf), sorted(set(gdf["use"]))]), flush=True)
"""


def test_reader_processes_see_old_or_new_never_a_mix(tmp_path):
    store = GeoPackageStore(store_copy(tmp_path))
    versions = [_layer(300, "a"), _layer(450, "b")]
    store.replace_layer("parcels", versions[0])
    cwd = Path(__file__).resolve().parents[1]
    readers = [subprocess.Popen([sys.executable, "-c", READER_SCRIPT, str(store.path), "3"], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(1.0)  # let the readers start up
    writes = 0
    while any(r.poll() is None for r in readers) and writes < 200:
        store.replace_layer("parcels", versions[(writes + 1) % 2])
        writes += 1
    seen = set()
    for r in readers:
        out, err = r.communicate(timeout=30)
        assert r.returncode == 0, err
        seen |= {tuple(map(str, json.loads(line))) for line in out.splitlines()}
    assert seen <= {("300", "['a']"), ("450", "['b']")}, seen
    assert len(seen) == 2 and writes >= 4
