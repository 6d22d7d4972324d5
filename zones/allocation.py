"""Allocation check: measured polygons against the gazetted plan, in place and in area.

For each target: measured vs planned, the difference, a status, what the measurement
rests on (schematic, surveyed or mixed features; whether a schematic polygon was sized
to the very figure it is checked against) and a reason a planner can read aloud, in
English and Korean. The findings say what makes totals lie or places wrong: parts that
overlap or lie outside their whole, gaps in a whole, sums that do not add up, targets
outside their legal dongs, overlaps the plan does not explain, published figures that
disagree.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import shapely
from shapely.geometry.base import BaseGeometry

from zones.area import METRIC_CRS_NAME, measure
from zones.findings import Finding, FindingKind, is_noise  # noqa: F401  (re-exported)
from zones.messages import area_reason, m2
from zones.overlaps import unrelated_overlaps
from zones.placement import Placement, place, place_reason
from zones.plan import PlanTarget
from zones.provenance import SIZED_EN, SIZED_KO, Origins, rests_on
from zones.wholes import parts_findings

Status = Literal["ok", "over", "under", "missing", "misplaced"]
STATUSES: tuple[Status, ...] = ("ok", "over", "under", "misplaced", "missing")

# layer id -> feature id -> geometry in zones.crs.METRIC
LayerGeometries = Mapping[str, Mapping[str, BaseGeometry]]


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
    reason_ko: str = ""
    planned_value: float = 0.0
    planned_unit: str = "m2"
    planned_text: str = ""
    provenance: str = "unknown"
    sized_to_plan: bool = False
    place: str = ""
    outside_dongs_m2: float | None = None

    @property
    def faults(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "fault")


@dataclass(frozen=True)
class AllocationReport:
    rows: tuple[AllocationRow, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for row in self.rows for f in row.findings)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for row in self.rows:
            out[row.status] += 1
        return out

    @property
    def provenances(self) -> set[str]:
        return {r.provenance for r in self.rows}

    @property
    def any_schematic(self) -> bool:
        """True when any measured row rests (wholly or partly) on schematic polygons."""
        return bool(self.provenances & {"schematic", "mixed"})


SCHEMATIC_BANNER = (
    "Schematic polygons: rows marked schematic measure outlines drawn to the plan figures, not surveyed "
    "boundaries; their ok checks the drawing, not the ground.",
    "도식 경계: schematic 행은 계획 면적에 맞춰 그린 도식 경계를 측정한 것으로, 측량 경계가 아님. "
    "그 결과 '적합'은 현장이 아니라 작도를 점검한 것임.")


def target_geometry(target: PlanTarget, layers: LayerGeometries) -> tuple[BaseGeometry | None, list[str]]:
    """Union of the target's features and the ids that were not found."""
    layer = layers.get(target.layer, {})
    found = [layer[f] for f in target.features if f in layer]
    missing = [f for f in target.features if f not in layer]
    if not found:
        return None, missing
    return shapely.union_all(found), missing


def check_allocations(targets: list[PlanTarget], layers: LayerGeometries, *,
                      origins: Origins | None = None,
                      dongs: Mapping[str, BaseGeometry] | None = None) -> AllocationReport:
    """Check every target; composite findings are attached to the parent's row.

    `origins` (layer -> feature -> provenance) lets each row say what it rests on; `dongs`
    (legal-dong code -> geometry, in `zones.crs.METRIC`) lets each row check its place.
    """
    by_id = {t.id: t for t in targets}
    geoms: dict[str, BaseGeometry | None] = {}
    missing_ids: dict[str, list[str]] = {}
    for t in targets:
        geoms[t.id], missing_ids[t.id] = target_geometry(t, layers)
    unrelated: dict[str, list[Finding]] = {}
    for f in unrelated_overlaps(targets, geoms):
        unrelated.setdefault(f.target_id, []).append(f)
    rows = []
    for t in targets:
        placement = None
        if dongs is not None and geoms[t.id] is not None and t.dongs:
            placement = place(geoms[t.id], t.dongs, dongs)
        findings = [*_missing_findings(t, missing_ids[t.id], geoms[t.id] is None)]
        findings += _placement_findings(t, placement)
        findings += parts_findings(t, by_id, geoms)
        findings += _within_findings(t, geoms)
        findings += unrelated.get(t.id, [])
        findings += _figure_findings(t)
        rows.append(_row(t, geoms[t.id], tuple(findings), placement, origins))
    return AllocationReport(rows=tuple(rows))


def classify(planned_m2: float, measured_m2: float, tolerance_pct: float) -> tuple[Status, float, float]:
    """Status, difference in m² and in % of plan; the tolerance band is inclusive."""
    diff = measured_m2 - planned_m2
    pct = diff / planned_m2 * 100.0
    if abs(pct) <= tolerance_pct:
        return "ok", diff, pct
    return ("over" if diff > 0 else "under"), diff, pct


