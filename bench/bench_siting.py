"""Siting checks at scale: 100,000 candidate sites against every rule of one facility.

The vectorised path (compiled kernels over flat vertex arrays, shapely 2 arrays
where those do not apply; one thread) is timed on all candidates; the
plain per-candidate loop (tests/siting_reference.py) on a 2,000-candidate
subsample, extrapolated linearly to 100,000 (it is linear: one pass per
candidate). Both run in this process, on one core, on the same candidates, and
each is the best of REPEATS runs so that a busy machine skews neither side.
"""
from __future__ import annotations

import time

import numpy as np
import shapely

from bench.run import Row
from geodata import DEFAULT_STORE
from geodata.provider import LayerProvider
from geodata.siting_rules import SitingService
from geodata.store import GeoPackageStore
from tests.siting_reference import measure_loop
from zones.siting import evaluate, kind_of, measure
from zones.siting.batch import Batch

FACILITY = "ai_semiconductor_cluster"
N = 100_000
LOOP_SAMPLE = 2_000
REPEATS = 3


def best_of(fn, repeats: int = REPEATS):
    """(result, fastest wall-clock seconds) over `repeats` calls."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def candidates(zone: shapely.Geometry, n: int, seed: int = 7) -> np.ndarray:
    """Rotated rectangles of 100–600 m sides scattered over and around the zone."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = zone.bounds
    cx, cy = rng.uniform(minx - 200, maxx + 200, n), rng.uniform(miny - 200, maxy + 200, n)
    hw, hh = rng.uniform(50, 300, n), rng.uniform(50, 300, n)
    angle = rng.uniform(0, np.pi / 2, n)
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)], dtype=float)
    dx, dy = corners[None, :, 0] * hw[:, None], corners[None, :, 1] * hh[:, None]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    xy = np.stack([cx[:, None] + dx * cos - dy * sin, cy[:, None] + dx * sin + dy * cos], axis=-1)
    return shapely.polygons(xy)


def per_rule(ctx, sites: np.ndarray) -> list[Row]:
    """Where the vectorised time goes, rule by rule (one run each): shows what is left to speed up."""
    rows = []
    for b in ctx.facility_rules(FACILITY):
        # a fresh batch per rule: each row includes taking the candidates apart, as a lone rule would
        _, s = best_of(lambda: kind_of(b.rule.kind).measure(b, Batch(sites)), 1)
        rows.append(Row("siting", f"  of which rule {b.rule.id} ({b.rule.kind})", s, "s"))
    return rows


def run() -> list[Row]:
    ctx = SitingService(LayerProvider(GeoPackageStore(DEFAULT_STORE))).context()
    zone = next(b.zone for b in ctx.facility_rules(FACILITY) if b.rule.kind == "within")
    sites = candidates(zone, N)
    n_rules = len(ctx.facility_rules(FACILITY))
    measure(ctx, FACILITY, sites[:100])  # warm caches (prepared geometries, trees)

    arrays, vec_s = best_of(lambda: measure(ctx, FACILITY, sites))
    sub = sites[:LOOP_SAMPLE]
    ref, loop_s = best_of(lambda: measure_loop(ctx, FACILITY, sub))
    loop_s *= N / LOOP_SAMPLE
    agree = all((a.passed[:LOOP_SAMPLE] == p).all() for a, (p, _) in zip(arrays, ref))

    t0 = time.perf_counter()
    evaluate(ctx, FACILITY, sites[:10_000])
    full_10k = time.perf_counter() - t0

    overall = np.logical_and.reduce([a.passed for a in arrays])
    speedup = loop_s / vec_s
    headline = [
        Row("siting", f"{N:,} candidates × {n_rules} rules ({FACILITY}), vectorised, best of {REPEATS}", vec_s, "s",
            "≤ 2 s", vec_s <= 2.0),
        Row("siting", f"same, per-candidate loop (best of {REPEATS} on {LOOP_SAMPLE:,}, extrapolated ×{N // LOOP_SAMPLE})",
            loop_s, "s"),
        Row("siting", "speed-up vectorised / loop", speedup, "×", "≥ 20×", speedup >= 20),
        Row("siting", f"loop and vectorised verdicts agree on the {LOOP_SAMPLE:,} subsample", float(agree), "bool",
            "1", agree),
        Row("siting", "candidates passing every rule", float(overall.sum()), "sites"),
        Row("siting", "10,000 candidates with ko/en messages per rule (full results)", full_10k, "s"),
    ]
    return headline + per_rule(ctx, sites)
