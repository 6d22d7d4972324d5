"""Findings: what makes totals lie or places wrong, each with its area and a ko/en message.

A finding's `severity` says whether it is a fault of the plan or the data (`fault`) or a
fact a planner should see that breaks nothing (`note`: plan figures that differ by their
rounding, a whole that has no boundary of its own).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shapely.geometry.base import BaseGeometry

FindingKind = Literal["overlap", "outside", "gap", "parts_sum", "plan_sum", "figures_disagree",
                      "missing_feature", "misplaced", "unrelated_overlap", "no_own_boundary"]
Severity = Literal["fault", "note"]

# An overlap or overhang thinner on average than NOISE_WIDTH_M along the boundary of the
# smaller geometry (or smaller than NOISE_M2, for small sites) is
# digitising noise from shared edges, not a planning fault: 1 cm is below any survey.
NOISE_M2 = 1.0
NOISE_WIDTH_M = 0.01


def is_noise(area_m2: float, *geoms: BaseGeometry) -> bool:
    perimeter = min(g.length for g in geoms)
    return area_m2 <= max(NOISE_M2, NOISE_WIDTH_M * perimeter)


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    target_id: str
    other_id: str | None
    area_m2: float
    message: str
    message_ko: str = ""
    severity: Severity = "fault"
