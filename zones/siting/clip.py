"""Overlap areas of many polygons with one fixed polygonal layer, compiled.

A GEOS overlay (intersection / difference) costs ~25–50 µs per candidate
whatever its size: on 100,000 candidates that alone breaks the siting
benchmark. The areas the siting rules need ("m² outside the zone", "m²
overlapping another planned site") do not need the overlay geometry, only its
area, and that can be had much faster:

* the fixed polygon (a zone, the legal dongs, a facility) is cut once, at bind
  time, into triangles (constrained Delaunay triangulation: no new vertices,
  no overlaps, together exactly the polygon), and the triangles are merged
  back into convex pieces while they stay convex (Hertel–Mehlhorn): fewer
  pieces, and fewer inner edges for a candidate to be clipped at;
* each candidate ring is clipped against every piece whose bounding box it
  touches (Sutherland–Hodgman: a clip against a convex window is exact for any
  subject ring, convex or not, holes included), in one compiled loop (numba)
  over flat vertex arrays; a piece whose edges all have the candidate's
  vertices on their inside adds the candidate's area without clipping, one
  with all of them outside an edge nothing; over a single zone, a candidate
  that no boundary segment meets is wholly in or out, which one vertex says;
* the clipped rings' shoelace areas, computed in coordinates local to the
  piece so that metric coordinates of hundreds of km lose no precision, add up to
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
from functools import cached_property

import numpy as np
import shapely
from numba import njit
from shapely.geometry.base import BaseGeometry

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
# The triangles must add up to the polygon; a mismatch above this (relative) means the
# triangulation did not cover the polygon exactly and the GEOS overlay is used instead.
_TRIANGULATION_RTOL = 1e-9


@dataclass(frozen=True)
class Triangles:
    """A polygonal layer cut into counter-clockwise triangles, with an STRtree over them.

    `owner[k]` is the index of the feature triangle k came from (0 for a single polygon). The
    features' own boundaries (every ring, as segments grouped by owner) let the kernel answer a
    candidate that no boundary crosses without clipping it against any triangle.
    """
    xy: np.ndarray  # (k, 3, 2) vertices, counter-clockwise
    owner: np.ndarray  # (k,) int64
    tree: shapely.STRtree
    bounds: np.ndarray  # (k, 4) xmin, ymin, xmax, ymax of each triangle
    edge_a: np.ndarray  # (e, 2) boundary segments a→b of the features, grouped by owner
    edge_b: np.ndarray  # (e, 2)
    edge_off: np.ndarray  # (owners + 1,) owner o's segments are edge_a[edge_off[o]:edge_off[o + 1]]
    # The triangles merged into convex pieces (Hertel–Mehlhorn), what the kernel clips against:
    # piece p is piece_xy[piece_off[p]:piece_off[p + 1]], counter-clockwise.
    piece_xy: np.ndarray  # (v, 2)
    piece_off: np.ndarray  # (pieces + 1,)
    piece_owner: np.ndarray  # (pieces,) int64
    piece_bounds: np.ndarray  # (pieces, 4)
    piece_tree: shapely.STRtree

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
        return _from_xy(np.empty((0, 3, 2)), np.empty(0, dtype=np.int64), *_boundaries(parts, owner, len(arr)))
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
    return _from_xy(xy, tri_owner.astype(np.int64), *_boundaries(parts, owner, len(arr)))


def _boundaries(parts: np.ndarray, owner: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring of the polygonal `parts` as segments a→b grouped by owner, with owner offsets."""
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
    same = vert_ring[1:] == vert_ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg_owner = owner[ring_part[vert_ring[:-1][same]]] if len(a) else np.empty(0, dtype=np.int64)
    order = np.argsort(seg_owner, kind="stable")
    off = np.searchsorted(seg_owner[order], np.arange(n_owners + 1)).astype(np.int64)
    return np.ascontiguousarray(a[order]), np.ascontiguousarray(b[order]), off


