"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy (for measuring) and a lon/lat copy (for
GeoJSON and Leaflet) so no request pays for a reprojection. The cache is keyed
on the store's freshness stamp (`GeoPackageStore.stamp`: generation counter,
file and WAL identity), so a write by this process, by another process (the CLI,
a second server worker) or an edit in QGIS is picked up on the next read. Every
other cache of store content keys on the same stamp (`LayerProvider.cache()`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geodata.catalog import LayerInfo, load_catalog
from geodata.freshness import StampedCache
from geodata.store import GeoPackageStore, StoreStamp
from zones.allocation import LayerGeometries
from zones.area import area_columns
from zones.crs import LON_LAT, METRIC

_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)
_SERIALS = itertools.count(1)


@dataclass(frozen=True)
class LayerData:
    info: LayerInfo | None
    metric: gpd.GeoDataFrame  # EPSG:5186, with area columns
    wgs84: gpd.GeoDataFrame  # EPSG:4326 copy, same rows and columns
    generation: int = 0  # store generation the layer was read at
    # Unique for the life of the process: what caches built from this copy are keyed on.
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False)


def layer_data(info: LayerInfo | None, gdf: gpd.GeoDataFrame, generation: int = 0) -> LayerData:
    """A layer as readers get it: metric, `id` as text (1..n when the layer has none), the area
    columns, and the lon/lat copy."""
    metric = gdf.to_crs(METRIC)
    if "id" not in metric.columns:
        metric["id"] = [str(i + 1) for i in range(len(metric))]
    metric["id"] = metric["id"].astype(str)
    for name, values in area_columns(metric.geometry.values).items():
        metric[name] = values
    return LayerData(info=info, metric=metric, wgs84=metric.to_crs(LON_LAT), generation=generation)


class LayerSource:
    """What the allocation check, the siting rules and the maps read: layer ids and layers.
    The store as it is (LayerProvider) and a scenario or a revision laid over it
    (geodata.views) are both one."""

    def layer_ids(self) -> list[str]:
        raise NotImplementedError

    def layer(self, layer_id: str) -> LayerData:
        raise NotImplementedError

    def geometries(self, layer_ids: list[str] | None = None) -> LayerGeometries:
        """layer -> feature id -> metric geometry, the input of the allocation check."""
        out = {}
        for layer_id in layer_ids or self.layer_ids():
            gdf = self.layer(layer_id).metric
            out[layer_id] = dict(zip(gdf["id"], gdf.geometry))
        return out


class LayerProvider(LayerSource):
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
        """The layer in the scenario being viewed (geodata.views.viewing), else as stored."""
        from geodata.views import viewed_scenario

        scenario = viewed_scenario()
        if scenario is not None:
            return self.view(scenario).layer(layer_id)
        return self.base_layer(layer_id)

    def view(self, scenario: str) -> LayerSource:
        """The store with scenario `scenario`'s edits laid over it ("base": the store as it is),
        as of the store's current state (kept under its stamp like the layers)."""
        from geodata.views import scenario_view

        if scenario == "base":
            return BaseView(self)
        return self._cache.get(("scenario", scenario), lambda: scenario_view(self, scenario))

    def base_layer(self, layer_id: str) -> LayerData:
        """The layer as stored, whatever scenario is being viewed."""
        return self._cache.get(layer_id, lambda: self._read(layer_id))

    def _read(self, layer_id: str) -> LayerData:
        gdf, generation = self.store.read_consistent(layer_id)
        return layer_data(load_catalog().get(layer_id), gdf, generation)


class BaseView(LayerSource):
    """The store as it is, whatever scenario the request views (the `base` side of a compare)."""

    def __init__(self, provider: LayerProvider):
        self.provider = provider
        self.name = "base"
        self.path = provider.path
        self.store = provider.store

    def layer_ids(self) -> list[str]:
        return self.provider.layer_ids()

    def layer(self, layer_id: str) -> LayerData:
        return self.provider.base_layer(layer_id)
