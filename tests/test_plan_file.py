import pytest

from geodata.plan_file import load_plan
from zones.plan import PlanError


def test_every_target_has_a_source(plan):
    assert plan
    assert all(t.source.strip() for t in plan)


def test_fez_districts_add_up_to_4_371_km2(plan):
    by_id = {t.id: t for t in plan}
    fez = by_id["fez_total"]
    assert fez.planned_m2 == pytest.approx(4_371_000)
    assert sum(by_id[p].planned_m2 for p in fez.parts) == pytest.approx(1_847_000 + 1_106_000 + 932_000 + 486_000)
    assert sum(by_id[p].planned_m2 for p in fez.parts) == pytest.approx(fez.planned_m2)


def test_special_complex_is_60_20_20_of_100_man_pyeong(plan):
    by_id = {t.id: t for t in plan}
    total = by_id["fcsc_total"]
    assert (total.value, total.unit) == (1_000_000, "pyeong")
    assert [by_id[p].value for p in total.parts] == [600_000, 200_000, 200_000]


def test_required_targets_are_present(plan):
    ids = {t.id for t in plan}
    assert {"fez_total", "fez_future_car", "fez_ai", "fez_smart_energy_1", "fez_smart_energy_2",
            "bitgreen_total", "fcsc_total", "fcsc_parts_production", "fcsc_support", "fcsc_infrastructure",
            "jeonju_new_total"} <= ids
    assert {t.id: t.planned_m2 for t in plan}["jeonju_new_total"] == pytest.approx(2_250_000)


def test_a_broken_plan_file_names_the_target(tmp_path):
    bad = tmp_path / "plan.toml"
    bad.write_text('[[target]]\nid = "x"\nname_ko = "x"\nname_en = "x"\nlayer = "l"\nvalue = 1\n')
    with pytest.raises(PlanError, match=r"target #1 \(x\) lacks features, unit, tolerance_pct, source"):
        load_plan(bad)
    bad.write_text("[[target]\n")
    with pytest.raises(PlanError, match="plan.toml"):
        load_plan(bad)
