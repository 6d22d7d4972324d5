import pytest
import shapely

from zones.allocation import check_allocations, classify
from zones.plan import PlanError, PlanTarget, validate_plan


def target(tid, features, value, *, parts=(), within=None, unit="m2", tol=1.0, layer="l"):
    return PlanTarget(id=tid, name_ko=tid, name_en=tid, layer=layer, features=tuple(features), value=value,
                      unit=unit, tolerance_pct=tol, source="test fixture", parts=tuple(parts), within=within)


def box(x, y, w, h):
    return shapely.box(x, y, x + w, y + h)


def rows_by_id(report):
    return {r.target_id: r for r in report.rows}


@pytest.mark.parametrize("measured, status", [(100.0, "ok"), (101.0, "ok"), (99.0, "ok"), (101.5, "over"), (98.0, "under")])
def test_classify_tolerance_band_is_inclusive(measured, status):
    assert classify(100.0, measured, 1.0)[0] == status


def test_over_under_ok_and_missing():
    layers = {"l": {"a": box(0, 0, 100, 100), "b": box(0, 0, 100, 90), "c": box(0, 0, 100, 120)}}
    plan = [target("a", ["a"], 10_000), target("b", ["b"], 10_000), target("c", ["c"], 10_000), target("d", ["d"], 10_000)]
    rows = rows_by_id(check_allocations(plan, layers))
    assert rows["a"].status == "ok" and rows["a"].diff_m2 == 0
    assert rows["b"].status == "under" and rows["b"].diff_pct == pytest.approx(-10)
    assert rows["c"].status == "over" and rows["c"].diff_m2 == pytest.approx(2_000)
    assert rows["d"].status == "missing" and rows["d"].measured_m2 is None
    assert "no feature d in layer l" in rows["d"].reason
    assert "10.00 % below plan" in rows["b"].reason


def test_pyeong_targets_are_converted():
    side = (1000 * 400 / 121) ** 0.5
    layers = {"l": {"s": box(0, 0, side, side)}}
    row = check_allocations([target("s", ["s"], 1000, unit="pyeong", tol=0.01)], layers).rows[0]
    assert row.status == "ok" and row.planned_m2 == pytest.approx(3305.785, abs=1e-3)


def test_overlapping_parts_are_reported_with_their_area():
    layers = {"l": {"p1": box(0, 0, 100, 100), "p2": box(90, 0, 100, 100)}}
    plan = [target("whole", ["p1", "p2"], 19_000, parts=["p1", "p2"]),
            target("p1", ["p1"], 10_000), target("p2", ["p2"], 10_000)]
    rows = rows_by_id(check_allocations(plan, layers))
    overlaps = [f for f in rows["whole"].findings if f.kind == "overlap"]
    assert len(overlaps) == 1
    assert overlaps[0].area_m2 == pytest.approx(1_000)
    assert "p1 and p2 overlap by 1,000 m²" in overlaps[0].message


def test_part_outside_its_whole_and_parts_not_adding_up():
    layers = {"l": {"whole": box(0, 0, 100, 100)}, "k": {"in": box(0, 0, 50, 100), "out": box(80, 0, 40, 100)}}
    plan = [target("whole", ["whole"], 10_000, parts=["in", "out"]),
            target("in", ["in"], 5_000, layer="k"), target("out", ["out"], 5_000, layer="k")]
    findings = rows_by_id(check_allocations(plan, layers))["whole"].findings
    outside = [f for f in findings if f.kind == "outside"]
    assert [(f.target_id, round(f.area_m2)) for f in outside] == [("out", 2_000)]
    sums = [f for f in findings if f.kind == "parts_sum"]
    assert sums and sums[0].area_m2 == pytest.approx(10_000 - 9_000)


def test_plan_whose_parts_do_not_add_up_is_flagged():
    layers = {"l": {"a": box(0, 0, 100, 100)}}
    plan = [target("w", ["a"], 10_000, parts=["a"]), target("a", ["a"], 8_000)]
    kinds = [f.kind for f in rows_by_id(check_allocations(plan, layers))["w"].findings]
    assert "plan_sum" in kinds


def test_within_reports_overhang():
    layers = {"l": {"zone": box(0, 0, 100, 100), "site": box(95, 0, 10, 10)}}
    plan = [target("zone", ["zone"], 10_000), target("site", ["site"], 100, within="zone")]
    finding = rows_by_id(check_allocations(plan, layers))["site"].findings[0]
    assert finding.kind == "outside" and finding.area_m2 == pytest.approx(50)


def test_invalid_plans_are_refused():
    with pytest.raises(PlanError, match="unknown target 'nope'"):
        validate_plan([target("a", ["a"], 1, parts=["nope"])])
    with pytest.raises(PlanError, match="repeated"):
        validate_plan([target("a", ["a"], 1), target("a", ["a"], 2)])
    with pytest.raises(PlanError, match="unknown area unit"):
        validate_plan([target("a", ["a"], 1, unit="acre")])


def test_edge_noise_is_not_a_finding_but_a_real_overhang_is():
    zone = box(0, 0, 1000, 1000)
    jitter = box(0, 0, 1000.004, 1000)  # 4 mm past the edge: 4 m² along a 1 km side
    overhang = box(0, 0, 1002, 1000)  # 2 m past the edge
    for geom, expected in ((jitter, 0), (overhang, 1)):
        layers = {"l": {"zone": zone, "site": geom}}
        plan = [target("zone", ["zone"], 1e6), target("site", ["site"], 1e6, within="zone")]
        assert len(rows_by_id(check_allocations(plan, layers))["site"].findings) == expected
