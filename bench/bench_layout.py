"""KR-SITE-7: all seven core infrastructures placed at once on the default store and rules.

- Our optimiser (zones/siting/layout, CP-SAT with 2 workers, 5 m grid, `compact` objective,
  60 s): the time to the first layout the siting checker passes, the objective, bound and gap
  at the end, how many layouts the solver found and how many the checker rejected, and whether
  the returned layout passes (it must: 100 %).
- The other two objectives, 10 s each: gap reached.
- An infeasible variant: the theme park's clearance from the AI semiconductor cluster raised
  from 500 m to 3,000 m; the time until the conflicting rules are named (target ≤ 10 s).
- A baseline in the same run: random restarts of greedy one-at-a-time placement, for 60 s.
  Each restart takes the facilities in a random order; each is given a random footprint of the
  same family and a random grid corner inside its feasible region (zones/siting/feasible.py,
  with the facilities placed so far as the only other sites, and rules towards facilities not
  yet placed left out), 200 tries checked by the vectorised checker; the finished layout is
  judged by the same checker as ours. Success rate and best `compact` objective beside ours.
"""
from __future__ import annotations

import time

import numpy as np
import shapely

from bench.run import Row
from geodata import DEFAULT_STORE
from geodata.layout_settings import layout_problem, load_settings
from geodata.provider import LayerProvider
from geodata.siting_rules import SITING_RULES_FILE, SitingService, parse_rules
from geodata.store import GeoPackageStore
from zones.siting import FeatureRef, bind, evaluate, feasible_region
from zones.siting.layout.footprints import family
from zones.siting.layout.objectives import compact_cost
from zones.siting.layout.problem import LayoutProblem
from zones.siting.layout.solve import solve
from zones.siting.layout.terms import MaxArea, MinArea, MinWidth
from zones.siting.layout.verify import baseline, verify
from zones.siting.rules import Facility, RuleSet

AREA = "layout KR-SITE-7"
TIME_LIMIT_S = 60.0
OTHER_OBJECTIVE_S = 10.0
BASELINE_S = 60.0
TRIES = 200
RAISED_M = 3000


def _service(rules_path=None) -> SitingService:
    return SitingService(LayerProvider(GeoPackageStore(DEFAULT_STORE).require()), rules_path)


def _ours(problem: LayoutProblem) -> tuple[list[Row], float | None]:
    r = solve(problem, "compact", time_limit_s=TIME_LIMIT_S)
    returned_ok = bool(r.sites) and r.passed
    rows = [
        Row(AREA, "first layout the checker passes (compact, 5 m grid, 2 workers)", r.first_passed_s or float("nan"),
            "s", "≤ 2 s", r.first_passed_s is not None and r.first_passed_s <= 2.0),
        Row(AREA, f"objective at {TIME_LIMIT_S:.0f} s: weighted link length ({r.status})", r.value or float("nan"), "m"),
        Row(AREA, "search ended (optimum proved, or the time limit)", r.time_s, "s"),
        Row(AREA, f"best bound at {TIME_LIMIT_S:.0f} s", r.bound or float("nan"), "m"),
        Row(AREA, f"gap at {TIME_LIMIT_S:.0f} s", 100 * r.gap if r.gap is not None else float("nan"), "%", "≤ 1 %",
            r.gap is not None and r.gap <= 0.01),
        Row(AREA, "layouts found by the solver and re-checked", r.solutions, "layouts"),
        Row(AREA, "  of which rejected by the checker", r.rejected, "layouts"),
        Row(AREA, "returned layouts passing the checker", 100.0 if returned_ok else 0.0, "%", "100 %", returned_ok),
    ]
    return rows, r.value


def _other_objectives(problem: LayoutProblem) -> list[Row]:
    rows = []
    for name in ("land", "spacing"):
        r = solve(problem, name, time_limit_s=OTHER_OBJECTIVE_S)
        rows.append(Row(AREA, f"{name}: objective at {OTHER_OBJECTIVE_S:.0f} s ({r.status}, gap "
                        f"{'–' if r.gap is None else f'{100 * r.gap:.2f} %'}, first passed "
                        f"{'–' if r.first_passed_s is None else f'{r.first_passed_s:.2f} s'})",
                        r.value or float("nan"), r.unit, "passes checker", bool(r.sites) and r.passed))
    return rows


