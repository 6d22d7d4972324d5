"""The checks at scale beside PostGIS on the same parcels: shares by 시군구, and the parcels and exact
areas of every plan target's zone.

`python -m bench.scale_postgis --n 1000000` (or `python -m bench.scale --n 1000000 --postgis`)
generates N lots of one 시도 as a 연속지적도 zip, imports it into the parcel dataset beside a copy of
the default store (kept under --work: a second run on the same N reuses it), starts a private
PostgreSQL/PostGIS cluster (bench/postgis.py), loads the same zip with `ogr2ogr` (cp949, the .prj's
CRS), adds the 시군구 and 지목 columns from PNU and JIBUN as our importer does, a GiST index
and ANALYZE, and the plan's zones from the store. Then, warm, median of REPEAT runs each:

- ours: `shares_dask` + `zone_parcels` on a LocalCluster of this machine's cores (started before
  timing, as a server keeps it), and the same two in one process;
- PostGIS: `sum(ST_Area(geom))` grouped by 시군구 and land-use class (the 지목 mapping as a table),
  and `ST_Area(ST_Intersection(p.geom, z.geom))` for every (zone, parcel) pair meeting by
  `ST_Intersects` (GiST), i.e. the sum grouped by zone and parcel, as ours.

It asserts that every row agrees with PostGIS and with the in-memory path within 0.01 m² and
that the same (zone, parcel) pairs are found, and reports the times and the ratio.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from bench import postgis
from bench.bench_parcels import _median_s, _sql_median_ms
from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.cadastre import generate
from geodata.cadastre.checks import plan_zones, zone_parcels
from geodata.cadastre.dataset import dataset_root
from geodata.cadastre.engine import dask_client, shares_dask, shares_in_memory
from geodata.cadastre.importer import import_parcels
from geodata.cadastre.jimok import load_jimok_classes
from geodata.cadastre.lsmd import ENCODING, file_stem
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from zones.crs import METRIC
from zones.landuse_shares import UNCLASSIFIED

TOLERANCE_M2 = 0.01
MONTH = "202411"
SHARES_SQL = ("SELECT p.sigungu, coalesce(c.class, '{unclassified}'), sum(ST_Area(p.geom)), count(*) FROM parcels p "
              "LEFT JOIN jimok_class c ON c.jimok = p.jimok GROUP BY 1, 2 ORDER BY 1, 2;").format(unclassified=UNCLASSIFIED)
ZONES_SQL = ("SELECT z.id, p.pnu, ST_Area(ST_Intersection(p.geom, z.geom)) FROM zones z JOIN parcels p "
             "ON ST_Intersects(p.geom, z.geom);")
Row = tuple[str, float, str]
SRID = METRIC.split(":")[1]  # the store's metric CRS, as the zones are given to PostGIS


def dataset(n: int, sido: str, work: Path) -> tuple[Path, Path]:
    """(store with the parcel dataset beside it, the zip it was imported from), made once per N."""
    folder = work / f"n{n}-{sido}"
    store, zipped = folder / "store.gpkg", folder / "in" / f"{file_stem(sido, MONTH)}.zip"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(DEFAULT_STORE, store)
        generate.write_sample(n, zipped.parent, sido, MONTH)
        import_parcels([zipped], store, progress_stream=io.StringIO())
        (folder / "done").write_text("")
    return store, zipped


def load_postgis(pg: postgis.Cluster, zipped: Path, zones: list) -> float:
    """Load the zip, the 지목 classes and the zones; seconds for ogr2ogr + columns + GiST + ANALYZE."""
    t = time.perf_counter()
    subprocess.run(["ogr2ogr", "--config", "SHAPE_ENCODING", ENCODING.upper(), "-f", "PostgreSQL", pg.dsn,
                    f"/vsizip/{zipped}", "-nln", "parcels", "-overwrite", "-lco", "GEOMETRY_NAME=geom",
                    "-lco", "SPATIAL_INDEX=NONE", "-nlt", "POLYGON"], check=True, capture_output=True)
    pg.psql("ALTER TABLE parcels ADD COLUMN sigungu text, ADD COLUMN jimok text;\n"
            "UPDATE parcels SET sigungu = substr(pnu, 1, 5), jimok = right(jibun, 1);\n"
            "CREATE INDEX parcels_geom ON parcels USING gist (geom);\nANALYZE parcels;")
    took = time.perf_counter() - t
    classes = ",".join(f"('{j}', '{c}')" for j, c in load_jimok_classes().items())
    values = ",".join(f"('{z.id}', ST_GeomFromWKB(decode('{shapely.to_wkb(z.geometry, hex=True)}', 'hex'), {SRID}))"
                      for z in zones)
    pg.psql(f"DROP TABLE IF EXISTS jimok_class; CREATE TABLE jimok_class (jimok text PRIMARY KEY, class text);\n"
            f"INSERT INTO jimok_class VALUES {classes};\n"
            f"DROP TABLE IF EXISTS zones; CREATE TABLE zones (id text PRIMARY KEY, geom geometry(Geometry, {SRID}));\n"
            f"INSERT INTO zones VALUES {values};\nANALYZE jimok_class; ANALYZE zones;")
    return took


def _worst(ours: pd.Series, theirs: pd.Series, what: str) -> float:
    assert set(ours.index) == set(theirs.index), (f"{what}: {len(set(ours.index) ^ set(theirs.index))} rows found "
                                                  "by one side only")
    worst = float(np.abs(ours.sort_index().to_numpy() - theirs.sort_index().to_numpy()).max(initial=0.0))
    assert worst <= TOLERANCE_M2, f"{what}: rows differ by {worst:.4f} m² (> {TOLERANCE_M2})"
    return worst


def run(n: int, sido: str = "29", work: Path = Path("out/bench-scale")) -> list[Row]:
    store, zipped = dataset(n, sido, work)
    root = dataset_root(store)
    plan = load_plan(PLAN_FILE)
    zones, _ = plan_zones(LayerProvider(GeoPackageStore(store).require()), plan)
    rows: list[Row] = []
    with postgis.cluster() as pg:
        rows.append(("PostGIS: ogr2ogr load + 시군구/지목 columns + GiST + ANALYZE", load_postgis(pg, zipped, zones), "s"))
        pg_shares_out, pg_shares_ms = _sql_median_ms(pg, SHARES_SQL)
        pg_zones_out, pg_zones_ms = _sql_median_ms(pg, ZONES_SQL)
    with dask_client() as client:
        shares_dask(root, client), zone_parcels(root, zones, client)  # warm: workers have imported and compiled
        shares = shares_dask(root, client)
        found = zone_parcels(root, zones, client)
        t_shares = _median_s(lambda: shares_dask(root, client))
        t_zones = _median_s(lambda: zone_parcels(root, zones, client))
        workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
    t_mem_shares = _median_s(lambda: shares_in_memory(root), 3)
    t_mem_zones = _median_s(lambda: zone_parcels(root, zones), 3)
    # the answers: equal to PostGIS and to the in-memory path, row by row
    pg_shares = pd.DataFrame([line.split("|") for line in pg_shares_out.strip().splitlines()],
                             columns=["sigungu", "land_use", "area_m2", "parcels"])
    key = ["sigungu", "land_use"]
    ours_s = shares.set_index(key)
    theirs_s = pg_shares.astype({"area_m2": float, "parcels": int}).set_index(key)
    w_shares = _worst(ours_s["area_m2"], theirs_s["area_m2"], "shares by 시군구 vs PostGIS")
    assert (ours_s["parcels"].sort_index() == theirs_s["parcels"].sort_index()).all(), "parcel counts differ"
    w_shares_mem = _worst(ours_s["area_m2"], shares_in_memory(root).set_index(key)["area_m2"], "shares, dask vs memory")
    pg_pairs = pd.DataFrame([line.split("|") for line in pg_zones_out.strip().splitlines()],
                            columns=["zone", "pnu", "area_in_zone_m2"]).astype({"area_in_zone_m2": float})
    pg_pairs = pg_pairs[pg_pairs["area_in_zone_m2"] > 0]  # pairs only touching have no area inside
    ours_z = found.set_index(["zone", "pnu"])["area_in_zone_m2"]
    w_zones = _worst(ours_z, pg_pairs.set_index(["zone", "pnu"])["area_in_zone_m2"], "zone parcels vs PostGIS")
    w_zones_mem = _worst(ours_z, zone_parcels(root, zones).set_index(["zone", "pnu"])["area_in_zone_m2"],
                         "zone parcels, dask vs memory")
    ours_total, pg_total = t_shares + t_zones, (pg_shares_ms + pg_zones_ms) / 1000
    rows += [
        (f"ours, Dask ({workers} workers): shares by 시군구 ({len(shares)} rows)", t_shares, "s"),
        (f"ours, Dask: parcels of {len(zones)} plan zones with the area inside ({len(found):,} pairs)", t_zones, "s"),
        ("ours, in one process: shares by 시군구", t_mem_shares, "s"),
        ("ours, in one process: zone parcels", t_mem_zones, "s"),
        ("PostGIS: shares by 시군구, sum(ST_Area) GROUP BY", pg_shares_ms / 1000, "s"),
        ("PostGIS: zone parcels, ST_Area(ST_Intersection) over ST_Intersects (GiST)", pg_zones_ms / 1000, "s"),
        ("shares + zones: PostGIS ÷ ours on Dask (target ≥ 4)", pg_total / ours_total, "×"),
        ("shares + zones: PostGIS ÷ ours in one process", pg_total / (t_mem_shares + t_mem_zones), "×"),
        ("largest difference per row: shares vs PostGIS / vs in memory", max(w_shares, w_shares_mem), "m²"),
        ("largest difference per row: zone parcels vs PostGIS / vs in memory", max(w_zones, w_zones_mem), "m²"),
        ("load average (1 min) at the end", os.getloadavg()[0], ""),
    ]
    return rows


def main() -> None:
    from bench.scale import write_results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--sido", default="29")
    parser.add_argument("--work", type=Path, default=Path("out/bench-scale"))
    args = parser.parse_args()
    write_results(f"checks beside PostGIS, N = {args.n:,} parcels (시도 {args.sido})", run(args.n, args.sido, args.work))


if __name__ == "__main__":
    main()
