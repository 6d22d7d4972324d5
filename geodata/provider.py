"""Read access to the store for the API, the maps and the CLI.

Keeps, per layer, the metric copy with its planar areas (for measuring), and,
made the first time they are asked for, a lon/lat copy (for GeoJSON and
Leaflet) and the ellipsoidal cross-check of the areas, so no request pays for
a reprojection twice and a share or zone query never pays for one. The cache is keyed
on the store's freshness stamp (`GeoPackageStore.stamp`: generation counter,
file and WAL identity), so a write by this process, by another process (the CLI,
a second server worker) or an edit in QGIS is picked up on the next read. Every
other cache of store content keys on the same stamp (`LayerProvider.cache()`);
what is derived from one loaded layer (its lon/lat copy, spatial index, factorised
columns) lives with it (`LayerData.once`) and so goes with it.

The land-use shares and the parcels of a zone read a layer as flat arrays instead
(`LayerProvider.arrays`, geodata.layer_arrays: ids, the columns asked for, areas, boxes,
rings), without a geometry object per feature: a million parcels then hold ~250 MB, not
the ~1 GB of the loaded layer, which they use only when something else has loaded it.
"""
from __future__ import annotations

import itertools
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np

from geodata.catalog import LayerInfo, load_catalog
from geodata.freshness import StampedCache
from geodata.layer_arrays import LayerArrays, arrays_of, factorised, read_arrays
from geodata.store import GeoPackageStore, StoreStamp
from zones.allocation import LayerGeometries
from zones.area import area_columns, geodesic_areas_m2
from zones.crs import LON_LAT, METRIC

_IDS = "\0layer-ids"  # cache key for the ordered layer ids (no layer id contains NUL)
_SERIALS = itertools.count(1)


class LayerData:
    """One layer as of one store generation: `metric` (in `METRIC`, with `id` and the planar area
    columns) at once; `geodesic_m2`, `full_metric` and `wgs84` when first asked for, then kept."""

    def __init__(self, info: LayerInfo | None, metric: gpd.GeoDataFrame, generation: int = 0):
        self.info = info
        self.metric = metric
        self.generation = generation
        self._lock = threading.RLock()  # full_metric asks for geodesic_m2 while it holds it
        self._made: dict[str, object] = {}
        # Unique for the life of the process: what caches built from this copy are keyed on.
        self.serial = next(_SERIALS)

    def once(self, name: str, make):
        """`make()` computed the first time `name` is asked for on this layer, then kept with it."""
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            return self._made[name]

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """(code of each row, the distinct values as text): a column factorised once for this layer,
        so sums by use or by zone are one `np.bincount`. A missing value is "" like an empty one."""
        return self.once(f"codes:{column}", lambda: factorised(self.metric[column].to_numpy(dtype=object)))

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
        """Lon/lat (`LON_LAT`) copy of `full_metric`: same rows and columns."""
        return self.once("wgs84", lambda: self.full_metric.to_crs(LON_LAT))


def layer_data(info: LayerInfo | None, gdf: gpd.GeoDataFrame, generation: int = 0) -> LayerData:
    """A layer as readers get it: metric, `id` as text (1..n when the layer has none), the planar
    area columns."""
    metric = gdf.to_crs(METRIC)
    if "id" not in metric.columns:
        metric["id"] = [str(i + 1) for i in range(len(metric))]
    metric["id"] = metric["id"].astype(str)
    for name, values in area_columns(metric.geometry.values).items():
        metric[name] = values
    return LayerData(info=info, metric=metric, generation=generation)


class LayerSource:
    """What the allocation check, the siting rules and the maps read: layer ids and layers.
    The store as it is (LayerProvider) and a scenario or a revision laid over it
    (geodata.views, geodata.diff_impact) are all one."""

    def layer_ids(self) -> list[str]:
        raise NotImplementedError

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        raise NotImplementedError

    def arrays(self, layer_id: str, columns: list[str]) -> LayerArrays:
        """What the share and zone queries read of a layer (geodata.layer_arrays), with `columns`."""
        return arrays_of(self.layer(layer_id, columns))

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

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        """The layer in the scenario being viewed (geodata.views.viewing), else as stored."""
        from geodata.views import viewed_scenario

        scenario = viewed_scenario()
        if scenario is not None:
            return self.view(scenario).layer(layer_id, columns)
        return self.base_layer(layer_id, columns)

    def view(self, scenario: str) -> LayerSource:
        """The store with scenario `scenario`'s edits laid over it ("base": the store as it is),
        as of the store's current state (kept under its stamp like the layers)."""
        from geodata.views import scenario_view

        if scenario == "base":
            return BaseView(self)
        return self._cache.get(("scenario", scenario), lambda: scenario_view(self, scenario))

    def base_layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        """The layer as stored, whatever scenario is being viewed. `columns`: only these attributes
        are needed (besides `id`, the geometry and the areas); the whole layer is returned when it
        is loaded."""
        if columns is None:
            return self._cache.get(layer_id, lambda: self._read(layer_id))
        whole = self._cache.peek(layer_id)
        if whole is not None:
            return whole
        return self._cache.get((layer_id, tuple(sorted(set(columns)))),
                               lambda: self._read(layer_id, ["id", *columns]))

    def arrays(self, layer_id: str, columns: list[str]) -> LayerArrays:
        """The layer's arrays in the scenario being viewed, else as stored: from the layer when it
        is loaded whole, else read without keeping its geometries, once per store state (a query
        wanting another column reads that column and shares the rest)."""
        from geodata.views import viewed_scenario

        scenario = viewed_scenario()
        if scenario is not None:
            return self.view(scenario).arrays(layer_id, columns)
        return self.base_arrays(layer_id, columns)

    def base_arrays(self, layer_id: str, columns: list[str]) -> LayerArrays:
        """`arrays` of the layer as stored, whatever scenario is being viewed."""
        whole = self._cache.peek(layer_id)
        if whole is not None:
            return arrays_of(whole)
        return self._cache.get_covering(("arrays", layer_id), lambda have: have.covers(columns),
                                        lambda previous: read_arrays(self.store, layer_id, columns, previous))

    def _read(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        gdf, generation = self.store.read_consistent(layer_id, columns)
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

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        return self.provider.base_layer(layer_id, columns)

    def arrays(self, layer_id: str, columns: list[str]) -> LayerArrays:
        return self.provider.base_arrays(layer_id, columns)
