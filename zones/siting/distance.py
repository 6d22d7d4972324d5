"""Shortest distances from many polygons to a fixed set of line segments, compiled.

Setback and clearance rules need, for every candidate, the distance to a zone
boundary or to another facility. A GEOS distance call (or an STRtree nearest
query, which makes one per candidate) costs a few µs each; on 100,000
candidates the same answer comes much faster from flat arrays and a compiled
loop (numba):

* the fixed geometry (a zone boundary, the target facilities) is taken apart
  once, at bind time, into straight segments, each tagged with its owner;
* the distance between two segments is 0 when they cross and otherwise the
  smallest of the four endpoint-to-segment distances; the smallest over all
  pairs is the distance between the boundaries. There are a handful of fixed
  segments (above MAX_SEGMENTS callers keep the GEOS query), and coordinates
  are local to the fixed geometry so metric coordinates of hundreds of km lose nothing;
* geometries whose boundaries are apart intersect only when one lies inside
  the other, which a vertex of each settles (`contained_pairs`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numba import njit

# Above this many fixed segments the all-pairs loop costs more than GEOS's STRtree: callers use GEOS.
MAX_SEGMENTS = 256


@dataclass(frozen=True)
class Segments:
    """Straight segments a→b of a fixed geometry set; `owner[k]` is the feature segment k belongs to."""
    a: np.ndarray  # (m, 2)
    b: np.ndarray  # (m, 2)
    owner: np.ndarray  # (m,) int64, ascending
    areal: np.ndarray  # (owners,) bool: the owner is polygonal, its segments close around an area

    def __len__(self) -> int:
        return len(self.a)


def segments_of(geoms) -> Segments | None:
    """The edges of each geometry of `geoms` (one geometry or an array of them): polygon rings, lines.

    None when a geometry has a point part, whose distance no edge would carry, or mixes areas and
    lines in a collection: callers then use GEOS.
    """
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    parts = shapely.get_parts(arr)
    types = shapely.get_type_id(arr)
    if np.isin(shapely.get_type_id(parts), [int(shapely.GeometryType.POINT)]).any() or shapely.is_empty(arr).any() \
            or (types == int(shapely.GeometryType.GEOMETRYCOLLECTION)).any():
        return None
    a, b, owner = ring_edges(arr)
    areal = np.isin(types, [int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON)])
    return Segments(a=a, b=b, owner=owner, areal=areal)


def ring_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every straight edge of every line/ring of `geoms` (polygons: all rings), with its geometry index."""
    if len(geoms) == 0:
        return np.empty((0, 2)), np.empty((0, 2)), np.empty(0, dtype=np.int64)
    types = shapely.get_type_id(geoms)
    simple = (types == int(shapely.GeometryType.POLYGON)).all() and not shapely.get_num_interior_rings(geoms).any()
    if simple:  # the common case, one ring per polygon: no need to take the polygons apart
        lines, line_of = geoms, np.arange(len(geoms))
    elif (types >= 3).any():  # polygons and collections: split into lines/rings first
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        is_poly = shapely.get_type_id(parts) == int(shapely.GeometryType.POLYGON)
        lines = np.concatenate([rings, parts[~is_poly]])
        line_of = np.concatenate([part_of[ring_of], part_of[~is_poly]])
    else:
        lines, line_of = geoms, np.arange(len(geoms))
    coords, vert_line = shapely.get_coordinates(lines, return_index=True)
    same = vert_line[1:] == vert_line[:-1]
    a, b, edge_of = coords[:-1][same], coords[1:][same], line_of[vert_line[:-1][same]].astype(np.int64)
    if len(edge_of) and (np.diff(edge_of) < 0).any():  # rings before lines: group by geometry again
        order = np.argsort(edge_of, kind="stable")
        a, b, edge_of = a[order], b[order], edge_of[order]
    return a, b, edge_of


