"""Allocation check: measured polygons against the gazetted plan.

For each target: measured vs planned, the difference, a status and a one-line
reason a planner can read aloud. Composite targets also report the faults that
make totals lie: parts overlapping each other, parts outside their whole, parts
that do not add up to the whole, and plan figures that do not add up.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import shapely
from shapely.geometry.base import BaseGeometry

from zones.area import METRIC_CRS_NAME, measure
from zones.plan import PlanTarget

Status = Literal["ok", "over", "under", "missing"]
FindingKind = Literal["overlap", "outside", "parts_sum", "plan_sum", "missing_feature"]

# An overlap or overhang thinner on average than NOISE_WIDTH_M along the boundary of the
# smaller geometry (or smaller than NOISE_M2, for small sites) is
# digitising noise from shared edges, not a planning fault: 1 cm is below any survey.
NOISE_M2 = 1.0
NOISE_WIDTH_M = 0.01


def is_noise(area_m2: float, *geoms: BaseGeometry) -> bool:
    perimeter = min(g.length for g in geoms)
    return area_m2 <= max(NOISE_M2, NOISE_WIDTH_M * perimeter)

# layer id -> feature id -> geometry in EPSG:5186
LayerGeometries = Mapping[str, Mapping[str, BaseGeometry]]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    target_id: str
    other_id: str | None
    area_m2: float
    message: str


@dataclass(frozen=True)
class AllocationRow:
    target_id: str
    name_ko: str
    name_en: str
    planned_m2: float
    measured_m2: float | None
    geodesic_m2: float | None
    diff_m2: float | None
    diff_pct: float | None
    tolerance_pct: float
    status: Status
    reason: str
    source: str
    layer: str
    features: tuple[str, ...]
    findings: tuple[Finding, ...] = field(default=())
    crs: str = METRIC_CRS_NAME


@dataclass(frozen=True)
class AllocationReport:
    rows: tuple[AllocationRow, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for row in self.rows for f in row.findings)

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "over": 0, "under": 0, "missing": 0}
        for row in self.rows:
            out[row.status] += 1
        return out


def target_geometry(target: PlanTarget, layers: LayerGeometries) -> tuple[BaseGeometry | None, list[str]]:
    """Union of the target's features and the ids that were not found."""
    layer = layers.get(target.layer, {})
    found = [layer[f] for f in target.features if f in layer]
    missing = [f for f in target.features if f not in layer]
    if not found:
        return None, missing
    return shapely.union_all(found), missing


def check_allocations(targets: list[PlanTarget], layers: LayerGeometries) -> AllocationReport:
    """Check every target; composite findings are attached to the parent's row."""
    by_id = {t.id: t for t in targets}
    geoms: dict[str, BaseGeometry | None] = {}
    missing_ids: dict[str, list[str]] = {}
    for t in targets:
        geoms[t.id], missing_ids[t.id] = target_geometry(t, layers)
    rows = []
    for t in targets:
        findings = [*_missing_findings(t, missing_ids[t.id], geoms[t.id] is None)]
        findings += _parts_findings(t, by_id, geoms)
        findings += _within_findings(t, geoms)
        rows.append(_row(t, geoms[t.id], tuple(findings)))
    return AllocationReport(rows=tuple(rows))


def classify(planned_m2: float, measured_m2: float, tolerance_pct: float) -> tuple[Status, float, float]:
    """Status, difference in m² and in % of plan; the tolerance band is inclusive."""
    diff = measured_m2 - planned_m2
    pct = diff / planned_m2 * 100.0
    if abs(pct) <= tolerance_pct:
        return "ok", diff, pct
    return ("over" if diff > 0 else "under"), diff, pct


def _row(t: PlanTarget, geom: BaseGeometry | None, findings: tuple[Finding, ...]) -> AllocationRow:
    common = dict(
        target_id=t.id, name_ko=t.name_ko, name_en=t.name_en, planned_m2=t.planned_m2,
        tolerance_pct=t.tolerance_pct, source=t.source, layer=t.layer, features=t.features,
        findings=findings,
    )
    if geom is None or geom.is_empty:
        return AllocationRow(
            measured_m2=None, geodesic_m2=None, diff_m2=None, diff_pct=None, status="missing",
            reason=f"no feature {', '.join(t.features)} in layer {t.layer}", **common,
        )
    area = measure(geom)
    status, diff, pct = classify(t.planned_m2, area.planar_m2, t.tolerance_pct)
    return AllocationRow(
        measured_m2=area.planar_m2, geodesic_m2=area.geodesic_m2, diff_m2=diff, diff_pct=pct,
        status=status, reason=_reason(status, area.planar_m2, pct, t.tolerance_pct), **common,
    )


def _reason(status: Status, measured: float, pct: float, tol: float) -> str:
    where = f"measures {measured:,.0f} m², {abs(pct):.2f} % {'above' if pct >= 0 else 'below'} plan"
    if status == "ok":
        return f"{where}, within ±{tol:g} %"
    return f"{where}, outside ±{tol:g} %"


def _missing_findings(t: PlanTarget, missing: list[str], all_missing: bool) -> list[Finding]:
    if all_missing or not missing:
        return []
    return [Finding("missing_feature", t.id, f, 0.0, f"feature {f} of layer {t.layer} is missing; measured without it")
            for f in missing]


def _parts_findings(t: PlanTarget, by_id: Mapping[str, PlanTarget], geoms: Mapping[str, BaseGeometry | None]) -> list[Finding]:
    if not t.parts:
        return []
    out: list[Finding] = []
    parts = [(p, geoms[p]) for p in t.parts if geoms.get(p) is not None]
    for (a, ga), (b, gb) in combinations(parts, 2):
        overlap = ga.intersection(gb).area
        if not is_noise(overlap, ga, gb):
            out.append(Finding("overlap", a, b, overlap, f"{a} and {b} overlap by {overlap:,.0f} m² (counted twice in the parts)"))
    whole = geoms.get(t.id)
    if whole is not None:
        for p, gp in parts:
            outside = gp.difference(whole).area
            if not is_noise(outside, gp):
                out.append(Finding("outside", p, t.id, outside, f"{p} lies {outside:,.0f} m² outside {t.id}"))
        parts_sum = sum(gp.area for _, gp in parts)
        gap = whole.area - parts_sum
        if abs(gap) / whole.area * 100.0 > t.tolerance_pct:
            out.append(Finding("parts_sum", t.id, None, gap,
                               f"parts add up to {parts_sum:,.0f} m², the whole measures {whole.area:,.0f} m² ({gap:+,.0f} m²)"))
    planned_sum = sum(by_id[p].planned_m2 for p in t.parts)
    plan_gap = t.planned_m2 - planned_sum
    if abs(plan_gap) / t.planned_m2 * 100.0 > t.tolerance_pct:
        out.append(Finding("plan_sum", t.id, None, plan_gap,
                           f"planned parts add up to {planned_sum:,.0f} m², the plan gives {t.planned_m2:,.0f} m² for the whole"))
    return out


def _within_findings(t: PlanTarget, geoms: Mapping[str, BaseGeometry | None]) -> list[Finding]:
    if t.within is None or geoms.get(t.id) is None or geoms.get(t.within) is None:
        return []
    outside = geoms[t.id].difference(geoms[t.within]).area
    if is_noise(outside, geoms[t.id]):
        return []
    return [Finding("outside", t.id, t.within, outside, f"{t.id} lies {outside:,.0f} m² outside {t.within}")]
