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
    """Square metres in one `unit`; raises InvalidInput (a ValueError) naming the accepted units.

    >>> m2_per("ha"), m2_per("pyeong") == 400 / 121
    (10000.0, True)
    >>> m2_per("acre")
    Traceback (most recent call last):
    ...
    zones.errors.InvalidInput: unknown area unit 'acre'; use one of ['ha', 'km2', 'm2', 'pyeong']
    """
    try:
        return _M2_PER_UNIT[unit]
    except KeyError:
        raise InvalidInput(f"unknown area unit {unit!r}; use one of {sorted(_M2_PER_UNIT)}") from None


def to_m2(value: float, unit: str) -> float:
    """`value` in `unit` as m².

    Parameters
    ----------
    value : float
        An area as a plan writes it.
    unit : {"m2", "ha", "km2", "pyeong"}

    Returns
    -------
    float
        Square metres; the pyeong is the legal 400/121 m², not the rounded 3.3058.

    Examples
    --------
    >>> to_m2(2.5, "ha"), to_m2(1.2, "km2"), to_m2(0.0, "m2")
    (25000.0, 1200000.0, 0.0)
    >>> round(to_m2(100_000, "pyeong"), 3)  # the rounded 3.3058 m² would give 330,580
    330578.512
    """
    return value * m2_per(unit)


def from_m2(area_m2: float, unit: str) -> float:
    """m² as `unit`; the inverse of `to_m2`.

    >>> from_m2(25_000.0, "ha"), from_m2(to_m2(1234.5, "pyeong"), "pyeong")
    (2.5, 1234.5)
    """
    return area_m2 / m2_per(unit)


def all_units(area_m2: float) -> dict[str, float]:
    """One area in every unit a planner reads, for tooltips and tables.

    >>> {k: round(v, 2) for k, v in all_units(12_100.0).items()}
    {'m2': 12100.0, 'ha': 1.21, 'km2': 0.01, 'pyeong': 3660.25}
    """
    return {unit: from_m2(area_m2, unit) for unit in _M2_PER_UNIT}
