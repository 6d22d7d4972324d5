"""Facility siting: rules per core infrastructure, checks of candidate sites, feasible regions.

Pure domain code: geometries in the metric CRS (`zones.crs.METRIC`) in, plain dataclasses out. Each rule
kind is one record in `zones/siting/kinds/`, registered in `zones.siting.registry`
(docs/adding-a-rule-kind.md).
"""
from zones.siting.context import BindError, FeatureRef, SitingContext, bind
from zones.siting.evaluate import RuleResult, SiteCheck, check_planned, evaluate, evaluate_mixed, evaluate_one, load_kernels, measure
from zones.siting.feasible import FeasibleRegion, NoAllowedZone, feasible_region
from zones.siting.registry import KINDS, RuleKind, UnknownKind, kind_of, register_kind, unregister_kind
from zones.siting.rules import Facility, Rule, RuleError, RuleSet, UnknownFacility, make_rule

import zones.siting.kinds  # noqa: E402,F401  (registers the built-in kinds; after the modules they use)

__all__ = [
    "BindError", "Facility", "FeasibleRegion", "FeatureRef", "KINDS", "NoAllowedZone", "Rule", "RuleError",
    "RuleKind", "RuleResult", "RuleSet", "SiteCheck", "SitingContext", "UnknownFacility", "UnknownKind", "bind",
    "check_planned", "evaluate", "evaluate_mixed", "evaluate_one", "feasible_region", "kind_of", "load_kernels",
    "make_rule", "measure", "register_kind", "unregister_kind",
]
