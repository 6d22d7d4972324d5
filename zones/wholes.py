"""Wholes and their parts: overlaps, overhangs, gaps and sums, in m².

A whole with a boundary of its own (features other than its parts') is checked
against its parts: parts lying outside it, gaps inside it that no part covers, parts
overlapping each other. A whole measured as the union of its parts cannot have a part
outside it or a gap, so the report says that those checks did not run. Plan figures
whose parts do not add up to the whole are reported with the gap, however small:
within the tolerance they are a note (rounded figures), beyond it a fault.
"""
from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import shapely
from shapely.geometry.base import BaseGeometry

from zones.findings import Finding, is_noise
from zones.messages import m2
from zones.plan import PlanTarget

# Plan figures are whole square metres; a difference below this is arithmetic, not a gap.
PLAN_SUM_EPS_M2 = 0.5


def parts_findings(t: PlanTarget, by_id: Mapping[str, PlanTarget],
                   geoms: Mapping[str, BaseGeometry | None]) -> list[Finding]:
    if not t.parts:
        return []
    out: list[Finding] = []
    parts = [(p, geoms[p]) for p in t.parts if geoms.get(p) is not None]
    for (a, ga), (b, gb) in combinations(parts, 2):
        overlap = ga.intersection(gb).area
        if not is_noise(overlap, ga, gb):
            out.append(Finding("overlap", a, b, overlap,
                               f"{a} and {b} overlap by {m2(overlap)} (counted twice in the parts)",
                               f"{a}와 {b}가 {m2(overlap)} 겹침 (부분 합계에 두 번 셈)"))
    whole = geoms.get(t.id)
    planned_sum = sum(by_id[p].planned_m2 for p in t.parts)
    plan_gap = t.planned_m2 - planned_sum
    if whole is not None and parts:
        if own_boundary(t, by_id):
            out += _against_boundary(t, whole, parts, plan_gap)
        else:
            out.append(Finding(
                "no_own_boundary", t.id, None, 0.0,
                f"{t.id} has no boundary of its own: it is measured as the union of its parts, so parts "
                "outside it and gaps inside it cannot be checked",
                f"{t.id}는 자체 경계가 없어 부분들의 합집합으로 측정함: 경계 밖 부분과 빈틈은 점검할 수 없음",
                "note"))
        parts_sum = sum(gp.area for _, gp in parts)
        gap = whole.area - parts_sum
        if abs(gap) / whole.area * 100.0 > t.tolerance_pct:
            out.append(Finding("parts_sum", t.id, None, gap,
                               f"parts add up to {m2(parts_sum)}, the whole measures {m2(whole.area)} ({gap:+,.0f} m²)",
                               f"부분 합계 {m2(parts_sum)}, 전체 측정 {m2(whole.area)} ({gap:+,.0f} m²)"))
    if abs(plan_gap) > PLAN_SUM_EPS_M2:
        beyond = abs(plan_gap) / t.planned_m2 * 100.0 > t.tolerance_pct
        out.append(Finding(
            "plan_sum", t.id, None, plan_gap,
            f"planned parts add up to {m2(planned_sum)}, the plan gives {m2(t.planned_m2)} for the whole: "
            f"{abs(plan_gap):,.0f} m² {'unallocated' if plan_gap > 0 else 'over-allocated'}"
            + ("" if beyond else f" (within ±{t.tolerance_pct:g} %)"),
            f"계획상 부분 합계 {m2(planned_sum)}, 전체 계획 {m2(t.planned_m2)}: "
            f"{abs(plan_gap):,.0f} m² {'미배분' if plan_gap > 0 else '초과 배분'}"
            + ("" if beyond else f" (허용 ±{t.tolerance_pct:g} % 이내)"),
            "fault" if beyond else "note"))
    return out


def own_boundary(t: PlanTarget, by_id: Mapping[str, PlanTarget]) -> bool:
    """True when the whole is measured from features none of its parts measures."""
    part_features = {(by_id[p].layer, f) for p in t.parts for f in by_id[p].features}
    return bool(t.features) and not ({(t.layer, f) for f in t.features} & part_features)


def _against_boundary(t: PlanTarget, whole: BaseGeometry, parts: list[tuple[str, BaseGeometry]],
                      plan_gap: float) -> list[Finding]:
    out: list[Finding] = []
    for p, gp in parts:
        outside = gp.difference(whole).area
        if not is_noise(outside, gp):
            out.append(Finding("outside", p, t.id, outside, f"{p} lies {m2(outside)} outside {t.id}",
                               f"{p}의 {m2(outside)}가 {t.id} 경계 밖에 있음"))
    gap = whole.difference(shapely.union_all([gp for _, gp in parts])).area
    if not is_noise(gap, whole):
        explained = gap <= max(plan_gap, 0.0) + _slack(t)
        out.append(Finding(
            "gap", t.id, None, gap,
            f"{m2(gap)} inside {t.id} is covered by none of its parts"
            + (f" (the plan figures leave {max(plan_gap, 0):,.0f} m² unallocated)" if explained else ""),
            f"{t.id} 안의 {m2(gap)}가 어느 부분에도 속하지 않음"
            + (f" (계획 면적상 미배분 {max(plan_gap, 0):,.0f} m²)" if explained else ""),
            "note" if explained else "fault"))
    return out


def _slack(t: PlanTarget) -> float:
    """Drawing slack on a gap the plan explains: the 0.01 % a drawn polygon may miss its figure by."""
    return 1e-4 * t.planned_m2