def _infeasible() -> list[Row]:
    text = SITING_RULES_FILE.read_text(encoding="utf-8")
    old = 'id = "away_from_semiconductor_cluster"\nkind = "clearance"\ndistance_m = 500'
    assert old in text, "the theme park's clearance rule moved: update the benchmark"
    rules, _ = parse_rules(text.replace(old, old.replace("500", str(RAISED_M))))
    service = _service()
    t0 = time.perf_counter()
    layers_problem = layout_problem(service, settings=load_settings())
    problem = LayoutProblem(**{**layers_problem.__dict__, "ctx": bind(rules, layers_problem.layers),
                               "terms": _recompiled(rules, layers_problem)})
    r = solve(problem, "compact", time_limit_s=30.0)
    elapsed = time.perf_counter() - t0
    e = r.explanation
    named = ", ".join(f"{c.facility}.{c.rule}" for c in e.rules) if e else "–"
    ok = r.status == "infeasible" and e is not None and e.found and any(c.rule == "away_from_semiconductor_cluster" for c in e.rules)
    return [Row(AREA, f"infeasible variant (theme park clearance {RAISED_M:,} m): conflict named: {named}",
                elapsed, "s", "≤ 10 s", ok and elapsed <= 10.0),
            Row(AREA, f"  rules in the conflict ({'minimal' if e and e.minimal else 'not proved minimal'})",
                len(e.rules) if e else 0, "rules")]


def _recompiled(rules: RuleSet, problem: LayoutProblem):
    from zones.siting.layout.problem import build_problem

    return build_problem(bind(rules, problem.layers), problem.layers, links=list(problem.links), land=problem.land).terms


# ---- the baseline: random restarts of greedy one-at-a-time placement --------------------------

def _partial_context(problem: LayoutProblem, placed: dict):
    """The rules bound with only the placed (and fixed) sites as facilities; rules towards
    facilities not yet placed are left out (there is nothing yet to measure them against)."""
    rules = problem.ctx.rules
    present = set(placed) | set(problem.fixed)
    facilities = {}
    for fid, fac in rules.facilities.items():
        kept = tuple(r for r in fac.rules if all(o in present for o in r.params.get("facilities") or ()))
        facilities[fid] = Facility(fac.id, fac.name_ko, fac.name_en, kept)
    subset = RuleSet(rules.facilities_layer, facilities)
    layer = {fid: FeatureRef(g, *problem.names[fid]) for fid, g in {**problem.fixed, **placed}.items()}
    return bind(subset, {**problem.layers, rules.facilities_layer: layer})


def _family(problem: LayoutProblem, fid: str):
    ts = problem.terms[fid]
    a = max((t.value for t in ts if isinstance(t, MinArea)), default=None)
    w = max((t.value for t in ts if isinstance(t, MinWidth)), default=None)
    m = min((t.value for t in ts if isinstance(t, MaxArea)), default=None)
    return family(problem.cell, a, w, m)


def _greedy_once(problem: LayoutProblem, rng: np.random.Generator, fams: dict) -> dict | None:
    c = problem.cell
    placed: dict = {}
    for fid in rng.permutation(list(problem.place)):
        ctx = _partial_context(problem, placed)
        region = feasible_region(ctx, fid).geometry
        if region.is_empty:
            return None
        x0, y0, x1, y1 = region.bounds
        xs = rng.uniform(x0, x1, TRIES * 4)
        ys = rng.uniform(y0, y1, TRIES * 4)
        inside = shapely.contains_xy(region, xs, ys)
        xs, ys = xs[inside][:TRIES], ys[inside][:TRIES]
        picks = rng.integers(len(fams[fid]), size=len(xs))
        sites = [shapely.box(np.floor(x / c) * c, np.floor(y / c) * c,
                             np.floor(x / c) * c + fams[fid][k].w * c, np.floor(y / c) * c + fams[fid][k].h * c)
                 for x, y, k in zip(xs, ys, picks)]
        if not sites:
            return None
        ok = [i for i, check in enumerate(evaluate(ctx, fid, sites)) if check.passed]
        if not ok:
            return None
        placed[fid] = sites[ok[0]]
    return placed


def _baseline(problem: LayoutProblem) -> tuple[list[Row], float | None]:
    rng = np.random.default_rng(2024)
    fams = {fid: _family(problem, fid) for fid in problem.place}
    held = baseline(problem)
    t0 = time.perf_counter()
    restarts = successes = 0
    best = None
    first = None
    while time.perf_counter() - t0 < BASELINE_S:
        restarts += 1
        placed = _greedy_once(problem, rng, fams)
        if placed is None or not verify(problem, placed, held).passed:
            continue
        successes += 1
        first = first or time.perf_counter() - t0
        cost = compact_cost(problem, placed)
        best = cost if best is None else min(best, cost)
    return [
        Row(AREA, f"baseline: greedy one-at-a-time, random restarts in {BASELINE_S:.0f} s", restarts, "restarts"),
        Row(AREA, "baseline: restarts giving a layout the checker passes", 100 * successes / max(restarts, 1), "%"),
        Row(AREA, "baseline: first layout the checker passes", first or float("nan"), "s"),
        Row(AREA, "baseline: best objective (weighted link length)", best or float("nan"), "m"),
    ], best


def run() -> list[Row]:
    problem = layout_problem(_service())
    ours, value = _ours(problem)
    rows = ours + _other_objectives(problem) + _infeasible()
    base, best = _baseline(problem)
    rows += base
    if value is not None and best is not None:
        rows.append(Row(AREA, "baseline best objective / ours", best / value, "×"))
    return rows
