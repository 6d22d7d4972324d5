"""Every rule kind is one complete record, and the rest of the tool asks the registry, never guesses."""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest
import shapely

from geodata.siting_rules import SITING_RULES_FILE, load_rules
from maps.styles import SITING_STYLES
from siting_reference import SCALAR
from zones.errors import InvalidInput
from zones.siting import KINDS, UnknownKind, kind_of, make_rule, register_kind, unregister_kind
from zones.siting.labels import ROLES, TERMS
from zones.siting.registry import (REQUIRED, NotARegionRule, PartNeed, RegionCut, RuleKind, completeness)

BUILT_IN = ["within", "in_dongs", "min_area", "max_area", "min_width", "setback", "clearance", "adjacency",
            "no_overlap"]
ROOT = Path(__file__).resolve().parent.parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_the_registry_holds_the_nine_built_in_kinds_in_order():
    assert list(KINDS) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_kind_is_complete(name):
    kind = kind_of(name)
    assert completeness(kind) == []
    for f in dataclasses.fields(kind):
        assert getattr(kind, f.name) is not None, f.name
    assert HANGUL.search(kind.label_ko) and kind.label_en and not HANGUL.search(kind.label_en)
    assert kind.unit in ("m", "m²")
    assert all(p.type in (float, str, list) for p in kind.params)
    # a message in both languages, for a pass and for a failure, that says the numbers
    for passed in (True, False):
        ko, en = kind.message(passed, 1234.5, 30.0, "구역 Z", "zone Z")
        assert HANGUL.search(ko) and not HANGUL.search(en), (ko, en)
        assert "1,234" in ko and "1,234" in en and "30" in ko and "30" in en
    words = [kind.message(passed, 1234.5, 30.0, "구역 Z", "zone Z") for passed in (True, False)]
    assert words[0] != words[1]
    # a feasible-region cut with a role the API knows and a term the maps can name and draw,
    # or an explicit "not a region rule"
    region = kind.region
    if isinstance(region, RegionCut):
        assert region.role in ROLES and region.term in TERMS and region.term in SITING_STYLES and callable(region.cut)
    elif isinstance(region, PartNeed):
        assert region.size in ("area", "width")
    else:
        assert isinstance(region, NotARegionRule) and region.why.strip()
    # the plain per-candidate reference that checks the vectorised measure knows it
    assert name in SCALAR


def test_the_shipped_rules_give_every_kind_a_threshold_in_its_unit():
    rules, _ = load_rules(SITING_RULES_FILE)
    seen = {}
    for fac in rules.facilities.values():
        for r in fac.rules:
            seen[r.kind] = r
            assert isinstance(r.threshold, float) and r.threshold >= 0 and r.unit == kind_of(r.kind).unit
            d = r.as_dict()
            assert (d["label_ko"], d["label_en"]) == (kind_of(r.kind).label_ko, kind_of(r.kind).label_en)
    assert set(seen) == set(BUILT_IN)


def test_every_term_has_a_map_style_and_both_names():
    assert set(TERMS) <= set(SITING_STYLES)
    for ko, en in TERMS.values():
        assert HANGUL.search(ko) and en and not HANGUL.search(en)
    assert TERMS["other_sites"] == ("다른 계획 시설", "Other planned sites")


def test_an_unknown_kind_is_an_error_of_the_family_not_a_default():
    with pytest.raises(UnknownKind) as err:
        kind_of("sea_view")
    assert isinstance(err.value, InvalidInput) and err.value.code == "unknown_rule_kind"
    assert err.value.key == "kind" and err.value.facts["known"] == BUILT_IN
    with pytest.raises(UnknownKind, match="rule 'r': unknown kind 'sea_view'; use one of within, in_dongs"):
        make_rule({"facility": "f", "id": "r", "kind": "sea_view", "source": "assumption"}, {"f"})


