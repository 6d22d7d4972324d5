"""What the two area kinds (min_area, max_area) share: a limit in the unit the plan writes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zones.siting.errors import RuleError
from zones.siting.registry import Param, positive
from zones.units import to_m2

PARAMS = (Param("value", float, unit="(unit)", check=positive), Param("unit", str, "m2"))


def limit_m2(p: Mapping[str, Any]) -> float:
    """The limit in m², from `value` in `unit` (m2, ha, km2, pyeong)."""
    return to_m2(float(p["value"]), p["unit"])


def check_unit(rule_id: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
    try:
        to_m2(1.0, p["unit"])
    except ValueError as exc:
        raise RuleError(f"rule {rule_id!r}: {exc}", "unit") from None
