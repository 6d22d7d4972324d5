"""When no layout exists: the smallest set of rules that conflict, each with its number.

The model is built in explaining mode (model.py): every rule has a literal that switches all its
constraints, and the solver is asked to satisfy them all as assumptions. When it cannot, it
names a sufficient set of assumptions (`SufficientAssumptionsForInfeasibility`); that set is then
shrunk rule by rule until dropping any one of its rules leaves a layout (a minimal conflict, as
far as each test finishes within its time). For each rule of the conflict the other rules are
kept and the rule's own threshold is loosened by bisection to the tightest value at which a
layout exists: "needs 2,500 m, at most 1,905 m is possible". A rule that only says where a site
lies (inside a zone) has no threshold to loosen and is named with its zone's area.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from zones.siting.layout.model import LayoutModel
from zones.siting.layout.problem import LayoutProblem
from zones.siting.layout.terms import Keep, RuleRef, Term

_STEP_S = 2.0  # time for one test of a set of rules


@dataclass(frozen=True)
class Conflict:
    facility: str
    rule: str
    kind: str
    threshold: float
    unit: str
    best: float | None  # the tightest threshold at which the other rules of the set leave a layout
    message_en: str
    message_ko: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Explanation:
    rules: list[Conflict] = field(default_factory=list)
    minimal: bool = False  # every rule was tested and each one is needed
    found: bool = False  # the solver proved the conflict
    time_s: float = 0.0

    def as_dict(self) -> dict:
        return {"found": self.found, "minimal": self.minimal, "time_s": self.time_s,
                "rules": [c.as_dict() for c in self.rules]}


def _test(problem: LayoutProblem, refs: list[RuleRef], model: LayoutModel | None = None,
          loosened: dict[RuleRef, float] | None = None, limit: float = _STEP_S) -> tuple[int, list[RuleRef]]:
    """Solve with the rules `refs` on; (status, the refs of a sufficient conflict when infeasible)."""
    if model is None:
        model = LayoutModel(problem, explaining=True, only=set(refs), loosened=loosened)
    model.m.clear_assumptions()
    lits = {ref: model.rule_lits[ref] for ref in refs if ref in model.rule_lits}
    never = [ref for ref in model.infeasible_without if ref in refs]
    model.m.add_assumptions(list(lits.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = limit
    status = solver.solve(model.m)
    if status != cp_model.INFEASIBLE:
        return status, []
    index = {lit.index: ref for ref, lit in lits.items()}
    core = [index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in index]
    return status, core or never or list(lits)


def explain(problem: LayoutProblem, time_limit_s: float = 10.0) -> Explanation:
    """The rules that leave no layout, as few as the time allows, each with its number."""
    t0 = time.perf_counter()
    out = Explanation()
    model = LayoutModel(problem, explaining=True)
    refs = list(model.rule_lits)
    status, core = _test(problem, refs, model, limit=max(1.0, time_limit_s / 3))
    del model
    if status != cp_model.INFEASIBLE:
        out.time_s = round(time.perf_counter() - t0, 3)
        return out
    out.found = True
    minimal = True
    i = 0
    while i < len(core):  # deletion: drop a rule; if the rest still conflict, it was not needed
        if time.perf_counter() - t0 > time_limit_s * 0.75:
            minimal = False
            break
        rest = core[:i] + core[i + 1:]
        st, smaller = _test(problem, rest, limit=1.0)
        if st == cp_model.INFEASIBLE:
            core = [r for r in rest if r in set(smaller)] or rest
            i = 0
            continue
        if st != cp_model.OPTIMAL and st != cp_model.FEASIBLE:
            minimal = False
        i += 1
    out.minimal = minimal
    terms = {t.ref: t for ts in problem.terms.values() for t in ts}
    for ref in core:
        out.rules.append(_conflict(problem, core, ref, terms.get(ref), t0, time_limit_s))
    out.time_s = round(time.perf_counter() - t0, 3)
    return out


def _conflict(problem: LayoutProblem, core: list[RuleRef], ref: RuleRef, term: Term | None, t0: float,
              time_limit_s: float) -> Conflict:
    fid, rid = ref
    rule = problem.ctx.rules.facility(fid).rule(rid)
    t, unit = rule.threshold, rule.unit
    name_ko, name_en = problem.names.get(fid, (fid, fid))
    head_en, head_ko = f"{name_en}, rule {rid} ({rule.label_en})", f"{name_ko}, 규칙 {rid} ({rule.label_ko})"
    if term is None or term.relaxes == "none" or (isinstance(term, Keep) and term.value == 0):
        if isinstance(term, Keep):
            area = term.zone.area
            return Conflict(fid, rid, rule.kind, t, unit, None,
                            f"{head_en}: the site must lie inside {term.name_en} ({area:,.0f} m²)",
                            f"{head_ko}: 부지가 {term.name_ko} 안에 있어야 함 ({area:,.0f} m²)")
        return Conflict(fid, rid, rule.kind, t, unit, None, f"{head_en}: cannot be loosened",
                        f"{head_ko}: 완화할 수 없음")
    best = _loosest(problem, core, term, t0, time_limit_s)
    value = term.value
    if best is None:
        en = f"needs {value:,.0f} {unit}; no looser value was found that leaves a layout"
        ko = f"기준 {value:,.0f} {unit}; 배치가 가능해지는 완화값을 찾지 못함"
    elif term.relaxes == "down":
        en = f"needs {value:,.0f} {unit}, the other rules of the conflict leave at most {best:,.0f} {unit}"
        ko = f"기준 {value:,.0f} {unit} 필요, 충돌하는 다른 규칙 아래 가능한 최대 {best:,.0f} {unit}"
    else:
        en = f"allows {value:,.0f} {unit}, the other rules of the conflict need at least {best:,.0f} {unit}"
        ko = f"허용 {value:,.0f} {unit}, 충돌하는 다른 규칙 아래 필요한 최소 {best:,.0f} {unit}"
    return Conflict(fid, rid, rule.kind, t, unit, best, f"{head_en}: {en}", f"{head_ko}: {ko}")


def _loosest(problem: LayoutProblem, core: list[RuleRef], term: Term, t0: float, time_limit_s: float) -> float | None:
    """Bisect the term's value between its threshold and its loosest sensible value for the
    tightest one at which the conflict's rules leave a layout; None if even the loosest does not."""
    g = problem.cell
    if term.relaxes == "down":
        good, bad = 0.0, term.value
    else:
        grid = LayoutModel(problem, explaining=True, only={term.ref}).grid
        span = ((grid.nx * g) ** 2 + (grid.ny * g) ** 2) ** 0.5
        good, bad = (span if term.value < span else term.value * 4), term.value
        if "area" in type(term).__name__.lower():
            good = grid.nx * grid.ny * g * g

    def feasible(v: float) -> bool | None:
        st, _ = _test(problem, core, loosened={term.ref: v}, limit=1.0)
        return True if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else False if st == cp_model.INFEASIBLE else None

    if time.perf_counter() - t0 > time_limit_s or feasible(good) is not True:
        return None
    precision = max(2 * g, abs(term.value) * 0.02)
    while abs(bad - good) > precision and time.perf_counter() - t0 < time_limit_s:
        mid = (good + bad) / 2
        ok = feasible(mid)
        if ok:
            good = mid
        else:
            bad = mid
    return good