def test_an_incomplete_or_clashing_record_is_refused():
    within = kind_of("within")
    with pytest.raises(TypeError):  # a field left out: the dataclass has no defaults to fall back on
        RuleKind(name="x", label_ko="가", label_en="x", unit="m")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="already registered"):
        register_kind(within)
    for change, words in [({"label_ko": "inside"}, "label_ko must be Korean"),
                          ({"region": None}, "region is not set"),
                          ({"region": RegionCut("moat", "allowed_zone", within.region.cut)}, "role 'moat'"),
                          ({"region": RegionCut("allowed_zone", "moat", within.region.cut)}, "term 'moat'"),
                          ({"region": NotARegionRule(" ")}, "say why"),
                          ({"message": "inside"}, "message is not a function")]:
        with pytest.raises(ValueError, match=words):
            register_kind(dataclasses.replace(within, name="within_again", **change))
    assert "within_again" not in KINDS


def test_unregistering_an_unknown_kind_is_an_error():
    with pytest.raises(UnknownKind):
        unregister_kind("sea_view")


def test_a_required_parameter_is_marked_and_defaults_are_not_shared():
    within = kind_of("within")
    assert within.param("layer").default is REQUIRED and within.param("tolerance_m2").default == 10.0
    entry = {"facility": "f", "kind": "clearance", "distance_m": 5, "layer": "l", "source": "assumption"}
    a, b = make_rule({**entry, "id": "a"}, {"f"}), make_rule({**entry, "id": "b"}, {"f"})
    a.params["features"].append("z")
    assert b.params["features"] == [] and kind_of("clearance").param("features").default == []


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_no_siting_module_outside_the_kinds_branches_on_a_kind_name():
    """A kind's name as a string appears only in its own record: every other module of the siting
    checks (zones/siting, its rules file reader, API routes, maps, command) looks it up.
    (Other checks may have kinds of their own with the same words, e.g. the statutory checks.)"""
    offenders = []
    checked = 0
    for package in ("zones", "geodata", "api", "maps", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "kinds" in rel.parts or "siting" not in str(rel):
                continue
            checked += 1
            named = _string_constants(path) & set(BUILT_IN)
            offenders += [f"{rel}: {n}" for n in sorted(named)]
    assert offenders == [] and checked >= 15


def test_the_zone_kinds_cut_the_region_to_the_zone_and_others_do_not_start_it():
    from zones.siting import FeatureRef, bind, feasible_region
    from zones.siting.rules import Facility, RuleSet

    rule = make_rule({"facility": "x", "id": "big", "kind": "min_area", "value": 10, "source": "assumption"}, {"x"})
    rules = RuleSet("fac", {"x": Facility("x", "시설", "facility", (rule,))})
    ctx = bind(rules, {"fac": {"x": FeatureRef(shapely.box(0, 0, 1, 1), "x", "x")}})
    with pytest.raises(InvalidInput, match="no allowed zone"):
        feasible_region(ctx, "x")


def test_the_example_of_adding_a_rule_kind_works_as_written():
    page = (ROOT / "docs" / "adding-a-rule-kind.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    try:
        exec(compile(code, "adding-a-rule-kind.md", "exec"), {})
        kind = kind_of("max_perimeter")
        rule = make_rule({"facility": "f", "id": "fence", "kind": "max_perimeter", "length_m": 400,
                          "source": "assumption"}, {"f"})
        from zones.siting.batch import Batch
        from zones.siting.context import BoundRule
        arrays = kind.measure(BoundRule(rule=rule), Batch(shapely.box([0, 0], [0, 0], [100, 100], [150, 50])))
        assert arrays.passed.tolist() == [False, True] and arrays.measured.tolist() == [500.0, 300.0]
        assert kind.message(False, 500.0, 400.0, "", "")[1] == "perimeter 500.0 m > maximum 400 m"
    finally:
        unregister_kind("max_perimeter")
    assert "max_perimeter" not in KINDS
