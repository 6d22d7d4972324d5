"""Where can a facility go: the region left once every rule has cut the allowed zone.

Start from the zones the facility must lie in (sub-complex, legal dongs), shrink
by each setback, remove clearance buffers around other facilities and the
existing facilities themselves; adjacency keeps only the parts of the region
that reach within the allowed distance of their target. Then say whether the
minimum area and width still fit in one piece. Each constraint's own geometry
(setback band, clearance buffer ...) is returned too, so a map can show why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.context import SitingContext
from zones.siting.evaluate import as_geometry_array
from zones.siting.width import MIC_TOLERANCE_M, inscribed_diameter

BUFFER_QUAD_SEGS = 16  # arcs of clearance buffers to ~0.5 % of their radius


@dataclass(frozen=True)
class Constraint:
    rule: str
    kind: str
    role: str  # "allowed_zone", "setback_band", "clearance_buffer", "adjacency_reach", "existing_facility"
    geometry: BaseGeometry


@dataclass(frozen=True)
class FeasibleRegion:
    facility: str
    name_ko: str
    name_en: str
    geometry: BaseGeometry  # EPSG:5186
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
    bound = ctx.facility_rules(facility)
    fac = ctx.rules.facility(facility)
    region: BaseGeometry | None = None
    constraints: list[Constraint] = []
    for b in bound:
        if b.rule.kind in ("within", "in_dongs"):
            region = b.zone if region is None else shapely.intersection(region, b.zone)
            constraints.append(Constraint(b.rule.id, b.rule.kind, "allowed_zone", b.zone))
    if region is None:
        raise ValueError(f"facility {facility!r} has no within/in_dongs rule, so it has no allowed zone to search")
    reach: list[BaseGeometry] = []
    for b in bound:
        kind, d = b.rule.kind, b.rule.threshold
        if kind == "setback":
            inner = shapely.buffer(b.zone, -d, quad_segs=BUFFER_QUAD_SEGS)
            constraints.append(Constraint(b.rule.id, kind, "setback_band", shapely.difference(b.zone, inner)))
            region = shapely.intersection(region, inner)
        elif kind == "clearance" and len(b.targets):
            buf = shapely.buffer(shapely.union_all(b.targets), d, quad_segs=BUFFER_QUAD_SEGS)
            constraints.append(Constraint(b.rule.id, kind, "clearance_buffer", buf))
            region = shapely.difference(region, buf)
        elif kind == "no_overlap" and len(b.targets):
            existing = shapely.union_all(b.targets)
            constraints.append(Constraint(b.rule.id, kind, "existing_facility", existing))
            region = shapely.difference(region, existing)
        elif kind == "adjacency" and len(b.targets):
            buf = shapely.buffer(shapely.union_all(b.targets), d, quad_segs=BUFFER_QUAD_SEGS)
            constraints.append(Constraint(b.rule.id, kind, "adjacency_reach", buf))
            reach.append(buf)
    parts = [p for p in shapely.get_parts(_polygons(region)) if p.area > 0]
    for buf in reach:  # a site needs only to touch the reach, so keep whole parts that do
        parts = [p for p in parts if p.intersects(buf)]
    min_area = max((b.rule.threshold for b in bound if b.rule.kind == "min_area"), default=None)
    min_width = max((b.rule.threshold for b in bound if b.rule.kind == "min_width"), default=None)
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
