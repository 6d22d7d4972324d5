"""Overlap areas of many polygons with one fixed polygonal layer, in numpy.

A GEOS overlay (intersection / difference) costs ~25–50 µs per candidate
whatever its size: on 100,000 candidates that alone breaks the siting
benchmark. The areas the siting rules need ("m² outside the zone", "m²
overlapping an existing facility") do not need the overlay geometry, only its
area, and that can be had much faster:

* the fixed polygon (a zone, the legal dongs, a facility) is cut once, at bind
  time, into triangles (constrained Delaunay triangulation: no new vertices,
  no overlaps, together exactly the polygon);
* each candidate ring is clipped against every triangle whose bounding box it
  touches (Sutherland–Hodgman: a clip against a convex window is exact for any
  subject ring, convex or not, holes included), all pairs at once as flat
  ragged numpy arrays;
* the clipped rings' shoelace areas, computed in coordinates local to the
  triangle so that 6-digit EPSG:5186 coordinates lose no precision, add up to
  the overlap area.

Clipping a closed ring at a half-plane keeps its winding number at every point
of that half-plane, so the signed area of the clipped ring is the area of the
subject inside the window even when the clipped ring runs back along the
window's edge; exterior rings count positive and holes negative. The result
equals the GEOS overlay area to floating-point rounding (~1e-9 m² on sites of
a few hundred metres), which the tests check against shapely.

Inputs are expected to be valid polygons (the API refuses invalid ones before
a check runs); for a self-intersecting ring the result is the area weighted by
winding number, not a GEOS TopologyException.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
# The triangles must add up to the polygon; a mismatch above this (relative) means the
# triangulation did not cover the polygon exactly and the GEOS overlay is used instead.
_TRIANGULATION_RTOL = 1e-9


@dataclass(frozen=True)
class Triangles:
    """A polygonal layer cut into counter-clockwise triangles, with an STRtree over them.

    `owner[k]` is the index of the feature triangle k came from (0 for a single polygon).
    """
    xy: np.ndarray  # (k, 3, 2) vertices, counter-clockwise
    owner: np.ndarray  # (k,) int64
    tree: shapely.STRtree
    bounds: np.ndarray  # (k, 4) xmin, ymin, xmax, ymax of each triangle

    def __len__(self) -> int:
        return len(self.xy)


def triangulate(geoms: BaseGeometry | np.ndarray) -> Triangles | None:
    """Triangles covering the polygonal parts of `geoms` (one geometry or an array of them).

    None when this shapely/GEOS cannot triangulate (shapely < 2.1) or the triangles
    do not add up to the polygons: the caller then falls back to GEOS overlays.
    """
    if not hasattr(shapely, "constrained_delaunay_triangles"):
        return None
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    parts, owner = shapely.get_parts(arr, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), [int(t) for t in _POLYGONAL]) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return _from_xy(np.empty((0, 3, 2)), np.empty(0, dtype=np.int64))
    try:
        tris, part_of = shapely.get_parts(shapely.constrained_delaunay_triangles(parts), return_index=True)
    except shapely.errors.GEOSException:
        return None
    coords = shapely.get_coordinates(tris)
    counts = shapely.get_num_coordinates(tris)
    if len(tris) == 0 or not (counts == 4).all():
        return None
    xy = coords.reshape(-1, 4, 2)[:, :3, :].copy()
    cross = _cross3(xy)
    xy[cross < 0] = xy[cross < 0][:, ::-1, :]  # make every triangle counter-clockwise
    tri_area = 0.5 * np.abs(cross)
    tri_owner = owner[part_of]
    want = np.bincount(owner, weights=shapely.area(parts), minlength=len(arr))
    got = np.bincount(tri_owner, weights=tri_area, minlength=len(arr))
    if not np.allclose(got, want, rtol=_TRIANGULATION_RTOL, atol=1e-6):
        return None
    return _from_xy(xy, tri_owner.astype(np.int64))


def _from_xy(xy: np.ndarray, owner: np.ndarray) -> Triangles:
    bounds = np.stack([xy[:, :, 0].min(1), xy[:, :, 1].min(1), xy[:, :, 0].max(1), xy[:, :, 1].max(1)], axis=1) \
        if len(xy) else np.empty((0, 4))
    boxes = shapely.box(*bounds.T) if len(xy) else np.empty(0, dtype=object)
    return Triangles(xy=xy, owner=owner, tree=shapely.STRtree(boxes), bounds=bounds)


def _cross3(xy: np.ndarray) -> np.ndarray:
    """Twice the signed area of each triangle (positive when counter-clockwise)."""
    ax, ay = xy[:, 0, 0], xy[:, 0, 1]
    return (xy[:, 1, 0] - ax) * (xy[:, 2, 1] - ay) - (xy[:, 2, 0] - ax) * (xy[:, 1, 1] - ay)


def is_polygonal(geoms: np.ndarray) -> np.ndarray:
    """Which geometries this module can measure (polygons and multipolygons)."""
    return np.isin(shapely.get_type_id(geoms), [int(t) for t in _POLYGONAL])


def overlap_areas(geoms: np.ndarray, tris: Triangles, n_owners: int = 1) -> np.ndarray:
    """Area of each (polygonal) geometry inside each owner of `tris`: shape (len(geoms), n_owners)."""
    if len(geoms) == 0:
        return np.zeros((0, n_owners))
    return ring_overlap_areas(rings_of(geoms), tris, n_owners)


@dataclass(frozen=True)
class Rings:
    """The rings of n polygonal geometries as flat arrays (closing vertex dropped).

    Rings are contiguous in `coords` and ordered by geometry, so a geometry's vertices are contiguous too.
    `sign` makes a ring's signed area count positive for an exterior and negative for a hole.
    """
    coords: np.ndarray  # (v, 2)
    vert_ring: np.ndarray  # (v,) ring of each vertex
    ring_geom: np.ndarray  # (r,) geometry of each ring
    sign: np.ndarray  # (r,)
    n: int  # number of geometries

    def take(self, idx: np.ndarray) -> Rings:
        """The rings of geometries `idx` (increasing), renumbered 0..len(idx)-1."""
        if len(idx) == self.n:
            return self
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[idx] = np.arange(len(idx))
        ring_keep = pos[self.ring_geom] >= 0
        vert_keep = ring_keep[self.vert_ring]
        ring_new = np.cumsum(ring_keep) - 1
        return Rings(coords=self.coords[vert_keep], vert_ring=ring_new[self.vert_ring[vert_keep]],
                     ring_geom=pos[self.ring_geom[ring_keep]], sign=self.sign[ring_keep], n=len(idx))

    def bounds(self) -> np.ndarray:
        """(n, 4) xmin, ymin, xmax, ymax of each geometry (NaN for a geometry without vertices)."""
        out = np.full((self.n, 4), np.nan)
        if len(self.coords) == 0:
            return out
        geom = self.ring_geom[self.vert_ring]
        starts = np.flatnonzero(np.r_[True, geom[1:] != geom[:-1]])
        rows = geom[starts]
        out[rows, :2] = np.minimum.reduceat(self.coords, starts, axis=0)
        out[rows, 2:] = np.maximum.reduceat(self.coords, starts, axis=0)
        return out

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every edge a→b of every ring with its geometry index, as zones.siting.distance.ring_edges gives them."""
        nxt = _next_in_ring(self.vert_ring)
        return self.coords, self.coords[nxt], self.ring_geom[self.vert_ring].astype(np.int64)


