"""The layout grid, and which of its cells lie inside, or meet, a geometry.

A layout places rectangles whose corners sit on a grid of `cell` metres. For a site to
lie inside a zone, every cell it covers must lie wholly inside the zone; to stay clear of
a geometry, no cell it covers may meet it. Both tests are exact for closed cells: a cell
whose open interior no boundary edge of the geometry crosses lies wholly inside or wholly
outside, and its centre says which; a cell an edge crosses is "meets" and not "inside". A
cell that only touches the geometry along its side does not meet it (distance 0, no overlap).
The edges are walked column by column (a supercover), so no sampling can miss a thin
spike, and the centres are tested with one vectorised call.

>>> import shapely
>>> g = Grid(0.0, 0.0, 10.0, 4, 3)
>>> inside, meets = classify(g, shapely.box(0, 0, 25, 30))
>>> inside.astype(int)
array([[1, 1, 0, 0],
       [1, 1, 0, 0],
       [1, 1, 0, 0]])
>>> meets.astype(int)
array([[1, 1, 1, 0],
       [1, 1, 1, 0],
       [1, 1, 1, 0]])
>>> classify(g, shapely.box(0, 0, 20, 20))[1].astype(int)  # an edge along a cell line: no more
array([[1, 1, 0, 0],
       [1, 1, 0, 0],
       [0, 0, 0, 0]])
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Grid:
    """Cells of `cell` m from (x0, y0) in `zones.crs.METRIC`: column i spans x0 + i·cell … x0 + (i+1)·cell."""
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, geoms: list[BaseGeometry], cell: float) -> Grid:
        """The smallest grid, aligned on multiples of `cell`, that covers every geometry.

        >>> import shapely
        >>> Grid.covering([shapely.box(12, 3, 31, 9)], 5.0)
        Grid(x0=10.0, y0=0.0, cell=5.0, nx=5, ny=2)
        """
        b = shapely.bounds(shapely.union_all(geoms))
        x0, y0 = math.floor(b[0] / cell) * cell, math.floor(b[1] / cell) * cell
        nx, ny = math.ceil((b[2] - x0) / cell), math.ceil((b[3] - y0) / cell)
        return cls(float(x0), float(y0), float(cell), max(nx, 1), max(ny, 1))

    def box(self, x: int, y: int, w: int, h: int) -> BaseGeometry:
        """The rectangle of w × h cells whose lower-left cell is (x, y), in metres."""
        c = self.cell
        return shapely.box(self.x0 + x * c, self.y0 + y * c, self.x0 + (x + w) * c, self.y0 + (y + h) * c)


def classify(grid: Grid, geom: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(inside, meets): boolean (ny, nx) arrays, cells wholly inside `geom` / meeting it."""
    inside = np.zeros((grid.ny, grid.nx), dtype=bool)
    meets = np.zeros((grid.ny, grid.nx), dtype=bool)
    if geom is None or geom.is_empty:
        return inside, meets
    crossed = _crossed(grid, geom)
    bx0, by0, bx1, by1 = shapely.bounds(geom)
    c = grid.cell
    i0, i1 = max(0, int((bx0 - grid.x0) // c)), min(grid.nx, int(math.ceil((bx1 - grid.x0) / c)))
    j0, j1 = max(0, int((by0 - grid.y0) // c)), min(grid.ny, int(math.ceil((by1 - grid.y0) / c)))
    if i0 < i1 and j0 < j1:
        xs = grid.x0 + (np.arange(i0, i1) + 0.5) * c
        ys = grid.y0 + (np.arange(j0, j1) + 0.5) * c
        cx, cy = np.meshgrid(xs, ys)
        shapely.prepare(geom)
        centre_in = shapely.contains_xy(geom, cx, cy)
        inside[j0:j1, i0:i1] = centre_in
    inside &= ~crossed
    meets[:] = inside | crossed
    return inside, meets


def _crossed(grid: Grid, geom: BaseGeometry) -> np.ndarray:
    """Cells whose closure an edge of `geom`'s boundary passes through."""
    out = np.zeros((grid.ny, grid.nx), dtype=bool)
    c = grid.cell
    for line in shapely.get_parts(shapely.boundary(geom) if geom.geom_type != "LineString" else geom):
        xy = shapely.get_coordinates(line)
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        gx, gy = (xy[:, 0] - grid.x0) / c, (xy[:, 1] - grid.y0) / c
        for ax, ay, bx, by in zip(gx[:-1], gy[:-1], gx[1:], gy[1:]):
            _mark_segment(out, ax, ay, bx, by)
    return out


def _mark_segment(out: np.ndarray, ax: float, ay: float, bx: float, by: float) -> None:
    """Mark every cell whose open interior the segment (in cell units) passes through: each
    column strip it crosses, the rows between its heights at the strip's two sides. A segment
    running along a cell line passes through no interior and marks nothing."""
    ny, nx = out.shape
    if ax > bx:
        ax, ay, bx, by = bx, by, ax, ay
    if ax == bx:
        if ax == math.floor(ax):
            return  # on a column line
        cols = np.array([math.floor(ax)])
    else:
        cols = np.arange(math.floor(ax), math.ceil(bx))
    cols = cols[(cols >= 0) & (cols < nx)]
    if not len(cols):
        return
    if bx > ax:
        left, right = np.clip(cols.astype(float), ax, bx), np.clip(cols + 1.0, ax, bx)
        slope = (by - ay) / (bx - ax)
        yl, yr = ay + (left - ax) * slope, ay + (right - ax) * slope
    else:
        yl, yr = np.full(len(cols), ay), np.full(len(cols), by)
    ylo, yhi = np.minimum(yl, yr), np.maximum(yl, yr)
    lo = np.floor(ylo).astype(np.int64)
    hi = np.where(yhi > ylo, np.ceil(yhi) - 1, np.where(ylo == np.floor(ylo), lo - 1, lo)).astype(np.int64)
    lo, hi = np.clip(lo, 0, ny), np.clip(hi, -1, ny - 1)
    for col, a, b in zip(cols.tolist(), lo.tolist(), hi.tolist()):
        if a <= b:
            out[a:b + 1, col] = True


def prefix(mask: np.ndarray) -> np.ndarray:
    """Summed-area table of a mask: (ny+1, nx+1), computed once for every window size."""
    s = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=0, dtype=np.int32, out=s[1:, 1:])
    np.cumsum(s[1:, 1:], axis=1, out=s[1:, 1:])
    return s


def window_all(s: np.ndarray, w: int, h: int) -> np.ndarray:
    """(ny-h+1, nx-w+1): True where every cell of the w × h window from (x, y) is set
    (`s` is the mask's `prefix`).

    >>> m = np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)
    >>> window_all(prefix(m), 2, 2).astype(int)
    array([[1, 0]])
    """
    return _window_sum(s, w, h) == w * h


def window_any(s: np.ndarray, w: int, h: int) -> np.ndarray:
    """(ny-h+1, nx-w+1): True where some cell of the w × h window from (x, y) is set."""
    return _window_sum(s, w, h) > 0


def _window_sum(s: np.ndarray, w: int, h: int) -> np.ndarray:
    ny, nx = s.shape[0] - 1, s.shape[1] - 1
    if w > nx or h > ny:
        return np.zeros((max(ny - h + 1, 0), max(nx - w + 1, 0)), dtype=np.int32)
    return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]


def run_tables(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi): (k, rows) first and last column of each row's k-th run of True, for k up to the
    most runs any row has; a row with fewer runs gets lo = columns, hi = -1 (no place).

    >>> lo, hi = run_tables(np.array([[0, 1, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=bool))
    >>> lo.tolist(), hi.tolist()
    ([[1, 5], [4, 5]], [[2, -1], [4, -1]])
    """
    rows, cols = positions.shape
    padded = np.zeros((rows, cols + 2), dtype=np.int8)
    padded[:, 1:-1] = positions
    d = np.diff(padded, axis=1)
    sr, sc = np.nonzero(d == 1)
    _, ec = np.nonzero(d == -1)
    first = np.searchsorted(sr, np.arange(rows))
    k = np.arange(len(sr)) - first[sr]
    depth = int(k.max()) + 1 if len(k) else 1
    lo = np.full((depth, rows), cols, dtype=np.int64)
    hi = np.full((depth, rows), -1, dtype=np.int64)
    lo[k, sr], hi[k, sr] = sc, ec - 1
    return lo, hi
