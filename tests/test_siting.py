"""Siting rules on small hand-built geometries where the right answer is obvious."""
import numpy as np
import pytest
import shapely

from geodata.siting_rules import parse_rules
from zones.siting import FeatureRef, bind, evaluate, evaluate_mixed, evaluate_one, feasible_region, measure
from siting_reference import measure_loop

RULES = """
facilities_layer = "fac"

[[facility]]
id = "x"
name_ko = "시설 X"
name_en = "Facility X"

[[facility]]
id = "a"
name_ko = "시설 A"
name_en = "Facility A"

[[facility]]
id = "b"
name_ko = "시설 B"
name_en = "Facility B"

[[rule]]
facility = "x"
id = "inside"
kind = "within"
layer = "zones"
features = ["z"]
tolerance_m2 = 0
source = "assumption"

[[rule]]
facility = "x"
id = "dong"
kind = "in_dongs"
layer = "dongs"
dongs = ["d1"]
tolerance_m2 = 0
source = "assumption"

[[rule]]
facility = "x"
id = "min_area"
kind = "min_area"
value = 0.25
unit = "ha"
source = "assumption"

[[rule]]
facility = "x"
id = "max_area"
kind = "max_area"
value = 100000
source = "assumption"

[[rule]]
facility = "x"
id = "width"
kind = "min_width"
diameter_m = 50
source = "assumption"

[[rule]]
facility = "x"
id = "setback"
kind = "setback"
distance_m = 30
layer = "zones"
features = ["z"]
source = "assumption"

[[rule]]
facility = "x"
id = "clear_a"
kind = "clearance"
distance_m = 100
facilities = ["a"]
source = "assumption"

[[rule]]
facility = "x"
id = "near_b"
kind = "adjacency"
distance_m = 300
facilities = ["b"]
source = "assumption"

[[rule]]
facility = "x"
id = "no_overlap"
kind = "no_overlap"
source = "assumption"
"""

BOX = shapely.box
A_SITE = BOX(100, 100, 200, 200)
B_SITE = BOX(700, 700, 800, 800)
X_SITE = BOX(300, 600, 400, 700)  # the planned site of x itself


def _layers():
    return {
        "zones": {"z": FeatureRef(BOX(0, 0, 1000, 1000), "구역 Z", "zone Z")},
        "dongs": {"d1": FeatureRef(BOX(0, 0, 500, 1000), "동1", "dong 1"),
                  "d2": FeatureRef(BOX(500, 0, 1000, 1000), "동2", "dong 2")},
        "fac": {"a": FeatureRef(A_SITE, "시설 A", "Facility A"), "b": FeatureRef(B_SITE, "시설 B", "Facility B"),
                "x": FeatureRef(X_SITE, "시설 X", "Facility X")},
    }


@pytest.fixture(scope="module")
def ctx():
    rules, _ = parse_rules(RULES)
    return bind(rules, _layers())


def rule(ctx, geom, rule_id):
    return next(r for r in evaluate_one(ctx, "x", geom).rules if r.rule == rule_id)


def test_a_good_site_passes_every_rule(ctx):
    check = evaluate_one(ctx, "x", BOX(380, 400, 480, 500))
    assert check.passed, [r.message_en for r in check.rules if not r.passed]
    assert [r.rule for r in check.rules] == ["inside", "dong", "min_area", "max_area", "width", "setback",
                                             "clear_a", "near_b", "no_overlap"]


def test_inside_and_outside_the_zone(ctx):
    assert rule(ctx, BOX(300, 300, 400, 400), "inside").passed
    out = rule(ctx, BOX(950, 300, 1050, 400), "inside")
    assert not out.passed and out.measured == pytest.approx(5000) and out.unit == "m²"
    assert out.message_en == "5,000.0 m² of the site lies outside zone Z (allowed 0 m²)"
    assert "구역 Z 밖" in out.message_ko


def test_setback_29_m_fails_and_30_m_passes(ctx):
    fail = rule(ctx, BOX(29, 300, 100, 400), "setback")
    ok = rule(ctx, BOX(30, 300, 100, 400), "setback")
    assert (fail.passed, ok.passed) == (False, True)
    assert fail.measured == pytest.approx(29.0) and ok.measured == pytest.approx(30.0)
    assert fail.message_en.startswith("setback 29.0 m < required 30 m")
    assert "경계 이격 29.0 m < 기준 30 m" in fail.message_ko


def test_an_l_shaped_site_fails_the_width_rule_a_square_of_the_same_area_passes(ctx):
    ell = shapely.union(BOX(300, 300, 500, 340), BOX(300, 300, 340, 500))  # arms 40 m wide
    square = BOX(300, 300, 420, 420)
    assert ell.area == pytest.approx(square.area) == pytest.approx(14_400)
    bad, good = rule(ctx, ell, "width"), rule(ctx, square, "width")
    assert not bad.passed and bad.measured < 50
    assert good.passed and good.measured == pytest.approx(120, abs=0.03)
    assert rule(ctx, ell, "min_area").passed and rule(ctx, ell, "inside").passed