# Above this many candidate × triangle box tests a dense comparison costs more memory than the STRtree query.
_DENSE_PAIRS = 20_000_000


def box_pairs(cb: np.ndarray, tb: np.ndarray, tree: shapely.STRtree) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) where box cb[i] meets box tb[j] (closed boxes, as STRtree.query; NaN boxes meet nothing).

    A dense comparison for few fixed boxes (no geometry objects to build), the STRtree over `tb` otherwise.
    """
    if len(cb) * len(tb) > _DENSE_PAIRS:
        ok = ~np.isnan(cb[:, 0])
        boxes = np.empty(len(cb), dtype=object)
        boxes[ok] = shapely.box(cb[ok, 0], cb[ok, 1], cb[ok, 2], cb[ok, 3])
        return tree.query(boxes)
    hit = (cb[:, None, 0] <= tb[None, :, 2]) & (cb[:, None, 2] >= tb[None, :, 0]) & \
        (cb[:, None, 1] <= tb[None, :, 3]) & (cb[:, None, 3] >= tb[None, :, 1])
    return np.nonzero(hit)


def ring_overlap_areas(rings: Rings, tris: Triangles, n_owners: int = 1,
                       bounds: np.ndarray | None = None) -> np.ndarray:
    """overlap_areas for geometries already taken apart into rings (see Rings); `bounds`: their boxes if known."""
    out = np.zeros((rings.n, n_owners))
    if rings.n == 0 or len(tris) == 0:
        return out
    coords, vert_ring, ring_cand, ring_sign = rings.coords, rings.vert_ring, rings.ring_geom, rings.sign
    n_rings = len(ring_cand)
    if n_rings == 0:
        return out
    ring_start = np.searchsorted(vert_ring, np.arange(n_rings))
    ring_len = np.bincount(vert_ring, minlength=n_rings)

    # Candidate × triangle pairs whose bounding boxes meet, then one entry per ring of the candidate.
    cand_idx, tri_idx = box_pairs(rings.bounds() if bounds is None else bounds, tris.bounds, tris.tree)
    if len(cand_idx) == 0:
        return out
    if n_rings != rings.n or not (ring_cand == np.arange(n_rings)).all():
        first_ring = np.searchsorted(ring_cand, np.arange(rings.n))
        per_cand = np.bincount(ring_cand, minlength=rings.n)
        reps = per_cand[cand_idx]
        within = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        ring_idx = np.repeat(first_ring[cand_idx], reps) + within
        tri_idx = np.repeat(tri_idx, reps)
    else:
        ring_idx = cand_idx
    # Flat ragged vertex arrays: pair p holds ring_idx[p]'s vertices, in triangle-local coordinates.
    n_vert = ring_len[ring_idx]
    pair = np.repeat(np.arange(len(ring_idx)), n_vert)
    src = np.arange(len(pair)) + np.repeat(ring_start[ring_idx] - (np.cumsum(n_vert) - n_vert), n_vert)
    local = tris.xy[tri_idx]  # (pairs, 3, 2)
    origin = local[:, 0, :].copy()
    local -= origin[:, None, :]
    x = coords[src, 0] - origin[pair, 0]
    y = coords[src, 1] - origin[pair, 1]
    for k in range(3):
        x, y, pair = _clip_half_plane(x, y, pair, local[:, k, :], local[:, (k + 1) % 3, :])
        if len(pair) == 0:
            return out
    area = _ring_signed_area(x, y, pair, len(ring_idx)) * ring_sign[ring_idx]
    cell = ring_cand[ring_idx] * n_owners + tris.owner[tri_idx]
    return np.bincount(cell, weights=area, minlength=rings.n * n_owners).reshape(rings.n, n_owners)


def rings_of(geoms: np.ndarray) -> Rings:
    """The rings of polygonal `geoms` (see Rings)."""
    simple = (shapely.get_type_id(geoms) == int(shapely.GeometryType.POLYGON)).all() and \
        not shapely.get_num_interior_rings(geoms).any()
    if simple:  # the common case: one ring per candidate, no need to take the polygons apart
        coords, vert_ring = shapely.get_coordinates(geoms, return_index=True)
        n_rings = len(geoms)
        ring_cand = np.arange(n_rings)
        is_exterior = np.ones(n_rings, bool)
    else:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
        n_rings = len(rings)
        ring_cand = part_of[ring_part]
        is_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if n_rings else np.empty(0, bool)
    last = np.r_[vert_ring[1:] != vert_ring[:-1], True] if len(vert_ring) else np.empty(0, bool)
    coords, vert_ring = coords[~last], vert_ring[~last]
    sign = np.sign(_ring_signed_area(coords[:, 0], coords[:, 1], vert_ring, n_rings))
    return Rings(coords=coords, vert_ring=vert_ring, ring_geom=ring_cand,
                 sign=np.where(is_exterior, sign, -sign), n=len(geoms))


def _next_in_ring(ring: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """Index of the next vertex of the same ring (the last one wraps to the first); rings are contiguous."""
    n = len(ring)
    nxt = np.arange(1, n + 1)
    if n == 0:
        return nxt
    if starts is None:
        starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    ends = np.r_[starts[1:], n] - 1
    nxt[ends] = starts
    return nxt


def _ring_signed_area(x: np.ndarray, y: np.ndarray, ring: np.ndarray, n_rings: int) -> np.ndarray:
    """Shoelace area of each ring (positive counter-clockwise); rings as contiguous runs of `ring`."""
    if len(ring) == 0:
        return np.zeros(n_rings)
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    nxt = _next_in_ring(ring, starts)
    # Shift each ring to its first vertex so that large coordinates cancel before multiplying.
    base = np.repeat(starts, np.diff(np.r_[starts, len(ring)]))
    x, y = x - x[base], y - y[base]
    terms = x * y[nxt] - x[nxt] * y
    return 0.5 * np.bincount(ring, weights=terms, minlength=n_rings)


def _clip_half_plane(x: np.ndarray, y: np.ndarray, pair: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Sutherland–Hodgman step for all pairs: keep the part of each ring left of its line a→b.

    Each vertex emits itself if inside, then the crossing point of its outgoing edge if that
    edge crosses the line; flattening the (vertex, crossing) rows under that mask keeps ring order.
    """
    ex, ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    c = ex * a[:, 1] - ey * a[:, 0]
    d = ex[pair] * y
    d -= ey[pair] * x
    d -= c[pair]
    nxt = _next_in_ring(pair)
    dn = d[nxt]
    inside = d >= 0
    crosses = inside != (dn >= 0)
    t = d / np.where(crosses, d - dn, 1.0)
    keep = np.empty((len(d), 2), bool)
    keep[:, 0], keep[:, 1] = inside, crosses
    both = np.empty((len(d), 2))
    both[:, 0] = x
    both[:, 1] = x[nxt] - x
    both[:, 1] *= t
    both[:, 1] += x
    ox = both[keep]
    both[:, 0] = y
    both[:, 1] = y[nxt] - y
    both[:, 1] *= t
    both[:, 1] += y
    oy = both[keep]
    return ox, oy, np.repeat(pair, inside.astype(np.int64) + crosses)
