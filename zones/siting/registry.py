"""The rule kinds the siting checks know, each one record, looked up by name.

A kind (within, setback, clearance …) is everything the tool needs to know about
one sort of rule, in one `RuleKind`: its parameters with their types, defaults
and units, its Korean and English names, how it checks its values, binds to the
store's layers, measures many candidates at once, words its verdict in both
languages, and what it does to a facility's feasible region. The built-in kinds
live one per module in `zones/siting/kinds/`; every other module asks this
registry (`kind_of`) instead of branching on a kind's name, so a new kind is one
new module and nothing else. An unknown name is an `UnknownKind`, never a
default.

>>> from zones.siting import registry
>>> sorted(registry.KINDS)[:3]
['adjacency', 'clearance', 'in_dongs']
>>> registry.kind_of("setback").unit
'm'
>>> registry.kind_of("sea_view")
Traceback (most recent call last):
...
zones.siting.registry.UnknownKind: unknown kind 'sea_view'; use one of within, in_dongs, min_area, max_area, min_width, setback, clearance, adjacency, no_overlap
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from zones.siting.labels import ROLES, TERMS
from zones.siting.errors import RuleError
from zones.siting.layout.terms import LayoutPart, NotALayoutRule

if TYPE_CHECKING:  # only for annotations: the records' functions take and give these
    from shapely.geometry.base import BaseGeometry

    from zones.siting.arrays import RuleArrays
    from zones.siting.batch import Batch
    from zones.siting.context import BoundRule, LayerFeatures
    from zones.siting.rules import Rule, RuleSet


class _Required(enum.Enum):
    REQUIRED = "required"


REQUIRED = _Required.REQUIRED  # a Param without a default: the rule must give it


@dataclass(frozen=True)
class Param:
    """One parameter of a kind: its name in the rules file, type, default (or REQUIRED) and unit.

    `type` is float (an int is accepted and stored as float), str, or list (of ids); `check`,
    when given, returns what is wrong with a value ("must be > 0") or None.
    """
    name: str
    type: type
    default: Any = REQUIRED
    unit: str = ""
    check: Callable[[Any], str | None] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def positive(value: float) -> str | None:
    """A distance, width or area limit: 0 or less means nothing.

    >>> positive(3.0) is None, positive(0.0)
    (True, 'must be > 0, got 0')
    """
    return None if value > 0 else f"must be > 0, got {value:g}"


def not_negative(value: float) -> str | None:
    """A tolerance: 0 is strict, less is meaningless.

    >>> not_negative(0.0) is None, not_negative(-1.0)
    (True, 'must be ≥ 0, got -1')
    """
    return None if value >= 0 else f"must be ≥ 0, got {value:g}"


# Arcs of the buffers that cut a region (setback, clearance, adjacency) to ~0.5 % of their radius.
BUFFER_QUAD_SEGS = 16


class Effect(enum.Enum):
    """What a rule's region geometry does to a facility's feasible region."""
    ZONE = "zone"  # the region starts inside every such zone (at least one is needed)
    KEEP = "keep"  # the region keeps only what lies inside it
    DROP = "drop"  # the region loses what lies inside it
    REACH = "reach"  # the region keeps only its parts that touch it (a site need only reach it)


@dataclass(frozen=True)
class Cut:
    """One rule's cut of the feasible region: `geometry` applied as `effect`; `shown` is what
    a map draws and the API returns for it (a setback keeps the zone's inner part but shows
    the band it removes)."""
    effect: Effect
    geometry: BaseGeometry
    shown: BaseGeometry


@dataclass(frozen=True)
class RegionCut:
    """A kind that shapes the feasible region.

    `role`: what the geometry is, in the API's `role` property and the maps' drawing order
    (one of zones.siting.labels.ROLES); `term`: its ko/en name in a legend and its map style
    (a key of zones.siting.labels.TERMS); `cut`: the cut for one bound rule, None when the
    rule has nothing to cut (a clearance with no target in the store).
    """
    role: str
    term: str
    cut: Callable[[BoundRule], Cut | None]


@dataclass(frozen=True)
class PartNeed:
    """A kind that does not cut the region but asks that one part of it holds a size:
    `size` "area" (m²) or "width" (m, largest inscribed circle); the threshold is the size."""
    size: str


@dataclass(frozen=True)
class NotARegionRule:
    """A kind with no say on where a site can go, and why (written out, so it is a decision)."""
    why: str


PART_SIZES = ("area", "width")


@dataclass(frozen=True)
class RuleKind:
    """One rule kind, complete: every field is required, there are no defaults to forget.

    name      the `kind = "..."` of the rules file
    label_ko, label_en   its name for a planner
    unit      unit of the measured value and of the threshold ("m", "m²")
    params    the rule's own parameters (besides facility, id, kind, source, basis, note)
    threshold the number the measurement is compared with, in `unit`, from the parameters
    validate  checks across parameters (raise RuleError naming the key);
              args: rule id, params, the rule's facility, every facility id
    bind      the rule with its layers and features resolved: (rule, rule set, layers) -> BoundRule
    measure   passed/measured arrays for a batch of candidates: (BoundRule, Batch) -> RuleArrays
    message   (passed, measured, threshold, name_ko, name_en) -> (Korean, English) verdict;
              the names are what the rule refers to (the target named by `measure`, else the zone)
    region    RegionCut, PartNeed or NotARegionRule
    layout    what the kind's rules ask of a layout of all facilities at once: a LayoutPart whose
              `compile(bound rule, facilities layer)` gives terms of zones/siting/layout/terms.py,
              or NotALayoutRule(why)
    """
    name: str
    label_ko: str
    label_en: str
    unit: str
    params: tuple[Param, ...]
    threshold: Callable[[Mapping[str, Any]], float]
    validate: Callable[[str, dict[str, Any], str, set[str]], None]
    bind: Callable[[Rule, RuleSet, LayerFeatures], BoundRule]
    measure: Callable[[BoundRule, Batch], RuleArrays]
    message: Callable[[bool, float, float, str, str], tuple[str, str]]
    region: RegionCut | PartNeed | NotARegionRule
    layout: LayoutPart | NotALayoutRule

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def no_cross_checks(rule_id: str, params: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    """`validate` of a kind whose parameters need no check beyond their own."""


class UnknownKind(RuleError):
    """A rule kind no record describes."""

    default_code = "unknown_rule_kind"

    def __init__(self, message: str, kind: object):
        super().__init__(message, "kind", kind=kind, known=list(_KINDS))


_KINDS: dict[str, RuleKind] = {}
KINDS: Mapping[str, RuleKind] = MappingProxyType(_KINDS)  # read-only view, in registration order


def kind_of(name: str) -> RuleKind:
    """The record of kind `name`; UnknownKind for a name no record has."""
    try:
        return _KINDS[name]
    except (KeyError, TypeError):
        raise UnknownKind(f"unknown kind {name!r}; use one of {', '.join(_KINDS)}", name) from None


def register_kind(kind: RuleKind) -> RuleKind:
    """Make `kind` known to the rules file, the checks, the feasible region, the maps and the API.

    Refuses a record that is incomplete or clashes with a known kind (ValueError: a programming
    error, not a planner's input). Returns the record, so a module can write
    `KIND = register_kind(RuleKind(...))`.
    """
    problems = completeness(kind)
    if kind.name in _KINDS:
        problems.append(f"a kind named {kind.name!r} is already registered")
    if problems:
        raise ValueError(f"rule kind {kind.name!r} cannot be registered: {'; '.join(problems)}")
    _KINDS[kind.name] = kind
    return kind


def unregister_kind(name: str) -> RuleKind:
    """Forget kind `name` (a test that registered one cleans up with this); UnknownKind if not known."""
    record = kind_of(name)
    del _KINDS[name]
    return record


def completeness(kind: RuleKind) -> list[str]:
    """What is missing or wrong in a record ([] when it is complete)."""
    out = []
    for f in fields(kind):
        if getattr(kind, f.name) is None:
            out.append(f"{f.name} is not set")
    if not isinstance(kind.name, str) or not kind.name.isidentifier() or kind.name != kind.name.lower():
        out.append("name must be a lower-case identifier")
    if not (isinstance(kind.label_ko, str) and any("\uac00" <= ch <= "\ud7a3" for ch in kind.label_ko)):
        out.append("label_ko must be Korean")
    if not (isinstance(kind.label_en, str) and kind.label_en.strip()):
        out.append("label_en is empty")
    if not kind.unit:
        out.append("unit is empty")
    for name in ("threshold", "validate", "bind", "measure", "message"):
        if not callable(getattr(kind, name)):
            out.append(f"{name} is not a function")
    names = [p.name for p in kind.params]
    if len(set(names)) != len(names):
        out.append("two parameters share a name")
    for p in kind.params:
        if p.type not in (float, str, list):
            out.append(f"parameter {p.name!r}: type must be float, str or list")
    region = kind.region
    if isinstance(region, RegionCut):
        if region.role not in ROLES:
            out.append(f"region role {region.role!r} is not one of {', '.join(ROLES)}")
        if region.term not in TERMS:
            out.append(f"region term {region.term!r} has no ko/en label in zones.siting.labels.TERMS")
        if not callable(region.cut):
            out.append("region cut is not a function")
    elif isinstance(region, PartNeed):
        if region.size not in PART_SIZES:
            out.append(f"part size must be one of {', '.join(PART_SIZES)}")
    elif isinstance(region, NotARegionRule):
        if not region.why.strip():
            out.append("say why the kind is not a region rule")
    else:
        out.append("region must be a RegionCut, a PartNeed or NotARegionRule")
    layout = kind.layout
    if isinstance(layout, LayoutPart):
        if not callable(layout.compile):
            out.append("layout compile is not a function")
    elif isinstance(layout, NotALayoutRule):
        if not layout.why.strip():
            out.append("say why the kind is not a layout rule")
    else:
        out.append("layout must be a LayoutPart or NotALayoutRule")
    return out


def defaults(kind: RuleKind) -> dict[str, Any]:
    """The optional parameters with their defaults (lists copied, so a rule cannot change them)."""
    return {p.name: (list(p.default) if isinstance(p.default, list) else p.default)
            for p in kind.params if not p.required}
