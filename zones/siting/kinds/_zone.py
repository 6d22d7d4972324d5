"""What the two zone kinds (within, in_dongs) share: binding a zone, the area outside it, the wording."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely

from zones.siting.arrays import EPS_M2, RuleArrays, no_target, others
from zones.siting.batch import Batch
from zones.siting.clip import ring_overlap_areas, triangulate
from zones.siting.context import BoundRule, FeatureRef, zone_rule
from zones.siting.kinds._words import measured, num
from zones.siting.registry import Cut, Effect, Param, not_negative
from zones.siting.rules import Rule

TOLERANCE = Param("tolerance_m2", float, 10.0, "m²", not_negative)


def bind_zone(rule: Rule, feats: Mapping[str, FeatureRef]) -> BoundRule:
    """The zone, with its triangles for the compiled overlap kernel (zones/siting/clip.py)."""
    b = zone_rule(rule, feats)
    b.pieces = triangulate(b.zone_overlay)
    return b


def area_outside(b: BoundRule, batch: Batch) -> RuleArrays:
    """m² of each candidate outside the zone; passes up to the tolerance.

    Polygonal sites get the area inside the zone from the compiled clipping kernel
    (zones/siting/clip.py), which clips a site only against the zone's convex pieces whose
    edges cross it; anything else (points, lines, a zone that would not triangulate) takes
    exact GEOS predicates and, across the zone edge, a GEOS overlay.
    """
    g, area = batch.geoms, batch.area
    if b.pieces is not None and batch.all_polygonal:  # the usual batch: no index arrays to gather
        outside = np.maximum(area - ring_overlap_areas(batch.rings, b.pieces, bounds=batch.bounds)[:, 0], 0.0)
        return RuleArrays(b, outside <= b.rule.threshold + EPS_M2, outside, no_target(len(g)))
    outside = np.zeros(len(g))
    fast = np.flatnonzero(batch.polygonal) if b.pieces is not None else np.zeros(0, dtype=np.int64)
    if len(fast):
        inside = ring_overlap_areas(batch.rings_at(fast), b.pieces, bounds=batch.bounds[fast])[:, 0]
        outside[fast] = np.maximum(area[fast] - inside, 0.0)
    slow = others(fast, len(g))
    if len(slow):
        covered = shapely.covers(b.zone, g[slow])
        crossing = slow[~covered][shapely.intersects(b.zone, g[slow[~covered]])]
        outside[slow[~covered]] = area[slow[~covered]]
        if len(crossing):
            outside[crossing] = shapely.area(shapely.difference(g[crossing], b.zone_overlay))
    return RuleArrays(b, outside <= b.rule.threshold + EPS_M2, outside, no_target(len(g)))


def zone_message(what_ko: str, what_en: str, passed: bool, m: float, t: float) -> tuple[str, str]:
    ms, ts = measured(m), num(t)
    if passed:
        return (f"{what_ko} 안 (구역 밖 {ms} m², 허용 {ts} m²)", f"inside {what_en} ({ms} m² outside, {ts} m² allowed)")
    return (f"부지 중 {ms} m²가 {what_ko} 밖 (허용 {ts} m²)", f"{ms} m² of the site lies outside {what_en} (allowed {ts} m²)")


def zone_cut(b: BoundRule) -> Cut:
    """A site must lie in the zone: the region starts inside it."""
    return Cut(Effect.ZONE, b.zone, b.zone)


def tolerance(p: Mapping) -> float:
    return float(p["tolerance_m2"])
