"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy (for measuring) and a lon/lat copy (for
GeoJSON and Leaflet) so no request pays for a reprojection. The cache is keyed
on the store's generation counter (bumped in the same transaction as every
write through `geodata.store`) plus the identity of the file and its WAL, so a
write by this process, by another process (the CLI, a second server worker) or
an edit in QGIS is picked up on the next read.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geodata.catalog import LayerInfo, load_catalog
from geodata.store import GeoPackageStore
from zones.allocation import LayerGeometries
from zones.area import area_columns
from zones.crs import LON_LAT, METRIC


_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)


@dataclass(frozen=True)
class LayerData:
    info: LayerInfo | None
    metric: gpd.GeoDataFrame  # EPSG:5186, with area columns
    wgs84: gpd.GeoDataFrame  # EPSG:4326 copy, same rows and columns
    generation: int = 0  # store generation the layer was read at


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

    def layer(self, layer_id: str) -> LayerData:
        stamp = self._refresh()
        with self._lock:
            cached = self._cache.get(layer_id)
        if cached is not None:
            return cached
        gdf, generation = self.store.read_consistent(layer_id)
        metric = gdf.to_crs(METRIC)
        if "id" not in metric.columns:
            metric["id"] = [str(i + 1) for i in range(len(metric))]
        metric["id"] = metric["id"].astype(str)
        for name, values in area_columns(metric.geometry.values).items():
            metric[name] = values
        data = LayerData(info=load_catalog().get(layer_id), metric=metric, wgs84=metric.to_crs(LON_LAT),
                         generation=generation)
        with self._lock:
            # Cache only what belongs to the state the stamp describes; a newer read is
            # returned but cached on the next call, after the stamp has moved on.
            if self._stamp == stamp and stamp is not None and stamp[0] == generation:
                self._cache[layer_id] = data
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
