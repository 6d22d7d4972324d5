"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy (for measuring) and a lon/lat copy (for
GeoJSON and Leaflet) so no request pays for a reprojection. The cache is keyed
on the store's freshness stamp (`GeoPackageStore.stamp`: generation counter,
file and WAL identity), so a write by this process, by another process (the CLI,
a second server worker) or an edit in QGIS is picked up on the next read. Every
other cache of store content keys on the same stamp (`LayerProvider.cache()`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geodata.catalog import LayerInfo, load_catalog
from geodata.freshness import StampedCache
from geodata.store import GeoPackageStore, StoreStamp
from zones.allocation import LayerGeometries
from zones.area import area_columns
from zones.crs import LON_LAT, METRIC

_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)


@dataclass(frozen=True)
class LayerData:
    info: LayerInfo | None
    metric: gpd.GeoDataFrame  # in METRIC, with area columns
    wgs84: gpd.GeoDataFrame  # LON_LAT copy, same rows and columns
    generation: int = 0  # store generation the layer was read at


class LayerProvider:
    def __init__(self, store: GeoPackageStore):
        self.store = store
        self._last: StoreStamp | None = None
        self._cache: StampedCache = self.cache()

    @property
    def path(self) -> Path:
        return self.store.path

    def stamp(self) -> StoreStamp | None:
        """The store's freshness stamp now (see GeoPackageStore.stamp)."""
        self._last = self.store.stamp(self._last)
        return self._last

    def settled_stamp(self) -> StoreStamp | None:
        """The stamp when the files are as they were at the last `stamp()`, without opening the
        database; None when only a database read could tell."""
        return self.store.stamp(self._last, read_generation=False)

    def cache(self) -> StampedCache:
        """A new cache of values computed from this store, fresh by the store's stamp."""
        return StampedCache(self.stamp, self.settled_stamp)

    def layer_ids(self) -> list[str]:
        return list(self._cache.get(_IDS, self._ordered_ids))

    def _ordered_ids(self) -> list[str]:
        catalog = load_catalog()
        ids = self.store.layer_ids()
        # Catalogue order first (the order planners know), then any imported layers.
        return [i for i in catalog if i in ids] + sorted(i for i in ids if i not in catalog)

    def layer(self, layer_id: str) -> LayerData:
        return self._cache.get(layer_id, lambda: self._read(layer_id))

    def _read(self, layer_id: str) -> LayerData:
        gdf, generation = self.store.read_consistent(layer_id)
        metric = gdf.to_crs(METRIC)
        if "id" not in metric.columns:
            metric["id"] = [str(i + 1) for i in range(len(metric))]
        metric["id"] = metric["id"].astype(str)
        for name, values in area_columns(metric.geometry.values).items():
            metric[name] = values
        return LayerData(info=load_catalog().get(layer_id), metric=metric, wgs84=metric.to_crs(LON_LAT),
                         generation=generation)

    def geometries(self, layer_ids: list[str] | None = None) -> LayerGeometries:
        """layer -> feature id -> metric geometry, the input of the allocation check."""
        out = {}
        for layer_id in layer_ids or self.layer_ids():
            gdf = self.layer(layer_id).metric
            out[layer_id] = dict(zip(gdf["id"], gdf.geometry))
        return out