def min_distances(geoms: np.ndarray, segs: Segments, n_owners: int = 1) -> np.ndarray:
    """Shortest distance between the edges of each geometry and each owner's segments.

    This is the distance between the boundaries: 0 where edges touch or cross. Geometries whose
    boundaries are apart may still intersect (one inside the other): `contained_pairs` settles
    those.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Candidates in metres (`zones.crs.METRIC`): polygons (every ring, holes included), lines.
    segs : Segments
        The fixed geometries' edges, from `segments_of`.
    n_owners : int
        Number of geometries `segs` was taken from: the number of columns.

    Returns
    -------
    ndarray of float, shape (len(geoms), n_owners)
        Metres; np.inf where a geometry has no edges (None, empty, a point: callers measure
        those with GEOS).

    Examples
    --------
    >>> target = segments_of(shapely.box(120, 0, 130, 10))
    >>> sites = np.array([
    ...     shapely.box(0, 0, 100, 100),                                        # 20 m to the west
    ...     shapely.box(0, -50, 200, 100).difference(shapely.box(110, -10, 140, 20)),  # target in its hole
    ...     shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(0, 50, 140, 60)]),
    ...     shapely.Polygon(),
    ...     None,
    ...     shapely.Point(0, 0),
    ... ], dtype=object)
    >>> min_distances(sites, target).ravel().tolist()
    [20.0, 10.0, 40.0, inf, inf, inf]

    The site with the hole lies 10 m from the target (the hole's edge), although the target is
    inside its outline; two owners give two columns:

    >>> two = segments_of(np.array([shapely.box(120, 0, 130, 10), shapely.LineString([(0, -10), (100, -10)])],
    ...                            dtype=object))
    >>> min_distances(sites[:1], two, 2).tolist()
    [[20.0, 10.0]]
    """
    if len(geoms) == 0 or len(segs) == 0:
        return np.full((len(geoms), n_owners), np.inf)
    return edge_min_distances(*ring_edges(geoms), len(geoms), segs, n_owners)


def edge_min_distances(a: np.ndarray, b: np.ndarray, edge_of: np.ndarray, n: int, segs: Segments,
                       n_owners: int = 1, skip: np.ndarray | None = None) -> np.ndarray:
    """min_distances for n geometries already taken apart into edges a→b (`edge_of`: geometry of each).

    `skip`: geometries whose distance the caller does not need; they are left at 0 unmeasured.
    """
    out = np.full((n, n_owners), np.inf)
    if skip is not None:
        out[skip] = 0.0  # no segment can come nearer than 0: the kernel passes them by
    if len(a) == 0 or len(segs) == 0:
        return out
    ox, oy = segs.a.mean(axis=0)  # local coordinates: products stay small, nothing is lost
    _edge_distance_kernel(a, b, edge_of, segs.a - (ox, oy), segs.b - (ox, oy), segs.owner, ox, oy, out)
    return np.sqrt(out, out=out)


