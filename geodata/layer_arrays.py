"""What the share and zone queries read of a layer: flat arrays, not a million geometry objects.

A land-use share needs each parcel's use, zone and planar area; the parcels of a zone need their
boxes, their rings (to clip the few that cross the zone's outline) and their ids. As shapely
objects a million five-vertex parcels take about 650 MB; as flat arrays (`LayerArrays`: the
rings' vertices, each parcel's box and area, ids and the columns asked for) about 200 MB.

The provider reads them batch by batch from the GeoPackage (`read_arrays`: no batch's WKB or
geometries outlive it), or takes them from a layer already loaded whole (`arrays_of`), and keeps
them under the store's stamp like the layers. A second query asking for another column reads that
column alone and shares everything else (`LayerArrays.with_columns`): one copy per layer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata.gpkg_read import LayerScan, scan_layer
from geodata.store import GeoPackageStore, StoreError, UnknownLayer
from geodata.wkb_rings import gpkg_to_wkb, rings_from_gpkg
from zones.area import planar_areas_m2
from zones.crs import METRIC, same_crs
from zones.siting.clip import Rings, rings_of

if TYPE_CHECKING:
    from geodata.provider import LayerData

# Geometries derived at a time from a loaded layer (bounds and rings of each batch, then dropped).
_DERIVE_BATCH = 100_000
# Rows read at a time from the store: what a batch leaves behind (rings, boxes, areas) is a fraction
# of its rows and blobs, so small batches keep the transient memory of a read small against what is
# kept (and the same share of it at 100,000 parcels as at 1,000,000), at no cost in time.
_READ_BATCH = 10_000


def factorised(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(code of each row, the distinct values as text, sorted): sums by use or by zone are then one
    `np.bincount`. A missing value is "" like an empty one.

    >>> codes, names = factorised(np.array(["b", None, "a", "b"], dtype=object))
    >>> codes.tolist(), names
    ([2, 0, 1, 2], ['', 'a', 'b'])
    """
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    text = series.where(series.notna(), "").astype(str)
    codes, names = pd.factorize(text.to_numpy(dtype=object), sort=True)
    return codes.astype(np.int64), [str(n) for n in names]


@dataclass(frozen=True)
class LayerArrays:
    """One layer as of one store generation, as the share and zone queries read it (rows in the
    layer's order, the same as `LayerData.metric`'s)."""

    generation: int
    ids: np.ndarray  # text id of each row (1..n when the layer has no `id` column)
    columns: dict[str, np.ndarray]  # the attribute columns read (object arrays)
    area_m2: np.ndarray  # planar area in `METRIC` (zones.area.planar_areas_m2)
    bounds: np.ndarray  # (n, 4) xmin, ymin, xmax, ymax in `METRIC` (NaN for an empty geometry), column by
    # column in memory (Fortran order): a box test over the layer reads each column contiguously
    rings: Rings  # the polygonal rings in `METRIC`; other geometries have none
    absent: frozenset[str] = frozenset()  # columns asked for that the layer does not have
    _codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def covers(self, columns: list[str]) -> bool:
        return all(c == "id" or c in self.columns or c in self.absent for c in columns)

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """`factorised` values of a column, computed once for these arrays."""
        with self._lock:
            if column not in self._codes:
                self._codes[column] = factorised(self.columns[column])
            return self._codes[column]

    def with_columns(self, more: dict[str, np.ndarray], absent: set[str]) -> LayerArrays:
        """These arrays with more columns (same rows), sharing every array they already hold."""
        return LayerArrays(generation=self.generation, ids=self.ids, columns={**self.columns, **more},
                           area_m2=self.area_m2, bounds=self.bounds, rings=self.rings, absent=self.absent | absent)


def _geometry_arrays(geoms: np.ndarray) -> tuple[np.ndarray, Rings]:
    """(bounds, rings) of metric geometries, a batch at a time so no transient copy of all their
    vertices is ever made."""
    bounds, rings = [], []
    for start in range(0, len(geoms), _DERIVE_BATCH):
        part = geoms[start:start + _DERIVE_BATCH]
        bounds.append(shapely.bounds(part))
        rings.append(rings_of(part))
    return (np.concatenate(bounds) if bounds else np.empty((0, 4))), Rings.concat(rings or [rings_of(geoms)])


