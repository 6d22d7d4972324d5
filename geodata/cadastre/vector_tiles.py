"""Mapbox vector tiles (MVT) of the parcel dataset on the WebMercatorQuad tile grid.

Why two layers. A planner zoomed out to a province would get millions of parcels in a few tiles:
unreadable, and megabytes per tile. So, as tile servers of cadastral maps do, parcels are drawn
only from `MIN_PARCEL_ZOOM` on (a tile there spans about 1 km at 35°N and holds a few thousand
parcels of a dense city); below it a tile carries the summary layer `parcel_density`: a grid of
`SUMMARY_CELLS` × `SUMMARY_CELLS` squares per tile (16 screen pixels each), each with the number of
parcels whose centre lies in it. The counts come from a per-file grid of parcel centres at the
finest summary level, built once per file and generation and added up by shifting cell numbers,
so a zoom-7 tile of the whole country costs a few array operations once the grid is built.

Parcel tiles: the parcels meeting the tile (plus a buffer of `BUFFER` units, so strokes do not stop
at tile edges) are read through the bbox index (only the row groups meeting it), projected to
EPSG:3857, scaled to the tile's `EXTENT` units, clipped, simplified to a tenth of a screen pixel
at that zoom, rounded to whole tile units and encoded by geodata/cadastre/mvt.py (vectorised). Attributes: `PNU`, `JIBUN`, `JIMOK` (the
land-category code, 지목) and `land_use` (its class in geodata/jimok_classes.toml); the MVT
feature id is the PNU as an integer.

Tiles are kept in a cache bounded in bytes and keyed by the dataset's generation
(`bbox_reader.generation`), so a re-import is served at once and never mixed with old tiles.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import shapely

from geodata.cadastre import mvt
from geodata.cadastre.bbox_reader import Box, Partition, ParcelIndex, ParcelIndexes, ReadStats
from geodata.cadastre.jimok import load_jimok_classes
from zones.crs import METRIC, WEB_MERCATOR, transformer
from zones.errors import NotFound

ORIGIN = 20037508.342789244  # half the extent of WebMercatorQuad in metres
EXTENT = 4096  # MVT units per tile side
TILE_PIXELS = 256
BUFFER = 64  # MVT units drawn past each tile edge (4 pixels)
MAX_ZOOM = 22  # a zoom-22 tile is under 10 m wide: finer than any parcel needs
MIN_PARCEL_ZOOM = 15
SUMMARY_CELLS = 16  # cells per tile side in the summary layer
SUMMARY_LEVEL = MIN_PARCEL_ZOOM - 1 + 4  # the grid of cells of the last summary zoom (16 = 2**4)
SIMPLIFY_UNITS = EXTENT / TILE_PIXELS / 10  # a tenth of a screen pixel
PARCEL_LAYER = "parcels"
SUMMARY_LAYER = "parcel_density"
CACHE_BYTES = 256 * 1024 * 1024
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


class TileOutOfRange(NotFound):
    """A tile address outside the WebMercatorQuad grid this dataset is served on."""

    default_code = "tile_out_of_range"


def check_tile(z: int, row: int, col: int) -> None:
    """Refuse a zoom outside 0..MAX_ZOOM or a row/column outside that zoom's 2^z × 2^z grid."""
    if not 0 <= z <= MAX_ZOOM:
        raise TileOutOfRange(f"tile matrix {z} is not served: zooms 0 to {MAX_ZOOM} of WebMercatorQuad",
                             zoom=z, max_zoom=MAX_ZOOM)
    n = 1 << z
    if not (0 <= row < n and 0 <= col < n):
        raise TileOutOfRange(f"tile row {row}, column {col} is outside zoom {z} (rows and columns 0 to {n - 1})",
                             zoom=z, row=row, col=col)


def tile_bounds(z: int, row: int, col: int) -> Box:
    """The tile's bounds in EPSG:3857 metres (row 0 at the top, as WebMercatorQuad numbers them).

    >>> [round(v) for v in tile_bounds(0, 0, 0)]
    [-20037508, -20037508, 20037508, 20037508]
    >>> tile_bounds(1, 0, 1)[0], tile_bounds(1, 0, 1)[1]
    (0.0, 0.0)
    """
    size = 2 * ORIGIN / (1 << z)
    minx = -ORIGIN + col * size
    maxy = ORIGIN - row * size
    return minx, maxy - size, minx + size, maxy


