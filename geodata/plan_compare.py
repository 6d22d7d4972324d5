"""Two versions of the store side by side, in the terms of the plan.

A version is anything that reads layers (geodata.provider.LayerSource): the base, a scenario,
the store with one layer at an earlier revision. For each we take what every report shows
(the allocation rows, the land-use shares, the statutory rows and the siting verdict of each
planned facility) and put them next to each other: value in A, value in B, the difference
(m², 평, percentage points) and whether the status changed; plus, per layer, the features
that differ (geodata.layer_diff). Nothing is measured here that the reports do not measure.
"""
from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path

from geodata import PLAN_FILE
from geodata.allocation_inputs import allocation_report
from geodata.layer_diff import LayerDiff, diff_frames
from geodata.provider import LayerSource
from geodata.share_file import load_shares, shares_of_store
from geodata.siting_rules import layer_features, referenced_layers
from geodata.statutory_file import statutory_report
from zones.allocation import AllocationReport
from zones.plan import PlanTarget
from zones.shares import ShareReport
from zones.siting import BindError, RuleSet, SiteCheck, bind, check_planned
from zones.statutory import StatutoryRow
from zones.units import PYEONG_M2


@dataclass(frozen=True)
class PlanState:
    """What the reports say about one version of the store."""
    label: str
    allocation: AllocationReport
    shares: ShareReport
    statutory: tuple[StatutoryRow, ...]
    siting: tuple[SiteCheck, ...]
    siting_error: str = ""  # the rules cannot bind to this version (a referenced feature is gone)


def plan_state(source: LayerSource, label: str, plan: list[PlanTarget], rules: RuleSet | None,
               plan_path: Path = PLAN_FILE) -> PlanState:
    shares = load_shares(plan_path)
    checks: tuple[SiteCheck, ...] = ()
    error = ""
    if rules is not None:
        try:
            checks = tuple(check_planned(bind(rules, layer_features(source, referenced_layers(rules)))))
        except BindError as exc:
            error = str(exc)
    return PlanState(label, allocation_report(source, plan), shares_of_store(source, shares),
                     statutory_report(source, plan), checks, error)


@dataclass(frozen=True)
class ComparedRow:
    """One row of the side-by-side table."""
    kind: str  # target, share, statutory, siting
    id: str
    name_ko: str
    name_en: str
    unit: str  # m2 (targets, siting sites), % (shares, statutory)
    value_a: float | None
    value_b: float | None
    status_a: str
    status_b: str
    faults_a: tuple[str, ...] = ()
    faults_b: tuple[str, ...] = ()

    @property
    def difference(self) -> float | None:
        """B − A in the row's unit (m², or percentage points for a % row)."""
        if self.value_a is None or self.value_b is None:
            return None
        return self.value_b - self.value_a

    @property
    def status_changed(self) -> bool:
        return self.status_a != self.status_b

    @property
    def faults_changed(self) -> bool:
        return set(self.faults_a) != set(self.faults_b)

    @property
    def changed(self) -> bool:
        d = self.difference
        moved = (self.value_a is None) != (self.value_b is None) or (d is not None and abs(d) > 1e-6)
        return moved or self.status_changed or self.faults_changed

    def as_dict(self) -> dict:
        d = self.difference
        out = {"kind": self.kind, "id": self.id, "name_ko": self.name_ko, "name_en": self.name_en,
               "unit": self.unit, "a": self.value_a, "b": self.value_b, "status_a": self.status_a,
               "status_b": self.status_b, "status_changed": self.status_changed,
               "faults_a": list(self.faults_a), "faults_b": list(self.faults_b),
               "faults_changed": self.faults_changed, "changed": self.changed}
        if self.unit == "m2":
            out.update(difference_m2=d, difference_pyeong=None if d is None else d / PYEONG_M2)
        else:
            out.update(difference_pct_points=d)
        return out


def _target_rows(a: PlanState, b: PlanState) -> list[ComparedRow]:
    rows_b = {r.target_id: r for r in b.allocation.rows}
    out = []
    for ra in a.allocation.rows:
        rb = rows_b[ra.target_id]
        out.append(ComparedRow("target", ra.target_id, ra.name_ko, ra.name_en, "m2", ra.measured_m2, rb.measured_m2,
                               ra.status, rb.status, tuple(f.message for f in ra.faults),
                               tuple(f.message for f in rb.faults)))
    return out


def _share_rows(a: PlanState, b: PlanState) -> list[ComparedRow]:
    rows_b = {r.target_id: r for r in b.shares.rows}
    return [ComparedRow("share", r.target_id, r.name_ko, r.name_en, "%", r.measured_pct,
                        rows_b[r.target_id].measured_pct, r.status, rows_b[r.target_id].status)
            for r in a.shares.rows]


def _statutory_rows(a: PlanState, b: PlanState) -> list[ComparedRow]:
    rows_b = {(r.complex_id, r.rule_id): r for r in b.statutory}
    out = []
    for r in a.statutory:
        rb = rows_b.get((r.complex_id, r.rule_id))
        if rb is None:
            continue
        out.append(ComparedRow("statutory", f"{r.complex_id}:{r.rule_id}", f"{r.complex_name_ko} · {r.name_ko}",
                               f"{r.complex_name_en} · {r.name_en}", r.unit or "%", r.measured, rb.measured,
                               r.status, rb.status))
    return out


