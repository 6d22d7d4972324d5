"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy (for measuring) and a lon/lat copy (for
GeoJSON and Leaflet) so no request pays for a reprojection. The cache is keyed
on the store file's identity (inode, size, mtime), so an atomic replace of the
file by another process is picked up on the next read.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geodata.catalog import LayerInfo, load_catalog
from geodata.store import GeoPackageStore
from zones.allocation import LayerGeometries
from zones.area import area_columns


_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)


@dataclass(frozen=True)
class LayerData:
    info: LayerInfo | None
    metric: gpd.GeoDataFrame  # EPSG:5186, with area columns
    wgs84: gpd.GeoDataFrame  # EPSG:4326 copy, same rows and columns


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
        self._refresh()
        with self._lock:
            cached = self._cache.get(layer_id)
        if cached is not None:
            return cached
        metric = self.store.read(layer_id).to_crs("EPSG:5186")
        if "id" not in metric.columns:
            metric["id"] = [str(i + 1) for i in range(len(metric))]
        metric["id"] = metric["id"].astype(str)
        for name, values in area_columns(metric.geometry.values).items():
            metric[name] = values
        data = LayerData(info=load_catalog().get(layer_id), metric=metric, wgs84=metric.to_crs("EPSG:4326"))
        with self._lock:
            self._cache[layer_id] = data
        return data

    def geometries(self, layer_ids: list[str] | None = None) -> LayerGeometries:
        """layer -> feature id -> metric geometry, the input of the allocation check."""
        out = {}
        for layer_id in layer_ids or self.layer_ids():
            gdf = self.layer(layer_id).metric
            out[layer_id] = dict(zip(gdf["id"], gdf.geometry))
        return out

    def _refresh(self) -> None:
        try:
            st = os.stat(self.store.path)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._cache.clear()
                self._stamp = stamp
