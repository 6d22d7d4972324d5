"""`min_width`: the site holds a circle of this diameter (its largest inscribed circle)."""
from __future__ import annotations

from zones.siting.arrays import RuleArrays, no_target
from zones.siting.batch import Batch
from zones.siting.context import BoundRule, refers_to_nothing
from zones.siting.kinds._words import at_least, measured, num
from zones.siting.layout.terms import LayoutPart, MinWidth, Term
from zones.siting.registry import Param, PartNeed, RuleKind, no_cross_checks, positive, register_kind
from zones.siting.width import MIC_TOLERANCE_M, inscribed_diameter


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    width = inscribed_diameter(batch.geoms, batch)
    return RuleArrays(b, width >= b.rule.threshold - 2 * MIC_TOLERANCE_M, width, no_target(len(batch)))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    ge, ms, ts = at_least(passed), measured(m), num(t)
    return (f"폭(최대 내접원 지름) {ms} m {ge} 기준 {ts} m", f"width (largest inscribed circle) {ms} m {ge} required {ts} m")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """A layout gives the site a footprint at least this wide (zones/siting/layout/footprints.py)."""
    return (MinWidth(ref=(b.rule.facility, b.rule.id), value=b.rule.threshold),)


MIN_WIDTH = register_kind(RuleKind(
    name="min_width", label_ko="최소 폭", label_en="minimum width", unit="m",
    params=(Param("diameter_m", float, unit="m", check=positive),),
    threshold=lambda p: float(p["diameter_m"]), validate=no_cross_checks, bind=refers_to_nothing,
    measure=_measure, message=_message, layout=LayoutPart(_layout), region=PartNeed("width"),
))
