"""The layout as a CP-SAT model: rectangles on a grid, the rules' terms as constraints.

Each placed facility is a rectangle of one of its footprints (footprints.py) whose lower-left
corner (x, y) is a grid point. Terms become constraints:

- `Keep`, `Avoid`, `Reach` (and a rule between a placed and a fixed site, which is one of
  these about the fixed site) decide which corners are allowed for each footprint: cells
  wholly inside the zone (shrunk by a setback), no cell meeting what must be avoided (grown
  by the clearance), some cell meeting the reach (raster.py). The allowed corners are cut
  into a few convex pieces, each a handful of exact linear inequalities (pieces.py), so the
  model holds a few lines per footprint rather than every allowed corner.
- `Apart` / `Near` between two placed sites use the gaps dx, dy between their boxes (cells,
  0 when they overlap along that axis): the Euclidean distance is √(dx² + dy²) exactly, so
  `dx² + dy² ≥ (d / cell)²` keeps them apart and `≤` keeps them near.
- `Disjoint`: a no-overlap constraint over the rectangles (`AddNoOverlap2D`).
- sizes choose the footprints.

Grown and shrunk geometries are drawn with their arcs' chords pushed outwards (inwards for a
setback), so a corner the model allows is never one the checker refuses for rounding.

In explaining mode every rule gets a literal that switches all its constraints, so the
solver can be asked which rules conflict (explain.py); constraints are then kept per rule
instead of merged per facility.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from ortools.sat.python import cp_model
from shapely.geometry.base import BaseGeometry

from zones.siting.layout.footprints import Footprint, family
from zones.siting.layout.problem import LayoutInputError, LayoutProblem
from zones.siting.layout.pieces import convex_pieces
from zones.siting.layout.raster import Grid, classify, prefix, window_all, window_any
from zones.siting.layout.terms import (Apart, Avoid, Disjoint, Keep, MaxArea, MinArea, MinWidth, Near, Reach,
                                       RuleRef, Term)

EXPLAIN_ASPECTS = (1.0,)  # fewer footprints while looking for the rules in conflict
ARC_SEGS = 16  # quarter-circle segments of the grown and shrunk geometries
_CHORD = math.cos(math.pi / (4 * ARC_SEGS))  # apothem / radius of those arcs


@dataclass(frozen=True)
class Region:
    """A term on where one placed facility's rectangle may lie: `how` is keep, avoid or reach."""
    ref: RuleRef
    how: str
    geometry: BaseGeometry


def grown(geom: BaseGeometry, d: float) -> BaseGeometry:
    """`geom` grown by d, its arcs' chords outside the true round buffer."""
    return geom if d <= 0 else shapely.buffer(geom, d / _CHORD, quad_segs=ARC_SEGS)


def shrunk(geom: BaseGeometry, d: float) -> BaseGeometry:
    """`geom` shrunk by d, its arcs' chords inside the true inner offset."""
    return geom if d <= 0 else shapely.buffer(geom, -d / _CHORD, quad_segs=ARC_SEGS)


def reach_of(geom: BaseGeometry, d: float) -> BaseGeometry:
    """Points within d of `geom` (chords inside the true buffer: reaching them is reaching it)."""
    return shapely.buffer(geom, d, quad_segs=ARC_SEGS)


