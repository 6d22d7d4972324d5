"""Numbers on the HTML pages, at the precision a planner compares with the gazetted figure.

Rounding everything to two decimals showed 1.106 km² as 1.11, which reads as a mismatch with
the plan. Areas keep the decimals their unit needs (km² 4, ha 2, m² 1, 평 2); any other number
keeps up to six significant digits, without trailing zeros.
"""
from __future__ import annotations

import math

UNIT_DECIMALS = (("_km2", 4), ("_ha", 2), ("_m2", 1), ("_pyeong", 2))
SIGNIFICANT = 6


def decimals_for(name: str) -> int | None:
    """Fixed decimals for an area property by its unit suffix (area_km2, gazetted_m2…), else None."""
    for suffix, decimals in UNIT_DECIMALS:
        if name.endswith(suffix):
            return decimals
    return None


def format_number(value: float | int, name: str = "") -> str:
    """A float with thousands separators, at the precision of the property `name`."""
    if isinstance(value, (bool, int)):
        return str(value)  # counts and codes (legal-dong codes are ints): exactly as stored
    if not math.isfinite(value):
        return str(value)
    fixed = decimals_for(name)
    if fixed is not None:
        return f"{value:,.{fixed}f}"
    if value == 0:
        return "0"
    digits = math.floor(math.log10(abs(value))) + 1
    text = f"{value:,.{max(0, SIGNIFICANT - digits)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
