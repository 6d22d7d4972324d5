"""The siting rules again, one candidate at a time, in plain Python: the yardstick of the fast path.

This is how a check is usually first written: a loop over candidates and rules
with scalar shapely calls. It is kept as an independent second implementation:
the tests compare the vectorised path (each kind's `measure`) with it, and the
benchmark (bench/bench_siting.py) measures how much faster the vectorised path
is. A kind without an entry in SCALAR is an error here, never a guess.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.arrays import EPS_M, EPS_M2
from zones.siting.context import BoundRule, SitingContext
from zones.siting.width import MIC_TOLERANCE_M

# (candidate, its area, the bound rule, its threshold, the zone boundary) -> (passed, measured)
Scalar = Callable[[BaseGeometry, float, BoundRule, float, BaseGeometry | None], tuple[bool, float]]


def _outside(g, area, b, t, boundary):
    m = 0.0 if b.zone.covers(g) else g.difference(b.zone_overlay).area  # unprepared: faster overlay
    return m <= t + EPS_M2, m


def _min_area(g, area, b, t, boundary):
    return area >= t - EPS_M2, area


def _max_area(g, area, b, t, boundary):
    return area <= t + EPS_M2, area


def _min_width(g, area, b, t, boundary):
    m = 2.0 * shapely.maximum_inscribed_circle(g, MIC_TOLERANCE_M).length
    return m >= t - 2 * MIC_TOLERANCE_M, m


def _setback(g, area, b, t, boundary):
    m = g.distance(boundary) if b.zone.covers(g) else 0.0
    return m >= t - EPS_M, m


def _nearest(g, b):
    return min((g.distance(x) for x in b.targets), default=float("inf"))


def _clearance(g, area, b, t, boundary):
    m = _nearest(g, b)
    return m >= t - EPS_M, m


def _adjacency(g, area, b, t, boundary):
    m = _nearest(g, b)
    return m <= t + EPS_M, m


def _no_overlap(g, area, b, t, boundary):
    m = sum(g.intersection(x).area for x in b.targets if g.intersects(x))
    return m <= t + EPS_M2, m


SCALAR: dict[str, Scalar] = {
    "within": _outside,
    "in_dongs": _outside,
    "min_area": _min_area,
    "max_area": _max_area,
    "min_width": _min_width,
    "setback": _setback,
    "clearance": _clearance,
    "adjacency": _adjacency,
    "no_overlap": _no_overlap,
}


def scalar_of(kind: str) -> Scalar:
    try:
        return SCALAR[kind]
    except KeyError:
        raise KeyError(f"no scalar reference for rule kind {kind!r}; add one to tests/siting_reference.py") from None


def measure_loop(ctx: SitingContext, facility: str, geoms) -> list[tuple[np.ndarray, np.ndarray]]:
    """(passed, measured) per rule, like zones.siting.measure, computed candidate by candidate."""
    bound = ctx.facility_rules(facility)
    scalars = [scalar_of(b.rule.kind) for b in bound]
    boundaries = [b.zone.boundary if b.rule.kind == "setback" else None for b in bound]
    thresholds = [b.rule.threshold for b in bound]
    n = len(geoms)
    passed = [np.zeros(n, bool) for _ in bound]
    measured = [np.zeros(n) for _ in bound]
    for i, g in enumerate(geoms):
        area = g.area
        for k, b in enumerate(bound):
            passed[k][i], measured[k][i] = scalars[k](g, area, b, thresholds[k], boundaries[k])
    return list(zip(passed, measured))