def contained_pairs(a: np.ndarray, b: np.ndarray, edge_of: np.ndarray, segs: Segments, areal: np.ndarray,
                    src: np.ndarray, tgt: np.ndarray, edge_off: np.ndarray | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For pairs (geometry src[p], owner tgt[p]) whose boundaries are apart: do all / any of the
    geometry's vertices lie inside the owner, and does any vertex of the owner lie inside the geometry?

    With the boundaries apart, each ring lies wholly on one side of the other geometry's
    boundary, so testing vertices (even–odd ray casting over the edges, holes count out) is
    exact. `areal[i]` says whether geometry i encloses area (polygons): a line contains nothing;
    an owner encloses area when Segments.areal says so. `edge_off`: where each geometry's edges
    start (n + 1 offsets), if the caller has them.
    """
    all_in, any_in, owner_in = (np.zeros(len(src), bool) for _ in range(3))
    if len(src) == 0:
        return all_in, any_in, owner_in
    ox, oy = segs.a.mean(axis=0)
    if edge_off is None:
        edge_off = edge_offsets(edge_of, int(edge_of.max(initial=-1)) + 1)
    seg_off = np.searchsorted(segs.owner, np.arange(len(segs.areal) + 1)).astype(np.int64)
    _contained_kernel(a, b, edge_off, np.asarray(areal, bool), segs.a - (ox, oy), segs.b - (ox, oy), ox, oy,
                      seg_off, segs.areal, src.astype(np.int64), tgt.astype(np.int64), all_in, any_in, owner_in)
    return all_in, any_in, owner_in


def edge_offsets(edge_of: np.ndarray, n: int) -> np.ndarray:
    """(n + 1,) offsets: geometry i's edges are [off[i], off[i + 1]) of edges grouped by geometry."""
    return np.searchsorted(edge_of, np.arange(n + 1)).astype(np.int64)


@njit(cache=True, nogil=True)
def _edge_distance_kernel(a, b, edge_of, sa, sb, owner, ox, oy, out):  # pragma: no cover - compiled
    """Smallest squared segment-to-segment distance per (geometry, owner), into `out`.

    Edges come grouped by geometry; a fixed segment whose box lies farther from the geometry's
    box than the best distance found so far for its owner cannot improve it and is skipped.
    The fixed segments are local to (ox, oy); each edge is moved there as it is read.
    """
    m = sa.shape[0]
    s_lo_x, s_hi_x = np.minimum(sa[:, 0], sb[:, 0]), np.maximum(sa[:, 0], sb[:, 0])
    s_lo_y, s_hi_y = np.minimum(sa[:, 1], sb[:, 1]), np.maximum(sa[:, 1], sb[:, 1])
    n_owners = out.shape[1]
    gap = np.empty(m)
    first_gap = np.empty(n_owners)
    first_k = np.zeros(n_owners, dtype=np.int64)
    e0 = 0
    n_edges = a.shape[0]
    cap = 64
    ax, ay, bx, by = np.empty(cap), np.empty(cap), np.empty(cap), np.empty(cap)
    while e0 < n_edges:
        g = edge_of[e0]
        e1 = e0
        lo_x, lo_y, hi_x, hi_y = np.inf, np.inf, -np.inf, -np.inf
        while e1 < n_edges and edge_of[e1] == g:
            e1 += 1
        if e1 - e0 > cap:
            cap = 2 * (e1 - e0)
            ax, ay, bx, by = np.empty(cap), np.empty(cap), np.empty(cap), np.empty(cap)
        for j in range(e1 - e0):
            ax[j], ay[j] = a[e0 + j, 0] - ox, a[e0 + j, 1] - oy
            bx[j], by[j] = b[e0 + j, 0] - ox, b[e0 + j, 1] - oy
            lo_x = min(lo_x, ax[j], bx[j])
            hi_x = max(hi_x, ax[j], bx[j])
            lo_y = min(lo_y, ay[j], by[j])
            hi_y = max(hi_y, ay[j], by[j])
        # The gap between boxes bounds each segment's distance from below: measure first, per
        # owner, the segment with the smallest gap (usually the nearest), so that the bound
        # then passes over most of the others.
        for o in range(n_owners):
            first_gap[o] = np.inf
        for k in range(m):
            gx = max(0.0, max(s_lo_x[k] - hi_x, lo_x - s_hi_x[k]))
            gy = max(0.0, max(s_lo_y[k] - hi_y, lo_y - s_hi_y[k]))
            gap[k] = gx * gx + gy * gy
            o = owner[k]
            if gap[k] < first_gap[o]:
                first_gap[o], first_k[o] = gap[k], k
        for o in range(n_owners):
            if first_gap[o] < out[g, o]:
                k = first_k[o]
                out[g, o] = min(out[g, o], _edges_seg2(ax, ay, bx, by, e1 - e0, sa[k, 0], sa[k, 1], sb[k, 0], sb[k, 1],
                                                       first_gap[o] > 0))
        for k in range(m):
            o = owner[k]
            if gap[k] >= out[g, o] or k == first_k[o]:
                continue
            out[g, o] = min(out[g, o], _edges_seg2(ax, ay, bx, by, e1 - e0, sa[k, 0], sa[k, 1], sb[k, 0], sb[k, 1],
                                                   gap[k] > 0))
        e0 = e1


@njit(cache=True, nogil=True, inline="always")
def _edges_seg2(ax, ay, bx, by, n, cx, cy, dx, dy, apart):  # pragma: no cover - compiled
    """Smallest squared distance between edges a[j]→b[j], j < n, and segment c–d.

    `apart`: the boxes of the edges and of c–d do not meet, so nothing crosses and the distance
    is the nearest endpoint-to-segment one; an edge's end that starts the next edge is measured
    once.
    """
    best = np.inf
    if not apart:
        for j in range(n):
            best = min(best, _seg_seg2(ax[j], ay[j], bx[j], by[j], cx, cy, dx, dy))
        return best
    for j in range(n):
        best = min(best, _pt_seg2(ax[j], ay[j], cx, cy, dx, dy))
        if j + 1 == n or bx[j] != ax[j + 1] or by[j] != ay[j + 1]:
            best = min(best, _pt_seg2(bx[j], by[j], cx, cy, dx, dy))
        best = min(best, _pt_seg2(cx, cy, ax[j], ay[j], bx[j], by[j]))
        best = min(best, _pt_seg2(dx, dy, ax[j], ay[j], bx[j], by[j]))
    return best


@njit(cache=True, nogil=True)
def _contained_kernel(a, b, edge_off, areal, sa, sb, ox, oy, seg_off, seg_areal, src, tgt,
                      all_in, any_in, owner_in):  # pragma: no cover - compiled
    """Vertex-in-ring tests for each pair; the fixed segments are local to (ox, oy), the
    geometry's edges are moved there as they are read."""
    for p in range(src.shape[0]):
        i, o = src[p], tgt[p]
        e0, e1, k0, k1 = edge_off[i], edge_off[i + 1], seg_off[o], seg_off[o + 1]
        if seg_areal[o] and e1 > e0:
            n_in = 0
            for e in range(e0, e1):
                n_in += _inside(a[e, 0] - ox, a[e, 1] - oy, sa, sb, k0, k1, 0.0, 0.0)
            all_in[p] = n_in == e1 - e0
            any_in[p] = n_in > 0
        if areal[i] and k1 > k0:
            for k in range(k0, k1):
                if _inside(sa[k, 0], sa[k, 1], a, b, e0, e1, ox, oy):
                    owner_in[p] = True
                    break


@njit(cache=True, nogil=True, inline="always")
def _inside(px, py, a, b, k0, k1, ox, oy):  # pragma: no cover - compiled
    """Even–odd ray casting of point p against edges a[k]→b[k] − (ox, oy), k0 ≤ k < k1 (holes count out)."""
    odd = False
    for k in range(k0, k1):
        ay, by = a[k, 1] - oy, b[k, 1] - oy
        if (ay > py) != (by > py):
            ax = a[k, 0] - ox
            x = ax + (py - ay) * ((b[k, 0] - ox) - ax) / (by - ay)
            if px < x:
                odd = not odd
    return odd


@njit(cache=True, nogil=True, inline="always")
def _pt_seg2(px, py, ax, ay, bx, by):  # pragma: no cover - compiled
    """Squared distance from point p to segment a–b."""
    ex, ey = bx - ax, by - ay
    dx, dy = px - ax, py - ay
    len2 = ex * ex + ey * ey
    t = 0.0
    if len2 > 0:
        t = min(max((dx * ex + dy * ey) / len2, 0.0), 1.0)
    dx -= t * ex
    dy -= t * ey
    return dx * dx + dy * dy


@njit(cache=True, nogil=True, inline="always")
def _seg_seg2(ax, ay, bx, by, cx, cy, dx, dy):  # pragma: no cover - compiled
    """Squared distance between segments a–b and c–d: 0 when they cross, else the nearest endpoint pair."""
    d1 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    d2 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
    d3 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
    d4 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and ((d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)):
        return 0.0
    return min(min(_pt_seg2(ax, ay, cx, cy, dx, dy), _pt_seg2(bx, by, cx, cy, dx, dy)),
               min(_pt_seg2(cx, cy, ax, ay, bx, by), _pt_seg2(dx, dy, ax, ay, bx, by)))
