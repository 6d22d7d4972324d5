"""Site width as the diameter of the largest inscribed circle.

GEOS finds that circle by iterative grid refinement to a tolerance, ~4 µs a
site at best. Most sites a planner draws are convex (a rectangle, a
trapezoid), and for a convex polygon the circle is a small linear programme
(the Chebyshev centre): maximise r such that the centre lies at least r inside
every edge line. Its optimum sits where three edge constraints meet, so trying
every triple of edges gives the exact width, in a compiled loop, at a fraction
of the cost. Anything else (holes, several parts, a concave ring, more than
MAX_CONVEX_VERTICES vertices) goes to GEOS.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from numba import njit

from zones.siting.batch import Batch
from zones.siting.clip import rings_of

# GEOS's precision for the largest inscribed circle (m, on the radius): the width test
# allows twice it, so widths from GEOS are exact to 2 cm.
MIC_TOLERANCE_M = 0.01
# Vertex-triple enumeration grows with the cube of the vertex count: above this, GEOS is faster.
MAX_CONVEX_VERTICES = 16
_POLYGONAL_IDS = [int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON)]


def inscribed_diameter(geoms: np.ndarray, batch: Batch | None = None) -> np.ndarray:
    """Diameter of the largest circle inside each geometry: the width a planner can rely on.

    Convex single-ring polygons get the exact width from a compiled loop; holes, several
    parts, concave rings or long rings take GEOS's largest inscribed circle, to
    MIC_TOLERANCE_M on the radius.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Sites in metres (`zones.crs.METRIC`).
    batch : Batch, optional
        The same geometries already taken apart (zones/siting/batch.py), if at hand: their
        types, rings and emptiness are then not computed again.

    Returns
    -------
    ndarray of float, shape (len(geoms),)
        Diameters in metres; a multipart site the widest of its parts; 0 for an empty
        geometry, a line or a point (they hold no circle); NaN for None (nothing to measure).

    Examples
    --------
    >>> sites = np.array([
    ...     shapely.box(0, 0, 100, 40),                                       # a rectangle: its short side
    ...     shapely.box(0, 0, 100, 100).difference(shapely.box(20, 20, 40, 40)),  # a hole
    ...     shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(50, 0, 80, 30)]),
    ...     shapely.Polygon(),
    ...     shapely.LineString([(0, 0), (10, 0)]),
    ...     None,
    ... ], dtype=object)
    >>> [round(float(w), 1) for w in inscribed_diameter(sites)]
    [40.0, 70.3, 30.0, 0.0, 0.0, nan]

    The exact answer for the holed square is 70.294 m (a circle touching two outer sides and
    the hole's corner); GEOS finds it to 2 cm.
    """
    out = np.full(len(geoms), np.nan)
    types = shapely.get_type_id(geoms) if batch is None else batch.types  # -1: None
    empty = shapely.is_empty(geoms) if batch is None else batch.empty
    one_ring = (types == int(shapely.GeometryType.POLYGON)) & ~empty
    if batch is None:
        one_ring[one_ring] = shapely.get_num_interior_rings(geoms[one_ring]) == 0
    else:
        one_ring &= batch.holes == 0
    idx = np.flatnonzero(one_ring)
    if len(idx):
        r = batch.rings.take(idx) if batch is not None and batch.all_polygonal else rings_of(geoms[idx])
        radius = np.full(len(idx), np.nan)
        _convex_radius_kernel(r.coords, r.ring_off, MAX_CONVEX_VERTICES, radius)
        out[idx] = 2.0 * radius
    flat = (empty | ~np.isin(types, _POLYGONAL_IDS)) & (types >= 0)
    out[flat] = 0.0  # an empty geometry, a line or a point holds no circle (GEOS refuses them)
    rest = np.flatnonzero(np.isnan(out) & ~flat & (types >= 0))
    if len(rest):
        out[rest] = 2.0 * shapely.length(shapely.maximum_inscribed_circle(geoms[rest], MIC_TOLERANCE_M))
    return out


@njit(cache=True, nogil=True)
def _convex_radius_kernel(coords, ring_off, max_vertices, out):  # pragma: no cover - compiled
    """Inscribed radius of each convex ring (NaN where the ring is not convex or too long)."""
    nx = np.empty(max_vertices)
    ny = np.empty(max_vertices)
    c = np.empty(max_vertices)
    for i in range(ring_off.shape[0] - 1):
        r0, r1 = ring_off[i], ring_off[i + 1]
        if r1 - r0 < 3 or r1 - r0 > max_vertices:
            continue
        x0, y0 = coords[r0, 0], coords[r0, 1]
        # Edge normals pointing into a counter-clockwise ring (zero-length edges dropped).
        area2 = 0.0
        for j in range(r0, r1):
            jn = j + 1 if j + 1 < r1 else r0
            area2 += (coords[j, 0] - x0) * (coords[jn, 1] - y0) - (coords[jn, 0] - x0) * (coords[j, 1] - y0)
        if area2 == 0.0:
            continue
        sign = 1.0 if area2 > 0 else -1.0
        m = 0
        for j in range(r0, r1):
            jn = j + 1 if j + 1 < r1 else r0
            ex, ey = coords[jn, 0] - coords[j, 0], coords[jn, 1] - coords[j, 1]
            length = math.hypot(ex, ey)
            if length == 0.0:
                continue
            nx[m], ny[m] = -sign * ey / length, sign * ex / length
            c[m] = nx[m] * (coords[j, 0] - x0) + ny[m] * (coords[j, 1] - y0)
            m += 1
        if m < 3 or not _convex(nx, ny, m, sign):
            continue
        scale = 0.0
        for j in range(r0, r1):
            scale = max(scale, abs(coords[j, 0] - x0) + abs(coords[j, 1] - y0))
        tol = 1e-9 * (scale + 1.0)
        best = -1.0
        for p in range(m):
            for q in range(p + 1, m):
                for s in range(q + 1, m):
                    # n·x − r = c for edges p, q, s (Cramer's rule on the 3×3 system)
                    det = _det3(nx[p], ny[p], nx[q], ny[q], nx[s], ny[s])
                    if abs(det) < 1e-12:
                        continue
                    cx = _det3(c[p], ny[p], c[q], ny[q], c[s], ny[s]) / det
                    cy = _det3(nx[p], c[p], nx[q], c[q], nx[s], c[s]) / det
                    rad = nx[p] * cx + ny[p] * cy - c[p]
                    if rad <= best:
                        continue
                    ok = True
                    for k in range(m):
                        if nx[k] * cx + ny[k] * cy - c[k] < rad - tol:
                            ok = False
                            break
                    if ok:
                        best = rad
        if best >= 0:
            out[i] = best


@njit(cache=True, nogil=True, inline="always")
def _det3(a1, b1, a2, b2, a3, b3):  # pragma: no cover - compiled
    """Determinant of [[a1, b1, -1], [a2, b2, -1], [a3, b3, -1]]."""
    return -(a1 * (b2 - b3) - b1 * (a2 - a3) + (a2 * b3 - a3 * b2))


@njit(cache=True, nogil=True)
def _convex(nx, ny, m, sign):  # pragma: no cover - compiled
    """The edge directions turn one way only (`sign`: the ring's orientation) and once around: convex and simple.

    Turning one way, the edge normals sweep a whole number of turns; once around, each of
    their components changes sign exactly twice. Counting sign changes settles the common case
    without trigonometry; a near-reversal (a spike) or more changes (noise near a zero, or
    really twice around) go to the sum of the turning angles.
    """
    flips_x, flips_y = 0, 0
    first_x, first_y, last_x, last_y = 0.0, 0.0, 0.0, 0.0
    for k in range(m):
        kn = k + 1 if k + 1 < m else 0
        cross = sign * (nx[k] * ny[kn] - ny[k] * nx[kn])
        if cross < -1e-12:
            return False
        if cross <= 1e-12 and nx[k] * nx[kn] + ny[k] * ny[kn] <= 0:
            return _turns_once(nx, ny, m, sign)
        if nx[k] != 0:
            if last_x != 0 and (nx[k] > 0) != (last_x > 0):
                flips_x += 1
            last_x = nx[k]
            if first_x == 0:
                first_x = nx[k]
        if ny[k] != 0:
            if last_y != 0 and (ny[k] > 0) != (last_y > 0):
                flips_y += 1
            last_y = ny[k]
            if first_y == 0:
                first_y = ny[k]
    flips_x += (first_x > 0) != (last_x > 0)
    flips_y += (first_y > 0) != (last_y > 0)
    if flips_x <= 2 and flips_y <= 2:
        return True
    return _turns_once(nx, ny, m, sign)


@njit(cache=True, nogil=True)
def _turns_once(nx, ny, m, sign):  # pragma: no cover - compiled
    """The sum of the turning angles is one full turn (and no turn goes the other way)."""
    total = 0.0
    for k in range(m):
        kn = k + 1 if k + 1 < m else 0
        cross = sign * (nx[k] * ny[kn] - ny[k] * nx[kn])
        if cross < -1e-12:
            return False
        total += math.atan2(cross, nx[k] * nx[kn] + ny[k] * ny[kn])
    return abs(total - 2.0 * math.pi) < 1e-6
