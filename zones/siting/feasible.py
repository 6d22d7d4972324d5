"""Where can a facility go: the region left once every rule has cut the allowed zone.

Start from the zones the facility must lie in (sub-complex, legal dongs), shrink
by each setback, remove clearance buffers around other facilities and the
other planned sites themselves; adjacency keeps only the parts of the region
that reach within the allowed distance of their target. What each rule does is
its kind's `region` (zones/siting/registry.py); this module only applies it. Then say whether the
minimum area and width still fit in one piece. Each constraint's own geometry
(setback band, clearance buffer ...) is returned too, so a map can show why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.context import BoundRule, SitingContext
from zones.siting.errors import RuleError
from zones.siting.evaluate import as_geometry_array
from zones.siting.registry import PART_SIZES, Cut, Effect, NotARegionRule, PartNeed, RegionCut, kind_of
from zones.siting.width import MIC_TOLERANCE_M, inscribed_diameter


class NoAllowedZone(RuleError):
    """A facility none of whose rules gives a zone to start the search from."""

    default_code = "no_allowed_zone"


@dataclass(frozen=True)
class Constraint:
    """One rule's geometry in the answer: `role` as the API names it (zones.siting.labels.ROLES),
    `term` its ko/en name and map style (zones.siting.labels.TERMS)."""
    rule: str
    kind: str
    role: str
    geometry: BaseGeometry
    term: str


@dataclass(frozen=True)
class FeasibleRegion:
    facility: str
    name_ko: str
    name_en: str
    geometry: BaseGeometry  # in zones.crs.METRIC
    area_m2: float
    parts: int
    largest_part_m2: float
    largest_width_m: float  # largest inscribed circle diameter over the parts
    min_area_m2: float | None
    min_width_m: float | None
    fits: bool  # one part holds both the minimum area and the minimum width
    constraints: list[Constraint] = field(default_factory=list)

    def summary(self) -> dict:
        return {"facility": self.facility, "name_ko": self.name_ko, "name_en": self.name_en, "area_m2": self.area_m2, "parts": self.parts,
                "largest_part_m2": self.largest_part_m2, "largest_width_m": self.largest_width_m,
                "min_area_m2": self.min_area_m2, "min_width_m": self.min_width_m, "fits": self.fits}


def feasible_region(ctx: SitingContext, facility: str) -> FeasibleRegion:
    """The facility's feasible region: every rule's kind says what it does to it (its `region`)."""
    bound = ctx.facility_rules(facility)
    fac = ctx.rules.facility(facility)
    cuts: list[tuple[BoundRule, RegionCut, Cut]] = []
    needs: dict[str, list[float]] = {size: [] for size in PART_SIZES}
    for b in bound:
        region_part = kind_of(b.rule.kind).region
        if isinstance(region_part, RegionCut):
            cut = region_part.cut(b)
            if cut is not None:
                cuts.append((b, region_part, cut))
        elif isinstance(region_part, PartNeed):
            needs[region_part.size].append(b.rule.threshold)
        elif not isinstance(region_part, NotARegionRule):
            raise TypeError(f"rule kind {b.rule.kind!r}: region must be a RegionCut, a PartNeed or NotARegionRule")
    # The zones first (the region starts inside all of them), then every other cut in rule order.
    zones = [c for c in cuts if c[2].effect is Effect.ZONE]
    if not zones:
        raise NoAllowedZone(f"facility {facility!r} has no within/in_dongs rule, so it has no allowed zone to search",
                            facility=facility)
    region: BaseGeometry | None = None
    constraints: list[Constraint] = []
    reach: list[BaseGeometry] = []
    for b, part, cut in zones + [c for c in cuts if c[2].effect is not Effect.ZONE]:
        constraints.append(Constraint(b.rule.id, b.rule.kind, part.role, cut.shown, part.term))
        if cut.effect is Effect.ZONE:
            region = cut.geometry if region is None else shapely.intersection(region, cut.geometry)
        elif cut.effect is Effect.KEEP:
            region = shapely.intersection(region, cut.geometry)
        elif cut.effect is Effect.DROP:
            region = shapely.difference(region, cut.geometry)
        elif cut.effect is Effect.REACH:
            reach.append(cut.geometry)
        else:
            raise TypeError(f"rule {b.rule.id!r}: unknown region effect {cut.effect!r}")
    parts = [p for p in shapely.get_parts(_polygons(region)) if p.area > 0]
    for buf in reach:  # a site needs only to touch the reach, so keep whole parts that do
        parts = [p for p in parts if p.intersects(buf)]
    min_area = max(needs["area"], default=None)
    min_width = max(needs["width"], default=None)
    areas = [p.area for p in parts]
    widths = list(inscribed_diameter(as_geometry_array(parts))) if parts else []
    fits = any((min_area is None or a >= min_area) and (min_width is None or w >= min_width - 2 * MIC_TOLERANCE_M)
               for a, w in zip(areas, widths))
    geom = shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()
    return FeasibleRegion(facility=facility, name_ko=fac.name_ko, name_en=fac.name_en, geometry=geom, area_m2=float(sum(areas)), parts=len(parts),
                          largest_part_m2=float(max(areas, default=0.0)),
                          largest_width_m=float(max(widths, default=0.0)),
                          min_area_m2=min_area, min_width_m=min_width, fits=fits, constraints=constraints)


def _polygons(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal parts of an overlay result (drop slivers collapsed to lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    flat = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(flat) if flat else shapely.MultiPolygon()
