"""Planar areas of polygons read straight from their WKB bytes, without making geometry objects.

The parcel dataset stores each parcel as WKB (GeoParquet). Summing areas by 시군구 and land use
needs nothing but each polygon's area, so the bytes of a whole column (one contiguous buffer and
its offsets, as Arrow holds them) are walked once by a compiled loop: ring by ring, the shoelace
formula with coordinates taken relative to the ring's first vertex, as GEOS does, so that large
projected coordinates (hundreds of km in the metric CRS, `zones.crs.METRIC`) lose no precision.
Exterior rings add, holes subtract (valid polygons, as the importer guarantees). 2-D Polygon and MultiPolygon in either
byte order are read; any other geometry gets NaN, for the caller to measure another way.
"""
from __future__ import annotations

import numba
import numpy as np

POLYGON, MULTIPOLYGON = 3, 6


@numba.njit(cache=True, nogil=True)
def _u32(buf: np.ndarray, at: int, little: bool) -> int:
    if little:
        return buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)
    return buf[at + 3] | (buf[at + 2] << 8) | (buf[at + 1] << 16) | (buf[at] << 24)


@numba.njit(cache=True, nogil=True)
def _f64(buf: np.ndarray, at: int, little: bool, scratch: np.ndarray, as_float: np.ndarray) -> float:
    """The double at `at` (WKB doubles need not be 8-byte aligned): its bytes copied into `scratch`,
    read back through `as_float`, a float64 view of the same 8 bytes."""
    for b in range(8):
        scratch[b] = buf[at + b] if little else buf[at + 7 - b]
    return as_float[0]


@numba.njit(cache=True, nogil=True)
def _polygon(buf: np.ndarray, at: int, scratch: np.ndarray, as_float: np.ndarray) -> tuple[float, int]:
    """(area, offset after it) of the Polygon whose WKB starts at `at`; NaN area if it is not one."""
    little = buf[at] == 1
    kind = _u32(buf, at + 1, little)
    if kind != POLYGON:
        return np.nan, at
    rings = _u32(buf, at + 5, little)
    pos = at + 9
    total = 0.0
    for r in range(rings):
        n = _u32(buf, pos, little)
        pos += 4
        if n >= 3:
            x0 = _f64(buf, pos, little, scratch, as_float)
            s = 0.0
            y_prev = _f64(buf, pos + 8, little, scratch, as_float)
            y_here = _f64(buf, pos + 24, little, scratch, as_float)
            for i in range(1, n - 1):
                x = _f64(buf, pos + 16 * i, little, scratch, as_float) - x0
                y_next = _f64(buf, pos + 16 * (i + 1) + 8, little, scratch, as_float)
                s += x * (y_prev - y_next)
                y_prev, y_here = y_here, y_next
            a = abs(s) / 2.0
            total += a if r == 0 else -a
        pos += 16 * n
    return total, pos


@numba.njit(cache=True, nogil=True)
def _areas(buf: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    scratch = np.zeros(8, dtype=np.uint8)
    as_float = scratch.view(np.float64)
    for k in range(len(out)):
        start, end = offsets[k], offsets[k + 1]
        if end - start < 9:
            out[k] = np.nan
            continue
        little = buf[start] == 1
        kind = _u32(buf, start + 1, little)
        if kind == POLYGON:
            out[k] = _polygon(buf, start, scratch, as_float)[0]
        elif kind == MULTIPOLYGON:
            parts = _u32(buf, start + 5, little)
            pos, total = start + 9, 0.0
            for _ in range(parts):
                a, pos = _polygon(buf, pos, scratch, as_float)
                total += a
            out[k] = total
        else:
            out[k] = np.nan


def wkb_areas(buffer: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Planar area of each WKB geometry in `buffer` (uint8), the k-th spanning offsets[k]:offsets[k+1].

    >>> import shapely
    >>> geoms = [shapely.box(500000, 300000, 500010, 300020),
    ...          shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (4, 2), (4, 4), (2, 4)]]),
    ...          shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 7, 6)]), shapely.Point(1, 1)]
    >>> blobs = [shapely.to_wkb(g) for g in geoms] + [shapely.to_wkb(geoms[0], byte_order=0)]
    >>> offsets = np.cumsum([0] + [len(b) for b in blobs])
    >>> wkb_areas(np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets).tolist()
    [200.0, 96.0, 3.0, nan, 200.0]
    """
    out = np.empty(len(offsets) - 1, dtype=np.float64)
    _areas(np.ascontiguousarray(buffer, dtype=np.uint8), np.ascontiguousarray(offsets, dtype=np.int64), out)
    return out
