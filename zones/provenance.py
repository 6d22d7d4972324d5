"""What a measured row rests on: the provenance of the features it measured.

A schematic polygon that was drawn to measure the very figure it is checked against
proves nothing about the ground: its row checks the drawing recipe. The report says
so, and says whether the features are schematic, surveyed or a mix of both.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# A schematic feature counts as sized to a figure when the figure it was drawn to
# (its `gazetted_m2`) matches the plan figure to this relative precision.
SIZED_RTOL = 1e-6


@dataclass(frozen=True)
class FeatureOrigin:
    """The provenance of one stored feature and, for a drawn one, the area it was sized to."""
    provenance: str
    sized_m2: float | None = None


# layer id -> feature id -> origin
Origins = Mapping[str, Mapping[str, FeatureOrigin]]


def rests_on(layer: str, features: tuple[str, ...], planned_m2: float,
             origins: Origins | None) -> tuple[str, bool]:
    """(`schematic` | `surveyed` | `mixed` | other single provenance | `none` | `unknown`, sized to the plan?).

    `none`: no feature was found; `unknown`: the caller gave no origins.

    >>> o = {"l": {"a": FeatureOrigin("schematic", 600.0), "b": FeatureOrigin("schematic", 400.0),
    ...            "c": FeatureOrigin("surveyed")}}
    >>> rests_on("l", ("a", "b"), 1000.0, o)
    ('schematic', True)
    >>> rests_on("l", ("a", "c"), 1000.0, o)
    ('mixed', False)
    >>> rests_on("l", ("a",), 1000.0, o)
    ('schematic', False)
    """
    if origins is None:
        return "unknown", False
    found = [origins.get(layer, {}).get(f) for f in features]
    found = [o for o in found if o is not None]
    if not found:
        return "none", False
    kinds = {o.provenance for o in found}
    label = kinds.pop() if len(kinds) == 1 else "mixed"
    sized = (label == "schematic" and all(o.sized_m2 is not None for o in found)
             and abs(sum(o.sized_m2 for o in found) - planned_m2) <= SIZED_RTOL * planned_m2)
    return label, sized


SIZED_EN = "sized to the plan figure: this row checks the recipe, not the ground"
SIZED_KO = "계획 면적에 맞춰 그린 도식 경계: 현장이 아니라 작도 방법을 점검한 결과"
