"""The search: CP-SAT finds layouts, the siting checker judges each, the best passed one is returned.

Every layout the solver reports (each improving solution, through a solution callback) is
re-checked at once by the siting checker (verify.py). One it passes becomes the answer if it is
the best so far; one it rejects is counted, and when the search ends on a rejected layout the
model is told never to propose it again and the search goes on in the time left. What is cut
away is only ever a layout the checker rejected: the facility's own corner and footprint when
the failing rules concern it alone, the whole layout otherwise, so the solver's bound stays a
bound on every layout the checker would pass.

The answer carries the objective of the best passed layout, the solver's best bound, the gap
between them, the time, the time to the first passed layout, the checker's verdicts and the
count of rejected layouts. A stop flag (a threading.Event) ends the search early; a progress
function hears of every new incumbent and bound.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from shapely.geometry.base import BaseGeometry

from zones.siting.evaluate import SiteCheck
from zones.siting.layout.footprints import Footprint
from zones.siting.layout.model import LayoutModel
from zones.siting.layout.objectives import Objective, add_objective
from zones.siting.layout.problem import LayoutProblem
from zones.siting.layout.terms import Apart, Disjoint, Near
from zones.siting.layout.verify import Verdict, baseline, verify

DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    incumbent: float | None  # best passed layout's objective, in the objective's unit
    bound: float | None
    gap: float | None
    solutions: int
    rejected: int


@dataclass
class LayoutResult:
    status: str  # optimal | feasible | infeasible | unknown | cancelled
    objective: str
    unit: str
    value: float | None
    bound: float | None
    gap: float | None
    time_s: float
    first_passed_s: float | None
    sites: dict[str, BaseGeometry]
    fixed: dict[str, BaseGeometry]
    footprints: dict[str, tuple[float, float]]  # facility -> (width, height) in m
    checks: list[SiteCheck]
    solutions: int
    rejected: int
    rejected_rules: list[tuple[str, str]]
    checker_only: list[dict]
    cell: float
    explanation: object | None = None  # explain.Explanation when infeasible
    history: list[Progress] = field(default_factory=list)
    layout_ctx: object | None = None  # SitingContext with the layout as the facilities layer (maps draw from it)

    @property
    def passed(self) -> bool:
        return bool(self.sites) and all(c.passed or c.facility in self.fixed for c in self.checks)


def gap_of(value: float | None, bound: float | None) -> float | None:
    """Relative gap |bound − value| / |value| (0 when both are 0).

    >>> gap_of(100.0, 99.0), gap_of(0.0, 0.0), gap_of(None, 3.0)
    (0.01, 0.0, None)
    """
    if value is None or bound is None:
        return None
    if value == bound:
        return 0.0
    return abs(bound - value) / abs(value) if value else float("inf")


def _solo(problem: LayoutProblem, fid: str, rule: str) -> bool:
    """A rule of a placed facility that depends on that facility's site alone (given the fixed ones)."""
    ts = [t for t in problem.terms.get(fid, ()) if t.ref == (fid, rule)]
    return bool(ts) and not any(isinstance(t, (Apart, Near, Disjoint)) for t in ts)


class _Watch(cp_model.CpSolverSolutionCallback):
    """Checks every layout the solver finds; keeps the best one the checker passes."""

    def __init__(self, model: LayoutModel, obj: Objective, held: dict, t0: float,
                 on_progress: Callable[[Progress], None] | None, stop: threading.Event | None):
        super().__init__()
        self.model, self.obj, self.held, self.t0 = model, obj, held, t0
        self.on_progress, self.stop = on_progress, stop
        self.best: tuple[float, dict, Verdict] | None = None  # (solver value, placement, verdict)
        self.first_passed_s: float | None = None
        self.solutions = 0
        self.rejected: list[tuple[dict, Verdict]] = []
        self.last_rejected = False
        self.bound: float | None = None
        self.history: list[Progress] = []
        self.lock = threading.Lock()

    def on_solution_callback(self) -> None:
        placement = self.model.placement(self.value)
        value = self.objective_value
        sites = self.model.sites(placement)
        verdict = verify(self.model.p, sites, self.held)
        with self.lock:
            self.solutions += 1
            self.bound = self.best_objective_bound
            if verdict.passed:
                self.last_rejected = False
                if self.best is None or self._better(value, self.best[0]):
                    self.best = (value, placement, verdict)
                if self.first_passed_s is None:
                    self.first_passed_s = time.perf_counter() - self.t0
            else:
                self.last_rejected = True
                self.rejected.append((placement, verdict))
        self.report()
        if self.stop is not None and self.stop.is_set():
            self.stop_search()

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.obj.maximise else a < b

    def on_bound(self, bound: float) -> None:
        with self.lock:
            self.bound = bound
        self.report()

    def progress(self) -> Progress:
        inc = None if self.best is None else self.obj.to_units(self.best[0])
        bound = None if self.bound is None else self.obj.to_units(self.bound)
        return Progress(round(time.perf_counter() - self.t0, 3), inc, bound, gap_of(inc, bound),
                        self.solutions, len(self.rejected))

    def report(self) -> None:
        p = self.progress()
        self.history.append(p)
        if self.on_progress is not None:
            self.on_progress(p)


