"""The judge of every layout: the siting checker, run on the layout as if it were the store.

The model (model.py) is a means: a grid, rectangles, distances between boxes. Before a layout
is returned, its sites replace the stored ones in the facilities layer, the rules are bound
afresh, and every placed site is measured by the same vectorised `evaluate` that answers
`/siting/check`. A placed site must pass every rule. A fixed site must pass every rule it
passed where it stands before the layout (a fixed site that already failed a rule, such as a
setback the layout cannot move, is reported but does not reject the layout).
"""
from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from zones.siting.context import FeatureRef, SitingContext, bind
from zones.siting.evaluate import SiteCheck, evaluate
from zones.siting.layout.problem import LayoutProblem


@dataclass(frozen=True)
class Verdict:
    passed: bool
    checks: list[SiteCheck]  # placed facilities first, then fixed ones
    failed: tuple[tuple[str, str], ...]  # (facility, rule) that reject the layout
    ctx: SitingContext | None = None  # the rules bound with the layout as the facilities layer


def baseline(problem: LayoutProblem) -> dict[str, set[str]]:
    """Rules each fixed site passes where it stands, with the other sites as the store has them."""
    out = {}
    for fid, site in problem.fixed.items():
        check = evaluate(problem.ctx, fid, [site])[0]
        out[fid] = {r.rule for r in check.rules if r.passed}
    return out


def verify(problem: LayoutProblem, sites: dict[str, BaseGeometry], held: dict[str, set[str]]) -> Verdict:
    """Check the layout `sites` (placed facilities) with the fixed sites around them."""
    layer = problem.ctx.rules.facilities_layer
    feats = {fid: FeatureRef(geom, *problem.names.get(fid, (fid, fid))) for fid, geom in {**problem.fixed, **sites}.items()}
    ctx = bind(problem.ctx.rules, {**problem.layers, layer: feats})
    checks: list[SiteCheck] = []
    failed: list[tuple[str, str]] = []
    for fid, geom in sites.items():
        check = evaluate(ctx, fid, [geom], [fid])[0]
        checks.append(check)
        failed += [(fid, r.rule) for r in check.rules if not r.passed]
    for fid, geom in problem.fixed.items():
        check = evaluate(ctx, fid, [geom], [fid])[0]
        checks.append(check)
        failed += [(fid, r.rule) for r in check.rules if not r.passed and r.rule in held.get(fid, set())]
    return Verdict(passed=not failed, checks=checks, failed=tuple(failed), ctx=ctx)
