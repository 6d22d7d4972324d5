"""Imports and layer writes: a 30,000-parcel import, a small write into a big store, reads.

The small write is compared with the store's previous method (copy the whole
file, write into the copy, atomic rename), whose cost grows with the store.
"""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from bench.run import Row
from geodata import DEFAULT_STORE
from geodata.layer_import import ImportOptions, import_file
from geodata.store import GeoPackageStore
from tests.write_helpers import grid_geojson

N_PARCELS = 30_000


def _small() -> gpd.GeoDataFrame:
    geoms = [shapely.box(170000 + i * 200, 280000, 170000 + i * 200 + 150, 280150) for i in range(4)]
    return gpd.GeoDataFrame({"id": list("abcd")}, geometry=geoms, crs="EPSG:5186")


def _whole_file_swap(path: Path, layer: str, gdf: gpd.GeoDataFrame) -> None:
    tmp = path.with_name(".swap.gpkg")
    shutil.copyfile(path, tmp)
    pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GPKG", layer_options={"OVERWRITE": "YES"})
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _median_ms(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store_path = tmp / "store.gpkg"
        shutil.copyfile(DEFAULT_STORE, store_path)
        store = GeoPackageStore(store_path)
        big = grid_geojson(tmp / "parcels.geojson", N_PARCELS, cell_m=20.0, size_m=20.0)  # touching cells
        t0 = time.perf_counter()
        result = import_file(store, big, ImportOptions(layer="parcels"))
        import_s = time.perf_counter() - t0
        assert result.accepted
        size_mb = store_path.stat().st_size / 1e6
        tx_ms = _median_ms(lambda: store.replace_layer("fez_districts", _small()))
        copy_path = tmp / "copy.gpkg"
        shutil.copyfile(store_path, copy_path)
        swap_ms = _median_ms(lambda: _whole_file_swap(copy_path, "fez_districts", _small()))
        read_ms = _median_ms(lambda: store.read("parcels"))
        gdal_ms = _median_ms(lambda: pyogrio.read_dataframe(store_path, layer="parcels"))
    return [
        Row("import", f"import {N_PARCELS:,} touching parcels (read, CRS, validate, write)", import_s, "s"),
        Row("import", f"replace a 4-feature layer, store of {size_mb:.0f} MB: transaction", tx_ms, "ms",
            "< whole-file swap", tx_ms < swap_ms),
        Row("import", "same by whole-file copy + rename (previous method)", swap_ms, "ms"),
        Row("import", f"read the {N_PARCELS:,}-parcel layer (sqlite3 snapshot)", read_ms, "ms"),
        Row("import", "same read with pyogrio/GDAL (reference)", gdal_ms, "ms"),
    ]
