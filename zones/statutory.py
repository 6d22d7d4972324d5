"""Statutory checks: national planning standards, computed from the parcels' land use per complex.

These are general Korean planning rules, not figures of these plans: the green-space ratio
of an industrial complex by its size, the industrial-facility share of the saleable land,
the mixed-use share of the industrial land, the width of drawn buffer green. Each row cites
its rule. A complex with no parcels answers `no data` rather than a guess.

The rows are computed from a tally (area, count and narrowest strip per complex and use), which
`complex_tally` makes from any batch of parcels and `combine_tally` adds up: the parcels layer of
the GeoPackage is one batch, each partition of the cadastral dataset another, and both reach the
same rows through `statutory_rows`.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

StatutoryStatus = Literal["ok", "over", "under", "no data"]


@dataclass(frozen=True)
class Band:
    """The range a rule asks of complexes whose planned size lies in [min_km2, max_km2)."""
    low_pct: float
    high_pct: float
    min_km2: float = 0.0
    max_km2: float = float("inf")


@dataclass(frozen=True)
class StatutoryRule:
    id: str
    name_ko: str
    name_en: str
    kind: Literal["share", "min_width"]
    source: str
    uses: tuple[str, ...]  # parcel uses measured (numerator, or the strips whose width counts)
    of_uses: tuple[str, ...] = ()  # denominator uses; empty: every parcel of the complex
    bands: tuple[Band, ...] = field(default=())
    min_width_m: float = 0.0
    note: str = ""

    def band_for(self, size_km2: float) -> Band | None:
        return next((b for b in self.bands if b.min_km2 <= size_km2 < b.max_km2), None)


@dataclass(frozen=True)
class Parcel:
    use: str
    geometry: BaseGeometry  # in zones.crs.METRIC


@dataclass(frozen=True)
class Complex:
    id: str
    name_ko: str
    name_en: str
    planned_m2: float
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class StatutoryRow:
    complex_id: str
    complex_name_ko: str
    complex_name_en: str
    rule_id: str
    name_ko: str
    name_en: str
    required: str
    measured: float | None
    unit: str
    status: StatutoryStatus
    reason: str
    reason_ko: str
    source: str
    parcels: int


def _required(rule: StatutoryRule, band: Band | None) -> str:
    if rule.kind == "min_width":
        return f"≥ {rule.min_width_m:g} m"
    if band is None:
        return "–"
    if band.low_pct <= 0:
        return f"≤ {band.high_pct:g} %"
    return f"{band.low_pct:g}–{band.high_pct:g} %"


TALLY_COLUMNS = ["complex_id", "use", "area_m2", "parcels", "min_width_m"]


def complex_members(complexes: Sequence[Complex], geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(parcel index, complex index) of each parcel and complex holding the parcel's inner point.

    A parcel belongs to every complex that holds its representative point (always inside the
    parcel), so nested complexes (a whole and its parts) each count it. Only parcels whose
    envelope meets a complex's envelope get a point computed.

    >>> cxs = [Complex("a", "가", "a", 1.0, shapely.box(0, 0, 10, 10)), Complex("b", "나", "b", 1.0, None)]
    >>> complex_members(cxs, np.array([shapely.box(1, 1, 2, 2), shapely.box(9, 0, 12, 1)]))
    (array([0]), array([0]))
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    usable = [(i, cx.geometry) for i, cx in enumerate(complexes) if cx.geometry is not None and not cx.geometry.is_empty]
    if not len(geoms) or not usable:
        return empty
    box = shapely.bounds(geoms)
    near = np.zeros(len(geoms), dtype=bool)
    for _, g in usable:
        minx, miny, maxx, maxy = g.bounds
        near |= (box[:, 0] <= maxx) & (box[:, 2] >= minx) & (box[:, 1] <= maxy) & (box[:, 3] >= miny)
    idx = np.flatnonzero(near)
    if not len(idx):
        return empty
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms[idx]))
    parcel_idx, complex_idx = [], []
    for i, g in usable:
        minx, miny, maxx, maxy = g.bounds
        cand = np.flatnonzero((xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy))
        hit = cand[shapely.contains_xy(g, xy[cand, 0], xy[cand, 1])]
        parcel_idx.append(idx[hit])
        complex_idx.append(np.full(len(hit), i, dtype=np.int64))
    return np.concatenate(parcel_idx), np.concatenate(complex_idx)


def complex_tally(complexes: Sequence[Complex], geoms: np.ndarray, keys: np.ndarray,
                  width_keys: Collection[str] = ()) -> pd.DataFrame:
    """Per (complex, key): planar area (m², `zones.crs.METRIC`), parcel count and, for the keys in
    `width_keys`, the narrowest parcel's width (twice its largest inscribed circle's radius).

    `keys` is each parcel's use (or its 지목, to be mapped to a use later by `regroup_tally`).
    Tallies of several batches of parcels add up (`combine_tally`), so the same function runs on
    the whole set and on each partition of a dataset.

    >>> cx = [Complex("a", "가", "a", 1.0, shapely.box(0, 0, 10, 10))]
    >>> complex_tally(cx, np.array([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 3, 5)]), np.array(["x", "y"]),
    ...               ("y",)).values.tolist()
    [['a', 'x', 4.0, 1, nan], ['a', 'y', 5.0, 1, 1.0]]
    """
    geoms = np.asarray(geoms, dtype=object)
    p, c = complex_members(complexes, geoms)
    ids = np.array([cx.id for cx in complexes] or [""], dtype=object)
    key = np.asarray(keys, dtype=object)[p]
    width = np.full(len(p), np.nan)
    narrow = np.flatnonzero(np.isin(key, list(width_keys))) if width_keys else np.zeros(0, dtype=np.int64)
    for j in narrow:
        width[j] = 2.0 * shapely.maximum_inscribed_circle(geoms[p[j]], 0.01).length
    frame = pd.DataFrame({"complex_id": ids[c] if len(c) else np.zeros(0, dtype=object), "use": key,
                          "area_m2": shapely.area(geoms[p]) if len(p) else np.zeros(0),
                          "parcels": np.ones(len(p), dtype=np.int64), "min_width_m": width})
    return combine_tally(frame)


def combine_tally(parts: list[pd.DataFrame] | pd.DataFrame) -> pd.DataFrame:
    """Tallies of several batches as one: areas and counts added, the narrowest width kept."""
    frame = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()) if isinstance(parts, list) else parts
    if not len(frame):
        return pd.DataFrame({"complex_id": pd.Series(dtype=object), "use": pd.Series(dtype=object),
                             "area_m2": pd.Series(dtype=float), "parcels": pd.Series(dtype=np.int64),
                             "min_width_m": pd.Series(dtype=float)})
    out = frame.groupby(["complex_id", "use"], as_index=False, sort=True).agg(
        area_m2=("area_m2", "sum"), parcels=("parcels", "sum"), min_width_m=("min_width_m", "min"))
    return out[TALLY_COLUMNS]


def regroup_tally(tally: pd.DataFrame, use_of: Mapping[str, str], other: str) -> pd.DataFrame:
    """The tally with its keys mapped to uses (`use_of`; a key it does not name becomes `other`)."""
    mapped = tally.assign(use=tally["use"].map(dict(use_of)).fillna(other))
    return combine_tally(mapped)


def check_statutory(rules: Iterable[StatutoryRule], complexes: Iterable[Complex],
                    parcels: list[Parcel]) -> tuple[StatutoryRow, ...]:
    """One row per complex and rule; parcels belong to the complex that holds their inner point."""
    rules, complexes = list(rules), list(complexes)
    geoms = np.array([p.geometry for p in parcels], dtype=object)
    uses = np.array([p.use for p in parcels], dtype=object)
    return statutory_rows(rules, complexes, complex_tally(complexes, geoms, uses, width_uses(rules)))


def width_uses(rules: Iterable[StatutoryRule]) -> set[str]:
    """The uses whose strips' width a rule measures."""
    return {u for r in rules if r.kind == "min_width" for u in r.uses}


