"""What a rule asks of a layout, in a vocabulary the layout model understands.

Each rule kind's record (zones/siting/kinds/) says in its `layout` part what its rules mean
when every facility is placed at once: a `LayoutPart` whose `compile` turns one bound rule
into terms below, or `NotALayoutRule(why)`. The model (`model.py`) knows these terms and
nothing about kinds, so a new kind that means "keep inside", "stay clear" or "come near"
compiles to the terms that exist; only a new meaning needs a new term.

Every term carries the `ref` of its rule (facility, rule id), so the model can switch a
rule's terms on and off together when it looks for the rules that conflict (explain.py),
and a `value`: the rule's threshold as the term uses it (a distance in m, an area in m²),
which the explanation loosens to say how far the rule is from being met.

>>> t = Apart(("a", "r"), value=30.0, others=("b",))
>>> t.loosen(10.0).value, t.relaxes
(10.0, 'down')
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from zones.siting.context import BoundRule

RuleRef = tuple[str, str]  # (facility id, rule id)


@dataclass(frozen=True)
class Term:
    """Base: the rule it comes from and its threshold as the term uses it."""
    ref: RuleRef
    value: float
    relaxes: ClassVar[str] = "none"  # which way of `value` makes the term easier: "down", "up", "none"

    @property
    def facility(self) -> str:
        return self.ref[0]

    def loosen(self, value: float) -> Term:
        """The same term with another threshold (the explanation bisects over it)."""
        return dataclasses.replace(self, value=value)


@dataclass(frozen=True)
class Keep(Term):
    """The site lies inside `zone` shrunk by `value` m (0 for a plain zone, the distance for a
    setback); `name_ko`/`name_en` name the zone in explanations."""
    zone: BaseGeometry = None  # type: ignore[assignment]
    name_ko: str = ""
    name_en: str = ""
    relaxes: ClassVar[str] = "down"


@dataclass(frozen=True)
class Avoid(Term):
    """The site stays more than `value` m away from fixed geometry (0: does not overlap it)."""
    geometry: BaseGeometry = None  # type: ignore[assignment]
    name_ko: str = ""
    name_en: str = ""
    relaxes: ClassVar[str] = "down"


@dataclass(frozen=True)
class Reach(Term):
    """The site comes within `value` m of fixed geometry."""
    geometry: BaseGeometry = None  # type: ignore[assignment]
    name_ko: str = ""
    name_en: str = ""
    relaxes: ClassVar[str] = "up"


@dataclass(frozen=True)
class Apart(Term):
    """The site keeps at least `value` m from the sites of `others` (facility ids)."""
    others: tuple[str, ...] = ()
    relaxes: ClassVar[str] = "down"


@dataclass(frozen=True)
class Near(Term):
    """The site comes within `value` m of the nearest site of `others` (facility ids)."""
    others: tuple[str, ...] = ()
    relaxes: ClassVar[str] = "up"


@dataclass(frozen=True)
class Disjoint(Term):
    """The site overlaps no other facility's site (`value`: overlap allowed, m²; the model
    allows none, which is stricter)."""
    relaxes: ClassVar[str] = "none"


@dataclass(frozen=True)
class MinArea(Term):
    """The site measures at least `value` m²."""
    relaxes: ClassVar[str] = "down"


@dataclass(frozen=True)
class MaxArea(Term):
    """The site measures at most `value` m²."""
    relaxes: ClassVar[str] = "up"


@dataclass(frozen=True)
class MinWidth(Term):
    """The site holds a circle of `value` m (a rectangle: its short side)."""
    relaxes: ClassVar[str] = "down"


@dataclass(frozen=True)
class LayoutPart:
    """A kind that shapes a layout: `compile(bound rule, facilities layer) -> terms`."""
    compile: Callable[[BoundRule, str], tuple[Term, ...]]


@dataclass(frozen=True)
class NotALayoutRule:
    """A kind with nothing to say about a layout, and why (written out, so it is a decision)."""
    why: str


def facility_targets(bound: BoundRule, facilities_layer: str) -> tuple[str, ...] | None:
    """The facility ids a clearance or adjacency rule points at, or None when its targets are
    features of another layer (fixed geometry for a layout)."""
    p = bound.rule.params
    if p.get("facilities"):
        return tuple(p["facilities"])
    if p.get("layer") == facilities_layer:
        return tuple(bound.target_ids)
    return None


def fixed_targets(bound: BoundRule) -> BaseGeometry:
    """The rule's targets as one fixed geometry (for a rule about another layer's features)."""
    import shapely

    return shapely.union_all(bound.targets) if len(bound.targets) else shapely.GeometryCollection()
