"""Serving the parcel dataset: vector-tile latency by zoom (cold and warm) and one complex's bbox read.

`python -m bench.tiles --store PATH` (a store with an imported dataset beside it) or
`--n 1000000` (generates and imports that many lots of 시도 29 first, under --work). `bench.scale`
can call `run(store)` for its own N.

What is measured, over HTTP against the real server (`python -m api.serve`, one worker, one client
with a kept-alive connection, so the numbers include routing, the thread hop and the socket):
- **cold**: the first request of each tile in a freshly started server, after one request to the
  collection (so the footers are read: a server that has answered anything is in that state);
- **warm**: the same tiles again: served from the tile cache, which is keyed by the dataset's
  generation (a re-import makes every tile cold again).
Tiles are drawn at random among those of the dataset's extent at each zoom (tileMatrixSetLimits),
the same ones for cold and warm. Empty tiles (204) count like the others.

The bbox read: the parcels of the Gwangju part of Bitgreen (빛그린국가산단, the first feature of
`bitgreen_complex` in the store) by the server's reader (footers cached, only the row groups met)
and by `dataset.read_bbox` (geopandas with a bbox filter: the engine's path), in the same run, and
the same bbox through `/collections/cadastre/items`.
"""
from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psutil

from api.local_server import running_uvicorn
from geodata import DEFAULT_STORE
from geodata.cadastre.bbox_reader import ParcelIndexes
from geodata.cadastre.dataset import dataset_root, read_bbox
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "SCALE_RESULTS.md"
ZOOMS = (7, 10, 13, 15, 16, 18)
TILES_PER_ZOOM = 60


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, float]:
    t = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, body, time.perf_counter() - t


def _pick_tiles(limits: list[dict], zoom: int, k: int, rng: random.Random) -> list[tuple[int, int]]:
    lim = next(x for x in limits if x["tileMatrix"] == str(zoom))
    rows = range(lim["minTileRow"], lim["maxTileRow"] + 1)
    cols = range(lim["minTileCol"], lim["maxTileCol"] + 1)
    every = len(rows) * len(cols)
    if every <= k:
        return [(r, c) for r in rows for c in cols]
    return list({(rng.choice(rows), rng.choice(cols)) for _ in range(k * 2)})[:k]


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def tile_latencies(store: Path, seed: int = 1) -> tuple[list[tuple[str, float, str]], dict[int, list]]:
    rows: list[tuple[str, float, str]] = []
    picked: dict[int, list] = {}
    with running_uvicorn(["--workers", "1"], env={**os.environ, "ZONES_STORE": str(store)}, timeout_s=120) as url:
        conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=120)
        status, _, first = _get(conn, "/collections/cadastre")
        assert status == 200, status
        rows.append(("first request of the collection (footers read)", first * 1000, "ms"))
        import orjson

        limits = orjson.loads(_get(conn, "/collections/cadastre/tiles/WebMercatorQuad")[1])["tileMatrixSetLimits"]
        rng = random.Random(seed)
        for z in ZOOMS:
            tiles = picked[z] = _pick_tiles(limits, z, TILES_PER_ZOOM, rng)
            for label in ("cold", "warm"):
                times, sizes, empty = [], [], 0
                for r, c in tiles:
                    status, body, dt = _get(conn, f"/collections/cadastre/tiles/WebMercatorQuad/{z}/{r}/{c}")
                    assert status in (200, 204), (status, body[:200])
                    times.append(dt)
                    sizes.append(len(body))
                    empty += status == 204
                rows.append((f"tile z{z} {label} p50 ({len(tiles)} tiles, {empty} empty)", _pct(times, 50), "ms"))
                rows.append((f"tile z{z} {label} p99", _pct(times, 99), "ms"))
            rows.append((f"tile z{z} mean size", float(np.mean(sizes)) / 1024, "KiB"))
        conn.close()
    return rows, picked


POSTGIS_TILE = """SELECT length(ST_AsMVT(q, 'parcels', 4096, 'geom')) FROM (
  SELECT pnu, jibun, jimok, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope({z}, {x}, {y}), 4096, 64, true) AS geom
  FROM cadastre WHERE geom && ST_Transform(ST_TileEnvelope({z}, {x}, {y}, margin => 64.0 / 4096), 5186)) q;"""


