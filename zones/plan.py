"""Plan targets: what the gazetted plan says an area should measure.

A target names the features that realise it (layer + feature ids), the gazetted
figure in the unit the plan used, a tolerance and the public source. Targets may
be composed: `parts` are child targets that should tile this one, `within` is a
target whose area must contain this one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from zones.errors import InvalidInput
from zones.units import to_m2


@dataclass(frozen=True)
class PlanTarget:
    id: str
    name_ko: str
    name_en: str
    layer: str
    features: tuple[str, ...]
    value: float
    unit: str
    tolerance_pct: float
    source: str
    parts: tuple[str, ...] = field(default=())
    within: str | None = None
    note: str = ""

    @property
    def planned_m2(self) -> float:
        return to_m2(self.value, self.unit)


class PlanError(InvalidInput):
    """A plan that cannot be checked (unknown references, cycles, bad numbers)."""

    default_code = "invalid_plan"


def validate_plan(targets: list[PlanTarget]) -> None:
    """Refuse a plan whose references dangle or whose numbers are meaningless."""
    ids = [t.id for t in targets]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise PlanError(f"plan target ids must be unique; repeated: {sorted(dupes)}")
    known = set(ids)
    for t in targets:
        if not t.source.strip():
            raise PlanError(f"plan target {t.id!r} has no source")
        if not (t.value > 0):
            raise PlanError(f"plan target {t.id!r}: value must be > 0, got {t.value}")
        if not (0 <= t.tolerance_pct < 100):
            raise PlanError(f"plan target {t.id!r}: tolerance_pct must be in [0, 100), got {t.tolerance_pct}")
        if not t.features:
            raise PlanError(f"plan target {t.id!r} names no features to measure")
        try:
            t.planned_m2
        except ValueError as exc:
            raise PlanError(f"plan target {t.id!r}: {exc}") from None
        for ref in (*t.parts, *([t.within] if t.within else [])):
            if ref not in known:
                raise PlanError(f"plan target {t.id!r} refers to unknown target {ref!r}")
            if ref == t.id:
                raise PlanError(f"plan target {t.id!r} refers to itself")