def metric_box(bounds: Box) -> Box:
    """An EPSG:3857 box as a box of the metric CRS that holds it (edges densified)."""
    return transformer(WEB_MERCATOR, METRIC).transform_bounds(*bounds, densify_pts=21)


@lru_cache(maxsize=1)
def _jimok_classes() -> dict[str, str]:
    return load_jimok_classes()


def _to_tile_units(geoms: np.ndarray, bounds: Box) -> np.ndarray:
    """Metric geometries as MVT units of the tile at `bounds` (y down, 0..EXTENT inside the tile)."""
    to_merc = transformer(METRIC, WEB_MERCATOR)
    minx, _, maxx, maxy = bounds
    scale = EXTENT / (maxx - minx)

    def convert(xy: np.ndarray) -> np.ndarray:
        x, y = to_merc.transform(xy[:, 0], xy[:, 1])
        return np.column_stack(((np.asarray(x) - minx) * scale, (maxy - np.asarray(y)) * scale))

    return shapely.transform(geoms, convert)


def parcel_layer(index: ParcelIndex, z: int, row: int, col: int) -> tuple[bytes | None, ReadStats]:
    """The encoded `parcels` layer of a tile (None when no parcel meets it) and what was read for it."""
    bounds = tile_bounds(z, row, col)
    pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
    padded = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    frame, stats = index.read(metric_box(padded), ("pnu", "jibun", "jimok"))
    if frame.empty:
        return None, stats
    units = _to_tile_units(np.asarray(frame.geometry.values, dtype=object), bounds)
    units = shapely.clip_by_rect(units, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    units = shapely.simplify(units, SIMPLIFY_UNITS, preserve_topology=True)
    keep = np.isin(shapely.get_type_id(units), (3, 6)) & ~shapely.is_empty(units)
    if not keep.any():
        return None, stats
    # MVT wants exterior rings clockwise on screen (y down), which is a positive area by the
    # surveyor's formula on the tile units: counter-clockwise in shapely's terms. The encoder rounds
    # to whole units and drops the rings that collapse.
    units = shapely.orient_polygons(units[keep], exterior_cw=False)
    classes = _jimok_classes()
    sub = frame.loc[keep]
    jimok = sub["jimok"].to_numpy(dtype=object)
    layer = mvt.polygon_layer(PARCEL_LAYER, units, {
        "PNU": sub["pnu"].to_numpy(dtype=object), "JIBUN": sub["jibun"].to_numpy(dtype=object), "JIMOK": jimok,
        "land_use": np.array([classes.get(k, "unknown") for k in jimok], dtype=object)},
        ids=sub["pnu"].astype("int64").to_numpy(), extent=EXTENT)
    return layer, stats


# --- the summary layer -------------------------------------------------------------------------

@dataclass(frozen=True)
class CellGrid:
    """Parcel counts per cell of one grid level: cell columns, cell rows (from the top), counts."""

    cx: np.ndarray
    cy: np.ndarray
    count: np.ndarray

    def coarser(self, shift: int, merge: bool = False) -> "CellGrid":
        """The same counts on the grid `shift` levels coarser (each cell the sum of 4**shift cells);
        `merge` adds up repeated cells even when `shift` is 0."""
        if shift == 0 and not merge:
            return self
        key = ((self.cx >> shift).astype(np.int64) << 32) | (self.cy >> shift).astype(np.int64)
        keys, inverse = np.unique(key, return_inverse=True)
        return CellGrid((keys >> 32).astype(np.int64), (keys & 0xFFFFFFFF).astype(np.int64),
                        np.bincount(inverse, weights=self.count).astype(np.int64))


def centre_grid(part: Partition) -> CellGrid:
    """Counts of the parcels of one file by cell of the SUMMARY_LEVEL grid (their bbox centres),
    from the covering column alone: no geometry is decoded."""
    table = pq.ParquetFile(part.path, metadata=part.metadata).read(columns=["bbox"])
    b = table.column("bbox").combine_chunks()
    x = (b.field("xmin").to_numpy() + b.field("xmax").to_numpy()) / 2
    y = (b.field("ymin").to_numpy() + b.field("ymax").to_numpy()) / 2
    mx, my = transformer(METRIC, WEB_MERCATOR).transform(x, y)
    cell = 2 * ORIGIN / (1 << SUMMARY_LEVEL)
    cx = np.floor((np.asarray(mx) + ORIGIN) / cell).astype(np.int64)
    cy = np.floor((ORIGIN - np.asarray(my)) / cell).astype(np.int64)
    return CellGrid(cx, cy, np.ones(len(cx), dtype=np.int64)).coarser(0, merge=True)


def summary_layer(grids: list[CellGrid], z: int, row: int, col: int) -> bytes | None:
    """The `parcel_density` layer of a tile at zoom z < MIN_PARCEL_ZOOM from the files' grids."""
    level = z + 4
    shift = SUMMARY_LEVEL - level
    x0, y0 = col * SUMMARY_CELLS, row * SUMMARY_CELLS
    parts = []
    for g in grids:
        sx, sy = g.cx >> shift, g.cy >> shift
        inside = (sx >= x0) & (sx < x0 + SUMMARY_CELLS) & (sy >= y0) & (sy < y0 + SUMMARY_CELLS)
        if inside.any():
            parts.append(CellGrid(sx[inside] - x0, sy[inside] - y0, g.count[inside]))
    if not parts:
        return None
    cells = CellGrid(np.concatenate([p.cx for p in parts]), np.concatenate([p.cy for p in parts]),
                     np.concatenate([p.count for p in parts])).coarser(0, merge=True)
    step = EXTENT // SUMMARY_CELLS
    boxes = shapely.box(cells.cx * step, cells.cy * step, (cells.cx + 1) * step, (cells.cy + 1) * step, ccw=True)
    return mvt.polygon_layer(SUMMARY_LAYER, boxes, {"parcels": cells.count.astype(np.int64)}, extent=EXTENT)


# --- the service -------------------------------------------------------------------------------

class TileCache:
    """Encoded tiles, least recently used dropped first once they pass `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0

    def put(self, key: tuple, tile: bytes) -> None:
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = tile
            self._bytes += len(tile) + 64
            while self._bytes > self.max_bytes and self._tiles:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= len(old) + 64


@dataclass(frozen=True)
class Tile:
    """An encoded tile (b"" when nothing lies in it) and how it was answered."""

    data: bytes
    cached: bool
    layer: str  # PARCEL_LAYER or SUMMARY_LAYER: what this zoom carries


class ParcelTiles:
    """Vector tiles of the dataset beside a store: `tile(z, row, col)`."""

    def __init__(self, root: Path, cache_bytes: int = CACHE_BYTES):
        self.indexes = ParcelIndexes(root)
        self.cache = TileCache(cache_bytes)
        self._grids: dict[tuple, CellGrid] = {}
        self._grid_lock = threading.Lock()
        self._stamp: tuple | None = None

    def tile(self, z: int, row: int, col: int) -> Tile:
        check_tile(z, row, col)
        layer_name = PARCEL_LAYER if z >= MIN_PARCEL_ZOOM else SUMMARY_LAYER
        index = self.indexes.current()
        if index is None:
            return Tile(b"", False, layer_name)
        if index.stamp != self._stamp:  # a re-import: the old generation's tiles are never asked for again
            self.cache.clear()
            self._stamp = index.stamp
        key = (index.stamp, z, row, col)
        hit = self.cache.get(key)
        if hit is not None:
            return Tile(hit, True, layer_name)
        if z >= MIN_PARCEL_ZOOM:
            layer, _ = parcel_layer(index, z, row, col)
        else:
            layer = summary_layer(self._grids_meeting(index, z, row, col), z, row, col)
        data = b"" if layer is None else mvt.tile([layer])
        self.cache.put(key, data)
        return Tile(data, False, layer_name)

    def _grids_meeting(self, index: ParcelIndex, z: int, row: int, col: int) -> list[CellGrid]:
        box = metric_box(tile_bounds(z, row, col))
        stamps = {s[0]: s for s in index.stamp}
        out = []
        for part, _ in index.meeting(box):
            key = stamps[str(part.path)]
            with self._grid_lock:
                grid = self._grids.get(key)
            if grid is None:
                grid = centre_grid(part)
                with self._grid_lock:
                    for stale in [k for k in self._grids if k[0] not in stamps or stamps[k[0]] != k]:
                        del self._grids[stale]
                    self._grids[key] = grid
            out.append(grid)
        return out
