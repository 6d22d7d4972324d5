"""Plan targets: what the gazetted plan says an area should measure, and where.

A target names the features that realise it (layer + feature ids), the gazetted
figure in the unit the plan used, a tolerance and the public source. Targets may
be composed: `parts` are child targets that should tile this one, `within` is a
target whose area must contain this one. `dongs` are the legal dongs (법정동 codes)
its source places it in; a target whose source publishes no place has no
`features` and is reported `missing`, never drawn somewhere invented.
`other_figures` are further published figures for the same thing (an as-built
area, a second report); where they disagree with `value` the report says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from zones.errors import InvalidInput
from zones.units import UNIT_LABELS, to_m2


@dataclass(frozen=True)
class Figure:
    """A published figure other than the one checked, with its source."""
    value: float
    unit: str
    source: str
    label: str = ""

    @property
    def m2(self) -> float:
        return to_m2(self.value, self.unit)

    @property
    def text(self) -> str:
        return figure_text(self.value, self.unit)


def figure_text(value: float, unit: str) -> str:
    """A figure as the source states it, with m² beside it when the source used another unit.

    >>> figure_text(1_000_000, "pyeong"), figure_text(7.27, "km2"), figure_text(46_200, "m2")
    ('1,000,000 평 (3,305,785 m²)', '7.27 km² (7,270,000 m²)', '46,200 m²')
    """
    if unit == "m2":
        return f"{value:,.0f} m²"
    number = f"{value:,.0f}" if value == int(value) else f"{value:,}"
    return f"{number} {UNIT_LABELS[unit]} ({to_m2(value, unit):,.0f} m²)"


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
    note_ko: str = ""
    dongs: tuple[str, ...] = field(default=())
    place: str = ""
    place_source: str = ""
    other_figures: tuple[Figure, ...] = field(default=())

    @property
    def planned_m2(self) -> float:
        return to_m2(self.value, self.unit)

    @property
    def planned_text(self) -> str:
        """The gazetted figure in the source's unit, with m² beside it."""
        return figure_text(self.value, self.unit)


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
        if not t.features and not t.note.strip():
            raise PlanError(f"plan target {t.id!r} names no features to measure and no `note` saying why "
                            "(e.g. that no boundary is published)")
        try:
            t.planned_m2
            for fig in t.other_figures:
                fig.m2
        except ValueError as exc:
            raise PlanError(f"plan target {t.id!r}: {exc}") from None
        for ref in (*t.parts, *([t.within] if t.within else [])):
            if ref not in known:
                raise PlanError(f"plan target {t.id!r} refers to unknown target {ref!r}")
            if ref == t.id:
                raise PlanError(f"plan target {t.id!r} refers to itself")
    _refuse_cycles(targets)


def _refuse_cycles(targets: list[PlanTarget]) -> None:
    """A target cannot contain itself through a chain of `parts` and `within`."""
    parents: dict[str, set[str]] = {t.id: set() for t in targets}
    for t in targets:
        for p in t.parts:
            parents[p].add(t.id)
        if t.within:
            parents[t.id].add(t.within)
    for start in parents:
        seen: set[str] = set()
        todo = list(parents[start])
        while todo:
            cur = todo.pop()
            if cur == start:
                raise PlanError(f"plan target {start!r} contains itself through parts/within")
            if cur not in seen:
                seen.add(cur)
                todo.extend(parents[cur])