def statutory_rows(rules: Iterable[StatutoryRule], complexes: Iterable[Complex],
                   tally: pd.DataFrame) -> tuple[StatutoryRow, ...]:
    """One row per complex and rule from a tally (`complex_tally`, keyed by use)."""
    rules = list(rules)
    by_complex = {cid: grp for cid, grp in tally.groupby("complex_id", sort=False)}
    out = []
    for cx in complexes:
        mine = by_complex.get(cx.id)
        for rule in rules:
            out.append(_row(rule, cx, mine))
    return tuple(out)


def _row(rule: StatutoryRule, cx: Complex, mine: pd.DataFrame | None) -> StatutoryRow:
    """`mine`: the complex's rows of the tally (None when no parcel lies in it)."""
    band = rule.band_for(cx.planned_m2 / 1e6) if rule.kind == "share" else None
    count = int(mine["parcels"].sum()) if mine is not None else 0
    base = dict(complex_id=cx.id, complex_name_ko=cx.name_ko, complex_name_en=cx.name_en, rule_id=rule.id,
                name_ko=rule.name_ko, name_en=rule.name_en, required=_required(rule, band),
                unit="m" if rule.kind == "min_width" else "%", source=rule.source, parcels=count)
    if mine is None or not count:
        return StatutoryRow(measured=None, status="no data", reason="no parcels in this complex",
                            reason_ko="이 단지에 필지 자료 없음", **base)
    if rule.kind == "min_width":
        strips = mine[mine["use"].isin(rule.uses)]
        if not len(strips):
            return StatutoryRow(measured=None, status="no data",
                                reason=f"no {'/'.join(rule.uses)} parcel is drawn", reason_ko="완충녹지 필지가 없음", **base)
        width = float(strips["min_width_m"].min())
        ok = width >= rule.min_width_m
        return StatutoryRow(
            measured=width, status="ok" if ok else "under",
            reason=f"narrowest strip {width:.1f} m {'≥' if ok else '<'} {rule.min_width_m:g} m",
            reason_ko=f"가장 좁은 폭 {width:.1f} m ({'기준 충족' if ok else f'기준 {rule.min_width_m:g} m 미달'})", **base)
    if band is None:
        return StatutoryRow(measured=None, status="no data", reason="no band of the rule fits this complex's size",
                            reason_ko="단지 규모에 맞는 기준 구간 없음", **base)
    num = float(mine.loc[mine["use"].isin(rule.uses), "area_m2"].sum())
    den = float(mine["area_m2"].sum() if not rule.of_uses else mine.loc[mine["use"].isin(rule.of_uses), "area_m2"].sum())
    if den <= 0:
        return StatutoryRow(measured=None, status="no data", reason=f"no {'/'.join(rule.of_uses)} parcels to divide by",
                            reason_ko="기준 면적이 되는 필지가 없음", **base)
    pct = num / den * 100.0
    status: StatutoryStatus = "under" if pct < band.low_pct else "over" if pct > band.high_pct else "ok"
    word = {"ok": ("within", "이내"), "under": ("below", "미달"), "over": ("above", "초과")}[status]
    return StatutoryRow(
        measured=pct, status=status,
        reason=f"{pct:.1f} % ({num:,.0f} of {den:,.0f} m²), {word[0]} {base['required']}",
        reason_ko=f"{pct:.1f} % ({num:,.0f} / {den:,.0f} m²), 기준 {base['required']} {word[1]}", **base)