def _siting_rows(a: PlanState, b: PlanState, source_a: LayerSource, source_b: LayerSource,
                 facilities_layer: str | None) -> list[ComparedRow]:
    checks_b = {c.facility: c for c in b.siting}
    out = []
    for ca in a.siting:
        cb = checks_b.get(ca.facility)
        out.append(ComparedRow(
            "siting", ca.facility, ca.name_ko, ca.name_en, "m2",
            _site_area(source_a, facilities_layer, ca.facility), _site_area(source_b, facilities_layer, ca.facility),
            "passes" if ca.passed else "fails", "no site" if cb is None else ("passes" if cb.passed else "fails"),
            _failed(ca), () if cb is None else _failed(cb)))
    return out


def _failed(check: SiteCheck) -> tuple[str, ...]:
    return tuple(f"{r.rule}: {r.message_en}" for r in check.failed_rules)


def _site_area(source: LayerSource, layer: str | None, facility: str) -> float | None:
    if layer is None or layer not in source.layer_ids():
        return None
    gdf = source.layer(layer).metric
    hit = gdf[gdf["id"] == facility]
    return float(hit["area_m2"].iloc[0]) if len(hit) else None


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    rows: list[ComparedRow]
    layers: list[LayerDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status_changes(self) -> list[ComparedRow]:
        return [r for r in self.rows if r.status_changed or r.faults_changed]

    def as_dict(self) -> dict:
        kinds = ("target", "share", "statutory", "siting")
        return {"a": self.a, "b": self.b,
                "summary": {"rows": len(self.rows), "changed": sum(r.changed for r in self.rows),
                            "status_changed": sum(r.status_changed for r in self.rows),
                            "features_differing": sum(len(d.changes) for d in self.layers)},
                **{f"{k}s" if k != "statutory" else k: [r.as_dict() for r in self.rows if r.kind == k] for k in kinds},
                "features": [d.as_dict() for d in self.layers], "notes": self.notes,
                "units": "m² planar EPSG:5186 (평 = 400/121 m²); shares and statutory ratios in %, differences in "
                         "percentage points"}


def compare_states(a: PlanState, b: PlanState, source_a: LayerSource, source_b: LayerSource,
                   rules: RuleSet | None, layers: list[str]) -> Comparison:
    """Side by side; `layers` are those whose features are listed (the ones either side edits)."""
    rows = _target_rows(a, b) + _share_rows(a, b) + _statutory_rows(a, b) + \
        _siting_rows(a, b, source_a, source_b, rules.facilities_layer if rules else None)
    diffs = [diff_frames(layer, source_a.layer(layer).metric, source_b.layer(layer).metric, a.label, b.label)
             for layer in layers if layer in source_a.layer_ids()]
    notes = [f"siting rules cannot be checked in {s.label}: {s.siting_error}" for s in (a, b) if s.siting_error]
    return Comparison(a.label, b.label, rows, [d for d in diffs if d.changes], notes)


CSV_COLUMNS = ("kind", "id", "name_ko", "name_en", "unit", "a", "b", "difference_m2", "difference_pyeong",
               "difference_pct_points", "status_a", "status_b", "status_changed", "faults_changed")


def comparison_csv(cmp: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in cmp.rows:
        d = r.as_dict()
        writer.writerow(["" if d.get(c) is None else d.get(c) for c in CSV_COLUMNS])
    return out.getvalue()



def comparison_xlsx(cmp: Comparison) -> bytes:
    """The same table as the CSV on a sheet `compare`, and the features that differ on `features`."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "compare"
    sheet.append([f"{cmp.a} vs {cmp.b}: A = {cmp.a}, B = {cmp.b}; m² planar EPSG:5186, 평 = 400/121 m²"])
    sheet.append(list(CSV_COLUMNS))
    for r in cmp.rows:
        d = r.as_dict()
        sheet.append([d.get(c) for c in CSV_COLUMNS])
    feats = book.create_sheet("features")
    columns = ("id", "change", "id_before", "area_before_m2", "area_after_m2", "shift_m", "bearing_deg", "direction")
    feats.append(["layer", *columns, "changed_attributes"])
    for diff in cmp.layers:
        for c in diff.changes:
            d = c.as_dict()
            feats.append([diff.layer, *[d[k] for k in columns], ", ".join(c.changed_attributes)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class PlanStateCache:
    """Plan states by the exact layer copies they were computed from (their serials), so a compare
    of two unchanged scenarios costs a lookup. Bounded: the newest `size` states are kept."""

    def __init__(self, size: int = 16):
        self.size = size
        self._lock = threading.Lock()
        self._states: dict[tuple, PlanState] = {}

    def get(self, source: LayerSource, label: str, plan: list[PlanTarget], rules: RuleSet | None,
            plan_path: Path = PLAN_FILE) -> PlanState:
        key = (label, str(plan_path), tuple(source.layer(lid).serial for lid in source.layer_ids()))
        with self._lock:
            hit = self._states.get(key)
        if hit is not None:
            return hit
        state = plan_state(source, label, plan, rules, plan_path)
        with self._lock:
            self._states[key] = state
            while len(self._states) > self.size:
                self._states.pop(next(iter(self._states)))
        return state
