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


Run = tuple[int, int, int]  # (row, first column, last column)


def convex_pieces(allowed: np.ndarray) -> list[Piece]:
    """Pieces whose grid points together are exactly the True cells of `allowed` (rows = y)."""
    lo, hi = run_tables(allowed)
    runs = sorted((r, int(a), int(b)) for k in range(len(lo)) for r, (a, b) in enumerate(zip(lo[k], hi[k])) if b >= 0)
    out: list[Piece] = []
    stack: list = [runs] if runs else []
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):  # a band of rows with one run each: check it against its hull
            r0, lo_b, hi_b = item
            piece, worst = _hull_piece(lo_b, hi_b, r0)
            if piece is not None:
                out.append(piece)
            else:
                cut = max(worst, 1)
                stack += [(r0, lo_b[:cut], hi_b[:cut]), (r0 + cut, lo_b[cut:], hi_b[cut:])]
            continue
        for comp in _components(item):
            rows = [r for r, _, _ in comp]
            if len(set(rows)) < len(rows):  # a row with two runs (a U shape): split the rows there
                counts: dict[int, int] = {}
                for r in rows:
                    counts[r] = counts.get(r, 0) + 1
                multi = [r for r in sorted(counts) if counts[r] > 1]
                single = [r for r in sorted(counts) if counts[r] == 1]
                split = multi[0] if multi[0] > rows[0] else next((r for r in single if r > multi[0]), multi[0] + 1)
                stack += [[u for u in comp if u[0] < split], [u for u in comp if u[0] >= split]]
                continue
            stack.append((rows[0], np.array([a for _, a, _ in comp]), np.array([b for _, _, b in comp])))
    return out


def _components(runs: list[Run]) -> list[list[Run]]:
    """4-connected components of sorted runs: runs that overlap in consecutive rows join."""
    runs = [u for u in runs]
    if not runs:
        return []
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
    groups: dict[int, list[Run]] = {}
    for i, u in enumerate(runs):
        groups.setdefault(find(i), []).append(u)
    return list(groups.values())


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
