"""`in_dongs`: the site lies inside the listed legal dongs (법정동)."""
from __future__ import annotations

from typing import Any

from zones.siting.context import BoundRule, LayerFeatures, features
from zones.siting.errors import RuleError
from zones.siting.layout.terms import Keep, LayoutPart, Term
from zones.siting.kinds._zone import TOLERANCE, area_outside, bind_zone, tolerance, zone_cut, zone_message
from zones.siting.registry import Param, RegionCut, RuleKind, register_kind
from zones.siting.rules import Rule, RuleSet


def _validate(rule_id: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    if not p["dongs"]:
        raise RuleError(f"rule {rule_id!r}: dongs must list at least one legal-dong code", "dongs")


def _bind(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    p = rule.params
    return bind_zone(rule, features(rule, layers, p["layer"], p["dongs"], "dongs"))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    return zone_message(f"법정동 {ko}", en, passed, m, t)


def _layout(b: BoundRule, facilities_layer: str) -> tuple[Term, ...]:
    """A layout keeps the site inside the zone (the model allows no slack outside it)."""
    return (Keep(ref=(b.rule.facility, b.rule.id), value=0.0, zone=b.zone_overlay, name_ko=b.name_ko, name_en=b.name_en),)


IN_DONGS = register_kind(RuleKind(
    name="in_dongs", label_ko="법정동 내 입지", label_en="in legal dongs", unit="m²",
    params=(Param("dongs", list), Param("layer", str, "admin_dongs"), TOLERANCE),
    threshold=tolerance, validate=_validate, bind=_bind, measure=area_outside, message=_message,
    layout=LayoutPart(_layout),
    region=RegionCut(role="allowed_zone", term="allowed_dongs", cut=zone_cut),
))