class LayoutModel:
    """One CP-SAT model of a problem. `explaining`: a literal per rule (`rule_lits`); `only`:
    keep only the terms of these rules (the explanation's smaller models)."""

    def __init__(self, problem: LayoutProblem, explaining: bool = False, only: set[RuleRef] | None = None,
                 loosened: dict[RuleRef, float] | None = None):
        self.p = problem
        self.explaining = explaining
        self.loosened = dict(loosened or {})
        self.m = cp_model.CpModel()
        self.rule_lits: dict[RuleRef, cp_model.IntVar] = {}
        self.infeasible_without: list[RuleRef] = []  # rules whose terms have no way to hold at all
        self.terms: dict[str, list[Term]] = {}
        for fid in (*problem.place, *problem.fixed):
            kept = [t for t in problem.terms.get(fid, ()) if only is None or t.ref in only]
            self.terms[fid] = [t.loosen(loosened[t.ref]) if loosened and t.ref in loosened else t for t in kept]
        self.grid = self._grid()
        self._classified: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self._footprints()
        self._regions: dict[str, list[Region]] = {f: [] for f in problem.place}
        self._conditional: list[tuple[str, Region, list]] = []
        self._pairs: dict[tuple[str, str], tuple] = {}
        self._squares: dict[tuple[str, str], tuple] = {}
        self._disjoint: set[tuple[str, str]] = set()
        self._disjoint_refs: dict[tuple[str, str], list[RuleRef]] = {}
        self._compile()

    # ---- literals ------------------------------------------------------------------------

    def lit(self, ref: RuleRef) -> list:
        """Enforcement literals of a rule's constraints: its own literal when explaining, else none."""
        if not self.explaining:
            return []
        if ref not in self.rule_lits:
            self.rule_lits[ref] = self.m.new_bool_var(f"rule {ref[0]}.{ref[1]}")
        return [self.rule_lits[ref]]

    def _never(self, enforce: list, ref: RuleRef) -> None:
        """The constraint cannot hold: with `enforce` all true the model is infeasible."""
        if enforce:
            self.m.add_bool_or([lit.Not() for lit in enforce])
        else:
            self.m.add_bool_or([])
        self.infeasible_without.append(ref)

    # ---- grid and footprints ---------------------------------------------------------------

    def _grid(self) -> Grid:
        zones = []
        for fid in self.p.place:
            keeps = [t.zone for t in self.p.terms.get(fid, ()) if isinstance(t, Keep)]
            if not keeps:
                raise LayoutInputError(f"{fid} has no rule that says where it may lie (within, in_dongs): "
                                       "a layout cannot place it", code="no_allowed_zone", facility=fid)
            zones += keeps
        if self.p.land is not None:
            zones.append(self.p.land[0])
        return Grid.covering(zones, self.p.cell)

    def _footprints(self) -> None:
        g, c = self.grid, self.p.cell
        self.options: dict[str, list[Footprint]] = {}
        self.option_lits: dict[str, list] = {}
        self.x, self.y, self.w, self.h, self.k = {}, {}, {}, {}, {}
        for fid in self.p.place:
            ts = self.terms[fid]
            mins = [t for t in ts if isinstance(t, MinArea)]
            widths = [t for t in ts if isinstance(t, MinWidth)]
            maxes = [t for t in ts if isinstance(t, MaxArea)]
            a = max((t.value for t in mins), default=None)
            wd = max((t.value for t in widths), default=None)
            if self.explaining:
                # Every footprint any combination of the size rules allows, from all the facility's
                # size rules (also those left out of this model), so that switching a rule off only
                # ever allows more: the normal model's footprints first, then relaxed ones.
                every = [t.loosen(self.loosened[t.ref]) if t.ref in self.loosened else t
                         for t in self.p.terms.get(fid, ())]
                a_all = max((t.value for t in every if isinstance(t, MinArea)), default=None)
                w_all = max((t.value for t in every if isinstance(t, MinWidth)), default=None)
                opts: list[Footprint] = list(family(c, a_all, w_all)) if (a_all or w_all) else []
                for aa in (a_all, None):
                    for ww in (w_all, None):
                        fam = family(c, aa, ww, aspects=EXPLAIN_ASPECTS) if (aa or ww) else [Footprint(1, 1)]
                        opts += [f for f in fam if f not in opts]
            else:
                if a is None and wd is None:
                    family(c, None, None)  # raises NoSize
                mx = min((t.value for t in maxes), default=None)
                opts = family(c, a, wd, mx)
            opts = [f for f in opts if f.w <= g.nx and f.h <= g.ny]
            self.options[fid] = opts
            x = self.m.new_int_var(0, g.nx - 1, f"x {fid}")
            y = self.m.new_int_var(0, g.ny - 1, f"y {fid}")
            lits = [self.m.new_bool_var(f"{fid} {f.w}x{f.h}") for f in opts]
            self.option_lits[fid] = lits
            self.x[fid], self.y[fid] = x, y
            if not opts:
                self._never([], (mins or widths or maxes)[0].ref if (mins or widths or maxes) else (fid, "size"))
                self.w[fid] = self.h[fid] = self.k[fid] = 0
                continue
            self.m.add_exactly_one(lits)
            w = self.m.new_int_var(min(f.w for f in opts), max(f.w for f in opts), f"w {fid}")
            h = self.m.new_int_var(min(f.h for f in opts), max(f.h for f in opts), f"h {fid}")
            k = self.m.new_int_var(0, len(opts) - 1, f"k {fid}")
            self.m.add(w == sum(f.w * lit for f, lit in zip(opts, lits)))
            self.m.add(h == sum(f.h * lit for f, lit in zip(opts, lits)))
            self.m.add(k == sum(i * lit for i, lit in enumerate(lits)))
            self.m.add(x + w <= g.nx)
            self.m.add(y + h <= g.ny)
            self.w[fid], self.h[fid], self.k[fid] = w, h, k
            if self.explaining:  # a footprint breaking a size rule is allowed only with that rule off
                for f, lit in zip(opts, lits):
                    for t in mins:
                        if f.area_m2(c) < t.value - 1e-6:
                            self.m.add_implication(self.lit(t.ref)[0], lit.Not())
                    for t in widths:
                        if f.width_m(c) < t.value - 1e-6:
                            self.m.add_implication(self.lit(t.ref)[0], lit.Not())
                    for t in maxes:
                        if f.area_m2(c) > t.value + 1e-6:
                            self.m.add_implication(self.lit(t.ref)[0], lit.Not())
        self.intervals = {}
        for fid in self.p.place:
            if self.options[fid]:
                xe = self.m.new_int_var(0, self.grid.nx, f"x end {fid}")
                ye = self.m.new_int_var(0, self.grid.ny, f"y end {fid}")
                self.intervals[fid] = (self.m.new_interval_var(self.x[fid], self.w[fid], xe, f"ix {fid}"),
                                       self.m.new_interval_var(self.y[fid], self.h[fid], ye, f"iy {fid}"))

    # ---- terms -----------------------------------------------------------------------------

    def _compile(self) -> None:
        placed, fixed = set(self.p.place), self.p.fixed
        for fid, ts in self.terms.items():
            for t in ts:
                if isinstance(t, (MinArea, MinWidth, MaxArea)):
                    continue  # chose the footprints
                if isinstance(t, Keep):
                    if fid in placed:
                        self._regions[fid].append(Region(t.ref, "keep", shrunk(t.zone, t.value)))
                elif isinstance(t, Avoid):
                    if fid in placed:
                        self._regions[fid].append(Region(t.ref, "avoid", grown(t.geometry, t.value)))
                elif isinstance(t, Reach):
                    if fid in placed:
                        self._regions[fid].append(Region(t.ref, "reach", reach_of(t.geometry, t.value)))
                elif isinstance(t, Apart):
                    for o in t.others:
                        self._apart(fid, o, t)
                elif isinstance(t, Near):
                    self._near(fid, t)
                elif isinstance(t, Disjoint):
                    for o in (*self.p.place, *fixed):
                        if o != fid:
                            self._no_overlap(fid, o, t)
                else:
                    raise TypeError(f"the layout model does not know the term {type(t).__name__}")
        self._place_regions()
        self._add_disjoint()

    def _apart(self, fid: str, other: str, t: Apart) -> None:
        placed, fixed = set(self.p.place), self.p.fixed
        if fid in placed and other in placed:
            dx, dy, sx, sy = self.squares(fid, other)
            enforce = self.lit(t.ref)
            self.m.add(sx + sy >= math.ceil(t.value ** 2 / self.p.cell ** 2 - 1e-9)).only_enforce_if(enforce)
            self.m.add(dx + dy >= math.ceil(t.value / self.p.cell - 1e-9)).only_enforce_if(enforce)  # √ ≤ sum
        elif fid in placed and other in fixed:
            self._apart_from_box(fid, fixed[other], t.value, self.lit(t.ref))
        elif fid in fixed and other in placed:
            self._apart_from_box(other, fixed[fid], t.value, self.lit(t.ref))

    def box_cells(self, geom: BaseGeometry, outward: bool) -> tuple[int, int, int, int] | None:
        """A fixed site's bounding box in cells: rounded outwards (never nearer than the site) or
        inwards (only when the site is that box: never farther); None when there is none."""
        g = self.grid
        x0, y0, x1, y1 = shapely.bounds(geom)
        fx0, fy0, fx1, fy1 = (x0 - g.x0) / g.cell, (y0 - g.y0) / g.cell, (x1 - g.x0) / g.cell, (y1 - g.y0) / g.cell
        if outward:
            return math.floor(fx0 + 1e-9), math.floor(fy0 + 1e-9), math.ceil(fx1 - 1e-9), math.ceil(fy1 - 1e-9)
        if shapely.area(geom) < (x1 - x0) * (y1 - y0) * (1 - 1e-9):
            return None
        box = math.ceil(fx0 - 1e-9), math.ceil(fy0 - 1e-9), math.floor(fx1 + 1e-9), math.floor(fy1 + 1e-9)
        return box if box[0] <= box[2] and box[1] <= box[3] else None

    def box_gaps(self, fid: str, box: tuple[int, int, int, int]) -> tuple:
        """(dx, dy, dx², dy²) between a placed facility and a fixed box, in cells."""
        key = (fid, box)
        if key not in self._squares:
            g, m = self.grid, self.m
            span = 2 * (g.nx + g.ny) + abs(box[0]) + abs(box[1]) + abs(box[2]) + abs(box[3])
            dx, dy = m.new_int_var(0, span, f"dx {fid} box"), m.new_int_var(0, span, f"dy {fid} box")
            m.add_max_equality(dx, [0, box[0] - self.x[fid] - self.w[fid], self.x[fid] - box[2]])
            m.add_max_equality(dy, [0, box[1] - self.y[fid] - self.h[fid], self.y[fid] - box[3]])
            sx, sy = m.new_int_var(0, span * span, "dx² box"), m.new_int_var(0, span * span, "dy² box")
            m.add_multiplication_equality(sx, [dx, dx])
            m.add_multiplication_equality(sy, [dy, dy])
            self._squares[key] = (dx, dy, sx, sy)
        return self._squares[key]

    def _apart_from_box(self, fid: str, site: BaseGeometry, d: float, enforce: list) -> None:
        """At least d from a fixed site: from its bounding box, which is never nearer."""
        dx, dy, sx, sy = self.box_gaps(fid, self.box_cells(site, outward=True))
        self.m.add(sx + sy >= math.ceil(d ** 2 / self.p.cell ** 2 - 1e-9)).only_enforce_if(enforce)
        self.m.add(dx + dy >= math.ceil(d / self.p.cell - 1e-9)).only_enforce_if(enforce)

    def _off_box(self, fid: str, site: BaseGeometry, enforce: list) -> None:
        """No overlap with a fixed site's bounding box: left, right, below or above it."""
        bx0, by0, bx1, by1 = self.box_cells(site, outward=True)
        sides = [self.m.new_bool_var(f"{fid} {side} box") for side in ("left", "right", "below", "above")]
        self.m.add(self.x[fid] + self.w[fid] <= bx0).only_enforce_if(sides[0])
        self.m.add(self.x[fid] >= bx1).only_enforce_if(sides[1])
        self.m.add(self.y[fid] + self.h[fid] <= by0).only_enforce_if(sides[2])
        self.m.add(self.y[fid] >= by1).only_enforce_if(sides[3])
        self.m.add_bool_or(sides).only_enforce_if(enforce)

    def _no_overlap(self, fid: str, other: str, t: Disjoint) -> None:
        placed, fixed = set(self.p.place), self.p.fixed
        if fid in placed and other in placed:
            pair = tuple(sorted((fid, other)))
            self._disjoint.add(pair)
            self._disjoint_refs.setdefault(pair, []).append(t.ref)
        elif fid in placed and other in fixed and self.options[fid]:
            self._off_box(fid, fixed[other], self.lit(t.ref))
        elif fid in fixed and other in placed and self.options[other]:
            self._off_box(other, fixed[fid], self.lit(t.ref))

    def _near(self, fid: str, t: Near) -> None:
        placed, fixed = set(self.p.place), self.p.fixed
        enforce = self.lit(t.ref)
        options = []
        for o in t.others:
            if fid in fixed and o in fixed:
                if shapely.distance(fixed[fid], fixed[o]) <= t.value + 1e-6:
                    return  # already near: nothing to ask of the layout
                continue
            if not (o in placed or o in fixed) or not (fid in placed or fid in fixed):
                continue
            n = self.m.new_bool_var(f"near {fid} {o}")
            options.append(n)
            if fid in placed and o in placed:
                dx, dy, sx, sy = self.squares(fid, o)
                r = math.floor(t.value / self.p.cell + 1e-9)
                self.m.add(dx <= r).only_enforce_if([*enforce, n])
                self.m.add(dy <= r).only_enforce_if([*enforce, n])
                self.m.add(sx + sy <= math.floor(t.value ** 2 / self.p.cell ** 2 + 1e-9)).only_enforce_if([*enforce, n])
            else:
                mover, anchor = (fid, fixed[o]) if fid in placed else (o, fixed[fid])
                box = self.box_cells(anchor, outward=False)
                if box is None:  # not a box: the cells within reach of the site itself
                    self._conditional.append((mover, Region(t.ref, "reach", reach_of(anchor, t.value)), [*enforce, n]))
                    continue
                dx, dy, sx, sy = self.box_gaps(mover, box)
                self.m.add(sx + sy <= math.floor(t.value ** 2 / self.p.cell ** 2 + 1e-9)).only_enforce_if([*enforce, n])
        if not options:
            self._never(enforce, t.ref)
            return
        self.m.add_bool_or(options).only_enforce_if(enforce)

    def gaps(self, a: str, b: str) -> tuple:
        """(dx, dy): the gaps between the boxes of two placed facilities, in cells."""
        key = (a, b) if a < b else (b, a)
        if key not in self._pairs:
            a, b = key
            g = self.grid
            dx = self.m.new_int_var(0, g.nx, f"dx {a} {b}")
            dy = self.m.new_int_var(0, g.ny, f"dy {a} {b}")
            self.m.add_max_equality(dx, [0, self.x[b] - self.x[a] - self.w[a], self.x[a] - self.x[b] - self.w[b]])
            self.m.add_max_equality(dy, [0, self.y[b] - self.y[a] - self.h[a], self.y[a] - self.y[b] - self.h[b]])
            self._pairs[key] = (dx, dy)
        return self._pairs[key]

    def squares(self, a: str, b: str) -> tuple:
        """(dx, dy, dx², dy²) of two placed facilities."""
        key = (a, b) if a < b else (b, a)
        if key not in self._squares:
            dx, dy = self.gaps(a, b)
            g = self.grid
            sx = self.m.new_int_var(0, g.nx * g.nx, f"dx² {key}")
            sy = self.m.new_int_var(0, g.ny * g.ny, f"dy² {key}")
            self.m.add_multiplication_equality(sx, [dx, dx])
            self.m.add_multiplication_equality(sy, [dy, dy])
            self._squares[key] = (dx, dy, sx, sy)
        return self._squares[key]

    def _add_disjoint(self) -> None:
        if not self._disjoint:
            return
        placed = [f for f in self.p.place if self.options[f]]
        if not self.explaining:
            full = {tuple(sorted((a, b))) for i, a in enumerate(placed) for b in placed[i + 1:]}
            if full <= self._disjoint:
                self.m.add_no_overlap_2d([self.intervals[f][0] for f in placed], [self.intervals[f][1] for f in placed])
                return
            for a, b in sorted(self._disjoint):
                if a in self.intervals and b in self.intervals:
                    self.m.add_no_overlap_2d([self.intervals[a][0], self.intervals[b][0]],
                                             [self.intervals[a][1], self.intervals[b][1]])
            return
        for (a, b), refs in sorted(self._disjoint_refs.items()):
            if a not in self.intervals or b not in self.intervals:
                continue
            sides = [self.m.new_bool_var(f"{a} {side} {b}") for side in ("left", "right", "below", "above")]
            self.m.add(self.x[a] + self.w[a] <= self.x[b]).only_enforce_if(sides[0])
            self.m.add(self.x[b] + self.w[b] <= self.x[a]).only_enforce_if(sides[1])
            self.m.add(self.y[a] + self.h[a] <= self.y[b]).only_enforce_if(sides[2])
            self.m.add(self.y[b] + self.h[b] <= self.y[a]).only_enforce_if(sides[3])
            for ref in refs:  # either rule alone keeps the pair apart
                self.m.add_bool_or(sides).only_enforce_if(self.lit(ref))

    # ---- allowed corners --------------------------------------------------------------------

    def _mask(self, region: Region) -> np.ndarray:
        """The cells the region's test looks at: wholly inside a zone to keep in; meeting what to
        avoid, or what to reach (a site holding a cell that meets the reach comes within it).
        Several facilities share zones (a sub-complex, the legal dong): each is classified once."""
        key = shapely.to_wkb(region.geometry)
        if key not in self._classified:
            self._classified[key] = classify(self.grid, region.geometry)
        inside, meets = self._classified[key]
        return inside if region.how == "keep" else meets

    @staticmethod
    def _positions(how: str, table: np.ndarray, f: Footprint) -> np.ndarray:
        if how == "keep":
            return window_all(table, f.w, f.h)
        if how == "avoid":
            return ~window_any(table, f.w, f.h)
        return window_any(table, f.w, f.h)

    def _place_regions(self) -> None:
        for fid in self.p.place:
            if not self.options[fid]:
                continue
            if self.explaining:
                for r in self._regions[fid]:
                    self._place_one(fid, [r], [r.ref])
            else:
                self._place_one(fid, self._regions[fid], [])
        for fid, region, enforce in self._conditional:
            self._place_one(fid, [region], None, enforce)

    def _place_one(self, fid: str, regions: list[Region], rule_refs: list[RuleRef] | None,
                   enforce: list | None = None) -> None:
        """Allow only the corners where every region holds, for each footprint of `fid`. The zones
        to keep inside are intersected first (a cell is inside all of them when it is inside their
        intersection) and the work is cropped to the box of their cells."""
        keeps = [r for r in regions if r.how == "keep"]
        rest = [r for r in regions if r.how != "keep"]
        r0, r1, c0, c1 = 0, self.grid.ny - 1, 0, self.grid.nx - 1
        masks: list[tuple[str, np.ndarray]] = []
        if keeps:
            zone = shapely.intersection_all([r.geometry for r in keeps])
            inside = self._mask(Region(keeps[0].ref, "keep", zone))
            rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
            if not len(rows):
                for f, lit in zip(self.options[fid], self.option_lits[fid]):
                    self.restrict(fid, np.zeros((0, 0), dtype=bool), self._enforce(lit, rule_refs, enforce), (0, 0))
                return
            r0, r1, c0, c1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
            masks.append(("keep", inside))
        masks += [(r.how, self._mask(r)) for r in rest]
        tables = [(how, prefix(m[r0:r1 + 1, c0:c1 + 1])) for how, m in masks]
        for f, lit in zip(self.options[fid], self.option_lits[fid]):
            allowed = np.ones((max(r1 - r0 + 2 - f.h, 0), max(c1 - c0 + 2 - f.w, 0)), dtype=bool)
            for how, table in tables:
                allowed &= self._positions(how, table, f)
            self.restrict(fid, allowed, self._enforce(lit, rule_refs, enforce), (r0, c0))

    def _enforce(self, lit, rule_refs: list[RuleRef] | None, enforce: list | None) -> list:
        if enforce is not None:
            return [lit, *enforce]
        return [lit, *(v for ref in rule_refs for v in self.lit(ref))]

    def restrict(self, fid: str, allowed: np.ndarray, enforce: list, offset: tuple[int, int]) -> None:
        """With `enforce` all true, the corner (x, y) of `fid` is one where `allowed` is True
        (row 0, column 0 of `allowed` being grid cell `offset`): in one of the set's convex
        pieces (pieces.py), each a few linear inequalities."""
        x, y = self.x[fid], self.y[fid]
        rows = np.flatnonzero(allowed.any(axis=1)) if allowed.size else np.zeros(0, dtype=np.int64)
        if not len(rows):
            self.m.add_bool_or([lit.Not() for lit in enforce])
            return
        cols = np.flatnonzero(allowed.any(axis=0))
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
        oy, ox = offset
        for cond in (y >= r0 + oy, y <= r1 + oy, x >= c0 + ox, x <= c1 + ox):
            self.m.add(cond).only_enforce_if(enforce)
        pieces = convex_pieces(allowed[r0:r1 + 1, c0:c1 + 1])
        if len(pieces) == 1 and all(b == 0 for _, b, _ in pieces[0].at_least) and pieces[0].rows == (0, r1 - r0):
            if all((a == 1 and c <= 0) or (a == -1 and -c >= c1 - c0) for a, _, c in pieces[0].at_least):
                return  # a rectangle of corners: the bounds say it all
        picks = [self.m.new_bool_var(f"piece {fid}") for _ in pieces] if len(pieces) > 1 else []
        if picks:
            self.m.add_bool_or(picks).only_enforce_if(enforce)
        for k, piece in enumerate(pieces):
            on = [*enforce, picks[k]] if picks else enforce
            self.m.add(y >= piece.rows[0] + r0 + oy).only_enforce_if(on)
            self.m.add(y <= piece.rows[1] + r0 + oy).only_enforce_if(on)
            for a, b, c in piece.at_least:
                self.m.add(a * x + b * y >= c + a * (c0 + ox) + b * (r0 + oy)).only_enforce_if(on)

    # ---- reading a solution ------------------------------------------------------------------

    def placement(self, value) -> dict[str, tuple[int, int, Footprint]]:
        """(x, y, footprint) of every placed facility, read with `value` (a solver's or a callback's)."""
        out = {}
        for fid in self.p.place:
            k = int(value(self.k[fid]))
            out[fid] = (int(value(self.x[fid])), int(value(self.y[fid])), self.options[fid][k])
        return out

    def sites(self, placement: dict[str, tuple[int, int, Footprint]]) -> dict[str, BaseGeometry]:
        return {fid: self.grid.box(x, y, f.w, f.h) for fid, (x, y, f) in placement.items()}
