"""The allowed corners of a footprint as a few convex pieces, each a handful of linear inequalities.

A footprint's allowed lower-left corners (raster.py) form a staircase set of grid points that
follows the zone's edges. Each straight stretch of it is exactly the set of grid points on one
side of a few lines: the edges of its convex hull of grid points. So the set is cut into pieces
that equal the grid points of their own hull (one piece per convex stretch of the zone, more
where it turns inwards), and each piece becomes the inequalities `a·x + b·y ≥ c` of its hull
edges with whole-number coefficients, which hold at exactly the piece's grid points. The
solver then chooses a piece, and the linear relaxation sees real geometry rather than a table.

>>> m = np.zeros((4, 6), dtype=bool)
>>> m[0, 0:6] = m[1, 1:5] = m[2, 2:4] = True     # a triangle: one piece
>>> [p.rows for p in convex_pieces(m)]
[(0, 2)]
>>> m[3, 0:6] = True                               # a bar on top: no longer convex, two pieces
>>> sorted(p.rows for p in convex_pieces(m))
[(0, 1), (2, 3)]
>>> all(p.holds(x, y) == bool(m[y, x]) or not p.rows[0] <= y <= p.rows[1]
...     for p in convex_pieces(m) for y in range(4) for x in range(6))
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zones.siting.layout.raster import run_tables


@dataclass(frozen=True)
class Piece:
    """Grid points (x, y) with rows[0] ≤ y ≤ rows[1] and a·x + b·y ≥ c for every (a, b, c)."""
    rows: tuple[int, int]
    at_least: tuple[tuple[int, int, int], ...]

    def holds(self, x: int, y: int) -> bool:
        return self.rows[0] <= y <= self.rows[1] and all(a * x + b * y >= c for a, b, c in self.at_least)


def convex_pieces(allowed: np.ndarray) -> list[Piece]:
    """Pieces whose grid points together are exactly the True cells of `allowed` (rows = y)."""
    out: list[Piece] = []
    stack = [allowed]
    while stack:
        mask = stack.pop()
        for comp in _components(mask):
            rows = np.flatnonzero(comp.any(axis=1))
            r0, r1 = int(rows[0]), int(rows[-1])
            lo, hi = run_tables(comp[r0:r1 + 1])
            if len(lo) > 1:  # a row with two runs (a U shape): split the rows at the first such row
                split = int(np.flatnonzero(hi[1] >= 0)[0])
                split = split if split > 0 else int(np.flatnonzero(hi[1] < 0)[0]) if (hi[1] < 0).any() else 1
                stack += _split(comp, r0 + split)
                continue
            piece, worst = _hull_piece(lo[0], hi[0], r0)
            if piece is not None:
                out.append(piece)
            else:
                stack += _split(comp, r0 + max(worst, 1))
    return out


def _split(mask: np.ndarray, row: int) -> list[np.ndarray]:
    a, b = mask.copy(), mask.copy()
    a[row:] = False
    b[:row] = False
    return [m for m in (a, b) if m.any()]


def _components(mask: np.ndarray) -> list[np.ndarray]:
    """4-connected components, found by joining runs that overlap in consecutive rows."""
    lo, hi = run_tables(mask)
    runs = [(r, int(a), int(b)) for k in range(len(lo)) for r, (a, b) in enumerate(zip(lo[k], hi[k])) if b >= 0]
    runs.sort()
    parent = list(range(len(runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_row: dict[int, list[int]] = {}
    for i, (r, _, _) in enumerate(runs):
        by_row.setdefault(r, []).append(i)
    for i, (r, a, b) in enumerate(runs):
        for j in by_row.get(r + 1, ()):
            _, c, d = runs[j]
            if a <= d and c <= b:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(runs)):
        groups.setdefault(find(i), []).append(i)
    if len(groups) == 1:
        return [mask]
    out = []
    for members in groups.values():
        comp = np.zeros_like(mask)
        for i in members:
            r, a, b = runs[i]
            comp[r, a:b + 1] = True
        out.append(comp)
    return out


def _chain(ys: np.ndarray, xs: np.ndarray, lower: bool) -> list[tuple[int, int]]:
    """Convex minorant (lower) or concave majorant of x as a function of y: its vertices."""
    out: list[tuple[int, int]] = []
    for y, x in zip(ys.tolist(), xs.tolist()):
        while len(out) >= 2:
            (y1, x1), (y2, x2) = out[-2], out[-1]
            cross = (y2 - y1) * (x - x1) - (x2 - x1) * (y - y1)
            if (cross <= 0) if lower else (cross >= 0):
                out.pop()
            else:
                break
        out.append((y, x))
    return out


def _hull_piece(lo: np.ndarray, hi: np.ndarray, r0: int) -> tuple[Piece | None, int]:
    """The piece of a one-run-per-row set if its grid points are exactly those of its hull;
    else None and the row (from r0) where the set strays furthest from its hull."""
    ys = np.arange(len(lo)) + r0
    left, right = _chain(ys, lo, True), _chain(ys, hi, False)
    ly, lx = zip(*left)
    ry, rx = zip(*right)
    lo_hull = np.ceil(np.interp(ys, ly, lx) - 1e-9).astype(np.int64)
    hi_hull = np.floor(np.interp(ys, ry, rx) + 1e-9).astype(np.int64)
    dev = np.maximum(lo - lo_hull, hi_hull - hi)
    if dev.max() > 0:
        return None, int(np.argmax(dev))
    at_least: list[tuple[int, int, int]] = []
    for chain, sign in ((left, 1), (right, -1)):
        if len(chain) == 1:
            at_least.append((sign, 0, sign * chain[0][1]))
        for (y1, x1), (y2, x2) in zip(chain, chain[1:]):
            a, b = (y2 - y1), -(x2 - x1)
            c = a * x1 + b * y1
            g = math.gcd(math.gcd(abs(a), abs(b)), abs(c)) or 1
            at_least.append((sign * a // g, sign * b // g, sign * c // g))
    return Piece((int(ys[0]), int(ys[-1])), tuple(dict.fromkeys(at_least))), 0
