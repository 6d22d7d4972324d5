"""`setback`: the site keeps this distance inside the boundary of a zone (0 when it is not inside)."""
from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from zones.siting.arrays import EPS_M, RuleArrays, no_target
from zones.siting.batch import Batch
from zones.siting.context import BoundRule, LayerFeatures, boundary_segments, features, zone_rule
from zones.siting.distance import MAX_SEGMENTS, contained_pairs, edge_min_distances, segments_of
from zones.siting.errors import RuleError
from zones.siting.kinds._words import at_least, measured, num
from zones.siting.layout.terms import Keep, LayoutPart, Term
from zones.siting.registry import BUFFER_QUAD_SEGS, Cut, Effect, Param, RegionCut, RuleKind, positive, register_kind
from zones.siting.rules import Rule, RuleSet


def _validate(rule_id: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    if not p["features"]:
        raise RuleError(f"rule {rule_id!r}: features must name at least one feature of {p['layer']!r}", "features")


def _bind(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    p = rule.params
    b = zone_rule(rule, features(rule, layers, p["layer"], p["features"], "features"))
    b.boundary_tree = shapely.STRtree(boundary_segments(b.zone))
    b.segments = segments_of(b.zone_overlay)
    return b


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    # The distance counts only for a site inside the zone (outside it, the setback is 0). A site
    # whose boundary stays apart from the zone boundary is inside exactly when its vertices are
    # and no zone vertex lies inside it (zones/siting/distance.py).
    g = batch.geoms
    dist = np.zeros(len(g))
    rest = np.arange(len(g))
    if b.segments is not None and len(b.segments) <= MAX_SEGMENTS:
        a, e_b, edge_of, n = batch.edges
        zx0, zy0, zx1, zy1 = b.zone.bounds
        bb = batch.bounds
        off_box = ~((bb[:, 0] >= zx0) & (bb[:, 1] >= zy0) & (bb[:, 2] <= zx1) & (bb[:, 3] <= zy1))
        d = edge_min_distances(a, e_b, edge_of, n, b.segments, skip=off_box)[:, 0]  # outside: 0
        apart = np.flatnonzero(np.isfinite(d) & (d > 0))
        all_in, _, zone_in = contained_pairs(a, e_b, edge_of, b.segments, batch.polygonal, apart,
                                             np.zeros(len(apart), dtype=np.int64), batch.edge_off)
        inside = apart[all_in & ~zone_in]
        dist[inside] = d[inside]
        rest = np.flatnonzero(np.isinf(d))  # no edges (points): GEOS below
    if len(rest):
        inside = rest[shapely.covers(b.zone, g[rest])]
        (src, _), d = b.boundary_tree.query_nearest(g[inside], return_distance=True, all_matches=False)
        dist[inside[src]] = d
    return RuleArrays(b, dist >= b.rule.threshold - EPS_M, dist, no_target(len(g)))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    ge, ms, ts = at_least(passed), measured(m), num(t)
    return (f"{ko} 경계 이격 {ms} m {ge} 기준 {ts} m", f"setback {ms} m {ge} required {ts} m from the boundary of {en}")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """A layout keeps the site inside the zone shrunk by the distance."""
    return (Keep(ref=(b.rule.facility, b.rule.id), value=b.rule.threshold, zone=b.zone_overlay,
                 name_ko=b.name_ko, name_en=b.name_en),)


def _cut(b: BoundRule) -> Cut:
    """The region keeps the zone shrunk by the distance; the map shows the band that goes."""
    inner = shapely.buffer(b.zone, -b.rule.threshold, quad_segs=BUFFER_QUAD_SEGS)
    return Cut(Effect.KEEP, inner, shapely.difference(b.zone, inner))


SETBACK = register_kind(RuleKind(
    name="setback", label_ko="경계 이격", label_en="setback from boundary", unit="m",
    params=(Param("distance_m", float, unit="m", check=positive), Param("layer", str), Param("features", list)),
    threshold=lambda p: float(p["distance_m"]), validate=_validate, bind=_bind, measure=_measure,
    message=_message, layout=LayoutPart(_layout), region=RegionCut(role="setback_band", term="setback_band", cut=_cut),
))
