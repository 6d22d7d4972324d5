"""A layout problem: which facilities to place, which stay where they are, and their rules as terms.

Every rule of every facility is compiled by its kind's `layout` part (zones/siting/kinds/)
into terms (terms.py). Facilities not placed keep their stored sites (or a site the caller
fixes), and rules between a placed and a fixed facility become fixed geometry for the placed
one. A kind that is `NotALayoutRule` leaves its rules to the checker, and the problem lists
them so an answer can say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

from zones.errors import InvalidInput, NotFound
from zones.siting.context import LayerFeatures, SitingContext
from zones.siting.layout.terms import LayoutPart, NotALayoutRule, RuleRef, Term
from zones.siting.registry import kind_of

DEFAULT_CELL_M = 5.0
OBJECTIVES = ("compact", "land", "spacing")  # objectives.py says what each one measures
MIN_CELL_M, MAX_CELL_M = 1.0, 100.0


class LayoutInputError(InvalidInput):
    """A layout request that cannot be posed (unknown facility, bad grid, a fixed site missing)."""

    default_code = "invalid_layout_request"


@dataclass(frozen=True)
class LayoutProblem:
    """What to place and under which terms; `ctx` and `layers` are the checker's, for verification."""
    ctx: SitingContext
    layers: LayerFeatures
    place: tuple[str, ...]
    fixed: dict[str, BaseGeometry]
    terms: dict[str, tuple[Term, ...]]  # facility -> its rules' terms (placed and fixed facilities)
    checker_only: tuple[tuple[RuleRef, str], ...] = ()  # rules the model leaves to the checker, and why
    cell: float = DEFAULT_CELL_M
    links: tuple[tuple[str, str, float], ...] = ()  # (facility, facility, weight) for compactness
    land: tuple[BaseGeometry, str, str] | None = None  # the zone kept contiguous, its ko / en names
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # facility -> (ko, en)

    def present(self, facility: str) -> bool:
        return facility in self.place or facility in self.fixed


def build_problem(ctx: SitingContext, layers: LayerFeatures, place: list[str] | None = None,
                  fixed: dict[str, BaseGeometry | str] | None = None, cell: float = DEFAULT_CELL_M,
                  links: list[tuple[str, str, float]] | None = None,
                  land: tuple[BaseGeometry, str, str] | None = None) -> LayoutProblem:
    """Compile every rule; `place` defaults to every facility not fixed, `fixed` maps a facility to
    a site or "planned" (its stored site); facilities in neither keep their stored site."""
    facilities = ctx.rules.facilities
    fixed = dict(fixed or {})
    for fid in list(fixed) + list(place or []):
        if fid not in facilities:
            raise NotFound(f"no facility {fid!r}; known facilities: {', '.join(facilities)}",
                           code="unknown_facility", facility=fid, known=list(facilities))
    if not (MIN_CELL_M <= cell <= MAX_CELL_M):
        raise LayoutInputError(f"grid cell must be between {MIN_CELL_M:g} and {MAX_CELL_M:g} m, got {cell:g}",
                               code="layout_grid", cell=cell)
    resolved: dict[str, BaseGeometry] = {}
    for fid, site in fixed.items():
        if isinstance(site, str):
            if site != "planned":
                raise LayoutInputError(f"fix {fid}: say 'planned' or give a site, not {site!r}",
                                       code="layout_fix", facility=fid)
            if fid not in ctx.planned:
                raise LayoutInputError(f"fix {fid}=planned: the store holds no site for {fid}",
                                       code="layout_fix", facility=fid)
            site = ctx.planned[fid]
        resolved[fid] = site
    to_place = tuple(f for f in (place or facilities) if f not in resolved)
    both = set(place or ()) & set(resolved)
    if both:
        raise LayoutInputError(f"{sorted(both)[0]} is both placed and fixed", code="layout_fix")
    if not to_place:
        raise LayoutInputError("nothing to place: every facility is fixed", code="layout_nothing")
    for fid in facilities:  # the rest stay where the store has them
        if fid not in to_place and fid not in resolved and fid in ctx.planned:
            resolved[fid] = ctx.planned[fid]
    terms: dict[str, tuple[Term, ...]] = {}
    checker_only: list[tuple[RuleRef, str]] = []
    for fid in list(to_place) + list(resolved):
        out: list[Term] = []
        for b in ctx.facility_rules(fid):
            part = kind_of(b.rule.kind).layout
            if isinstance(part, LayoutPart):
                out.extend(part.compile(b, ctx.rules.facilities_layer))
            elif isinstance(part, NotALayoutRule):
                checker_only.append(((fid, b.rule.id), part.why))
            else:
                raise TypeError(f"rule kind {b.rule.kind!r}: layout must be a LayoutPart or NotALayoutRule")
        terms[fid] = tuple(out)
    for a, b, _ in links or ():
        for fid in (a, b):
            if fid not in facilities:
                raise LayoutInputError(f"link names unknown facility {fid!r}", code="layout_link", facility=fid)
    names = {fid: (f.name_ko, f.name_en) for fid, f in facilities.items()}
    return LayoutProblem(ctx=ctx, layers=layers, place=to_place, fixed=resolved, terms=terms,
                         checker_only=tuple(checker_only), cell=float(cell), links=tuple(links or ()), land=land,
                         names=names)
