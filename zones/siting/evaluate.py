"""Checking candidate sites against a facility's rules, many at once.

Every rule is measured for all candidates in one pass: compiled kernels over
flat vertex arrays (triangle clipping for areas inside zones and facilities,
segment distances for setbacks and clearances, the exact width of convex
sites) and shapely 2 array functions for what those do not cover, never a
Python loop per candidate per rule. One candidate is simply a batch of one, so
a single check and a batch always agree.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.batch import Batch
from zones.siting.clip import box_pairs, overlap_areas, ring_overlap_areas, triangulate
from zones.siting.context import BoundRule, SitingContext
from zones.siting.distance import MAX_SEGMENTS, contained_pairs, edge_min_distances, ring_edges, segments_of
from zones.siting.width import MIC_TOLERANCE_M, inscribed_diameter

# Comparisons allow for floating-point noise, far below anything a plan could mean.
EPS_M = 1e-6  # 1 µm
EPS_M2 = 1e-3  # 10 cm²


@dataclass(frozen=True)
class RuleResult:
    rule: str
    kind: str
    passed: bool
    measured: float
    threshold: float
    unit: str
    message_ko: str
    message_en: str


@dataclass(frozen=True)
class SiteCheck:
    """One candidate's verdict; the facility's Korean and English names travel with its id, so
    every answer (API, terminal, map) can say which facility in words a planner reads."""
    facility: str
    passed: bool
    rules: list[RuleResult] = field(default_factory=list)
    id: str | None = None
    name_ko: str = ""
    name_en: str = ""

    def as_dict(self) -> dict:
        out = {"facility": self.facility, "name_ko": self.name_ko, "name_en": self.name_en,
               "passed": self.passed, "rules": [asdict(r) for r in self.rules]}
        if self.id is not None:
            out = {"id": self.id, **out}
        return out

    @property
    def failed_rules(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.passed]


@dataclass
class RuleArrays:
    """One rule measured for n candidates; `which` is the index of the target named in the message (-1: none)."""
    bound: BoundRule
    passed: np.ndarray
    measured: np.ndarray
    which: np.ndarray


def as_geometry_array(geoms) -> np.ndarray:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def measure(ctx: SitingContext, facility: str, geoms: np.ndarray) -> list[RuleArrays]:
    """passed/measured arrays for every rule of `facility` over metric candidate geometries."""
    geoms = as_geometry_array(geoms) if not isinstance(geoms, np.ndarray) else geoms
    bound = ctx.facility_rules(facility)
    batch = Batch(geoms)  # coordinates and predicates shared by all rules
    return [_MEASURES[b.rule.kind](b, batch) for b in bound]


def _zone_outside(b: BoundRule, batch: Batch) -> RuleArrays:
    # Polygonal sites get the area inside the zone from the compiled triangle clipping kernel
    # (zones/siting/clip.py), which clips a site only against the zone triangles whose edges
    # cross its box; anything else (points, lines, a zone that would not triangulate) takes
    # exact GEOS predicates and, across the zone edge, a GEOS overlay.
    g, area = batch.geoms, batch.area
    outside = np.zeros(len(g))
    fast = np.flatnonzero(batch.polygonal) if b.pieces is not None else np.zeros(0, dtype=np.int64)
    if len(fast):
        inside = ring_overlap_areas(batch.rings_at(fast), b.pieces, bounds=batch.bounds[fast])[:, 0]
        outside[fast] = np.maximum(area[fast] - inside, 0.0)
    slow = np.setdiff1d(np.arange(len(g)), fast, assume_unique=True)
    if len(slow):
        covered = shapely.covers(b.zone, g[slow])
        crossing = slow[~covered][shapely.intersects(b.zone, g[slow[~covered]])]
        outside[slow[~covered]] = area[slow[~covered]]
        if len(crossing):
            outside[crossing] = shapely.area(shapely.difference(g[crossing], b.zone_overlay))
    return RuleArrays(b, outside <= b.rule.threshold + EPS_M2, outside, _none(g))


def _min_area(b: BoundRule, batch: Batch) -> RuleArrays:
    area = batch.area
    return RuleArrays(b, area >= b.rule.threshold - EPS_M2, area, _none(batch.geoms))


def _max_area(b: BoundRule, batch: Batch) -> RuleArrays:
    area = batch.area
    return RuleArrays(b, area <= b.rule.threshold + EPS_M2, area, _none(batch.geoms))


def _min_width(b: BoundRule, batch: Batch) -> RuleArrays:
    width = inscribed_diameter(batch.geoms, batch.rings if batch.all_polygonal else None)
    return RuleArrays(b, width >= b.rule.threshold - 2 * MIC_TOLERANCE_M, width, _none(batch.geoms))


def _setback(b: BoundRule, batch: Batch) -> RuleArrays:
    # The distance counts only for a site inside the zone (outside it, the setback is 0). A site
    # whose boundary stays apart from the zone boundary is inside exactly when its vertices are
    # and no zone vertex lies inside it (zones/siting/distance.py).
    g = batch.geoms
    dist = np.zeros(len(g))
    rest = np.arange(len(g))
    if b.segments is not None and len(b.segments) <= MAX_SEGMENTS:
        a, e_b, edge_of, n = batch.edges
        zx0, zy0, zx1, zy1 = b.zone.bounds
        bb = batch.bounds
        off_box = ~((bb[:, 0] >= zx0) & (bb[:, 1] >= zy0) & (bb[:, 2] <= zx1) & (bb[:, 3] <= zy1))
        d = edge_min_distances(a, e_b, edge_of, n, b.segments, skip=off_box)[:, 0]  # outside: 0
        apart = np.flatnonzero(np.isfinite(d) & (d > 0))
        all_in, _, zone_in = contained_pairs(a, e_b, edge_of, b.segments, batch.polygonal, apart,
                                             np.zeros(len(apart), dtype=np.int64))
        inside = apart[all_in & ~zone_in]
        dist[inside] = d[inside]
        rest = np.flatnonzero(np.isinf(d))  # no edges (points): GEOS below
    if len(rest):
        inside = rest[shapely.covers(b.zone, g[rest])]
        (src, _), d = b.boundary_tree.query_nearest(g[inside], return_distance=True, all_matches=False)
        dist[inside[src]] = d
    return RuleArrays(b, dist >= b.rule.threshold - EPS_M, dist, _none(g))


def _nearest(b: BoundRule, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the nearest target and its index.

    Boundary-to-boundary distances (zones/siting/distance.py) are exact except where one
    geometry lies inside the other: only pairs whose boxes meet can, and a vertex of each settles
    it. Candidates without edges (points) go to the GEOS nearest query.
    """
    g = batch.geoms
    dist = np.full(len(g), np.inf)
    which = _none(g)
    if not len(b.targets):
        return dist, which
    slow = np.arange(len(g))
    if b.segments is not None and len(b.segments) <= MAX_SEGMENTS:
        a, e_b, edge_of, n = batch.edges
        per_target = edge_min_distances(a, e_b, edge_of, n, b.segments, len(b.targets))
        src, tgt = box_pairs(batch.bounds, b.target_bounds, b.tree)  # envelopes that meet
        d = per_target[src, tgt]
        apart = np.isfinite(d) & (d > 0)
        src, tgt = src[apart], tgt[apart]
        _, cand_in, target_in = contained_pairs(a, e_b, edge_of, b.segments, batch.polygonal, src, tgt)
        hit = cand_in | target_in
        per_target[src[hit], tgt[hit]] = 0.0
        which = np.argmin(per_target, axis=1)
        dist = per_target[np.arange(len(g)), which]
        slow = np.flatnonzero(np.isinf(dist))
        which[slow] = -1
    if len(slow):
        (src, tgt), d = b.tree.query_nearest(g[slow], return_distance=True, all_matches=False)
        dist[slow[src]] = d
        which[slow[src]] = tgt
    return dist, which


