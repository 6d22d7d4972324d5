"""Diffs and compares: a million-parcel layer diffed between revisions, two scenarios compared.

The layer is written through the store as three real revisions: a grid of 1,000,000 parcels,
then 1 % of them changed (moved, reshaped, re-attributed, removed, added), then 100 more
changed. Each diff is timed on the store (feature classes and summary; the allocation rows
are a separate figure because they re-run the plan checks). For scale: Kart (a version
control tool for geodata) needed 25 s for a small diff of a 43-million-feature repository
before it indexed features by id and hash, and 0.1 s after (koordinates/kart#918).

The compare is GET /scenarios/base/compare/{id} through the real ASGI app on a copy of the
default store, with a scenario that moves the support complex out of its whole.
"""
from __future__ import annotations

import shutil
import sys
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from bench.run import Row
from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.layer_diff import diff_revisions
from geodata.store import GeoPackageStore

N = 1_000_000
X0, Y0 = 170000.0, 280000.0


def _grid(n: int) -> gpd.GeoDataFrame:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = X0 + (i % side) * 12.0, Y0 + (i // side) * 12.0
    return gpd.GeoDataFrame({"id": [f"p{k}" for k in i], "use": np.where(i % 3 == 0, "support", "green")},
                            geometry=shapely.box(x, y, x + 10.0, y + 10.0), crs="EPSG:5186")


def _change(gdf: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """`n` features changed: a fifth each moved, reshaped, re-attributed, removed, and new ones added."""
    rng = np.random.default_rng(seed)
    out = gdf.copy()
    pick = rng.choice(len(out), size=4 * n // 5, replace=False)
    moved, reshaped, modified, removed = np.array_split(pick, 4)
    geoms = out.geometry.values.copy()
    geoms[moved] = shapely.transform(geoms[moved], lambda c: c + [3.0, 4.0])
    geoms[reshaped] = shapely.buffer(geoms[reshaped], 0.5, join_style="mitre")
    out["geometry"] = geoms
    out.loc[out.index[modified], "use"] = "road"
    out = out.drop(index=out.index[removed])
    k = n - 4 * (n // 5)
    start = len(gdf) + seed * n
    added = gpd.GeoDataFrame({"id": [f"new{start + j}" for j in range(k)], "use": ["green"] * k},
                             geometry=shapely.box(X0 - 500.0 - np.arange(k) * 12.0, Y0, X0 - 490.0 - np.arange(k) * 12.0,
                                                  Y0 + 10.0), crs="EPSG:5186")
    return gpd.GeoDataFrame(gpd.pd.concat([out, added], ignore_index=True), crs="EPSG:5186")


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def bench_revision_diffs(folder: Path) -> list[Row]:
    path = folder / "parcels.gpkg"
    shutil.copyfile(DEFAULT_STORE, path)
    store = GeoPackageStore(path, keep_revisions=None)
    first = _grid(N)
    t0 = time.perf_counter()
    store.replace_layer("parcels", first)
    write_s = time.perf_counter() - t0
    second = _change(first, N // 100, 1)
    store.replace_layer("parcels", second)
    store.replace_layer("parcels", _change(second, 100, 2))
    print(f"    wrote 3 revisions of {N:,} parcels", file=sys.stderr)
    big_s, big = _best(lambda: diff_revisions(path, "parcels", 1, 2))
    small_s, small = _best(lambda: diff_revisions(path, "parcels", 2, 3), repeat=5)
    assert sum(big.summary.counts.values()) == N // 100, big.summary.counts
    assert sum(small.summary.counts.values()) == 100, small.summary.counts
    return [
        Row("diff", "1,000,000 parcels, 1 % changed (10,000): classes + summary", big_s, "s", "≤ 2 s (Kart: 25 s → 0.1 s "
            "on 43 M features)", big_s <= 2.0),
        Row("diff", "1,000,000 parcels, 100 changed: classes + summary", small_s * 1000, "ms", "≤ 50 ms",
            small_s <= 0.05),
        Row("diff", "writing one revision of 1,000,000 parcels (index included)", write_s, "s", "", None),
    ]


def bench_compare(folder: Path) -> list[Row]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    path = folder / "compare.gpkg"
    shutil.copyfile(DEFAULT_STORE, path)
    client = TestClient(create_app(Settings(store_path=path, plan_path=PLAN_FILE, write_tokens=(("bench", "b"),))))
    auth = {"Authorization": "Bearer b"}
    client.post("/scenarios", json={"id": "east", "title": "support complex east"}, headers=auth)
    fc = client.get("/collections/future_car_special_complex/items?limit=100").json()
    for f in fc["features"]:
        if f["id"] == "fcsc_support":
            f["geometry"] = shapely.geometry.mapping(shapely.transform(shapely.geometry.shape(f["geometry"]),
                                                                      lambda c: c + [0.03, 0.0]))
    client.put("/scenarios/east/collections/future_car_special_complex/items", json=fc, headers=auth)
    client.post("/scenarios", json={"id": "west", "title": "support complex west"}, headers=auth)
    t0 = time.perf_counter()
    client.get("/scenarios/west/compare/east").raise_for_status()
    first_ms = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        client.get("/scenarios/west/compare/east").raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    p99 = sorted(times)[int(0.99 * (len(times) - 1))]
    return [Row("compare", "GET /scenarios/{a}/compare/{b}, default store, p99 of 200", p99, "ms", "< 100 ms",
                p99 < 100),
            Row("compare", "the same, median", statistics.median(times), "ms", "", None),
            Row("compare", "first compare after a scenario edit (plan checks run)", first_ms, "ms", "", None)]


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        return bench_compare(Path(tmp)) + bench_revision_diffs(Path(tmp))
