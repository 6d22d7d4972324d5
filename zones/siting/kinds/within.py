"""`within`: the site lies inside named features of a layer (a sub-complex, a FEZ district)."""
from __future__ import annotations

from typing import Any

from zones.siting.context import BoundRule, LayerFeatures, features
from zones.siting.errors import RuleError
from zones.siting.layout.terms import Keep, LayoutPart, Term
from zones.siting.kinds._zone import TOLERANCE, area_outside, bind_zone, tolerance, zone_cut, zone_message
from zones.siting.registry import Param, RegionCut, RuleKind, register_kind
from zones.siting.rules import Rule, RuleSet


def _validate(rule_id: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    if not p["features"]:
        raise RuleError(f"rule {rule_id!r}: features must name at least one feature of {p['layer']!r}", "features")


def _bind(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    p = rule.params
    return bind_zone(rule, features(rule, layers, p["layer"], p["features"], "features"))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    return zone_message(ko, en, passed, m, t)


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """A layout keeps the site inside the zone (the model allows no slack outside it)."""
    return (Keep(ref=(b.rule.facility, b.rule.id), value=0.0, zone=b.zone_overlay, name_ko=b.name_ko, name_en=b.name_en),)


WITHIN = register_kind(RuleKind(
    name="within", label_ko="구역 내 입지", label_en="inside zone", unit="m²",
    params=(Param("layer", str), Param("features", list), TOLERANCE),
    threshold=tolerance, validate=_validate, bind=_bind, measure=area_outside, message=_message,
    layout=LayoutPart(_layout),
    region=RegionCut(role="allowed_zone", term="allowed_zone", cut=zone_cut),
))
