"""Land-use shares: how the parcels of a complex divide its area, against the plan's split.

The plan gives some allocations as shares rather than areas: the future-car
special complex as 60/20/20 (parts production / support / infrastructure,
of 100만평) and the Gwangju FEZ as 47/38/13/1/1 % (industrial / support /
residential / commercial / other). Parcels carry a `use`; a share target names
the uses it counts and the parcels it applies to (an attribute filter), and the
check compares each use group's share of the filtered parcels' area with the
planned share, in percentage points.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from zones.crs import METRIC
from zones.errors import InvalidInput

if TYPE_CHECKING:  # pandas only where a table is summed: the share check itself needs none
    import pandas as pd

Status = Literal["ok", "over", "under", "missing"]


@dataclass(frozen=True)
class ShareTarget:
    id: str
    group: str  # targets of one group split one whole and add up to 100 %
    name_ko: str
    name_en: str
    layer: str
    uses: tuple[str, ...]  # parcel `use` values this share counts
    share_pct: float
    tolerance_pct: float  # percentage points
    source: str
    filter_field: str = ""  # only parcels whose filter_field equals filter_value
    filter_value: str = ""
    note: str = ""


@dataclass(frozen=True)
class ShareRow:
    target_id: str
    group: str
    name_ko: str
    name_en: str
    uses: tuple[str, ...]
    planned_pct: float
    measured_pct: float | None
    measured_m2: float
    group_total_m2: float
    diff_pct_points: float | None
    tolerance_pct: float
    status: Status
    reason: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class ShareReport:
    rows: tuple[ShareRow, ...]
    unassigned: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # group -> use -> m²

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "over": 0, "under": 0, "missing": 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    def as_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "counts": self.counts(),
                "unassigned_m2": {g: dict(u) for g, u in self.unassigned.items()},
                "method": f"planar {METRIC} areas of the parcels; shares in % of the group's parcels"}


class ShareError(InvalidInput):
    """Share targets that cannot be checked (groups not adding to 100 %, a use counted twice)."""

    default_code = "invalid_shares"


def validate_shares(targets: list[ShareTarget]) -> None:
    ids = [t.id for t in targets]
    if len(ids) != len(set(ids)):
        raise ShareError(f"share ids must be unique: {sorted({i for i in ids if ids.count(i) > 1})}")
    groups: dict[str, list[ShareTarget]] = {}
    for t in targets:
        if not t.source.strip():
            raise ShareError(f"share {t.id!r} has no source")
        if not t.uses:
            raise ShareError(f"share {t.id!r} names no parcel uses")
        if not (0 < t.share_pct <= 100):
            raise ShareError(f"share {t.id!r}: share_pct must be in (0, 100], got {t.share_pct}")
        groups.setdefault(t.group, []).append(t)
    for group, members in groups.items():
        total = sum(t.share_pct for t in members)
        if abs(total - 100.0) > 0.01:
            raise ShareError(f"shares of group {group!r} add up to {total:g} %, not 100 %")
        scopes = {(t.layer, t.filter_field, t.filter_value) for t in members}
        if len(scopes) != 1:
            raise ShareError(f"shares of group {group!r} must apply to the same parcels (layer and filter)")
        seen: dict[str, str] = {}
        for t in members:
            for use in t.uses:
                if use in seen:
                    raise ShareError(f"use {use!r} is counted by both {seen[use]!r} and {t.id!r} in group {group!r}")
                seen[use] = t.id


def check_shares(targets: list[ShareTarget], parcels: Mapping[str, pd.DataFrame | Iterable[Mapping]]) -> ShareReport:
    """`parcels`: layer id -> table (or rows) with `use`, `area_m2` (planar, in `zones.crs.METRIC`) and the filter fields."""
    return share_report(targets, lambda t: area_by_use(_table(parcels.get(t.layer)), t.filter_field, t.filter_value))


def share_report(targets: list[ShareTarget], areas_of: Callable[[ShareTarget], dict[str, float]]) -> ShareReport:
    """The check, with `areas_of(target)` giving use -> m² of the parcels the target's group applies to
    (its layer and filter); asked once per group."""
    validate_shares(targets)
    groups: dict[str, list[ShareTarget]] = {}
    for t in targets:
        groups.setdefault(t.group, []).append(t)
    out: list[ShareRow] = []
    unassigned: dict[str, dict[str, float]] = {}
    for group, members in groups.items():
        by_use = areas_of(members[0])
        total = sum(by_use.values())
        counted = {u for t in members for u in t.uses}
        left = {u: a for u, a in by_use.items() if u not in counted}
        if left:
            unassigned[group] = left
        for t in members:
            out.append(_row(t, sum(by_use.get(u, 0.0) for u in t.uses), total))
    return ShareReport(rows=tuple(out), unassigned=unassigned)


def area_by_use(table: pd.DataFrame, filter_field: str = "", filter_value: str = "",
                area_column: str = "area_m2") -> dict[str, float]:
    """use -> summed `area_column` of the rows whose `filter_field` equals `filter_value` (all rows
    without a filter); a missing use counts as "" (no use).

    >>> import pandas as pd
    >>> area_by_use(pd.DataFrame({"use": ["a", "b", "a", None], "area_m2": [1.0, 2.0, 3.0, 4.0]}))
    {'': 4.0, 'a': 4.0, 'b': 2.0}
    """
    import pandas as pd

    if table is None or not len(table) or area_column not in table.columns:
        return {}
    if filter_field:
        if filter_field not in table.columns:
            return {}
        table = table[table[filter_field].astype(str).to_numpy() == filter_value]
    uses = table["use"].astype(object).where(table["use"].notna(), "").astype(str) if "use" in table.columns \
        else pd.Series("", index=table.index)
    sums = table[area_column].astype(float).groupby(uses.to_numpy(), sort=True).sum()
    return {str(u): float(a) for u, a in sums.items()}


def _table(rows: pd.DataFrame | Iterable[Mapping] | None) -> pd.DataFrame | None:
    import pandas as pd

    if rows is None or isinstance(rows, pd.DataFrame):
        return rows
    return pd.DataFrame.from_records(list(rows))


def _row(t: ShareTarget, m2: float, total: float) -> ShareRow:
    common = dict(target_id=t.id, group=t.group, name_ko=t.name_ko, name_en=t.name_en, uses=t.uses,
                  planned_pct=t.share_pct, measured_m2=m2, group_total_m2=total, tolerance_pct=t.tolerance_pct,
                  source=t.source, note=t.note)
    scope = f"{t.layer}" + (f" where {t.filter_field} = {t.filter_value}" if t.filter_field else "")
    if total <= 0:
        return ShareRow(measured_pct=None, diff_pct_points=None, status="missing",
                        reason=f"no parcels in {scope}", **common)
    pct = m2 / total * 100.0
    diff = pct - t.share_pct
    status: Status = "ok" if abs(diff) <= t.tolerance_pct else ("over" if diff > 0 else "under")
    reason = (f"{', '.join(t.uses)} take {m2:,.0f} m² of {total:,.0f} m² = {pct:.2f} % "
              f"(plan {t.share_pct:g} %, {diff:+.2f} points, tolerance ±{t.tolerance_pct:g})")
    return ShareRow(measured_pct=pct, diff_pct_points=diff, status=status, reason=reason, **common)
