"""What makes one layout better than another: three objectives a planner chooses from.

- `compact`: the sum of the link lengths, centre to centre along the grid axes (Manhattan), over
  the pairs of facilities that work together: every adjacency rule between two facilities, plus
  the `links` of the layout settings (geodata/layout.toml), each with its weight. Minimised;
  metres. (For a fixed site the model uses its centroid, `compact_cost` its box centre.)
- `land`: the largest rectangle of the land-use zone named in the settings (by default the
  parts-production complex, 미래차 부품 생산 기업단지) left free of every site: the biggest
  contiguous block still offered to parts makers. Maximised; m².
- `spacing`: the smallest distance between two placed sites (Euclidean, box to box).
  Maximised; metres. Pairs with a fixed site use its bounding box, which is never farther.

Each is an integer expression for CP-SAT (minimised; a maximised one is negated) and a
`to_units` that turns the solver's value and bound into metres or m².
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from zones.errors import InvalidInput
from zones.siting.layout.model import LayoutModel
from shapely.geometry.base import BaseGeometry

from zones.siting.layout.problem import OBJECTIVES, LayoutProblem
from zones.siting.layout.terms import Near
from zones.siting.layout.raster import classify, run_tables

_WEIGHT_SCALE = 100  # link weights to integers


class UnknownObjective(InvalidInput):
    default_code = "unknown_layout_objective"


@dataclass(frozen=True)
class Objective:
    name: str
    unit: str
    maximise: bool
    to_units: Callable[[float], float]  # the solver's (minimised) value -> the objective in `unit`


def add_objective(model: LayoutModel, name: str) -> Objective:
    """Set the model's objective; the Objective says how to read it."""
    if name == "compact":
        return _compact(model)
    if name == "land":
        return _land(model)
    if name == "spacing":
        return _spacing(model)
    raise UnknownObjective(f"unknown objective {name!r}; use one of {', '.join(OBJECTIVES)}",
                           objective=name, known=list(OBJECTIVES))


def link_pairs(problem: LayoutProblem) -> dict[tuple[str, str], float]:
    """Pairs that work together with their weights: every adjacency between two present
    facilities (weight 1) and the settings' links; only pairs with a placed facility count."""
    out: dict[tuple[str, str], float] = {}
    present = set(problem.place) | set(problem.fixed)

    def add(a: str, b: str, w: float) -> None:
        if a in present and b in present and a != b:
            key = (a, b) if a < b else (b, a)
            out[key] = max(out.get(key, 0.0), w)

    for fid, ts in problem.terms.items():
        for t in ts:
            if isinstance(t, Near):
                for o in t.others:
                    add(fid, o, 1.0)
    for a, b, w in problem.links:
        add(a, b, float(w))
    return {k: w for k, w in out.items() if k[0] in problem.place or k[1] in problem.place}


def compact_cost(problem: LayoutProblem, sites: dict[str, BaseGeometry]) -> float:
    """The `compact` objective of any layout, in metres: weighted centre-to-centre Manhattan
    lengths of the links (centres of the sites' boxes; fixed sites where they stand)."""
    where = {**problem.fixed, **sites}
    total = 0.0
    for (a, b), w in link_pairs(problem).items():
        ax0, ay0, ax1, ay1 = shapely.bounds(where[a])
        bx0, by0, bx1, by1 = shapely.bounds(where[b])
        total += w * (abs((ax0 + ax1) - (bx0 + bx1)) + abs((ay0 + ay1) - (by0 + by1))) / 2
    return total


def _centre2(model: LayoutModel, fid: str) -> tuple:
    """Twice the centre of a site in cells (an integer expression, or a constant for a fixed site)."""
    if fid in model.x:
        return 2 * model.x[fid] + model.w[fid], 2 * model.y[fid] + model.h[fid]
    g = model.grid
    c = shapely.centroid(model.p.fixed[fid])
    return round(2 * (c.x - g.x0) / g.cell), round(2 * (c.y - g.y0) / g.cell)


def _compact(model: LayoutModel) -> Objective:
    m, g = model.m, model.grid
    cost = []
    for (a, b), w in link_pairs(model.p).items():
        (ax, ay), (bx, by) = _centre2(model, a), _centre2(model, b)
        for d_expr, span in ((ax - bx, 2 * g.nx + 4 * g.nx), (ay - by, 2 * g.ny + 4 * g.ny)):
            v = m.new_int_var(0, span, f"link {a} {b}")
            m.add_abs_equality(v, d_expr)
            cost.append(round(w * _WEIGHT_SCALE) * v)
    m.minimize(sum(cost) if cost else 0)
    scale = g.cell / 2 / _WEIGHT_SCALE
    return Objective("compact", "m", False, lambda v: v * scale)