def test_width_exactly_at_the_threshold_passes(ctx):
    assert rule(ctx, BOX(300, 300, 350, 350), "width").passed
    assert not rule(ctx, BOX(300, 300, 349.9, 349.9), "width").passed


def test_area_limits_in_the_unit_of_the_rule(ctx):
    r = rule(ctx, BOX(300, 300, 349, 349), "min_area")  # 2,401 m² < 0.25 ha
    assert not r.passed and r.threshold == pytest.approx(2500)
    assert rule(ctx, BOX(300, 300, 350, 350), "min_area").passed
    assert not rule(ctx, BOX(30, 30, 480, 480), "max_area").passed


def test_clearance_from_another_facility(ctx):
    near = rule(ctx, BOX(299, 100, 350, 150), "clear_a")
    far = rule(ctx, BOX(300, 100, 350, 150), "clear_a")
    assert (near.passed, far.passed) == (False, True)
    assert near.measured == pytest.approx(99) and "Facility A" in near.message_en


def test_adjacency_to_another_facility(ctx):
    assert rule(ctx, BOX(300, 700, 400, 800), "near_b").passed  # 300 m
    far = rule(ctx, BOX(300, 700, 399, 800), "near_b")  # 301 m
    assert not far.passed and far.measured == pytest.approx(301)
    assert far.message_en == "distance to Facility B 301.0 m > allowed 300 m"


def test_no_overlap_with_existing_facilities_but_the_own_site_does_not_count(ctx):
    hit = rule(ctx, BOX(150, 150, 250, 250), "no_overlap")
    assert not hit.passed and hit.measured == pytest.approx(2500)
    assert "Facility A" in hit.message_en and "시설 A" in hit.message_ko
    assert rule(ctx, BOX(190, 200, 260, 260), "no_overlap").passed  # touches A along an edge
    assert rule(ctx, X_SITE, "no_overlap").passed  # replacing x's own planned site


def test_legal_dongs(ctx):
    assert rule(ctx, BOX(300, 300, 500, 400), "dong").passed
    straddle = rule(ctx, BOX(450, 300, 550, 400), "dong")
    assert not straddle.passed and straddle.measured == pytest.approx(5000)


def _random_sites(n, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-100, 1000, n), rng.uniform(-100, 1000, n)
    w, h = rng.uniform(20, 200, n), rng.uniform(20, 200, n)
    sites = shapely.box(x, y, x + w, y + h)
    rot = rng.uniform(0, 90, n)
    return np.array([shapely.affinity.rotate(s, a) for s, a in zip(sites, rot)], dtype=object)


def test_batch_equals_single_and_the_scalar_reference(ctx):
    sites = _random_sites(300)
    batch = evaluate(ctx, "x", sites)
    for site, got in zip(sites[:60], batch[:60]):
        assert evaluate_one(ctx, "x", site) == got
    vec = measure(ctx, "x", sites)
    ref = measure_loop(ctx, "x", sites)
    for arrays, (passed, measured) in zip(vec, ref):
        assert (arrays.passed == passed).all(), arrays.bound.rule.id
        np.testing.assert_allclose(arrays.measured, measured, rtol=1e-9, atol=1e-6)
    assert 0 < sum(c.passed for c in batch) < len(batch)  # the sample exercises both outcomes


def test_mixed_batch_keeps_the_input_order(ctx):
    sites = [BOX(300, 300, 400, 400), BOX(100, 600, 150, 650), BOX(950, 300, 1050, 400)]
    out = evaluate_mixed(ctx, ["x", "a", "x"], sites, ["s1", "s2", "s3"])
    assert [(c.id, c.facility) for c in out] == [("s1", "x"), ("s2", "a"), ("s3", "x")]
    assert out[0] == evaluate_one(ctx, "x", sites[0]).__class__(**{**out[0].__dict__})
    assert out[2].passed is False


