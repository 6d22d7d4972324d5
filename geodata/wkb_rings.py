"""The rings and areas of polygon and multipolygon WKB, read straight from the bytes (compiled).

Reading a million parcels through shapely makes a geometry object per parcel (`from_wkb`), then
one per part and per ring to take them apart (`get_parts`, `get_rings`): most of a cold read, for
arrays (`zones.siting.clip.Rings`) that the bytes already hold in order. This reads 2D polygons
and multipolygons (ISO WKB types 3 and 6, either byte order) in one compiled pass; anything else
(points, lines, Z or M, curves) makes it answer None, and the caller takes the shapely way.

Summing areas by 시군구 and land use over the parcel dataset needs nothing but each polygon's area:
`wkb_areas` walks a whole Arrow column's bytes (one buffer and its offsets) without allocating,
ring by ring, with coordinates taken relative to the ring's first vertex as GEOS does, so large
projected coordinates (hundreds of km in `zones.crs.METRIC`) lose no precision. Any other
geometry there gets NaN, for the caller to measure another way.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from zones.siting.clip import Rings, open_rings

_POLYGON, _MULTIPOLYGON = 3, 6


def rings_from_gpkg(blobs: list[bytes | None]) -> tuple[Rings, np.ndarray] | None:
    """`rings_from_wkb` of GeoPackage geometry blobs (the WKB behind a "GP" header and its envelope,
    as stored): None also when a blob is not one.

    >>> import shapely
    >>> wkb = shapely.to_wkb(shapely.box(0, 0, 2, 1))
    >>> header = b"GP" + bytes([0, 0b011]) + (5186).to_bytes(4, "little") + np.array([0, 2, 0, 1.0]).tobytes()
    >>> r, area = rings_from_gpkg([header + wkb, None])
    >>> area.tolist(), r.n, rings_from_gpkg([wkb]) is None
    ([2.0, 0.0], 2, True)
    """
    return _rings(blobs, True)


def gpkg_to_wkb(blob: bytes | None) -> bytes | None:
    """The WKB inside a GeoPackage geometry blob (None for none; one zero byte, which no WKB reader
    accepts, for a blob that is not a GeoPackage geometry: as `geodata.revisions.wkb_sql` gives it)."""
    if blob is None:
        return None
    if blob[:2] != b"GP" or len(blob) < 8 or (blob[3] >> 1) & 7 > 4:
        return b"\0"
    return blob[8 + _ENVELOPE[(blob[3] >> 1) & 7]:]


_ENVELOPE = (0, 32, 48, 48, 64)  # bytes of the header's envelope by its code (flags bits 1-3)


def rings_from_wkb(blobs: list[bytes | None]) -> tuple[Rings, np.ndarray] | None:
    """(rings, planar area of each geometry) of the geometries `blobs` (WKB; None or empty for a
    missing one), or None when one is not a 2D polygon or multipolygon. The area is a polygon's
    shell less its holes, as GEOS has it.

    >>> import shapely
    >>> holed = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))
    >>> geoms = [shapely.box(0, 0, 1, 1), None, shapely.MultiPolygon([holed, shapely.box(5, 5, 6, 6)])]
    >>> r, area = rings_from_wkb([None if g is None else shapely.to_wkb(g, byte_order=k % 2) for k, g in enumerate(geoms)])
    >>> area.tolist(), float(shapely.area(geoms[2]))
    ([1.0, 0.0, 16.0], 16.0)
    >>> from zones.siting.clip import rings_of
    >>> s = rings_of(np.array(geoms, dtype=object))
    >>> (r.coords == s.coords).all(), (r.sign == s.sign).all(), r.ring_geom.tolist() == s.ring_geom.tolist(), r.n
    (np.True_, np.True_, True, 3)
    >>> rings_from_wkb([shapely.to_wkb(shapely.Point(0, 0))]) is None
    True
    """
    return _rings(blobs, False)


def _rings(blobs: list[bytes | None], gpkg: bool) -> tuple[Rings, np.ndarray] | None:
    sizes = np.fromiter((0 if b is None else len(b) for b in blobs), dtype=np.int64, count=len(blobs))
    off = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    buf = np.frombuffer(b"".join(b for b in blobs if b), dtype=np.uint8)
    coords, vert_ring, ring_geom, exterior, ok = _parse(buf, off, gpkg)
    if not ok:
        return None
    coords, vert_ring, area = open_rings(coords, vert_ring, len(ring_geom))
    sign = np.sign(area)
    geom_area = np.bincount(ring_geom, weights=np.where(exterior, 1.0, -1.0) * np.abs(area), minlength=len(blobs))
    return Rings(coords=coords, vert_ring=vert_ring, ring_geom=ring_geom, sign=np.where(exterior, sign, -sign),
                 n=len(blobs)), geom_area


@njit(cache=True, nogil=True)
def _u32(buf, p, little):  # pragma: no cover - compiled
    if little:
        return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16) | (np.int64(buf[p + 3]) << 24)
    return np.int64(buf[p + 3]) | (np.int64(buf[p + 2]) << 8) | (np.int64(buf[p + 1]) << 16) | (np.int64(buf[p]) << 24)


@njit(cache=True, nogil=True)
def _parse(buf, off, gpkg):  # pragma: no cover - compiled
    """(closed-ring coordinates, ring of each vertex, geometry of each ring, exterior flag of each
    ring, ok); ok is False at the first geometry that is not a 2D (multi)polygon or runs short.
    `gpkg`: each blob starts with a GeoPackage header, skipped (an empty-geometry flag: no rings)."""
    n = off.shape[0] - 1
    coords = np.empty((buf.shape[0] // 16 + 1, 2))
    vert_ring = np.empty(buf.shape[0] // 16 + 1, dtype=np.int64)
    ring_geom = np.empty(buf.shape[0] // 4 + 1, dtype=np.int64)
    exterior = np.empty(buf.shape[0] // 4 + 1, dtype=np.bool_)
    nv = 0
    nr = 0
    for i in range(n):
        p, end = off[i], off[i + 1]
        if end - p == 0:
            continue
        if gpkg:
            if end - p < 8 or buf[p] != 0x47 or buf[p + 1] != 0x50:
                return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
            code = (buf[p + 3] >> 1) & 7
            if code > 4:
                return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
            if (buf[p + 3] >> 4) & 1:  # the empty-geometry flag
                continue
            p += 8 + (0 if code == 0 else 32 if code == 1 else 48 if code <= 3 else 64)
        if end - p < 9 or buf[p] > 1:
            return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
        little = buf[p] == 1
        kind = _u32(buf, p + 1, little)
        if kind == _POLYGON:
            parts, p, nested = 1, p, False
        elif kind == _MULTIPOLYGON:
            parts, p, nested = _u32(buf, p + 5, little), p + 9, True
        else:
            return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
        for _ in range(parts):
            if nested:
                if p + 9 > end or buf[p] > 1:
                    return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
                little = buf[p] == 1
                if _u32(buf, p + 1, little) != _POLYGON:
                    return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
            n_rings = _u32(buf, p + 5, little)
            p += 9
            for k in range(n_rings):
                if p + 4 > end:
                    return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
                m = _u32(buf, p, little)
                p += 4
                if p + 16 * m > end:
                    return coords[:0], vert_ring[:0], ring_geom[:0], exterior[:0], False
                block = buf[p:p + 16 * m].copy() if not little else buf[p:p + 16 * m]
                if not little:  # big-endian doubles: reverse each one's 8 bytes
                    block = block.reshape((2 * m, 8))[:, ::-1].copy().reshape(16 * m)
                xy = block.view(np.float64).reshape((m, 2))
                coords[nv:nv + m] = xy
                vert_ring[nv:nv + m] = nr
                ring_geom[nr] = i
                exterior[nr] = k == 0
                nv += m
                nr += 1
                p += 16 * m
    return coords[:nv], vert_ring[:nv], ring_geom[:nr], exterior[:nr], True


@njit(cache=True, nogil=True)
def _f64(buf: np.ndarray, at: int, little: bool, scratch: np.ndarray, as_float: np.ndarray) -> float:
    """The double at `at` (WKB doubles need not be 8-byte aligned): its bytes copied into `scratch`,
    read back through `as_float`, a float64 view of the same 8 bytes."""
    for b in range(8):
        scratch[b] = buf[at + b] if little else buf[at + 7 - b]
    return as_float[0]


@njit(cache=True, nogil=True)
def _polygon(buf: np.ndarray, at: int, scratch: np.ndarray, as_float: np.ndarray) -> tuple[float, int]:
    """(area, offset after it) of the Polygon whose WKB starts at `at`; NaN area if it is not one."""
    little = buf[at] == 1
    kind = _u32(buf, at + 1, little)
    if kind != _POLYGON:
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


@njit(cache=True, nogil=True)
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
        if kind == _POLYGON:
            out[k] = _polygon(buf, start, scratch, as_float)[0]
        elif kind == _MULTIPOLYGON:
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