def postgis_tiles(store: Path, picked: dict[int, list], work: Path) -> list[tuple[str, float, str]]:
    """The reference: the same parcel tiles made by PostGIS (ST_AsMVT, as pg_tileserv or Martin do), the
    dataset loaded with ogr2ogr (GiST index, ANALYZE); server-side time per tile as psql reports it."""
    import pandas as pd
    import geopandas as gpd

    from bench import postgis
    from geodata.cadastre.dataset import partition_files
    from geodata.cadastre.vector_tiles import MIN_PARCEL_ZOOM

    rows: list[tuple[str, float, str]] = []
    try:
        pg_cluster = postgis.cluster()
        pg = pg_cluster.__enter__()
    except postgis.PostgisUnavailable as exc:
        return [(f"PostGIS reference skipped: {exc}", 0.0, "")]
    try:
        fgb = work / "cadastre.fgb"
        frame = pd.concat([gpd.read_parquet(f, columns=["pnu", "jibun", "jimok", "geometry"])
                           for f in partition_files(dataset_root(store))], ignore_index=True)
        frame.to_file(fgb, driver="FlatGeobuf", engine="pyogrio")
        del frame
        t = time.perf_counter()
        import subprocess

        subprocess.run(["ogr2ogr", "-f", "PostgreSQL", pg.dsn, str(fgb), "-nln", "cadastre", "-lco", "GEOMETRY_NAME=geom",
                        "-lco", "SPATIAL_INDEX=GIST", "--config", "PG_USE_COPY", "YES", "-overwrite"], check=True,
                       capture_output=True)
        pg.psql("ANALYZE cadastre;")
        rows.append(("PostGIS: ogr2ogr load + GiST + ANALYZE", time.perf_counter() - t, "s"))
        fgb.unlink()
        for z, tiles in picked.items():
            if z < MIN_PARCEL_ZOOM:
                continue
            sql = "\n".join(POSTGIS_TILE.format(z=z, x=c, y=r) for r, c in tiles)
            pg.psql(sql)  # first pass: table and index pages in memory, as a running server has them
            _, times = pg.psql(sql, timing=True)
            secs = [t / 1000 for t in times]
            rows.append((f"PostGIS ST_AsMVT z{z} p50 (same {len(tiles)} tiles)", _pct(secs, 50), "ms"))
            rows.append((f"PostGIS ST_AsMVT z{z} p99", _pct(secs, 99), "ms"))
    finally:
        pg_cluster.__exit__(None, None, None)
    return rows


def complex_bbox(store: Path) -> tuple[float, float, float, float]:
    provider = LayerProvider(GeoPackageStore(store))
    data = provider.layer("bitgreen_complex").metric
    return tuple(float(v) for v in data.geometry.values[0].bounds)


def bbox_reads(store: Path, repeat: int = 7) -> list[tuple[str, float, str]]:
    box = complex_bbox(store)
    root = dataset_root(store)
    index = ParcelIndexes(root).current()
    rows = []
    ours, ref = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        frame, stats = index.read(box)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        reference, _ = read_bbox(root, box)
        ref.append(time.perf_counter() - t)
    assert sorted(frame["pnu"]) == sorted(reference["pnu"])
    rows.append((f"bbox read, Bitgreen (Gwangju part): {len(frame):,} parcels, {stats.row_groups} of "
                 f"{sum(len(p.group_rows) for p in index.partitions)} row groups, server reader (median)",
                 float(np.median(ours)) * 1000, "ms"))
    rows.append(("bbox read, same box, dataset.read_bbox (geopandas bbox filter, median)",
                 float(np.median(ref)) * 1000, "ms"))
    rows.append(("bbox read ratio read_bbox / server reader", float(np.median(ref) / np.median(ours)), "×"))
    return rows


def run(store: Path, work: Path, reference: bool = True) -> list[tuple[str, float, str]]:
    rows = bbox_reads(store)
    tiles, picked = tile_latencies(store)
    rows += tiles
    if reference:
        rows += postgis_tiles(store, picked, work)
    return rows


def write(rows: list[tuple[str, float, str]], n: int) -> None:
    load = os.getloadavg()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(f"\n## Serving N = {n:,} parcels: vector tiles and bbox reads, {stamp}, {psutil.cpu_count()} cores, "
                 f"load {load[0]:.1f} at the end (shared machine)\n\n"
                 "Cold: first request of a tile in a fresh server (footers already read); warm: the same tile "
                 "again (cache keyed by the dataset's generation). HTTP, one worker, one kept-alive client "
                 "(bench/tiles.py).\n\n| step | value | unit |\n|---|---:|---|\n")
        for name, value, unit in rows:
            fh.write(f"| {name} | {value:,.2f} | {unit} |\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", help="a store with an imported parcel dataset beside it")
    parser.add_argument("--n", type=int, help="generate and import this many lots (시도 29) first")
    parser.add_argument("--work", default="out/bench-tiles", help="where --n puts its files")
    parser.add_argument("--no-write", action="store_true", help="print only, do not append to SCALE_RESULTS.md")
    parser.add_argument("--no-postgis", action="store_true", help="skip the PostGIS reference")
    args = parser.parse_args()
    if args.store:
        store = Path(args.store)
    elif args.n:
        from geodata.cadastre import generate
        from geodata.cadastre.importer import import_parcels

        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        store = work / "store.gpkg"
        shutil.copy(DEFAULT_STORE, store)
        zipped = generate.write_zip(generate.lots(args.n, "29"), work / "in", "29", "202411")
        import_parcels([zipped], store, progress_stream=io.StringIO())
    else:
        parser.error("give --store or --n")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = run(store, work, reference=not args.no_postgis)
    n = ParcelIndexes(dataset_root(store)).current().rows
    for name, value, unit in rows:
        print(f"{name:100} {value:12,.2f} {unit}")
    if not args.no_write:
        write(rows, n)


if __name__ == "__main__":
    main()