def solve(problem: LayoutProblem, objective: str = "compact", time_limit_s: float = 60.0,
          workers: int = DEFAULT_WORKERS, on_progress: Callable[[Progress], None] | None = None,
          stop: threading.Event | None = None, explain: bool = True, explain_time_s: float = 10.0) -> LayoutResult:
    """The best layout the checker passes within the time limit (see the module docstring)."""
    t0 = time.perf_counter()
    model = LayoutModel(problem)
    obj = add_objective(model, objective)
    held = baseline(problem)
    watch = _Watch(model, obj, held, t0, on_progress, stop)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.best_bound_callback = watch.on_bound
    cut: set[tuple] = set()
    status = cp_model.UNKNOWN
    proved = False
    while True:
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0.05 or (stop is not None and stop.is_set()):
            break
        solver.parameters.max_time_in_seconds = left
        done = threading.Event()
        if stop is not None:
            threading.Thread(target=_stopper, args=(solver, stop, done), daemon=True).start()
        status = solver.solve(model.m, watch)
        done.set()
        if stop is not None and stop.is_set():
            break
        if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
            proved = status == cp_model.INFEASIBLE and watch.best is not None
            break
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and watch.last_rejected:
            if not _cut_rejected(model, watch, cut):
                break
            if watch.best is not None:
                _hint(model, watch.best[1])
            continue
        proved = status == cp_model.OPTIMAL
        break
    elapsed = time.perf_counter() - t0
    return _result(problem, model, obj, watch, status, proved, elapsed, stop, explain, explain_time_s, t0)


def _stopper(solver: cp_model.CpSolver, stop: threading.Event, done: threading.Event) -> None:
    while not done.is_set():
        if stop.wait(0.05):
            solver.stop_search()
            return


def _cut_rejected(model: LayoutModel, watch: _Watch, cut: set[tuple]) -> bool:
    """Forbid every rejected layout not yet forbidden; False when there is nothing new to cut."""
    added = False
    for placement, verdict in watch.rejected:
        failing = {f for f, _ in verdict.failed}
        solo = all(f in model.p.place and _solo(model.p, f, r) for f, r in verdict.failed)
        chosen = sorted(failing) if solo else list(model.p.place)
        key = tuple((f, *placement[f][:2], placement[f][2]) for f in chosen)
        if key in cut:
            continue
        cut.add(key)
        added = True
        names = [v for f in chosen for v in (model.x[f], model.y[f], model.k[f])]
        values = [v for f in chosen for v in (placement[f][0], placement[f][1], model.options[f].index(placement[f][2]))]
        model.m.add_forbidden_assignments(names, [values])
    watch.rejected_seen = len(watch.rejected)
    watch.last_rejected = False
    return added


def _hint(model: LayoutModel, placement: dict[str, tuple[int, int, Footprint]]) -> None:
    model.m.clear_hints()
    for fid, (x, y, f) in placement.items():
        model.m.add_hint(model.x[fid], x)
        model.m.add_hint(model.y[fid], y)
        model.m.add_hint(model.k[fid], model.options[fid].index(f))


def _result(problem: LayoutProblem, model: LayoutModel, obj: Objective, watch: _Watch, status: int, proved: bool,
            elapsed: float, stop: threading.Event | None, explain: bool, explain_time_s: float, t0: float) -> LayoutResult:
    cancelled = stop is not None and stop.is_set()
    best = watch.best
    value = None if best is None else obj.to_units(best[0])
    bound = None if watch.bound is None else obj.to_units(watch.bound)
    if proved and value is not None:
        bound = value
    sites: dict[str, BaseGeometry] = {}
    checks: list[SiteCheck] = []
    footprints: dict[str, tuple[float, float]] = {}
    layout_ctx = None
    if best is not None:
        sites = model.sites(best[1])
        checks = best[2].checks
        layout_ctx = best[2].ctx
        footprints = {f: (fp.w * problem.cell, fp.h * problem.cell) for f, (_, _, fp) in best[1].items()}
    if cancelled:
        state = "cancelled"
    elif best is not None:
        state = "optimal" if proved else "feasible"
    elif status == cp_model.INFEASIBLE:
        state = "infeasible"
    else:
        state = "unknown"
    explanation = None
    if state == "infeasible" and explain:
        from zones.siting.layout.explain import explain as find_conflict

        explanation = find_conflict(problem, time_limit_s=explain_time_s)
        elapsed = time.perf_counter() - t0
    rejected_rules = sorted({r for _, v in watch.rejected for r in v.failed})
    return LayoutResult(
        status=state, objective=obj.name, unit=obj.unit, value=value, bound=bound, gap=gap_of(value, bound),
        time_s=round(elapsed, 3), first_passed_s=None if watch.first_passed_s is None else round(watch.first_passed_s, 3),
        sites=sites, fixed=dict(problem.fixed), footprints=footprints, checks=checks, solutions=watch.solutions,
        rejected=len(watch.rejected), rejected_rules=rejected_rules,
        checker_only=[{"facility": f, "rule": r, "why": why} for (f, r), why in problem.checker_only],
        cell=problem.cell, explanation=explanation, history=watch.history,
        layout_ctx=layout_ctx)
