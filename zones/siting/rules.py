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

from zones.errors import NotFound
from zones.siting.errors import RuleError
from zones.siting.registry import REQUIRED, Param, UnknownKind, defaults, kind_of

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COMMON_KEYS = {"facility", "id", "kind", "source", "basis", "note"}


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
        return kind_of(self.kind).unit

    @property
    def threshold(self) -> float:
        """The number the measured value is compared with, in `unit`."""
        return kind_of(self.kind).threshold(self.params)

    @property
    def label_ko(self) -> str:
        return kind_of(self.kind).label_ko

    @property
    def label_en(self) -> str:
        return kind_of(self.kind).label_en

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
    kind_name = entry.get("kind")
    try:
        kind = kind_of(kind_name)
    except UnknownKind as exc:
        raise UnknownKind(f"rule {rule_id!r}: {exc}", kind_name) from None
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RuleError(f"rule {rule_id!r} has no source; write \"assumption\" or cite the plan document", "source")
    ordered = [p for p in kind.params if p.required] + [p for p in kind.params if not p.required]
    unknown = set(entry) - COMMON_KEYS - {p.name for p in kind.params}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"rule {rule_id!r} ({kind.name}): unknown parameter {key!r}; "
                        f"expected {', '.join(p.name for p in ordered) or 'none'}", key)
    params: dict[str, Any] = defaults(kind)
    for p in ordered:
        if p.name in entry:
            params[p.name] = _typed(rule_id, p, entry[p.name])
        elif p.default is REQUIRED:
            raise RuleError(f"rule {rule_id!r} ({kind.name}) lacks {p.name!r}", None)
    for p in kind.params:
        fault = p.check(params[p.name]) if p.check is not None and params[p.name] is not None else None
        if fault:
            raise RuleError(f"rule {rule_id!r}: {p.name} {fault}", p.name)
    kind.validate(rule_id, params, facility, facility_ids)
    return Rule(facility=facility, id=rule_id, kind=kind.name, params=params, source=source.strip(),
                basis=str(entry.get("basis", "")), note=str(entry.get("note", "")))


def _typed(rule_id: str, param: Param, value: Any) -> Any:
    typ = (int, float) if param.type is float else param.type
    if isinstance(value, bool) or not isinstance(value, typ):
        raise RuleError(f"rule {rule_id!r}: {param.name} has the wrong type ({type(value).__name__})", param.name)
    if isinstance(value, list):
        if not all(isinstance(v, str) and v for v in value):
            raise RuleError(f"rule {rule_id!r}: {param.name} must be a list of ids (strings)", param.name)
        return list(value)
    return float(value) if isinstance(value, (int, float)) else value
