"""Siting rules as plain data: what a site for each core infrastructure must satisfy.

The rules file (geodata/siting_rules.toml) is read by geodata/siting_rules.py;
this module defines what a valid rule is, independently of any file, so the
same checks apply whether rules come from TOML, a test or another store.
No plan document gives a siting figure for the seven core infrastructures
(the 2021 plan names the seven and nothing more), so every value carries a
`source` ("assumption" today) and optionally a `basis`: the national planning
standard that grounds its size.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from zones.errors import InvalidInput, NotFound
from zones.units import to_m2

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# kind -> (unit of measured/threshold, required params, optional params with defaults)
KINDS: dict[str, tuple[str, dict[str, type | tuple], dict[str, Any]]] = {
    "within": ("m²", {"layer": str, "features": list}, {"tolerance_m2": 10.0}),
    "in_dongs": ("m²", {"dongs": list}, {"layer": "admin_dongs", "tolerance_m2": 10.0}),
    "min_area": ("m²", {"value": (int, float)}, {"unit": "m2"}),
    "max_area": ("m²", {"value": (int, float)}, {"unit": "m2"}),
    "min_width": ("m", {"diameter_m": (int, float)}, {}),
    "setback": ("m", {"distance_m": (int, float), "layer": str, "features": list}, {}),
    "clearance": ("m", {"distance_m": (int, float)}, {"facilities": [], "layer": None, "features": []}),
    "adjacency": ("m", {"distance_m": (int, float)}, {"facilities": [], "layer": None, "features": []}),
    "no_overlap": ("m²", {}, {"layer": None, "max_overlap_m2": 0.0}),
}
COMMON_KEYS = {"facility", "id", "kind", "source", "basis", "note"}

KIND_LABELS = {
    "within": ("구역 내 입지", "inside zone"),
    "in_dongs": ("법정동 내 입지", "in legal dongs"),
    "min_area": ("최소 면적", "minimum area"),
    "max_area": ("최대 면적", "maximum area"),
    "min_width": ("최소 폭", "minimum width"),
    "setback": ("경계 이격", "setback from boundary"),
    "clearance": ("시설 이격", "clearance"),
    "adjacency": ("근접 배치", "adjacency"),
    "no_overlap": ("기존 시설과 중첩 금지", "no overlap with existing facilities"),
}


class RuleError(InvalidInput):
    """A rule that cannot be evaluated; `key` names the offending entry for line lookup."""

    default_code = "invalid_rule"

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Rule:
    facility: str
    id: str
    kind: str
    params: dict[str, Any]
    source: str
    basis: str = ""
    note: str = ""

    @property
    def unit(self) -> str:
        return KINDS[self.kind][0]

    @property
    def threshold(self) -> float:
        """The number the measured value is compared with, in `unit`."""
        p = self.params
        if self.kind in ("within", "in_dongs"):
            return float(p["tolerance_m2"])
        if self.kind in ("min_area", "max_area"):
            return to_m2(float(p["value"]), p["unit"])
        if self.kind == "min_width":
            return float(p["diameter_m"])
        if self.kind in ("setback", "clearance", "adjacency"):
            return float(p["distance_m"])
        return float(p["max_overlap_m2"])

    @property
    def label_ko(self) -> str:
        return KIND_LABELS[self.kind][0]

    @property
    def label_en(self) -> str:
        return KIND_LABELS[self.kind][1]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label_ko": self.label_ko, "label_en": self.label_en,
                "threshold": self.threshold, "unit": self.unit, "params": dict(self.params),
                "source": self.source, "basis": self.basis, "note": self.note}


@dataclass(frozen=True)
class Facility:
    id: str
    name_ko: str
    name_en: str
    rules: tuple[Rule, ...] = field(default=())

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


@dataclass(frozen=True)
class RuleSet:
    facilities_layer: str
    facilities: dict[str, Facility]

    def facility(self, facility_id: str) -> Facility:
        try:
            return self.facilities[facility_id]
        except KeyError:
            raise UnknownFacility(facility_id, list(self.facilities)) from None


class UnknownFacility(NotFound):
    default_code = "unknown_facility"

    def __init__(self, facility: str, known: list[str]):
        super().__init__(f"no siting rules for facility {facility!r}; known facilities: {', '.join(known)}",
                         facility=facility, known=list(known))
        self.facility = facility
        self.known = known


def check_id(value: Any, what: str, key: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise RuleError(f"{what} must be a lower-case identifier like 'modular_factory', got {value!r}", key)
    return value


def make_rule(entry: dict[str, Any], facility_ids: set[str]) -> Rule:
    """One validated Rule from a mapping; raises RuleError naming the key at fault."""
    facility = entry.get("facility")
    if facility not in facility_ids:
        raise RuleError(f"rule names facility {facility!r}, which is not declared as a [[facility]]; "
                        f"declared: {', '.join(sorted(facility_ids))}", "facility")
    rule_id = check_id(entry.get("id"), "rule id")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise RuleError(f"rule {rule_id!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}", "kind")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RuleError(f"rule {rule_id!r} has no source; write \"assumption\" or cite the plan document", "source")
    _, required, optional = KINDS[kind]
    unknown = set(entry) - COMMON_KEYS - set(required) - set(optional)
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"rule {rule_id!r} ({kind}): unknown parameter {key!r}; "
                        f"expected {', '.join([*required, *optional]) or 'none'}", key)
    params: dict[str, Any] = {}
    for key, typ in required.items():
        if key not in entry:
            raise RuleError(f"rule {rule_id!r} ({kind}) lacks {key!r}", None)
        params[key] = _typed(rule_id, key, entry[key], typ)
    for key, default in optional.items():
        params[key] = _typed(rule_id, key, entry[key], type(default) if default is not None else str) \
            if key in entry else (list(default) if isinstance(default, list) else default)
    _check_values(rule_id, kind, params, facility, facility_ids)
    return Rule(facility=facility, id=rule_id, kind=kind, params=params, source=source.strip(),
                basis=str(entry.get("basis", "")), note=str(entry.get("note", "")))


def _typed(rule_id: str, key: str, value: Any, typ: type | tuple) -> Any:
    if typ is float:
        typ = (int, float)
    if isinstance(value, bool) or not isinstance(value, typ):
        raise RuleError(f"rule {rule_id!r}: {key} has the wrong type ({type(value).__name__})", key)
    if isinstance(value, list):
        if not all(isinstance(v, str) and v for v in value):
            raise RuleError(f"rule {rule_id!r}: {key} must be a list of ids (strings)", key)
        return list(value)
    return float(value) if isinstance(value, (int, float)) else value


def _check_values(rule_id: str, kind: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    for key in ("distance_m", "diameter_m", "value"):
        if key in p and not p[key] > 0:
            raise RuleError(f"rule {rule_id!r}: {key} must be > 0, got {p[key]:g}", key)
    for key in ("tolerance_m2", "max_overlap_m2"):
        if key in p and not p[key] >= 0:
            raise RuleError(f"rule {rule_id!r}: {key} must be ≥ 0, got {p[key]:g}", key)
    if "unit" in p:
        try:
            to_m2(1.0, p["unit"])
        except ValueError as exc:
            raise RuleError(f"rule {rule_id!r}: {exc}", "unit") from None
    if kind in ("within", "setback") and not p["features"]:
        raise RuleError(f"rule {rule_id!r}: features must name at least one feature of {p['layer']!r}", "features")
    if kind == "in_dongs" and not p["dongs"]:
        raise RuleError(f"rule {rule_id!r}: dongs must list at least one legal-dong code", "dongs")
    if kind in ("clearance", "adjacency"):
        if bool(p["facilities"]) == bool(p["layer"]):
            raise RuleError(f"rule {rule_id!r} ({kind}): give either facilities = [...] or layer = \"...\" "
                            "(with optional features), not both or neither", "facilities")
        if facility in p["facilities"]:
            raise RuleError(f"rule {rule_id!r}: a facility cannot keep {kind} to itself", "facilities")
        unknown = [f for f in p["facilities"] if f not in facility_ids]
        if unknown:
            raise RuleError(f"rule {rule_id!r}: unknown facility {unknown[0]!r} in facilities", "facilities")
        if p["features"] and not p["layer"]:
            raise RuleError(f"rule {rule_id!r}: features needs a layer", "features")
