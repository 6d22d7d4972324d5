"""Checking candidate sites against a facility's rules, many at once.

Every rule is measured for all candidates in one pass, by its kind's `measure`
(zones/siting/kinds/): compiled kernels over
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

from zones.siting.arrays import EPS_M, EPS_M2, RuleArrays
from zones.siting.batch import Batch
from zones.siting.clip import overlap_areas, triangulate
from zones.siting.context import SitingContext
from zones.siting.distance import contained_pairs, edge_min_distances, ring_edges, segments_of
from zones.siting.registry import kind_of
from zones.siting.width import inscribed_diameter

__all__ = ["EPS_M", "EPS_M2", "RuleArrays", "RuleResult", "SiteCheck", "check_planned", "evaluate",
           "evaluate_mixed", "evaluate_one", "load_kernels", "measure"]


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


def as_geometry_array(geoms) -> np.ndarray:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def measure(ctx: SitingContext, facility: str, geoms: np.ndarray) -> list[RuleArrays]:
    """passed/measured arrays for every rule of `facility` over metric candidate geometries."""
    geoms = as_geometry_array(geoms) if not isinstance(geoms, np.ndarray) else geoms
    bound = ctx.facility_rules(facility)
    batch = Batch(geoms)  # coordinates and predicates shared by all rules
    return [kind_of(b.rule.kind).measure(b, batch) for b in bound]


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


def _results(a: RuleArrays) -> list[RuleResult]:
    """One rule's result for every candidate; read from plain lists, as numpy scalars cost µs each."""
    b, r = a.bound, a.bound.rule
    t, kind, unit, message = r.threshold, r.kind, r.unit, kind_of(r.kind).message
    out = []
    for passed, m, w in zip(a.passed.tolist(), a.measured.tolist(), a.which.tolist()):
        name_ko = b.target_names_ko[w] if w >= 0 else b.name_ko
        name_en = b.target_names_en[w] if w >= 0 else b.name_en
        ko, en = message(passed, m, t, name_ko, name_en)
        out.append(RuleResult(rule=r.id, kind=kind, passed=passed, measured=round(m, 3) if math.isfinite(m) else None,
                              threshold=t, unit=unit, message_ko=ko, message_en=en))
    return out


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
