"""`max_area`: the site is at most this large."""
from __future__ import annotations

from zones.siting.arrays import EPS_M2, RuleArrays, no_target
from zones.siting.batch import Batch
from zones.siting.context import BoundRule, refers_to_nothing
from zones.siting.kinds._area import PARAMS, check_unit, limit_m2
from zones.siting.kinds._words import at_most, num
from zones.siting.layout.terms import LayoutPart, MaxArea, Term
from zones.siting.registry import NotARegionRule, RuleKind, register_kind


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    area = batch.area
    return RuleArrays(b, area <= b.rule.threshold + EPS_M2, area, no_target(len(batch)))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    le, ts = at_most(passed), num(t)
    return (f"면적 {m:,.0f} m² {le} 최대 {ts} m²", f"area {m:,.0f} m² {le} maximum {ts} m²")


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """A layout gives the site a footprint of this size (zones/siting/layout/footprints.py)."""
    return (MaxArea(ref=(b.rule.facility, b.rule.id), value=b.rule.threshold),)


MAX_AREA = register_kind(RuleKind(
    name="max_area", label_ko="최대 면적", label_en="maximum area", unit="m²",
    params=PARAMS, threshold=limit_m2, validate=check_unit, bind=refers_to_nothing, measure=_measure,
    message=_message, layout=LayoutPart(_layout),
    region=NotARegionRule("a site is drawn inside the region at any size up to the maximum: the region is not cut"),
))
