"""`adjacency`: the site comes within this distance of other facilities or a layer's features."""
from __future__ import annotations

from zones.siting.arrays import EPS_M, RuleArrays
from zones.siting.batch import Batch
from zones.siting.context import BoundRule
from zones.siting.kinds._targets import PARAMS, bind_targets, nearest, targets_buffer, validate_targets
from zones.siting.kinds._words import at_most, measured, num
from zones.siting.layout.terms import LayoutPart, Near, Reach, Term, facility_targets, fixed_targets
from zones.siting.registry import Cut, Effect, RegionCut, RuleKind, register_kind


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    dist, which = nearest(b, batch)
    return RuleArrays(b, dist <= b.rule.threshold + EPS_M, dist, which)


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    le, ms, ts = at_most(passed), measured(m), num(t)
    return (f"{ko}까지 거리 {ms} m {le} 허용 {ts} m", f"distance to {en} {ms} m {le} allowed {ts} m")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """Other facilities: the layout keeps two sites close; a layer: fixed geometry to reach."""
    ref, others = (b.rule.facility, b.rule.id), facility_targets(b, facilities_layer)
    if others is not None:
        return (Near(ref=ref, value=b.rule.threshold, others=others),)
    return (Reach(ref=ref, value=b.rule.threshold, geometry=fixed_targets(b), name_ko=b.name_ko, name_en=b.name_en),)


def _cut(b: BoundRule) -> Cut | None:
    """A site need only reach the targets' buffer: the region keeps its parts that touch it."""
    buf = targets_buffer(b)
    return None if buf is None else Cut(Effect.REACH, buf, buf)


ADJACENCY = register_kind(RuleKind(
    name="adjacency", label_ko="근접 배치", label_en="adjacency", unit="m",
    params=PARAMS, threshold=lambda p: float(p["distance_m"]), validate=validate_targets("adjacency"),
    bind=bind_targets, measure=_measure, message=_message, layout=LayoutPart(_layout),
    region=RegionCut(role="adjacency_reach", term="adjacency_reach", cut=_cut),
))
