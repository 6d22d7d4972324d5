"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy with its planar areas (for measuring), and,
made the first time they are asked for, a lon/lat copy (for GeoJSON and
Leaflet) and the ellipsoidal cross-check of the areas, so no request pays for
a reprojection twice and a share or zone query never pays for one. The cache is keyed
on the store's generation counter (bumped in the same transaction as every
write through `geodata.store`) plus the identity of the file and its WAL, so a
write by this process, by another process (the CLI, a second server worker) or
an edit in QGIS is picked up on the next read.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.catalog import LayerInfo, load_catalog
from geodata.store import GeoPackageStore
from zones.allocation import LayerGeometries
from zones.area import area_columns, geodesic_areas_m2
from zones.crs import LON_LAT, METRIC


_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)


class LayerData:
    """One layer as of one store generation: `metric` (EPSG:5186, with `id` and the planar area
    columns) at once; `geodesic_m2`, `full_metric` and `wgs84` when first asked for, then kept."""

    def __init__(self, info: LayerInfo | None, metric: gpd.GeoDataFrame, generation: int = 0):
        self.info = info
        self.metric = metric
        self.generation = generation
        self._lock = threading.RLock()  # full_metric asks for geodesic_m2 while it holds it
        self._made: dict[str, object] = {}

    def once(self, name: str, make):
        """`make()` computed the first time `name` is asked for on this layer, then kept with it."""
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            return self._made[name]

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """(code of each row, the distinct values as text): a column factorised once for this layer,
        so sums by use or by zone are one `np.bincount`. A missing value is "" like an empty one."""
        def make():
            values = self.metric[column].astype(object).where(self.metric[column].notna(), "").astype(str)
            codes, names = pd.factorize(values.to_numpy(dtype=object), sort=True)
            return codes.astype(np.int64), [str(n) for n in names]
        return self.once(f"codes:{column}", make)

    @property
    def geodesic_m2(self) -> np.ndarray:
        """Area of each feature on the GRS80 ellipsoid (zones.area: the cross-check)."""
        return self.once("geodesic", lambda: geodesic_areas_m2(self.metric.geometry.values))

    @property
    def full_metric(self) -> gpd.GeoDataFrame:
        """`metric` with the cross-check column `area_geodesic_m2`, as the API serves a feature."""
        return self.once("full", lambda: self.metric.assign(area_geodesic_m2=self.geodesic_m2))

    @property
    def wgs84(self) -> gpd.GeoDataFrame:
        """Lon/lat (EPSG:4326) copy of `full_metric`: same rows and columns."""
        return self.once("wgs84", lambda: self.full_metric.to_crs(LON_LAT))


class LayerProvider:
    def __init__(self, store: GeoPackageStore):
        self.store = store
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._cache: dict[str, LayerData | list[str]] = {}

    @property
    def path(self) -> Path:
        return self.store.path

    def layer_ids(self) -> list[str]:
        self._refresh()
        with self._lock:
            cached = self._cache.get(_IDS)
        if cached is not None:
            return list(cached)
        catalog = load_catalog()
        ids = self.store.layer_ids()
        # Catalogue order first (the order planners know), then any imported layers.
        ordered = [i for i in catalog if i in ids] + sorted(i for i in ids if i not in catalog)
        with self._lock:
            self._cache[_IDS] = ordered  # cleared with the layers when the file changes
        return list(ordered)

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        """The layer as of the store's current state. `columns`: only these attributes are needed
        (besides `id`, the geometry and the areas); the whole layer is returned when it is cached."""
        stamp = self._refresh()
        key = layer_id if columns is None else (layer_id, tuple(sorted(set(columns))))
        with self._lock:
            cached = self._cache.get(layer_id) or self._cache.get(key)
        if cached is not None:
            return cached
        wanted = None if columns is None else ["id", *columns]
        gdf, generation = self.store.read_consistent(layer_id, wanted)
        metric = gdf.to_crs(METRIC)
        if "id" not in metric.columns:
            metric["id"] = [str(i + 1) for i in range(len(metric))]
        metric["id"] = metric["id"].astype(str)
        for name, values in area_columns(metric.geometry.values).items():
            metric[name] = values
        data = LayerData(info=load_catalog().get(layer_id), metric=metric, generation=generation)
        with self._lock:
            # Cache only what belongs to the state the stamp describes; a newer read is
            # returned but cached on the next call, after the stamp has moved on.
            if self._stamp == stamp and stamp is not None and stamp[0] == generation:
                self._cache[key] = data
        return data

    def geometries(self, layer_ids: list[str] | None = None) -> LayerGeometries:
        """layer -> feature id -> metric geometry, the input of the allocation check."""
        out = {}
        for layer_id in layer_ids or self.layer_ids():
            gdf = self.layer(layer_id).metric
            out[layer_id] = dict(zip(gdf["id"], gdf.geometry))
        return out

    def _refresh(self) -> tuple | None:
        stamp = store_stamp(self.store, self._stamp)
        with self._lock:
            if stamp != self._stamp:
                self._cache.clear()
                self._stamp = stamp
        return stamp


# A file modified less than this long ago may be modified again within the same mtime tick
# (Linux timestamps are coarse, ~4 ms), so its generation is read again rather than trusted.
_RACY_NS = 200_000_000


def store_stamp(store: GeoPackageStore, previous: tuple | None = None) -> tuple | None:
    """(generation, file identity, WAL identity): changes whenever the store's content may have.

    Reading the generation opens the database (~1 ms); a request path asks several times, so
    when the files are byte-for-byte where they were at `previous` and not freshly modified,
    the previous generation is reused (git's "racy timestamp" rule).
    """
    try:
        st = os.stat(store.path)
    except FileNotFoundError:
        return None
    try:
        wal = os.stat(str(store.path) + "-wal")
        # An empty WAL comes and goes as connections open and close; only frames matter.
        wal_id = (wal.st_ino, wal.st_size, wal.st_mtime_ns) if wal.st_size else None
    except FileNotFoundError:
        wal_id = None
    files = (st.st_ino, st.st_size, st.st_mtime_ns, wal_id)
    newest = max(st.st_mtime_ns, wal_id[2] if wal_id else 0)
    if previous is not None and previous[1:] == files and time.time_ns() - newest > _RACY_NS:
        return previous
    return (store.generation(), *files)
