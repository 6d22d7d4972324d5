"""`kizone import/export/revisions/restore/shares` as real subprocesses, store from ZONES_STORE."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio

from geodata.make_parcels_sample import SAMPLE_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

ROOT = Path(__file__).resolve().parents[1]


def _kizone(store: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ZONES_STORE=str(store))
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_report_shares_export_revisions_restore(tmp_path):
    store = store_copy(tmp_path)
    report = tmp_path / "report.json"
    r = _kizone(store, "import", str(SAMPLE_FILE), "--layer", "parcels", "--strict", "--report", str(report))
    assert r.returncode == 0, r.stderr
    assert "IMPORTED: layer parcels is now revision 1" in r.stdout
    data = json.loads(report.read_text())
    assert data["accepted"] and data["validation"]["feature_count"] == 40 and data["crs"]["epsg"] == 4326

    r = _kizone(store, "shares")
    assert r.returncode == 0 and r.stdout.count(" ok") >= 8 and "fez_share_industrial" in r.stdout

    for out in ("p.gpkg", "p.geojson", "p.shp"):
        r = _kizone(store, "export", "--layer", "parcels", "--out", str(tmp_path / out))
        assert r.returncode == 0, r.stderr
        assert pyogrio.read_info(tmp_path / out)["features"] == 40
    assert pyogrio.read_info(tmp_path / "p.geojson")["crs"] == "EPSG:4326"
    assert pyogrio.read_info(tmp_path / "p.shp")["encoding"] == "UTF-8"

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "x"},
        "geometry": {"type": "Polygon", "coordinates": [[[126.69, 35.15], [126.70, 35.16], [126.70, 35.15],
                                                          [126.69, 35.16], [126.69, 35.15]]]}}]}))
    before = GeoPackageStore(store).checksum("parcels")
    r = _kizone(store, "import", str(bad), "--layer", "parcels", "--strict", "--report", str(tmp_path / "bad.json"))
    assert r.returncode != 0 and "REFUSED" in r.stdout and "Self-intersection" in r.stdout
    assert GeoPackageStore(store).checksum("parcels") == before

    r = _kizone(store, "import", str(bad), "--layer", "parcels", "--report", str(tmp_path / "bad2.json"))
    assert r.returncode == 0 and "repaired: 1" in r.stdout
    r = _kizone(store, "revisions", "--layer", "parcels", "--format", "json")
    assert [x["revision"] for x in json.loads(r.stdout)] == [1, 2]
    r = _kizone(store, "restore", "--layer", "parcels", "--revision", "1")
    assert r.returncode == 0 and "restored as revision 3" in r.stdout
    assert GeoPackageStore(store).checksum("parcels") == before


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    store = store_copy(tmp_path)
    r = _kizone(store, "restore", "--layer", "fez_districts", "--revision", "4")
    assert r.returncode == 2 and "no revision 4" in r.stderr and "Traceback" not in r.stderr
    r = _kizone(store, "restore", "--layer", "parcels", "--revision", "4")  # no such layer: said so
    assert r.returncode == 2 and "no layer 'parcels' in the store" in r.stderr
    r = _kizone(store, "export", "--layer", "parcels", "--out", str(tmp_path / "x.dwg"))
    assert r.returncode == 2 and "use .gpkg" in r.stderr
    r = _kizone(tmp_path / "missing.gpkg", "revisions", "--layer", "x")
    assert r.returncode == 2 and "ZONES_STORE" in r.stderr