def arrays_of(data: LayerData) -> LayerArrays:
    """The arrays of a layer already loaded whole (made once per loaded layer)."""
    def make() -> LayerArrays:
        metric = data.metric
        geoms = np.asarray(metric.geometry.values, dtype=object)
        bounds, rings = _geometry_arrays(geoms)
        columns = {c: metric[c].to_numpy(dtype=object) for c in metric.columns if c != metric.geometry.name}
        return LayerArrays(generation=data.generation, ids=metric["id"].to_numpy(dtype=object), columns=columns,
                           area_m2=metric["area_m2"].to_numpy(dtype=float), bounds=np.asfortranarray(bounds),
                           rings=rings)
    return data.once("arrays", make)


def read_arrays(store: GeoPackageStore, layer: str, columns: list[str],
                previous: LayerArrays | None = None) -> LayerArrays:
    """The arrays of a stored layer with `columns` (and `id`), read batch by batch.

    With `previous` (the same layer's arrays, read earlier), only the columns it lacks are read and
    everything else is shared; when the store has moved on since, the whole layer is read again."""
    wanted = sorted({"id", *columns})
    if previous is not None:
        missing = [c for c in wanted if c != "id" and c not in previous.columns]
        parts: list[list[np.ndarray]] = []
        scan, generation, known = scan_layer(store.path, layer, missing, lambda _s, _g, values: parts.append(values),
                                             geometry=False)
        if scan is None:
            raise UnknownLayer(layer, known)
        if generation == previous.generation:
            read = _columns(scan.columns, parts, len(previous))
            return previous.with_columns(read, set(missing) - set(read))
    bounds: list[np.ndarray] = []
    rings: list[Rings] = []
    areas: list[np.ndarray] = []
    parts = []

    def keep(scan: LayerScan, blobs: np.ndarray | None, values: list[np.ndarray]) -> None:
        if scan.crs is None:
            raise StoreError(f"layer {layer!r} in {store.path.name} has no CRS")
        parts.append(values)
        blobs = blobs.tolist()
        direct = rings_from_gpkg(blobs) if same_crs(scan.crs.to_string(), METRIC) else None
        if direct is not None:  # metric (multi)polygons: read from the bytes, no geometry object made
            r, area = direct
            areas.append(area)
            bounds.append(r.bounds())
            rings.append(r)
            return
        metric = _metric(shapely.from_wkb(np.array([gpkg_to_wkb(b) for b in blobs], dtype=object)), scan.crs)
        areas.append(planar_areas_m2(metric))
        b, r = _geometry_arrays(metric)
        bounds.append(b)
        rings.append(r)

    scan, generation, known = scan_layer(store.path, layer, wanted, keep, decode=False, batch=_READ_BATCH)
    if scan is None:
        raise UnknownLayer(layer, known)
    n = int(sum(len(a) for a in areas))
    cols = _columns(scan.columns, parts, n)
    ids = cols.pop("id") if "id" in cols else np.array([str(i + 1) for i in range(n)], dtype=object)
    return LayerArrays(generation=generation, ids=np.array([str(i) for i in ids], dtype=object), columns=cols,
                       absent=frozenset(set(wanted) - set(cols) - {"id"}),
                       area_m2=np.concatenate(areas) if areas else np.zeros(0),
                       bounds=np.asfortranarray(np.concatenate(bounds) if bounds else np.empty((0, 4))),
                       rings=Rings.concat(rings) if rings else rings_of(np.empty(0, dtype=object)))


def _columns(cols: list[tuple[str, str]], parts: list[list[np.ndarray]], n: int) -> dict[str, np.ndarray]:
    if not parts:
        return {name: np.empty(n, dtype=object) for name, _ in cols}
    return {name: np.concatenate([p[k] for p in parts]) for k, (name, _) in enumerate(cols)}


def _metric(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """A batch of geometries in `METRIC` (as `geodata.provider.layer_data` makes the metric copy)."""
    if same_crs(crs.to_string(), METRIC):
        return geoms
    return np.asarray(gpd.GeoSeries(geoms, crs=crs).to_crs(METRIC).values, dtype=object)