def _clearance(b: BoundRule, batch: Batch) -> RuleArrays:
    dist, which = _nearest(b, batch)
    return RuleArrays(b, dist >= b.rule.threshold - EPS_M, dist, which)


def _adjacency(b: BoundRule, batch: Batch) -> RuleArrays:
    dist, which = _nearest(b, batch)
    return RuleArrays(b, dist <= b.rule.threshold + EPS_M, dist, which)


# Candidates per call of the clipping kernel in no_overlap: bounds its (candidates × targets) table.
_OVERLAP_CELLS = 2_000_000


def _no_overlap(b: BoundRule, batch: Batch) -> RuleArrays:
    g = batch.geoms
    overlap = np.zeros(len(g))
    which = _none(g)
    if not len(b.targets):
        return RuleArrays(b, overlap <= b.rule.threshold + EPS_M2, overlap, which)
    n_t = len(b.targets)
    fast = np.flatnonzero(batch.polygonal) if b.pieces is not None else np.zeros(0, dtype=np.int64)
    step = max(1, _OVERLAP_CELLS // n_t)
    for lo in range(0, len(fast), step):
        idx = fast[lo:lo + step]
        per = np.maximum(ring_overlap_areas(batch.rings_at(idx), b.pieces, n_t, bounds=batch.bounds[idx]), 0.0)
        _tally(per, idx, overlap, which)
    slow = np.setdiff1d(np.arange(len(g)), fast, assume_unique=True)
    if len(slow):  # points, lines, targets that would not triangulate: GEOS overlays
        src, tgt = b.tree.query(g[slow], predicate="intersects")
        per = np.zeros((len(slow), n_t))
        per[src, tgt] = shapely.area(shapely.intersection(g[slow[src]], b.targets[tgt]))
        _tally(per, slow, overlap, which)
    return RuleArrays(b, overlap <= b.rule.threshold + EPS_M2, overlap, which)


def _tally(per: np.ndarray, idx: np.ndarray, overlap: np.ndarray, which: np.ndarray) -> None:
    """Total overlap of candidates `idx` and the target each overlaps most (named in the message)."""
    overlap[idx] = per.sum(axis=1)
    most = np.argmax(per, axis=1)
    hit = per[np.arange(len(idx)), most] > 0
    which[idx[hit]] = most[hit]


def _none(g: np.ndarray) -> np.ndarray:
    return np.full(len(g), -1, dtype=np.int64)


_MEASURES = {
    "within": _zone_outside,
    "in_dongs": _zone_outside,
    "min_area": _min_area,
    "max_area": _max_area,
    "min_width": _min_width,
    "setback": _setback,
    "clearance": _clearance,
    "adjacency": _adjacency,
    "no_overlap": _no_overlap,
}


def evaluate(ctx: SitingContext, facility: str, geoms, ids: list[str | None] | None = None) -> list[SiteCheck]:
    """Full per-rule results (with messages) for each candidate of one facility."""
    geoms = as_geometry_array(geoms)
    arrays = measure(ctx, facility, geoms)
    overall = (np.logical_and.reduce([a.passed for a in arrays]) if arrays else np.ones(len(geoms), bool)).tolist()
    columns = [_results(a) for a in arrays]
    ids = [None] * len(geoms) if ids is None else ids
    fac = ctx.rules.facility(facility)
    return [SiteCheck(facility=facility, passed=ok, rules=list(rules), id=i, name_ko=fac.name_ko, name_en=fac.name_en)
            for ok, rules, i in zip(overall, zip(*columns) if columns else [()] * len(geoms), ids)]


def evaluate_one(ctx: SitingContext, facility: str, geom: BaseGeometry) -> SiteCheck:
    return evaluate(ctx, facility, [geom])[0]


def evaluate_mixed(ctx: SitingContext, facilities: list[str], geoms, ids: list[str | None] | None = None) -> list[SiteCheck]:
    """Candidates for different facilities, grouped per facility and answered in input order."""
    geoms = as_geometry_array(geoms)
    fac = np.asarray(facilities, dtype=object)
    out: list[SiteCheck | None] = [None] * len(geoms)
    for f in dict.fromkeys(facilities):
        idx = np.flatnonzero(fac == f)
        sub_ids = None if ids is None else [ids[i] for i in idx]
        for i, check in zip(idx, evaluate(ctx, f, geoms[idx], sub_ids)):
            out[i] = check
    return out  # type: ignore[return-value]


def check_planned(ctx: SitingContext) -> list[SiteCheck]:
    """The stored site of every facility against its own rules (facilities without a site are left out)."""
    return [evaluate(ctx, fid, [ctx.planned[fid]], [fid])[0]
            for fid in ctx.rules.facilities if fid in ctx.planned]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"


def _results(a: RuleArrays) -> list[RuleResult]:
    """One rule's result for every candidate; read from plain lists, as numpy scalars cost µs each."""
    b, r = a.bound, a.bound.rule
    t, kind = r.threshold, r.kind
    out = []
    for passed, m, w in zip(a.passed.tolist(), a.measured.tolist(), a.which.tolist()):
        name_ko = b.target_names_ko[w] if w >= 0 else b.name_ko
        name_en = b.target_names_en[w] if w >= 0 else b.name_en
        ko, en = _message(kind, passed, m, t, name_ko, name_en)
        out.append(RuleResult(rule=r.id, kind=kind, passed=passed, measured=round(m, 3) if math.isfinite(m) else None,
                              threshold=t, unit=r.unit, message_ko=ko, message_en=en))
    return out


def _message(kind: str, passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    ms, ts = f"{m:,.1f}", _num(t)
    ge, le = ("≥" if passed else "<"), ("≤" if passed else ">")
    if kind in ("within", "in_dongs"):
        what_en = en
        what_ko = ko if kind == "within" else f"법정동 {ko}"
        if passed:
            return (f"{what_ko} 안 (구역 밖 {ms} m², 허용 {ts} m²)", f"inside {what_en} ({ms} m² outside, {ts} m² allowed)")
        return (f"부지 중 {ms} m²가 {what_ko} 밖 (허용 {ts} m²)", f"{ms} m² of the site lies outside {what_en} (allowed {ts} m²)")
    if kind == "min_area":
        return (f"면적 {m:,.0f} m² {ge} 최소 {ts} m²", f"area {m:,.0f} m² {ge} minimum {ts} m²")
    if kind == "max_area":
        return (f"면적 {m:,.0f} m² {le} 최대 {ts} m²", f"area {m:,.0f} m² {le} maximum {ts} m²")
    if kind == "min_width":
        return (f"폭(최대 내접원 지름) {ms} m {ge} 기준 {ts} m", f"width (largest inscribed circle) {ms} m {ge} required {ts} m")
    if kind == "setback":
        return (f"{ko} 경계 이격 {ms} m {ge} 기준 {ts} m", f"setback {ms} m {ge} required {ts} m from the boundary of {en}")
    if kind == "clearance":
        return (f"{ko} 이격 {ms} m {ge} 기준 {ts} m", f"clearance to {en} {ms} m {ge} required {ts} m")
    if kind == "adjacency":
        return (f"{ko}까지 거리 {ms} m {le} 허용 {ts} m", f"distance to {en} {ms} m {le} allowed {ts} m")
    if passed:
        return (f"기존 시설과 중첩 {ms} m² (허용 {ts} m²)", f"overlap with existing facilities {ms} m² (allowed {ts} m²)")
    return (f"{ko}와 {ms} m² 중첩 (허용 {ts} m²)", f"overlaps {en} by {ms} m² (allowed {ts} m²)")


def load_kernels() -> None:
    """Load the compiled siting kernels (compiling them on the first run after an install).

    That takes a few seconds once, then a fraction of one from the cache: a server calls this
    at start-up so that no planner's first check is the one that waits.
    """
    site = np.array([shapely.box(0.0, 0.0, 10.0, 10.0)], dtype=object)
    overlap_areas(site, triangulate(site[0]))
    segs = segments_of(site)
    a, b, edge_of = ring_edges(site)
    edge_min_distances(a, b, edge_of, 1, segs)
    contained_pairs(a, b, edge_of, segs, np.ones(1, bool), np.zeros(1, np.int64), np.zeros(1, np.int64))
    inscribed_diameter(site)
