"""`clearance`: the site keeps at least this distance from other facilities or a layer's features."""
from __future__ import annotations

from zones.siting.arrays import EPS_M, RuleArrays
from zones.siting.batch import Batch
from zones.siting.context import BoundRule
from zones.siting.kinds._targets import PARAMS, bind_targets, nearest, targets_buffer, validate_targets
from zones.siting.kinds._words import at_least, measured, num
from zones.siting.layout.terms import Apart, Avoid, LayoutPart, Term, facility_targets, fixed_targets
from zones.siting.registry import Cut, Effect, RegionCut, RuleKind, register_kind


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    dist, which = nearest(b, batch)
    return RuleArrays(b, dist >= b.rule.threshold - EPS_M, dist, which)


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    ge, ms, ts = at_least(passed), measured(m), num(t)
    return (f"{ko} 이격 {ms} m {ge} 기준 {ts} m", f"clearance to {en} {ms} m {ge} required {ts} m")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """Other facilities: a distance between two sites the layout places; a layer: fixed geometry."""
    ref, others = (b.rule.facility, b.rule.id), facility_targets(b, facilities_layer)
    if others is not None:
        return (Apart(ref=ref, value=b.rule.threshold, others=others),)
    return (Avoid(ref=ref, value=b.rule.threshold, geometry=fixed_targets(b), name_ko=b.name_ko, name_en=b.name_en),)


def _cut(b: BoundRule) -> Cut | None:
    """The region loses the targets grown by the distance."""
    buf = targets_buffer(b)
    return None if buf is None else Cut(Effect.DROP, buf, buf)


CLEARANCE = register_kind(RuleKind(
    name="clearance", label_ko="시설 이격", label_en="clearance", unit="m",
    params=PARAMS, threshold=lambda p: float(p["distance_m"]), validate=validate_targets("clearance"),
    bind=bind_targets, measure=_measure, message=_message, layout=LayoutPart(_layout),
    region=RegionCut(role="clearance_buffer", term="clearance_buffer", cut=_cut),
))
