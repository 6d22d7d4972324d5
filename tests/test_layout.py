"""The layout optimiser on small hand-made complexes where the right answer is known.

A complex of 100 m × 50 m holds two 50 m squares side by side and nothing else; a road along
its east side decides which square goes where. Breaking the model on purpose (the clearance
kind told to leave its rules to the checker) shows the checker rejecting layouts and none of
them returned; a clearance that cannot fit is named with its number.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely

from geodata.siting_rules import parse_rules
from zones.siting import KINDS, FeatureRef, bind, evaluate_one, kind_of, registry
from zones.siting.layout.pieces import convex_pieces
from zones.siting.layout.problem import build_problem
from zones.siting.layout.raster import Grid, classify, prefix, window_all
from zones.siting.layout.solve import solve
from zones.siting.layout.terms import LayoutPart, NotALayoutRule
from zones.siting.registry import completeness

X0, Y0 = 200_000.0, 300_000.0  # somewhere in EPSG:5186; the checks are planar


def _rules(extra: str = "") -> str:
    return f"""
facilities_layer = "sites"

[[facility]]
id = "a"
name_ko = "가 시설"
name_en = "Facility A <west>"

[[facility]]
id = "b"
name_ko = "나 시설"
name_en = "Facility B"

[[rule]]
facility = "a"
id = "inside"
kind = "within"
layer = "complex"
features = ["c"]
tolerance_m2 = 0
source = "assumption"

[[rule]]
facility = "a"
id = "size"
kind = "min_area"
value = 2500
source = "assumption"

[[rule]]
facility = "a"
id = "wide"
kind = "min_width"
diameter_m = 50
source = "assumption"

[[rule]]
facility = "a"
id = "no_overlap"
kind = "no_overlap"
source = "assumption"

[[rule]]
facility = "b"
id = "inside"
kind = "within"
layer = "complex"
features = ["c"]
tolerance_m2 = 0
source = "assumption"

[[rule]]
facility = "b"
id = "size"
kind = "min_area"
value = 2500
source = "assumption"

[[rule]]
facility = "b"
id = "wide"
kind = "min_width"
diameter_m = 50
source = "assumption"

[[rule]]
facility = "b"
id = "no_overlap"
kind = "no_overlap"
source = "assumption"
{extra}
"""


ON_THE_ROAD = """
[[rule]]
facility = "b"
id = "on_the_road"
kind = "adjacency"
distance_m = 1
layer = "roads"
source = "assumption"
"""


def _problem(rules_text: str, width: float = 100.0, cell: float = 5.0, links=None):
    rules, _ = parse_rules(rules_text)
    layers = {
        "complex": {"c": FeatureRef(shapely.box(X0, Y0, X0 + width, Y0 + 50), "단지", "Complex")},
        "roads": {"r": FeatureRef(shapely.box(X0 + width, Y0 - 20, X0 + width + 10, Y0 + 70), "도로", "Road")},
        # stored sites, as the store has one per facility; the layout moves both
        "sites": {f: FeatureRef(shapely.box(X0, Y0, X0 + 10, Y0 + 10), f, f) for f in ("a", "b")},
    }
    ctx = bind(rules, layers)
    return build_problem(ctx, layers, cell=cell, links=links)


def test_every_rule_kind_says_what_it_asks_of_a_layout():
    for name, kind in KINDS.items():
        assert isinstance(kind.layout, (LayoutPart, NotALayoutRule)), name
    within = kind_of("within")
    assert "layout is not set" in " ".join(completeness(dataclasses.replace(within, layout=None)))
    assert "say why" in " ".join(completeness(dataclasses.replace(within, layout=NotALayoutRule(" "))))


def test_the_unique_layout_of_a_small_complex_is_found_exactly():
    result = solve(_problem(_rules(ON_THE_ROAD)), "compact", time_limit_s=20)
    assert result.status == "optimal" and result.passed and result.rejected == 0
    assert result.sites["a"].equals(shapely.box(X0, Y0, X0 + 50, Y0 + 50))
    assert result.sites["b"].equals(shapely.box(X0 + 50, Y0, X0 + 100, Y0 + 50))
    assert all(c.passed for c in result.checks) and {c.facility for c in result.checks} == {"a", "b"}


def test_a_layout_the_checker_rejects_is_never_returned(monkeypatch):
    """The clearance kind told to leave its rules to the checker: the model then proposes the two
    squares touching (the link pulls them together), the checker rejects those layouts, and
    only one that keeps the 20 m clearance is returned."""
    clearance = kind_of("clearance")
    monkeypatch.setitem(registry._KINDS, "clearance",  # in place: the kinds keep their order
                        dataclasses.replace(clearance, layout=NotALayoutRule("broken on purpose in a test")))
    extra = """
