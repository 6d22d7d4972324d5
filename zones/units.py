"""Area units used in Korean planning documents.

Plans quote areas in m², ha, km² and 평 (pyeong). The pyeong is defined in law as
6 자 × 6 자 with 1 자 = 10/33 m, so 1 평 = 400/121 m² exactly; using the rounded
3.3058 m² drifts by ~1 m² per 100,000 평, which matters at complex scale.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Literal

from zones.errors import InvalidInput

AreaUnit = Literal["m2", "ha", "km2", "pyeong"]

PYEONG_M2_EXACT = Fraction(400, 121)
PYEONG_M2 = float(PYEONG_M2_EXACT)

_M2_PER_UNIT: dict[str, float] = {
    "m2": 1.0,
    "ha": 10_000.0,
    "km2": 1_000_000.0,
    "pyeong": PYEONG_M2,
}

UNIT_LABELS: dict[str, str] = {"m2": "m²", "ha": "ha", "km2": "km²", "pyeong": "평"}


def m2_per(unit: str) -> float:
    """Square metres in one `unit`; raises ValueError naming the accepted units."""
    try:
        return _M2_PER_UNIT[unit]
    except KeyError:
        raise InvalidInput(f"unknown area unit {unit!r}; use one of {sorted(_M2_PER_UNIT)}") from None


def to_m2(value: float, unit: str) -> float:
    return value * m2_per(unit)


def from_m2(area_m2: float, unit: str) -> float:
    return area_m2 / m2_per(unit)


def all_units(area_m2: float) -> dict[str, float]:
    """One area in every unit a planner reads, for tooltips and tables."""
    return {unit: from_m2(area_m2, unit) for unit in _M2_PER_UNIT}