def _from_xy(xy: np.ndarray, owner: np.ndarray, edge_a: np.ndarray, edge_b: np.ndarray,
             edge_off: np.ndarray) -> Triangles:
    bounds = np.stack([xy[:, :, 0].min(1), xy[:, :, 1].min(1), xy[:, :, 0].max(1), xy[:, :, 1].max(1)], axis=1) \
        if len(xy) else np.empty((0, 4))
    pieces, piece_owner = convex_pieces(xy, owner)
    piece_off = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=piece_off[1:])
    piece_xy = np.array([v for p in pieces for v in p], dtype=np.float64).reshape(-1, 2)
    piece_bounds = np.array([(min(x for x, _ in p), min(y for _, y in p), max(x for x, _ in p), max(y for _, y in p))
                             for p in pieces], dtype=np.float64).reshape(-1, 4)
    return Triangles(xy=xy, owner=owner, tree=_box_tree(bounds), bounds=bounds,
                     edge_a=edge_a.reshape(-1, 2), edge_b=edge_b.reshape(-1, 2), edge_off=edge_off,
                     piece_xy=piece_xy, piece_off=piece_off, piece_owner=np.asarray(piece_owner, dtype=np.int64),
                     piece_bounds=piece_bounds, piece_tree=_box_tree(piece_bounds))


def _box_tree(bounds: np.ndarray) -> shapely.STRtree:
    return shapely.STRtree(shapely.box(*bounds.T) if len(bounds) else np.empty(0, dtype=object))


Point = tuple[float, float]


