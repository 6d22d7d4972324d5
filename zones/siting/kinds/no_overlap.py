"""`no_overlap`: the site overlaps no other planned site (its own stored site does not count)."""
from __future__ import annotations

import numpy as np
import shapely

from zones.siting.arrays import EPS_M2, RuleArrays, no_target, others
from zones.siting.batch import Batch
from zones.siting.clip import ring_overlap_areas, triangulate
from zones.siting.context import BoundRule, LayerFeatures, features, target_rule
from zones.siting.kinds._words import measured, num
from zones.siting.layout.terms import Avoid, Disjoint, LayoutPart, Term, fixed_targets
from zones.siting.registry import Cut, Effect, Param, RegionCut, RuleKind, no_cross_checks, not_negative, register_kind
from zones.siting.rules import Rule, RuleSet

# Candidates per call of the clipping kernel: bounds its (candidates × targets) table.
_OVERLAP_CELLS = 2_000_000


def _bind(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    layer = rule.params["layer"] or rules.facilities_layer
    feats = {i: f for i, f in features(rule, layers, layer, None, "layer").items() if i != rule.facility}
    b = target_rule(rule, feats)
    b.pieces = triangulate(b.targets)  # owner = target index
    return b


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    g = batch.geoms
    overlap = np.zeros(len(g))
    which = no_target(len(g))
    if not len(b.targets):
        return RuleArrays(b, overlap <= b.rule.threshold + EPS_M2, overlap, which)
    n_t = len(b.targets)
    fast = np.flatnonzero(batch.polygonal) if b.pieces is not None else np.zeros(0, dtype=np.int64)
    step = max(1, _OVERLAP_CELLS // n_t)
    if len(fast) == len(g) <= step:  # the usual batch: no index arrays to gather
        per = np.maximum(ring_overlap_areas(batch.rings, b.pieces, n_t, bounds=batch.bounds), 0.0)
        _tally(per, slice(None), overlap, which)
        fast = np.arange(len(g))
    else:
        for lo in range(0, len(fast), step):
            idx = fast[lo:lo + step]
            per = np.maximum(ring_overlap_areas(batch.rings_at(idx), b.pieces, n_t, bounds=batch.bounds[idx]), 0.0)
            _tally(per, idx, overlap, which)
    slow = others(fast, len(g))
    if len(slow):  # points, lines, targets that would not triangulate: GEOS overlays
        src, tgt = b.tree.query(g[slow], predicate="intersects")
        per = np.zeros((len(slow), n_t))
        per[src, tgt] = shapely.area(shapely.intersection(g[slow[src]], b.targets[tgt]))
        _tally(per, slow, overlap, which)
    return RuleArrays(b, overlap <= b.rule.threshold + EPS_M2, overlap, which)


def _tally(per: np.ndarray, idx: np.ndarray | slice, overlap: np.ndarray, which: np.ndarray) -> None:
    """Total overlap of candidates `idx` (indices, or a slice of all) and the target each overlaps
    most (named in the message)."""
    overlap[idx] = per.sum(axis=1)
    most = np.argmax(per, axis=1)
    hit = np.take_along_axis(per, most[:, None], axis=1)[:, 0] > 0
    which[idx] = np.where(hit, most, which[idx])


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    ms, ts = measured(m), num(t)
    if passed:
        return (f"다른 계획 시설과 중첩 {ms} m² (허용 {ts} m²)",
                f"overlap with other planned sites {ms} m² (allowed {ts} m²)")
    return (f"{ko}와 {ms} m² 중첩 (허용 {ts} m²)", f"overlaps {en} by {ms} m² (allowed {ts} m²)")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """The facilities' own layer: no two sites of the layout overlap; another layer: its features
    are fixed geometry the site must not overlap."""
    ref = (b.rule.facility, b.rule.id)
    if (b.rule.params["layer"] or facilities_layer) == facilities_layer:
        return (Disjoint(ref=ref, value=b.rule.threshold),)
    return (Avoid(ref=ref, value=0.0, geometry=fixed_targets(b), name_ko=b.name_ko, name_en=b.name_en),)


def _cut(b: BoundRule) -> Cut | None:
    """The region loses the other sites."""
    if not len(b.targets):
        return None
    others = shapely.union_all(b.targets)
    return Cut(Effect.DROP, others, others)


NO_OVERLAP = register_kind(RuleKind(
    name="no_overlap", label_ko="다른 계획 시설과 중첩 금지", label_en="no overlap with other planned sites",
    unit="m²",
    params=(Param("layer", str, None), Param("max_overlap_m2", float, 0.0, "m²", not_negative)),
    threshold=lambda p: float(p["max_overlap_m2"]), validate=no_cross_checks, bind=_bind, measure=_measure,
    message=_message, layout=LayoutPart(_layout), region=RegionCut(role="existing_facility", term="other_sites", cut=_cut),
))