[[rule]]
facility = "b"
id = "away_from_a"
kind = "clearance"
distance_m = 20
facilities = ["a"]
source = "assumption"
"""
    problem = _problem(_rules(extra), width=130.0, cell=10.0, links=[("a", "b", 1.0)])
    assert problem.checker_only == ((("b", "away_from_a"), "broken on purpose in a test"),)
    result = solve(problem, "compact", time_limit_s=30)
    monkeypatch.undo()
    assert result.rejected >= 1 and ("b", "away_from_a") in result.rejected_rules
    assert result.sites and result.passed
    gap = shapely.distance(result.sites["a"], result.sites["b"])
    assert gap >= 20 - 1e-6
    ctx = bind(problem.ctx.rules, {**problem.layers, "sites": {f: FeatureRef(g, f, f) for f, g in result.sites.items()}})
    assert evaluate_one(ctx, "b", result.sites["b"]).passed


def test_no_layout_names_the_rules_in_conflict_with_their_numbers():
    extra = """
[[rule]]
facility = "b"
id = "away_from_a"
kind = "clearance"
distance_m = 30
facilities = ["a"]
source = "assumption"
"""
    result = solve(_problem(_rules(extra)), "compact", time_limit_s=20)
    assert result.status == "infeasible" and not result.sites
    e = result.explanation
    assert e.found and e.minimal
    named = {(c.facility, c.rule) for c in e.rules}
    assert ("b", "away_from_a") in named and len(named) <= 4
    clear = next(c for c in e.rules if c.rule == "away_from_a")
    assert clear.threshold == 30 and clear.best is not None and clear.best <= 10
    assert "needs 30 m" in clear.message_en and "30 m" in clear.message_ko
    # the other rules of the conflict are sizes: without them the two sites fit with room to spare
    assert all(c.kind in ("clearance", "min_area", "min_width") for c in e.rules)


def test_allowed_corners_are_exactly_the_union_of_the_convex_pieces():
    rng = np.random.default_rng(7)
    for _ in range(12):
        poly = shapely.Polygon(rng.uniform(0, 60, (7, 2))).buffer(0)
        poly = max(shapely.get_parts(poly), key=lambda g: g.area)
        inside, _ = classify(Grid(0.0, 0.0, 1.0, 60, 60), poly)
        allowed = window_all(prefix(inside), 5, 3)
        ys, xs = np.mgrid[0:allowed.shape[0], 0:allowed.shape[1]]
        cover = np.zeros_like(allowed)
        for p in convex_pieces(allowed):
            m = (ys >= p.rows[0]) & (ys <= p.rows[1])
            for a, b, c in p.at_least:
                m &= a * xs + b * ys >= c
            cover |= m
        assert (cover == allowed).all()


def test_cells_inside_never_stick_out_and_cells_apart_never_meet():
    rng = np.random.default_rng(3)
    poly = shapely.Polygon(rng.uniform(0, 40, (9, 2))).buffer(0)
    grid = Grid(0.0, 0.0, 2.0, 20, 20)
    inside, meets = classify(grid, poly)
    for j in range(20):
        for i in range(20):
            cell = grid.box(i, j, 1, 1)
            assert not inside[j, i] or poly.covers(cell)
            assert meets[j, i] or poly.intersection(cell).area < 1e-9


@pytest.mark.parametrize("objective", ["land", "spacing"])
def test_the_other_objectives_give_checked_layouts(objective):
    problem = _problem(_rules(), width=200.0)
    land = (shapely.box(X0, Y0, X0 + 200, Y0 + 50), "단지", "Complex")
    problem = dataclasses.replace(problem, land=land)
    result = solve(problem, objective, time_limit_s=20)
    assert result.status == "optimal" and result.passed
    if objective == "land":  # two 50 m squares at one end leave 100 m × 50 m whole
        assert result.value == pytest.approx(100 * 50)
    else:  # as far apart as the complex allows
        assert result.value == pytest.approx(100.0)


def test_the_layout_map_escapes_every_name(provider):
    from maps.layout import layout_html

    problem = _problem(_rules(ON_THE_ROAD))
    result = solve(problem, "compact", time_limit_s=20)
    html = layout_html(provider, problem.ctx, result)
    assert "Facility A <west>" not in html and "Facility A \\u003cwest" not in html  # raw, or raw in JSON
    assert "Facility A &lt;west&gt;" in html or "Facility A \\u0026lt;west\\u0026gt;" in html
    assert "<title>7대 핵심 인프라 배치안 · Layout" in html and '"site:a": 1' in html
