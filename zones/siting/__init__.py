"""Facility siting: rules per core infrastructure, checks of candidate sites, feasible regions.

Pure domain code: geometries in EPSG:5186 in, plain dataclasses out.
"""
from zones.siting.context import BindError, FeatureRef, SitingContext, bind
from zones.siting.evaluate import RuleResult, SiteCheck, check_planned, evaluate, evaluate_mixed, evaluate_one, load_kernels, measure
from zones.siting.feasible import FeasibleRegion, feasible_region
from zones.siting.rules import Facility, Rule, RuleError, RuleSet, UnknownFacility, make_rule

__all__ = [
    "BindError", "Facility", "FeasibleRegion", "FeatureRef", "Rule", "RuleError", "RuleResult", "RuleSet",
    "SiteCheck", "SitingContext", "UnknownFacility", "bind", "check_planned", "evaluate", "evaluate_mixed",
    "evaluate_one", "feasible_region", "load_kernels", "make_rule", "measure",
]
