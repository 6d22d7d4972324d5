"""Features pre-serialised per layer and CRS, so an items request only slices and joins bytes.

A layer's copy in each served CRS is built once (reprojection, axis swap, rounding, JSON
encoding) and kept while the store's freshness stamp stays the same (geodata.freshness).
Per request there is no reprojection and no JSON encoding of geometries.

Building is blocking work (a GeoPackage read, a reprojection, encoding): `served` does it
in the thread pool, so an async route never runs it on the event loop; a request that finds
the copy ready (the usual case) costs no thread hop.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import orjson
import pandas as pd
import shapely
from starlette.concurrency import run_in_threadpool

from api.ogc import CRS84, EPSG_4326, EPSG_5186, ServedCrs
from geodata.geojson_out import feature, rounded
from geodata.provider import LayerData, LayerProvider
from geodata.views import viewed_scenario

V = TypeVar("V")


@dataclass(frozen=True)
class ServedLayer:
    source: LayerData
    crs: ServedCrs
    ids: list[str]
    index: dict[str, int]
    encoded: list[bytes]  # one GeoJSON Feature per row, coordinates in the CRS's axis order
    geoms_xy: np.ndarray  # shapely geometries in x/y (east, north) order of the CRS, for bbox
    bounds_xy: np.ndarray  # (n, 4) minx, miny, maxx, maxy
    properties: pd.DataFrame  # attribute table, for equality filters


class FeatureCache:
    def __init__(self, provider: LayerProvider):
        self.provider = provider
        self._cache = provider.cache()

    def get(self, layer_id: str, crs: ServedCrs) -> ServedLayer:
        """The layer in `crs`, built when missing (blocking: call from a worker thread)."""
        return self._cache.get(_viewed(layer_id, crs.uri), lambda: _build(self.provider.layer(layer_id), crs))

    async def served(self, layer_id: str, crs: ServedCrs) -> ServedLayer:
        """`get` for async routes: the ready copy at once, anything else in the thread pool.
        An unknown layer raises UnknownLayer (a 404)."""
        hit = self._cache.peek(_viewed(layer_id, crs.uri))
        if hit is not None:
            return hit
        return await run_in_threadpool(self.get, layer_id, crs)

    async def off_loop(self, key: Hashable, build: Callable[[], V]) -> V:
        """Any other value computed from the store, kept under the same stamp: ready at once,
        built in the thread pool otherwise."""
        key = _viewed(key)
        hit = self._cache.peek(key)
        if hit is not None:
            return hit
        return await run_in_threadpool(self._cache.get, key, build)


def _viewed(*key: Hashable) -> tuple:
    """A key of the scenario the request reads (?scenario=, api.scenario_view): its copy is its own."""
    return (viewed_scenario(), *key)


def _build(data: LayerData, crs: ServedCrs) -> ServedLayer:
    if crs in (CRS84, EPSG_4326):
        gdf = data.wgs84
    elif crs is EPSG_5186:
        gdf = data.full_metric
    else:
        gdf = data.full_metric.to_crs(crs.epsg)
    geoms_xy = np.asarray(gdf.geometry.values, dtype=object)
    # Round and (for lat-first CRSs) swap each position in place: same vertices, same order
    # in every CRS, so a client can compare answers position by position.
    decimals, swap = crs.decimals, crs.lat_first
    out_geoms = rounded(geoms_xy, decimals, swap=swap)
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    records = props.to_dict(orient="records")
    encoded = [orjson.dumps(feature(record, geom)) for record, geom in zip(records, out_geoms)]
    ids = [str(i) for i in gdf["id"]]
    return ServedLayer(
        source=data, crs=crs, ids=ids, index={fid: i for i, fid in enumerate(ids)}, encoded=encoded,
        geoms_xy=geoms_xy, bounds_xy=shapely.bounds(geoms_xy), properties=props,
    )