def _row(t: PlanTarget, geom: BaseGeometry | None, findings: tuple[Finding, ...],
         placement: Placement | None, origins: Origins | None) -> AllocationRow:
    provenance, sized = rests_on(t.layer, t.features, t.planned_m2, origins)
    common = dict(
        target_id=t.id, name_ko=t.name_ko, name_en=t.name_en, planned_m2=t.planned_m2,
        tolerance_pct=t.tolerance_pct, source=t.source, layer=t.layer, features=t.features,
        findings=findings, planned_value=t.value, planned_unit=t.unit, planned_text=t.planned_text,
        provenance=provenance, place=t.place,
    )
    if geom is None or geom.is_empty:
        if not t.features:
            en, ko = (f"no boundary is published: {t.note}", f"공개된 경계 없음: {t.note_ko or t.note}")
        else:
            en = f"no feature {', '.join(t.features)} in layer {t.layer}"
            ko = f"레이어 {t.layer}에 {', '.join(t.features)} 없음"
        return AllocationRow(measured_m2=None, geodesic_m2=None, diff_m2=None, diff_pct=None,
                             status="missing", reason=en, reason_ko=ko, **common)
    area = measure(geom)
    status, diff, pct = classify(t.planned_m2, area.planar_m2, t.tolerance_pct)
    en, ko = area_reason(area.planar_m2, pct, t.tolerance_pct, status == "ok")
    if placement is not None:
        pen, pko = place_reason(placement, t.place or ",".join(t.dongs), area.planar_m2)
        en, ko = f"{en}; {pen}", f"{ko}; {pko}"
        if placement.misplaced:
            status = "misplaced"
    if sized:
        en, ko = f"{en}; {SIZED_EN}", f"{ko}; {SIZED_KO}"
    return AllocationRow(
        measured_m2=area.planar_m2, geodesic_m2=area.geodesic_m2, diff_m2=diff, diff_pct=pct,
        status=status, reason=en, reason_ko=ko, sized_to_plan=sized,
        outside_dongs_m2=None if placement is None else placement.outside_m2, **common,
    )


def _missing_findings(t: PlanTarget, missing: list[str], all_missing: bool) -> list[Finding]:
    if all_missing or not missing:
        return []
    return [Finding("missing_feature", t.id, f, 0.0, f"feature {f} of layer {t.layer} is missing; measured without it",
                    f"레이어 {t.layer}의 {f}가 없어 빼고 측정함") for f in missing]


def _placement_findings(t: PlanTarget, placement: Placement | None) -> list[Finding]:
    if placement is None:
        return []
    out = []
    if placement.misplaced:
        where = t.place or ",".join(t.dongs)
        out.append(Finding("misplaced", t.id, None, placement.outside_m2,
                           f"{t.id} lies {m2(placement.outside_m2)} outside its legal dongs {where}",
                           f"{t.id}의 {m2(placement.outside_m2)}가 법정동 {where} 밖에 있음"))
    if placement.unknown_dongs:
        codes = ", ".join(placement.unknown_dongs)
        out.append(Finding("missing_feature", t.id, None, 0.0,
                           f"legal dongs {codes} of {t.id} are not in the admin_dongs layer; place checked without them",
                           f"{t.id}의 법정동 {codes}가 admin_dongs 레이어에 없어 빼고 위치를 점검함"))
    return out


def _within_findings(t: PlanTarget, geoms: Mapping[str, BaseGeometry | None]) -> list[Finding]:
    if t.within is None or geoms.get(t.id) is None or geoms.get(t.within) is None:
        return []
    outside = geoms[t.id].difference(geoms[t.within]).area
    if is_noise(outside, geoms[t.id]):
        return []
    return [Finding("outside", t.id, t.within, outside, f"{t.id} lies {m2(outside)} outside {t.within}",
                    f"{t.id}의 {m2(outside)}가 {t.within} 밖에 있음")]


def _figure_findings(t: PlanTarget) -> list[Finding]:
    """Other published figures that disagree with the one checked: shown, never averaged away."""
    out = []
    for fig in t.other_figures:
        gap = fig.m2 - t.planned_m2
        if abs(gap) <= 0.5:
            continue
        label = f" ({fig.label})" if fig.label else ""
        out.append(Finding(
            "figures_disagree", t.id, None, gap,
            f"another published figure{label}: {fig.text}, {gap:+,.0f} m² against the {t.planned_text} "
            f"checked ({fig.source})",
            f"다른 공개 수치{label}: {fig.text}, 점검 기준 {t.planned_text} 대비 {gap:+,.0f} m² ({fig.source})",
            "note"))
    return out
