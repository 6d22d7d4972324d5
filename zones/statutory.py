"""Statutory checks: national planning standards, computed from the parcels' land use per complex.

These are general Korean planning rules, not figures of these plans: the green-space ratio
of an industrial complex by its size, the industrial-facility share of the saleable land,
the mixed-use share of the industrial land, the width of drawn buffer green. Each row cites
its rule. A complex with no parcels answers `no data` rather than a guess.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

StatutoryStatus = Literal["ok", "over", "under", "no data"]


@dataclass(frozen=True)
class Band:
    """The range a rule asks of complexes whose planned size lies in [min_km2, max_km2)."""
    low_pct: float
    high_pct: float
    min_km2: float = 0.0
    max_km2: float = float("inf")


@dataclass(frozen=True)
class StatutoryRule:
    id: str
    name_ko: str
    name_en: str
    kind: Literal["share", "min_width"]
    source: str
    uses: tuple[str, ...]  # parcel uses measured (numerator, or the strips whose width counts)
    of_uses: tuple[str, ...] = ()  # denominator uses; empty: every parcel of the complex
    bands: tuple[Band, ...] = field(default=())
    min_width_m: float = 0.0
    note: str = ""

    def band_for(self, size_km2: float) -> Band | None:
        return next((b for b in self.bands if b.min_km2 <= size_km2 < b.max_km2), None)


@dataclass(frozen=True)
class Parcel:
    use: str
    geometry: BaseGeometry  # in zones.crs.METRIC


@dataclass(frozen=True)
class Complex:
    id: str
    name_ko: str
    name_en: str
    planned_m2: float
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class StatutoryRow:
    complex_id: str
    complex_name_ko: str
    complex_name_en: str
    rule_id: str
    name_ko: str
    name_en: str
    required: str
    measured: float | None
    unit: str
    status: StatutoryStatus
    reason: str
    reason_ko: str
    source: str
    parcels: int


def _required(rule: StatutoryRule, band: Band | None) -> str:
    if rule.kind == "min_width":
        return f"≥ {rule.min_width_m:g} m"
    if band is None:
        return "–"
    if band.low_pct <= 0:
        return f"≤ {band.high_pct:g} %"
    return f"{band.low_pct:g}–{band.high_pct:g} %"


def check_statutory(rules: Iterable[StatutoryRule], complexes: Iterable[Complex],
                    parcels: list[Parcel]) -> tuple[StatutoryRow, ...]:
    """One row per complex and rule; parcels belong to the complex that holds their inner point."""
    points = shapely.points([shapely.get_coordinates(p.geometry.point_on_surface())[0] for p in parcels]) \
        if parcels else np.array([])
    rules = list(rules)
    out = []
    for cx in complexes:
        mine: list[Parcel] = []
        if cx.geometry is not None and parcels:
            inside = shapely.contains_xy(cx.geometry, shapely.get_coordinates(points)[:, 0],
                                         shapely.get_coordinates(points)[:, 1])
            mine = [p for p, keep in zip(parcels, inside) if keep]
        for rule in rules:
            out.append(_row(rule, cx, mine))
    return tuple(out)


def _row(rule: StatutoryRule, cx: Complex, mine: list[Parcel]) -> StatutoryRow:
    band = rule.band_for(cx.planned_m2 / 1e6) if rule.kind == "share" else None
    base = dict(complex_id=cx.id, complex_name_ko=cx.name_ko, complex_name_en=cx.name_en, rule_id=rule.id,
                name_ko=rule.name_ko, name_en=rule.name_en, required=_required(rule, band),
                unit="m" if rule.kind == "min_width" else "%", source=rule.source, parcels=len(mine))
    if not mine:
        return StatutoryRow(measured=None, status="no data", reason="no parcels in this complex",
                            reason_ko="이 단지에 필지 자료 없음", **base)
    if rule.kind == "min_width":
        strips = [p.geometry for p in mine if p.use in rule.uses]
        if not strips:
            return StatutoryRow(measured=None, status="no data",
                                reason=f"no {'/'.join(rule.uses)} parcel is drawn", reason_ko="완충녹지 필지가 없음", **base)
        width = min(2.0 * shapely.maximum_inscribed_circle(g, 0.01).length for g in strips)
        ok = width >= rule.min_width_m
        return StatutoryRow(
            measured=width, status="ok" if ok else "under",
            reason=f"narrowest strip {width:.1f} m {'≥' if ok else '<'} {rule.min_width_m:g} m",
            reason_ko=f"가장 좁은 폭 {width:.1f} m ({'기준 충족' if ok else f'기준 {rule.min_width_m:g} m 미달'})", **base)
    if band is None:
        return StatutoryRow(measured=None, status="no data", reason="no band of the rule fits this complex's size",
                            reason_ko="단지 규모에 맞는 기준 구간 없음", **base)
    num = sum(p.geometry.area for p in mine if p.use in rule.uses)
    den = sum(p.geometry.area for p in mine if not rule.of_uses or p.use in rule.of_uses)
    if den <= 0:
        return StatutoryRow(measured=None, status="no data", reason=f"no {'/'.join(rule.of_uses)} parcels to divide by",
                            reason_ko="기준 면적이 되는 필지가 없음", **base)
    pct = num / den * 100.0
    status: StatutoryStatus = "under" if pct < band.low_pct else "over" if pct > band.high_pct else "ok"
    word = {"ok": ("within", "이내"), "under": ("below", "미달"), "over": ("above", "초과")}[status]
    return StatutoryRow(
        measured=pct, status=status,
        reason=f"{pct:.1f} % ({num:,.0f} of {den:,.0f} m²), {word[0]} {base['required']}",
        reason_ko=f"{pct:.1f} % ({num:,.0f} / {den:,.0f} m²), 기준 {base['required']} {word[1]}", **base)