def test_feasible_region_is_where_the_site_rules_hold(ctx):
    region = feasible_region(ctx, "x")
    geom = region.geometry
    expected = BOX(30, 30, 500, 970).difference(A_SITE.buffer(100, quad_segs=16))
    assert geom.symmetric_difference(expected).area < 1e-6 * expected.area
    assert region.area_m2 == pytest.approx(expected.area)
    assert region.fits and region.min_area_m2 == pytest.approx(2500) and region.min_width_m == 50
    # Small sites sampled inside pass every rule but area/width; sampled outside, they fail one.
    rng = np.random.default_rng(3)
    pts = shapely.points(rng.uniform(0, 1000, (4000, 2)))
    sites = shapely.buffer(pts, 1.0, cap_style="square")
    inside = shapely.contains(geom.buffer(-2), sites)
    outside = ~shapely.intersects(geom.buffer(2), sites) & shapely.within(sites, BOX(0, 0, 1000, 1000))
    checks = evaluate(ctx, "x", sites)
    # Adjacency keeps whole parts that can reach B, it does not cut the region.
    spatial = {"inside", "dong", "setback", "clear_a", "no_overlap"}
    for i in np.flatnonzero(inside):
        assert all(r.passed for r in checks[i].rules if r.rule in spatial)
    for i in np.flatnonzero(outside):
        assert not all(r.passed for r in checks[i].rules if r.rule in spatial)
    assert inside.sum() > 100 and outside.sum() > 100


def test_feasible_region_says_when_the_facility_no_longer_fits():
    text = RULES.replace("diameter_m = 50", "diameter_m = 480")
    rules, _ = parse_rules(text)
    region = feasible_region(bind(rules, _layers()), "x")
    assert region.area_m2 > 100_000 and region.largest_width_m < 480 and not region.fits


def _awkward_layers():
    """A notched zone with a hole, dongs in two parts, facilities with a hole or in two parts."""
    zone = shapely.Polygon([(0, 0), (1000, 0), (1000, 1000), (500, 600), (0, 1000)]).difference(BOX(200, 200, 350, 350))
    ring_a = BOX(550, 100, 850, 400).difference(BOX(620, 170, 780, 330))
    b = shapely.MultiPolygon([BOX(100, 700, 180, 780), BOX(850, 850, 950, 950)])
    return {
        "zones": {"z": FeatureRef(zone, "구역 Z", "zone Z")},
        "dongs": {"d1": FeatureRef(shapely.MultiPolygon([BOX(0, 0, 600, 500), BOX(0, 500, 300, 1000)]), "동1", "dong 1"),
                  "d2": FeatureRef(BOX(600, 0, 1000, 1000), "동2", "dong 2")},
        "fac": {"a": FeatureRef(ring_a, "시설 A", "Facility A"), "b": FeatureRef(b, "시설 B", "Facility B"),
                "x": FeatureRef(X_SITE, "시설 X", "Facility X")},
    }


def _awkward_sites(n, seed=3):
    rng = np.random.default_rng(seed)
    boxes = list(_random_sites(n, seed))
    out = []
    for i, s in enumerate(boxes):
        x, y = rng.uniform(-50, 950, 2)
        if i % 5 == 1:  # an L
            s = shapely.Polygon([(x, y), (x + 120, y), (x + 120, y + 30), (x + 30, y + 30), (x + 30, y + 120), (x, y + 120)])
        elif i % 5 == 2:  # a site with a courtyard
            s = BOX(x, y, x + 150, y + 150).difference(BOX(x + 50, y + 50, x + 100, y + 100))
        elif i % 5 == 3:  # two parts
            s = shapely.MultiPolygon([BOX(x, y, x + 60, y + 60), BOX(x + 200, y, x + 260, y + 80)])
        out.append(s)
    # hand-placed: in facility A's hole, around facility B's first part, in the zone's hole
    out += [BOX(650, 200, 750, 300), BOX(60, 660, 220, 820), BOX(250, 250, 300, 300)]
    return np.array(out, dtype=object)


def test_holes_notches_and_parts_agree_with_the_scalar_reference():
    rules, _ = parse_rules(RULES)
    awkward = bind(rules, _awkward_layers())
    sites = _awkward_sites(400)
    vec = measure(awkward, "x", sites)
    ref = measure_loop(awkward, "x", sites)
    for arrays, (passed, measured) in zip(vec, ref):
        kind = arrays.bound.rule.kind
        # GEOS finds the inscribed circle to 1 cm; convex sites get the exact width
        atol = 0.02 if kind == "min_width" else 1e-6
        np.testing.assert_allclose(arrays.measured, measured, rtol=1e-9, atol=atol, err_msg=arrays.bound.rule.id)
        assert (arrays.passed == passed).all(), arrays.bound.rule.id
    by_id = {a.bound.rule.id: a for a in vec}
    hole_a, around_b, zone_hole = len(sites) - 3, len(sites) - 2, len(sites) - 1
    assert by_id["clear_a"].measured[hole_a] == pytest.approx(30)  # 30 m from the hole's edge, not inside A
    assert by_id["near_b"].measured[around_b] == 0  # B's part lies inside the site
    assert by_id["inside"].measured[zone_hole] == pytest.approx(2500)  # all of it in the zone's hole
    assert by_id["setback"].measured[zone_hole] == 0