def _spacing(model: LayoutModel) -> Objective:
    m, g = model.m, model.grid
    placed = [f for f in model.p.place if model.options[f]]
    top = g.nx * g.nx + g.ny * g.ny
    m2 = m.new_int_var(0, top, "min clearance²")
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            _, _, sx, sy = model.squares(a, b)
            m.add(m2 <= sx + sy)
        for fid, site in model.p.fixed.items():
            x0, y0, x1, y1 = shapely.bounds(site)
            bx0, by0 = math.floor((x0 - g.x0) / g.cell), math.floor((y0 - g.y0) / g.cell)
            bx1, by1 = math.ceil((x1 - g.x0) / g.cell), math.ceil((y1 - g.y0) / g.cell)
            dx = m.new_int_var(0, 10 * (g.nx + g.ny), f"dx {a} {fid}")
            dy = m.new_int_var(0, 10 * (g.nx + g.ny), f"dy {a} {fid}")
            m.add_max_equality(dx, [0, bx0 - model.x[a] - model.w[a], model.x[a] - bx1])
            m.add_max_equality(dy, [0, by0 - model.y[a] - model.h[a], model.y[a] - by1])
            sx, sy = m.new_int_var(0, 100 * top, "sx"), m.new_int_var(0, 100 * top, "sy")
            m.add_multiplication_equality(sx, [dx, dx])
            m.add_multiplication_equality(sy, [dy, dy])
            m.add(m2 <= sx + sy)
    m.maximize(m2)
    return Objective("spacing", "m", True, lambda v: math.sqrt(max(v, 0.0)) * g.cell)


def _land(model: LayoutModel) -> Objective:
    if model.p.land is None:
        raise InvalidInput("the land objective needs a land-use zone (settings: [land])", code="layout_no_land_zone")
    m, g = model.m, model.grid
    zone = model.p.land[0]
    inside, _ = classify(g, zone)
    for site in model.p.fixed.values():  # a fixed site on the zone is not free land either
        inside &= ~classify(g, site)[1]
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if not len(rows):
        raise InvalidInput("the land-use zone holds no whole grid cell", code="layout_no_land_zone")
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    x = m.new_int_var(c0, c1 - 1, "land x")
    y = m.new_int_var(r0, r1 - 1, "land y")
    w = m.new_int_var(1, c1 - c0, "land w")
    h = m.new_int_var(1, r1 - r0, "land h")
    m.add(x + w <= c1)
    m.add(y + h <= r1)
    xe, ye = m.new_int_var(c0, c1, "land x end"), m.new_int_var(r0, r1, "land y end")
    ix, iy = m.new_interval_var(x, w, xe, "land ix"), m.new_interval_var(y, h, ye, "land iy")
    xs, ys = [ix], [iy]
    # The cells of the zone's box outside the zone, as fixed boxes: rows with equal runs merge.
    outside = ~inside[r0:r1, c0:c1]
    lo, hi = run_tables(outside)
    blocks: dict[tuple[int, int], int] = {}  # (lo, hi) run -> first row of the open block
    for k_row in range(outside.shape[0] + 1):
        runs = set()
        if k_row < outside.shape[0]:
            runs = {(int(a), int(b)) for a, b in zip(lo[:, k_row], hi[:, k_row]) if b >= 0}
        for run in list(blocks):
            if run not in runs:
                start = blocks.pop(run)
                xs.append(m.new_fixed_size_interval_var(c0 + run[0], run[1] - run[0] + 1, "out x"))
                ys.append(m.new_fixed_size_interval_var(r0 + start, k_row - start, "out y"))
        for run in runs:
            blocks.setdefault(run, k_row)
    for fid in model.p.place:
        if fid in model.intervals:
            xs.append(model.intervals[fid][0])
            ys.append(model.intervals[fid][1])
    m.add_no_overlap_2d(xs, ys)
    area = m.new_int_var(0, (c1 - c0) * (r1 - r0), "land area")
    m.add_multiplication_equality(area, [w, h])
    m.maximize(area)
    return Objective("land", "m²", True, lambda v: v * g.cell * g.cell)
