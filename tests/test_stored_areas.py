"""Areas stored at write time: equal to measuring the features, and still right after the layer is
edited by GDAL (what QGIS edits through), or recreated by it."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from geodata.make_parcels_sample import SAMPLE_FILE
from geodata.share_file import load_shares, shares_of_gpkg, shares_of_store
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from geodata.stored_areas import area_sums, area_table, trusted
from tests.write_helpers import store_copy

needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None,
                                reason="ogrinfo/ogr2ogr (Debian gdal-bin) not installed; run tools/system-deps.sh as root")


def _store(tmp_path: Path) -> Path:
    path = store_copy(tmp_path)
    GeoPackageStore(path).replace_layer("parcels", pyogrio.read_dataframe(SAMPLE_FILE))
    return path


def _measured(path: Path) -> dict[tuple[str, str], float]:
    """(zone, use) -> area, measured independently: GDAL reads the layer, shapely measures each feature."""
    gdf = pyogrio.read_dataframe(path, layer="parcels")
    out: dict[tuple[str, str], float] = {}
    for zone, use, area in zip(gdf["zone"], gdf["use"], shapely.area(gdf.geometry.values)):
        out[(zone, use)] = out.get((zone, use), 0.0) + float(area)
    return out


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert a[k] == pytest.approx(b[k], abs=1e-6), k


def _stored_rows(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute(f"SELECT count(*) FROM {area_table('parcels')}").fetchone()[0]


def test_stored_areas_are_the_measured_areas(tmp_path):
    path = _store(tmp_path)
    with sqlite3.connect(path) as con:
        assert trusted(con, "parcels")
    assert _stored_rows(path) == 40
    _same(area_sums(path, "parcels", ["zone", "use"]), _measured(path))
    only = area_sums(path, "parcels", ["use"], ("zone", ["fez_districts"]))
    _same({(u,): a for (z, u), a in _measured(path).items() if z == "fez_districts"}, only)
    assert area_sums(path, "parcels", ["no_such_column"]) is None and area_sums(path, "nothing", ["use"]) is None


def test_the_shares_command_and_the_server_agree(tmp_path):
    path = _store(tmp_path)
    shares = load_shares()
    ours = shares_of_gpkg(path, shares).as_dict()
    theirs = shares_of_store(LayerProvider(GeoPackageStore(path)), shares).as_dict()
    assert [(r["target_id"], r["status"]) for r in ours["rows"]] == [(r["target_id"], r["status"]) for r in
                                                                       theirs["rows"]]
    for a, b in zip(ours["rows"], theirs["rows"]):
        assert a["measured_m2"] == pytest.approx(b["measured_m2"], abs=1e-6)


@needs_gdal
def test_edits_through_gdal_forget_the_stored_area_of_the_features_they_touch(tmp_path):
    path = _store(tmp_path)
    sql = ["UPDATE parcels SET geom = (SELECT geom FROM parcels WHERE fid = 2) WHERE fid = 1",  # a geometry edited
           "UPDATE parcels SET use = 'commercial' WHERE fid = 3",  # an attribute: the area stays
           "DELETE FROM parcels WHERE fid = 4",
           "UPDATE parcels SET fid = 1000 WHERE fid = 5"]
    for statement in sql:
        subprocess.run(["ogrinfo", str(path), "-sql", statement], check=True, capture_output=True, timeout=60)
    extra = tmp_path / "extra.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(extra), str(path), "parcels", "-where", "fid IN (6, 7)",
                    "-nln", "parcels"], check=True, capture_output=True, timeout=60)
    subprocess.run(["ogr2ogr", "-update", "-append", str(path), str(extra), "parcels", "-nln", "parcels"],
                   check=True, capture_output=True, timeout=60)
    with sqlite3.connect(path) as con:
        assert trusted(con, "parcels")
        kept = {r[0] for r in con.execute(f"SELECT fid FROM {area_table('parcels')}")}
    assert kept == set(range(2, 41)) - {4, 5}  # 1 edited, 4 deleted, 5 renumbered; the two appended have none
    _same(area_sums(path, "parcels", ["zone", "use"]), _measured(path))


@needs_gdal
def test_a_layer_recreated_by_gdal_is_measured_whole(tmp_path):
    path = _store(tmp_path)
    half = tmp_path / "half.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(half), str(path), "parcels", "-where", "fid > 20", "-nln", "parcels"],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["ogr2ogr", "-update", "-overwrite", str(path), str(half), "parcels", "-nln", "parcels"],
                   check=True, capture_output=True, timeout=60)
    with sqlite3.connect(path) as con:
        assert not trusted(con, "parcels")  # the old stored areas (fids 1-40) are still there, and not used
    assert _stored_rows(path) == 40
    _same(area_sums(path, "parcels", ["zone", "use"]), _measured(path))


@needs_gdal
def test_gdal_reads_the_written_layer_and_its_spatial_index(tmp_path):
    path = _store(tmp_path)
    gdf = pyogrio.read_dataframe(path, layer="parcels")
    x0, y0, x1, y1 = shapely.bounds(gdf.geometry.values[7])
    box = [str(v) for v in ((x0 + x1) / 2 - 1, (y0 + y1) / 2 - 1, (x0 + x1) / 2 + 1, (y0 + y1) / 2 + 1)]
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "-spat", *box, str(path), "parcels"], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    hits = int(out.split("Feature Count: ")[1].split()[0])  # GDAL counts through the R-tree: by envelope
    expected = int(np.count_nonzero(shapely.intersects(shapely.envelope(gdf.geometry.values),
                                                       shapely.box(*map(float, box)))))
    assert hits == expected >= 1


@needs_gdal
def test_missing_values_group_as_empty_text(tmp_path):
    path = _store(tmp_path)
    for statement in ("UPDATE parcels SET use = NULL WHERE fid IN (1, 2)", "UPDATE parcels SET use = '' WHERE fid = 3",
                      "UPDATE parcels SET zone = NULL WHERE fid = 2"):  # attributes only: the areas stay
        subprocess.run(["ogrinfo", str(path), "-sql", statement], check=True, capture_output=True, timeout=60)
    with sqlite3.connect(path) as con:
        areas = dict(con.execute(f"SELECT fid, area_m2 FROM {area_table('parcels')} WHERE fid IN (1, 2, 3)"))
        zone = con.execute("SELECT zone FROM parcels WHERE fid = 1").fetchone()[0]
        assert con.execute("SELECT zone FROM parcels WHERE fid = 3").fetchone()[0] == zone
    assert len(areas) == 3
    sums = area_sums(path, "parcels", ["use"], ("zone", [zone, ""]))
    assert sums[("",)] == pytest.approx(sum(areas.values()))
    assert None not in {k[0] for k in sums}


def test_kizone_shares_starts_without_the_geometry_libraries(tmp_path):
    """The whole command reads stored areas: GeoPandas, pandas, PROJ, GEOS and Dask are never imported."""
    import json
    import sys

    path = _store(tmp_path)
    script = ("import contextlib, io, json, sys\nfrom cli.main import main\n"
              f"with contextlib.redirect_stdout(io.StringIO()): code = main(['shares', '--store', {str(path)!r}])\n"
              "print(json.dumps([code, sorted(m for m in ('geopandas', 'pandas', 'pyproj', 'shapely', 'numpy', 'dask', "
              "'pyogrio', 'numba') if m in sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0, []], done.stderr


def test_the_share_columns_are_indexed_so_the_sums_read_no_geometry(tmp_path):
    path = _store(tmp_path)
    with sqlite3.connect(path) as con:
        plan = " ".join(r[-1] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT l.zone, l.use, a.area_m2 FROM parcels l "
            f"LEFT JOIN {area_table('parcels')} a ON a.fid = l.fid WHERE l.zone IN ('fez_districts')"))
    assert "COVERING INDEX zones_keys_parcels_zone_use" in plan, plan
    _same(area_sums(path, "parcels", ["zone", "use"]), _measured(path))
    with sqlite3.connect(path) as con:  # as a tool that rebuilt the layer leaves it: same sums, read from the rows
        con.execute("DROP INDEX zones_keys_parcels_zone_use")
    _same(area_sums(path, "parcels", ["zone", "use"]), _measured(path))
