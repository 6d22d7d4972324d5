"""The same rules, one candidate at a time, in plain Python.

This is how a check is usually first written: a loop over candidates and rules
with scalar shapely calls. It is kept as an independent second implementation:
the tests compare the vectorised path with it, and the benchmark measures how
much faster the vectorised path is.
"""
from __future__ import annotations

import numpy as np
import shapely

from zones.siting.context import SitingContext
from zones.siting.evaluate import EPS_M, EPS_M2
from zones.siting.width import MIC_TOLERANCE_M


def measure_loop(ctx: SitingContext, facility: str, geoms) -> list[tuple[np.ndarray, np.ndarray]]:
    """(passed, measured) per rule, like evaluate.measure, computed candidate by candidate."""
    bound = ctx.facility_rules(facility)
    boundaries = [b.zone.boundary if b.rule.kind == "setback" else None for b in bound]
    n = len(geoms)
    passed = [np.zeros(n, bool) for _ in bound]
    measured = [np.zeros(n) for _ in bound]
    for i, g in enumerate(geoms):
        area = g.area
        for k, b in enumerate(bound):
            kind, t = b.rule.kind, b.rule.threshold
            if kind in ("within", "in_dongs"):
                m = 0.0 if b.zone.covers(g) else g.difference(b.zone_overlay).area  # unprepared: faster overlay
                ok = m <= t + EPS_M2
            elif kind == "min_area":
                m, ok = area, area >= t - EPS_M2
            elif kind == "max_area":
                m, ok = area, area <= t + EPS_M2
            elif kind == "min_width":
                m = 2.0 * shapely.maximum_inscribed_circle(g, MIC_TOLERANCE_M).length
                ok = m >= t - 2 * MIC_TOLERANCE_M
            elif kind == "setback":
                m = g.distance(boundaries[k]) if b.zone.covers(g) else 0.0
                ok = m >= t - EPS_M
            elif kind in ("clearance", "adjacency"):
                m = min((g.distance(x) for x in b.targets), default=float("inf"))
                ok = m >= t - EPS_M if kind == "clearance" else m <= t + EPS_M
            else:  # no_overlap
                m = sum(g.intersection(x).area for x in b.targets if g.intersects(x))
                ok = m <= t + EPS_M2
            passed[k][i], measured[k][i] = ok, m
    return list(zip(passed, measured))