def convex_pieces(xy: np.ndarray, owner: np.ndarray) -> tuple[list[list[Point]], list[int]]:
    """Counter-clockwise triangles merged, feature by feature, into convex polygons.

    Hertel–Mehlhorn: remove a diagonal shared by two pieces of the same feature whenever the
    union stays convex (only the diagonal's two ends can turn the wrong way). The result has a
    few times fewer pieces than triangles and far fewer inner edges for a candidate to be clipped
    at; each piece is still convex, which is all the clipping needs.

    >>> tris = np.array([[(0, 0), (2, 0), (2, 2)], [(0, 0), (2, 2), (0, 2)]], dtype=float)
    >>> convex_pieces(tris, np.array([0, 0]))
    ([[(2.0, 2.0), (0.0, 2.0), (0.0, 0.0), (2.0, 0.0)]], [0])
    >>> len(convex_pieces(tris, np.array([0, 1]))[0])  # two features: never merged
    2
    """
    pieces: dict[int, list[Point]] = {i: [(float(x), float(y)) for x, y in tri] for i, tri in enumerate(xy)}
    parent = list(range(len(xy)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    side: dict[tuple[Point, Point], int] = {}
    for i, tri in pieces.items():
        for k in range(3):
            side[(tri[k], tri[(k + 1) % 3])] = i
    for (u, v), i in list(side.items()):
        j = side.get((v, u))
        if j is None or u > v or owner[i] != owner[j]:
            continue
        a, b = find(i), find(j)
        if a == b:
            continue
        merged = _merged(pieces[a], pieces[b], u, v)
        if merged is not None:
            pieces[a] = merged
            del pieces[b]
            parent[b] = a
    keys = sorted(pieces)
    return [pieces[k] for k in keys], [int(owner[k]) for k in keys]


def _merged(a: list[Point], b: list[Point], u: Point, v: Point) -> list[Point] | None:
    """Piece `a` (with edge u→v) and piece `b` (with v→u) as one polygon, if it is convex."""
    ia, ib = a.index(v), b.index(u)
    if a[ia - 1] != u or b[ib - 1] != v:
        return None  # the shared edge is not where expected (a vertex repeated): keep both
    ring = a[ia:] + a[:ia] + (b[ib:] + b[:ib])[1:-1]  # v … u (around a), then b after u, before v
    n = len(ring)
    for k in (ring.index(u), 0):  # only the diagonal's two ends can turn the wrong way
        (x0, y0), (x1, y1), (x2, y2) = ring[k - 1], ring[k], ring[(k + 1) % n]
        if (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1) < 0:
            return None
    return ring


def _cross3(xy: np.ndarray) -> np.ndarray:
    """Twice the signed area of each triangle (positive when counter-clockwise)."""
    ax, ay = xy[:, 0, 0], xy[:, 0, 1]
    return (xy[:, 1, 0] - ax) * (xy[:, 2, 1] - ay) - (xy[:, 2, 0] - ax) * (xy[:, 1, 1] - ay)


def is_polygonal(geoms: np.ndarray, types: np.ndarray | None = None) -> np.ndarray:
    """Which geometries this module can measure (polygons and multipolygons); `types`: their
    shapely.get_type_id, if the caller has them."""
    return np.isin(shapely.get_type_id(geoms) if types is None else types, [int(t) for t in _POLYGONAL])


def overlap_areas(geoms: np.ndarray, tris: Triangles, n_owners: int = 1) -> np.ndarray:
    """Area of each polygonal geometry inside each owner of `tris`, without a GEOS overlay.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Candidates in metres (`zones.crs.METRIC`). Polygons and multipolygons are measured, holes
        subtracting; anything else (None, empty, a line, a point) covers no area and gets 0.
    tris : Triangles
        The fixed polygonal layer, from `triangulate` (owner k = feature k of what was cut).
    n_owners : int
        Number of features `tris` was cut from: the number of columns.

    Returns
    -------
    ndarray of float, shape (len(geoms), n_owners)
        m² of geometry i inside owner j; equals ``shapely.area(shapely.intersection(...))``
        to floating-point rounding.

    Examples
    --------
    >>> zone = shapely.box(0, 0, 100, 100)
    >>> sites = np.array([
    ...     shapely.box(50, 50, 150, 150),                              # a quarter inside
    ...     zone.difference(shapely.box(20, 20, 40, 40)),               # the zone with a hole
    ...     shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(200, 0, 210, 10)]),
    ...     shapely.Polygon(),                                          # empty
    ...     None,
    ... ], dtype=object)
    >>> overlap_areas(sites, triangulate(zone)).ravel().tolist()
    [2500.0, 9600.0, 100.0, 0.0, 0.0]

    Two owners, one column each:

    >>> two = triangulate(np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], dtype=object))
    >>> overlap_areas(np.array([shapely.box(5, 0, 15, 10)], dtype=object), two, 2).tolist()
    [[50.0, 50.0]]
    >>> overlap_areas(np.empty(0, dtype=object), two, 2).shape
    (0, 2)
    """
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
        """The rings of geometries `idx` (increasing), renumbered 0..len(idx)-1.

        A geometry's rings, and a ring's vertices, are contiguous: the kept ones are gathered by
        their offsets, in time proportional to what is kept, not to all the rings held.

        >>> r = rings_of(np.array([shapely.box(0, 0, 1, 1), None, shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))]))
        >>> t = r.take(np.array([0, 2]))
        >>> t.n, t.ring_geom.tolist(), t.vert_ring.tolist(), t.sign.tolist() == r.sign.tolist()
        (2, [0, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], True)
        >>> r.take(np.array([1])).coords.shape
        (0, 2)
        """
        if len(idx) == self.n:
            return self
        idx = np.asarray(idx, dtype=np.int64)
        first_ring = self.geom_ring_off[idx]
        n_rings = self.geom_ring_off[idx + 1] - first_ring
        rings = _ranges(first_ring, n_rings)
        first_vert = self.ring_off[rings]
        n_verts = self.ring_off[rings + 1] - first_vert
        return Rings(coords=self.coords[_ranges(first_vert, n_verts)],
                     vert_ring=np.repeat(np.arange(len(rings), dtype=np.int64), n_verts),
                     ring_geom=np.repeat(np.arange(len(idx), dtype=np.int64), n_rings),
                     sign=self.sign[rings], n=len(idx))

    @staticmethod
    def concat(parts: list[Rings]) -> Rings:
        """The rings of several batches of geometries as one, geometries numbered on in order
        (a layer decoded batch by batch never holds all its geometries at once).

        >>> a, b = rings_of(np.array([shapely.box(0, 0, 1, 1)])), rings_of(np.array([None, shapely.box(0, 0, 2, 1)]))
        >>> both = Rings.concat([a, b])
        >>> both.n, both.ring_geom.tolist(), both.vert_ring.tolist()
        (3, [0, 2], [0, 0, 0, 0, 1, 1, 1, 1])
        """
        geom_base = np.cumsum([0] + [p.n for p in parts])
        ring_base = np.cumsum([0] + [len(p.ring_geom) for p in parts])
        return Rings(coords=np.concatenate([p.coords.reshape(-1, 2) for p in parts] or [np.empty((0, 2))]),
                     vert_ring=np.concatenate([p.vert_ring + r for p, r in zip(parts, ring_base)]
                                              or [np.empty(0, np.int64)]).astype(np.int64, copy=False),
                     ring_geom=np.concatenate([p.ring_geom + g for p, g in zip(parts, geom_base)]
                                              or [np.empty(0, np.int64)]).astype(np.int64, copy=False),
                     sign=np.concatenate([p.sign for p in parts] or [np.empty(0)]), n=int(geom_base[-1]))

    def geometries(self) -> np.ndarray:
        """The geometries back, for GEOS where a clip cannot serve: (multi)polygons with their
        holes (a polygon comes back as a one-part multipolygon, same area), None where there was
        no ring.

        >>> holed = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4))
        >>> back = rings_of(np.array([holed, None, shapely.box(0, 0, 1, 1)], dtype=object)).geometries()
        >>> [None if g is None else g.area for g in back], back[0].equals(holed)
        ([96.0, None, 1.0], True)
        """
        out = np.full(self.n, None, dtype=object)
        if not len(self.ring_geom):
            return out
        closed = shapely.linearrings(self.coords, indices=self.vert_ring)
        ccw = np.where(shapely.is_ccw(closed), 1.0, -1.0)
        exterior = self.sign * ccw >= 0  # sign: exterior rings count positive, holes negative
        exterior[np.r_[True, self.ring_geom[1:] != self.ring_geom[:-1]]] = True  # a geometry starts with one
        polygons = shapely.polygons(closed, indices=np.cumsum(exterior) - 1)
        owner = self.ring_geom[exterior]
        has = np.unique(owner)
        out[has] = shapely.multipolygons(polygons, indices=np.searchsorted(has, owner))
        return out

    @cached_property
    def ring_off(self) -> np.ndarray:
        """(r + 1,) offsets: ring k's vertices are coords[ring_off[k]:ring_off[k + 1]]."""
        return np.searchsorted(self.vert_ring, np.arange(len(self.ring_geom) + 1)).astype(np.int64)

    @cached_property
    def geom_ring_off(self) -> np.ndarray:
        """(n + 1,) offsets: geometry i's rings are ring_off[geom_ring_off[i]:geom_ring_off[i + 1]]."""
        return np.searchsorted(self.ring_geom, np.arange(self.n + 1)).astype(np.int64)

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
        edge_of = np.repeat(self.ring_geom, np.diff(self.ring_off)).astype(np.int64, copy=False)
        return self.coords, _ring_next(self.coords, self.ring_off), edge_of


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices start, start+1, … of each range, one range after the other.

    >>> _ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist()
    [5, 6, 9, 10, 11]
    """
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)


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
    n_pieces = len(tris.piece_owner)
    if rings.n == 0 or n_pieces == 0 or len(rings.ring_geom) == 0:
        return out
    cb = np.ascontiguousarray(rings.bounds() if bounds is None else bounds, dtype=np.float64)
    n = len(cb)
    if n * n_pieces <= _DENSE_PAIRS:  # few pieces: the kernel tests every box itself
        scan, pair_off, pair_piece = True, np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:  # many: the STRtree's box pairs, grouped by candidate (CSR)
        cand, piece = box_pairs(cb, tris.piece_bounds, tris.piece_tree)
        order = np.argsort(cand, kind="stable")
        pair_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(cand, minlength=n), out=pair_off[1:])
        scan, pair_piece = False, piece[order].astype(np.int64)
    # One owner with a short boundary (a zone): the kernel first looks for a candidate no boundary
    # crosses (wholly inside or outside) and clips only the others. With several owners, as the
    # other sites of no_overlap, most candidates meet none of them and the pieces' boxes already
    # say so: there the boundary scan costs more than it saves.
    settle = scan and n_owners == 1 and len(tris.edge_a) <= _SETTLE_SEGMENTS and len(tris.edge_off) == 2
    _overlap_kernel(rings.coords, rings.ring_off, rings.sign.astype(np.float64), rings.geom_ring_off, cb,
                    tris.piece_xy, tris.piece_off, tris.piece_bounds, tris.piece_owner, scan, pair_off, pair_piece,
                    settle, tris.edge_a, tris.edge_b, out)
    return out


# Up to this many vertices, a candidate's own vertices are tested against each piece's edges
# (exact, and tighter than its box, which a rotated rectangle fills only half); above, its box.
_TEST_VERTICES = 16

# Above this many boundary segments, testing each candidate's box against all of them costs more
# than clipping against the pieces its box meets.
_SETTLE_SEGMENTS = 1024


@njit(cache=True, nogil=True)
def _overlap_kernel(coords, ring_off, ring_sign, geom_ring_off, cb, piece_xy, piece_off, piece_bounds, piece_owner,
                    scan, pair_off, pair_piece, settle, edge_a, edge_b, out):  # pragma: no cover - compiled
    """Clip every ring of every candidate against each convex piece its box meets and add up the areas.

    `scan`: test every piece's box; otherwise only pair_piece[pair_off[i]:pair_off[i + 1]].
    `settle` (one owner only): a candidate whose box meets several pieces is first tested against
    the owner's boundary (segments edge_a→edge_b): if no segment meets it, it lies wholly inside
    or wholly outside, and one vertex says which: its whole area or nothing, no clipping.
    """
    n_pieces = piece_off.shape[0] - 1
    most = n_pieces
    if not scan:
        for i in range(pair_off.shape[0] - 1):
            most = max(most, pair_off[i + 1] - pair_off[i])
    meet = np.empty(most, dtype=np.int64)
    longest = 0
    for r in range(ring_off.shape[0] - 1):
        longest = max(longest, ring_off[r + 1] - ring_off[r])
    cap = 4 * longest + 16  # grown below when a clip could need more
    ax, ay = np.empty(cap), np.empty(cap)
    bx, by = np.empty(cap), np.empty(cap)
    dd = np.empty(cap)
    max_k = 3
    for t in range(piece_off.shape[0] - 1):
        max_k = max(max_k, piece_off[t + 1] - piece_off[t])
    ex = np.empty(max_k)
    ey = np.empty(max_k)
    px = np.empty(max_k)
    py = np.empty(max_k)
    test_x = np.empty(_TEST_VERTICES)  # what is tested against each piece's edges: the
    test_y = np.empty(_TEST_VERTICES)  # candidate's vertices when few, else its box's corners
    cuts = np.empty(max_k, dtype=np.bool_)
    for i in range(cb.shape[0]):
        r0, r1 = geom_ring_off[i], geom_ring_off[i + 1]
        whole = 0.0  # the candidate's own area, for pieces that hold all of it
        whole_known = False
        x0, y0, x1, y1 = cb[i, 0], cb[i, 1], cb[i, 2], cb[i, 3]
        n_test = ring_off[r1] - ring_off[r0] if r1 > r0 else 0
        if 0 < n_test <= _TEST_VERTICES:  # the ring itself: tighter than its box, as exact
            for j in range(n_test):
                test_x[j], test_y[j] = coords[ring_off[r0] + j, 0], coords[ring_off[r0] + j, 1]
        else:
            n_test = 4
            test_x[0], test_x[1], test_x[2], test_x[3] = x0, x1, x1, x0
            test_y[0], test_y[1], test_y[2], test_y[3] = y0, y0, y1, y1
        # The pieces whose boxes meet the candidate's.
        n_meet = 0
        if scan:
            for t in range(n_pieces):
                if x0 <= piece_bounds[t, 2] and x1 >= piece_bounds[t, 0] and \
                        y0 <= piece_bounds[t, 3] and y1 >= piece_bounds[t, 1]:
                    meet[n_meet] = t
                    n_meet += 1
        else:
            for q in range(pair_off[i], pair_off[i + 1]):
                meet[n_meet] = pair_piece[q]
                n_meet += 1
        if n_meet == 0:
            continue
        if settle and n_meet > 1:
            # Several pieces: if no boundary segment meets the candidate, it lies wholly inside or
            # wholly outside the (one) owner, and one vertex says which; no clipping at the
            # pieces' inner edges.
            first = -1
            for r in range(r0, r1):
                if ring_off[r + 1] > ring_off[r]:
                    first = ring_off[r]
                    break
            if first < 0:
                continue  # no vertices: no area
            vx, vy = coords[first, 0], coords[first, 1]
            meets = False
            odd = False
            for k in range(edge_a.shape[0]):
                ax_, ay_, bx_, by_ = edge_a[k, 0], edge_a[k, 1], edge_b[k, 0], edge_b[k, 1]
                if min(ax_, bx_) <= x1 and max(ax_, bx_) >= x0 and min(ay_, by_) <= y1 and max(ay_, by_) >= y0:
                    # The boxes meet; the segment still misses the candidate when all its
                    # vertices (or box corners) lie strictly on one side of the segment's line.
                    n_left, n_right = 0, 0
                    for c in range(n_test):
                        side = (bx_ - ax_) * (test_y[c] - ay_) - (by_ - ay_) * (test_x[c] - ax_)
                        n_left += side > 0
                        n_right += side < 0
                    if n_left < n_test and n_right < n_test:
                        meets = True
                        break
                if (ay_ > vy) != (by_ > vy) and vx < ax_ + (vy - ay_) * (bx_ - ax_) / (by_ - ay_):
                    odd = not odd  # even–odd ray casting of the vertex, holes count out
            if not meets:
                if odd:
                    for r in range(r0, r1):
                        out[i, 0] += ring_sign[r] * _shoelace(coords[ring_off[r]:ring_off[r + 1], 0],
                                                              coords[ring_off[r]:ring_off[r + 1], 1])
                continue
        for q in range(n_meet):
            t = meet[q]
            v0, nk = piece_off[t], piece_off[t + 1] - piece_off[t]
            ox, oy = piece_xy[v0, 0], piece_xy[v0, 1]
            for k in range(nk):
                px[k] = piece_xy[v0 + k, 0] - ox
                py[k] = piece_xy[v0 + k, 1] - oy
            for k in range(nk):
                kn = k + 1 if k + 1 < nk else 0
                ex[k] = px[kn] - px[k]
                ey[k] = py[kn] - py[k]
            # A candidate whose vertices (or box) lie wholly outside one edge meets nothing of the
            # piece (it lies in their convex hull); an edge with all of them on its inside
            # cannot cut it.
            disjoint = False
            n_cuts = 0
            for k in range(nk):
                n_in = 0
                qx, qy = piece_xy[v0 + k, 0], piece_xy[v0 + k, 1]
                for c in range(n_test):
                    if ex[k] * (test_y[c] - qy) - ey[k] * (test_x[c] - qx) >= 0:
                        n_in += 1
                if n_in == 0:
                    disjoint = True
                    break
                cuts[k] = n_in < n_test
                n_cuts += cuts[k]
            if disjoint:
                continue
            owner = piece_owner[t]
            if n_cuts == 0:
                if not whole_known:
                    whole = 0.0
                    for r in range(r0, r1):
                        whole += ring_sign[r] * _shoelace(coords[ring_off[r]:ring_off[r + 1], 0],
                                                          coords[ring_off[r]:ring_off[r + 1], 1])
                    whole_known = True
                out[i, owner] += whole
                continue
            for r in range(r0, r1):
                m = ring_off[r + 1] - ring_off[r]
                for j in range(m):
                    ax[j] = coords[ring_off[r] + j, 0] - ox
                    ay[j] = coords[ring_off[r] + j, 1] - oy
                for k in range(nk):
                    if not cuts[k] or m == 0:
                        continue
                    if 2 * m + 2 > cap:  # a clip adds at most one vertex per vertex: make room
                        cap = 4 * m + 16
                        ax2, ay2 = np.empty(cap), np.empty(cap)
                        ax2[:m], ay2[:m] = ax[:m], ay[:m]
                        ax, ay = ax2, ay2
                        bx, by, dd = np.empty(cap), np.empty(cap), np.empty(cap)
                    # Sutherland–Hodgman: each vertex emits itself if inside, then the crossing
                    # point of its outgoing edge if that edge crosses the line.
                    for j in range(m):
                        dd[j] = ex[k] * (ay[j] - py[k]) - ey[k] * (ax[j] - px[k])
                    q2 = 0
                    for j in range(m):
                        jn = j + 1 if j + 1 < m else 0
                        d0, d1 = dd[j], dd[jn]
                        if d0 >= 0:
                            bx[q2], by[q2] = ax[j], ay[j]
                            q2 += 1
                        if (d0 >= 0) != (d1 >= 0):
                            s = d0 / (d0 - d1)
                            bx[q2] = ax[j] + s * (ax[jn] - ax[j])
                            by[q2] = ay[j] + s * (ay[jn] - ay[j])
                            q2 += 1
                    m = q2
                    ax, bx = bx, ax  # the clipped ring is the next clip's input
                    ay, by = by, ay
                if m >= 3:
                    out[i, owner] += ring_sign[r] * _shoelace(ax[:m], ay[:m])
    return out


@njit(cache=True, nogil=True, inline="always")
def _shoelace(x, y):  # pragma: no cover - compiled
    """Signed area of one ring (closing vertex dropped), shifted to its first vertex so nothing cancels."""
    m = x.shape[0]
    if m < 3:
        return 0.0
    x0, y0 = x[0], y[0]
    acc = 0.0
    for j in range(m):
        jn = j + 1 if j + 1 < m else 0
        acc += (x[j] - x0) * (y[jn] - y0) - (x[jn] - x0) * (y[j] - y0)
    return 0.5 * acc


def rings_of(geoms: np.ndarray, types: np.ndarray | None = None, holes: np.ndarray | None = None) -> Rings:
    """The rings of polygonal `geoms` (see Rings); `types`, `holes`: their shapely.get_type_id and
    shapely.get_num_interior_rings, if the caller has them."""
    types = shapely.get_type_id(geoms) if types is None else types
    simple = (types == int(shapely.GeometryType.POLYGON)).all() and \
        not (shapely.get_num_interior_rings(geoms) if holes is None else holes).any()
    if simple:  # the common case: one ring per candidate, no need to take the polygons apart
        coords, vert_ring = shapely.get_coordinates(geoms, return_index=True)
        n_rings = len(geoms)
        ring_cand = np.arange(n_rings)
        is_exterior = np.ones(n_rings, bool)
    elif (types >= 0).any() and np.isin(types, [-1, *(int(t) for t in _POLYGONAL)]).all():
        # Polygons and multipolygons (an imported layer's are often all multipolygons): their
        # rings as offsets, read in one pass without making a geometry object per part and ring.
        _, coords, offsets = shapely.to_ragged_array(geoms)
        ring_off, poly_off, geom_off = offsets if len(offsets) == 3 else (offsets[0], None, offsets[1])
        n_rings = len(ring_off) - 1
        vert_ring = np.repeat(np.arange(n_rings), np.diff(ring_off))
        if poly_off is None:  # all polygons: polygon k is geometry k
            poly_off = geom_off
            geom_off = np.arange(len(geoms) + 1)
        ring_poly = np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off))
        ring_cand = np.repeat(np.arange(len(geoms)), np.diff(geom_off))[ring_poly]
        is_exterior = np.zeros(n_rings, bool)
        is_exterior[poly_off[:-1][np.diff(poly_off) > 0]] = True
    else:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
        n_rings = len(rings)
        ring_cand = part_of[ring_part]
        is_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if n_rings else np.empty(0, bool)
    coords, vert_ring, area = open_rings(coords, vert_ring.astype(np.int64), n_rings)
    sign = np.sign(area)
    return Rings(coords=coords, vert_ring=vert_ring, ring_geom=ring_cand,
                 sign=np.where(is_exterior, sign, -sign), n=len(geoms))


@njit(cache=True, nogil=True)
def open_rings(coords, vert_ring, n_rings):  # pragma: no cover - compiled
    """Drop each closed ring's closing vertex; also the ring's signed shoelace area (CCW positive)."""
    n = coords.shape[0]
    out_xy = np.empty((n, 2))
    out_ring = np.empty(n, dtype=np.int64)
    area = np.zeros(n_rings)
    kept = 0
    start = 0
    while start < n:
        r = vert_ring[start]
        end = start
        while end < n and vert_ring[end] == r:
            end += 1
        x0, y0 = coords[start, 0], coords[start, 1]  # shifted to the first vertex: nothing cancels
        acc = 0.0
        for j in range(start, end - 1):  # the last vertex repeats the first: it only closes the sum
            out_xy[kept, 0], out_xy[kept, 1] = coords[j, 0], coords[j, 1]
            out_ring[kept] = r
            kept += 1
            acc += (coords[j, 0] - x0) * (coords[j + 1, 1] - y0) - (coords[j + 1, 0] - x0) * (coords[j, 1] - y0)
        area[r] = 0.5 * acc
        start = end
    return out_xy[:kept], out_ring[:kept], area


@njit(cache=True, nogil=True)
def _ring_next(coords, ring_off):  # pragma: no cover - compiled
    """The vertex after each vertex of its ring (the last one wraps to the first)."""
    out = np.empty_like(coords)
    for r in range(ring_off.shape[0] - 1):
        r0, r1 = ring_off[r], ring_off[r + 1]
        for j in range(r0, r1):
            jn = j + 1 if j + 1 < r1 else r0
            out[j, 0], out[j, 1] = coords[jn, 0], coords[jn, 1]
    return out
