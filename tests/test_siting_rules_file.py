"""The siting rules file: the shipped one is complete, a broken one names its line."""
import pytest

from geodata.siting_rules import SITING_RULES_FILE, SitingRulesError, SitingService, load_rules, parse_rules
from zones.siting import check_planned

SEVEN = ["autonomous_test_bed", "modular_factory", "certification_center", "mobility_data_center",
         "ai_semiconductor_cluster", "metaverse_green_platform", "auto_theme_park"]

GOOD = """facilities_layer = "core_infrastructure"

[[facility]]
id = "modular_factory"
name_ko = "공장"
name_en = "factory"

[[rule]]
facility = "modular_factory"
id = "big_enough"
kind = "min_area"
value = 1000
source = "assumption"
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_shipped_rules_cover_the_seven_facilities_and_every_value_is_an_assumption():
    rules, _ = load_rules(SITING_RULES_FILE)
    assert list(rules.facilities) == SEVEN
    kinds = {r.kind for f in rules.facilities.values() for r in f.rules}
    assert kinds == {"within", "in_dongs", "min_area", "max_area", "min_width", "setback", "clearance",
                     "adjacency", "no_overlap"}
    assert all(r.source == "assumption" for f in rules.facilities.values() for r in f.rules)
    assert all(f.name_ko and f.name_en for f in rules.facilities.values())


def test_stored_sites_mostly_pass_and_the_failure_says_why(provider):
    checks = {c.facility: c for c in check_planned(SitingService(provider).context())}
    assert set(checks) == set(SEVEN)
    failed = {(c.facility, r.rule) for c in checks.values() for r in c.failed_rules}
    assert len(failed) <= 2 and sum(c.passed for c in checks.values()) >= 5
    for c in checks.values():  # every stored site lies in its sub-complex and dong
        assert all(r.passed for r in c.rules if r.kind in ("within", "in_dongs", "no_overlap"))
    for facility, rule_id in failed:
        r = next(r for r in checks[facility].rules if r.rule == rule_id)
        assert f"{r.measured:,.1f}" in r.message_en and r.message_ko


@pytest.mark.parametrize("edit, needle, words", [
    (lambda t: t.replace('kind = "min_area"', 'kind = "min_areaa"'), 'kind = "min_areaa"', "unknown kind"),
    (lambda t: t.replace("value = 1000", "value = -5"), "value = -5", "must be > 0"),
    (lambda t: t.replace('source = "assumption"', 'source = ""'), 'source = ""', "no source"),
    (lambda t: t.replace('facility = "modular_factory"', 'facility = "moduler_factory"'), 'facility = "moduler_factory"', "not declared"),
    (lambda t: t.replace("value = 1000", "value = 1000\ndistance_m = 3"), "distance_m = 3", "unknown parameter"),
    (lambda t: t.replace('name_en = "factory"\n', ""), "[[facility]]", "name_en"),
    (lambda t: t + '\n[[rule]]\nfacility = "modular_factory"\nid = "big_enough"  # again\nkind = "max_area"\nvalue = 9\nsource = "assumption"\n',
     "# again", "two rules"),
])
def test_a_bad_rule_is_an_error_naming_its_line(edit, needle, words):
    text = edit(GOOD)
    with pytest.raises(SitingRulesError) as err:
        parse_rules(text, "rules.toml")
    line = line_of(text, needle) if needle else len(GOOD.splitlines()) + 3
    assert f"rules.toml, line {line}:" in str(err.value) and words in str(err.value)


def test_a_toml_syntax_error_names_its_line():
    text = GOOD.replace("value = 1000", "value = = 1000")
    with pytest.raises(SitingRulesError, match=rf"line {line_of(text, 'value = =')}"):
        parse_rules(text, "rules.toml")


def test_a_rule_on_a_feature_missing_from_the_store_names_its_line(tmp_path, provider):
    text = GOOD + ('\n[[rule]]\nfacility = "modular_factory"\nid = "inside"\nkind = "within"\n'
                   'layer = "future_car_special_complex"\nfeatures = ["fcsc_nowhere"]\nsource = "assumption"\n')
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SitingRulesError) as err:
        SitingService(provider, path)
    assert f"rules.toml, line {line_of(text, 'fcsc_nowhere')}:" in str(err.value)
    assert "fcsc_nowhere" in str(err.value)


def test_the_app_refuses_to_start_on_a_bad_rules_file(tmp_path, monkeypatch):
    from api.app import create_app

    path = tmp_path / "rules.toml"
    path.write_text(GOOD.replace("value = 1000", "value = 0"), encoding="utf-8")
    monkeypatch.setenv("ZONES_SITING_RULES", str(path))
    with pytest.raises(SitingRulesError, match=r"rules.toml, line 12"):
        create_app()
