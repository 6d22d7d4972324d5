"""A new rule kind is one record: written here, registered, and the whole tool uses it.

`near_point` ("the whole site lies within radius_m of a point", e.g. a substation
that can feed sites only so far away) exists only in this file. Nothing else is
edited for it, yet the rules file accepts it, a check and a batch measure it, the
feasible region is cut by it, the siting map draws it in the legend, and the HTTP
API answers with it. The kind is registered for this module only and removed after.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from geodata.siting_rules import SITING_RULES_FILE, SitingService, parse_rules
from zones.siting import KINDS, FeatureRef, bind, evaluate, evaluate_one, feasible_region, kind_of
from zones.siting.arrays import EPS_M, RuleArrays, no_target
from zones.siting.batch import Batch
from zones.siting.context import BoundRule, LayerFeatures, refers_to_nothing
from zones.siting.registry import (Cut, Effect, Param, RegionCut, RuleKind, no_cross_checks, positive,
                                   register_kind, unregister_kind)
from zones.siting.rules import Rule, RuleSet
from zones.siting.layout.terms import Keep, LayoutPart

# ---- the whole kind -------------------------------------------------------------------------


def _bind(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    b = refers_to_nothing(rule, rules, layers)
    b.data["centre"] = shapely.Point(rule.params["x_m"], rule.params["y_m"])
    return b


def _measure(b: BoundRule, batch: Batch) -> RuleArrays:
    # The farthest point of a polygon from a point is one of its vertices: the discrete
    # Hausdorff distance between the two is exactly that distance.
    far = shapely.hausdorff_distance(batch.geoms, b.data["centre"])
    return RuleArrays(b, far <= b.rule.threshold + EPS_M, far, no_target(len(batch)))


def _message(passed: bool, m: float, t: float, ko: str, en: str) -> tuple[str, str]:
    le = "≤" if passed else ">"
    return (f"기준점에서 가장 먼 곳 {m:,.1f} m {le} 반경 {t:,.0f} m",
            f"farthest point {m:,.1f} m from the centre {le} radius {t:,.0f} m")


def _cut(b: BoundRule) -> Cut:
    disc = shapely.buffer(b.data["centre"], b.rule.threshold, quad_segs=64)
    return Cut(Effect.KEEP, disc, disc)


def _layout(b: BoundRule, facilities_layer: str):
    return (Keep(ref=(b.rule.facility, b.rule.id), value=0.0, zone=_cut(b).geometry),)


NEAR_POINT = RuleKind(
    name="near_point", label_ko="기준점 반경 내", label_en="within a radius of a point", unit="m",
    params=(Param("x_m", float), Param("y_m", float), Param("radius_m", float, unit="m", check=positive)),
    threshold=lambda p: float(p["radius_m"]), validate=no_cross_checks, bind=_bind, measure=_measure,
    message=_message, region=RegionCut(role="allowed_zone", term="allowed_zone", cut=_cut),
    layout=LayoutPart(_layout),
)

# ---- the tool using it ----------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def near_point():
    register_kind(NEAR_POINT)
    yield NEAR_POINT
    unregister_kind("near_point")
    assert "near_point" not in KINDS


RULES = """
facilities_layer = "fac"

[[facility]]
id = "x"
name_ko = "시설 X"
name_en = "Facility X"

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
id = "near_substation"
kind = "near_point"
x_m = 500
y_m = 500
radius_m = 300
source = "assumption"
"""


def _layers() -> dict[str, dict[str, FeatureRef]]:
    return {"zones": {"z": FeatureRef(shapely.box(0, 0, 1000, 1000), "구역 Z", "zone Z")}, "fac": {}}


@pytest.fixture(scope="module")
def ctx():
    rules, _ = parse_rules(RULES)
    return bind(rules, _layers())


def test_the_rules_file_takes_the_new_kind_and_checks_its_parameters():
    rule = parse_rules(RULES)[0].facility("x").rule("near_substation")
    assert (rule.kind, rule.threshold, rule.unit) == ("near_point", 300.0, "m")
    assert rule.label_en == "within a radius of a point"
    for bad, words in [("radius_m = 300", "radius_m must be > 0"), ("x_m = 500", "lacks 'x_m'")]:
        text = RULES.replace(bad, "radius_m = -1" if bad.startswith("radius") else "")
        with pytest.raises(Exception, match=words):
            parse_rules(text)


def test_a_check_measures_and_words_the_new_rule(ctx):
    near = next(r for r in evaluate_one(ctx, "x", shapely.box(450, 450, 550, 550)).rules if r.rule == "near_substation")
    assert near.passed and near.measured == pytest.approx(50 * 2 ** 0.5, abs=1e-3)
    assert near.message_en == "farthest point 70.7 m from the centre ≤ radius 300 m"
    far = evaluate_one(ctx, "x", shapely.box(700, 700, 800, 800))
    rule = next(r for r in far.rules if r.rule == "near_substation")
    assert not rule.passed and not far.passed and rule.measured == pytest.approx(300 * 2 ** 0.5, abs=1e-3)
    assert "반경 300 m" in rule.message_ko and ">" in rule.message_en


def test_a_batch_agrees_with_single_checks_and_with_a_plain_loop(ctx):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(100, 800, 200), rng.uniform(100, 800, 200)
    sites = shapely.box(x, y, x + rng.uniform(10, 150, 200), y + rng.uniform(10, 150, 200))
    batch = evaluate(ctx, "x", sites)
    centre = shapely.Point(500, 500)
    for site, got in zip(sites, batch):
        assert got == evaluate_one(ctx, "x", site)
        loop = max(centre.distance(shapely.Point(c)) for c in site.exterior.coords)
        rule = next(r for r in got.rules if r.rule == "near_substation")
        assert rule.measured == pytest.approx(loop, abs=1e-3) and rule.passed == (loop <= 300)
    assert 0 < sum(c.passed for c in batch) < len(batch)


def test_the_feasible_region_is_cut_by_the_new_rule(ctx):
    region = feasible_region(ctx, "x")
    disc = shapely.Point(500, 500).buffer(300, quad_segs=64)
    assert region.geometry.symmetric_difference(disc).area < 1e-6 * disc.area
    cut = next(c for c in region.constraints if c.rule == "near_substation")
    assert (cut.kind, cut.role, cut.term) == ("near_point", "allowed_zone", "allowed_zone")


def _rules_with_near_point(tmp_path, provider, facility: str, radius_m: float) -> tuple[Any, shapely.Point]:
    """The shipped rules plus a near_point rule centred on `facility`'s stored site."""
    site = provider.layer("core_infrastructure").metric
    centre = site[site["id"] == facility].geometry.iloc[0].centroid
    text = SITING_RULES_FILE.read_text(encoding="utf-8") + (
        f'\n[[rule]]\nfacility = "{facility}"\nid = "near_substation"\nkind = "near_point"\n'
        f"x_m = {centre.x:.3f}\ny_m = {centre.y:.3f}\nradius_m = {radius_m}\nsource = \"assumption\"\n")
    path = tmp_path / "siting_rules.toml"
    path.write_text(text, encoding="utf-8")
    return path, centre


def test_the_siting_map_draws_the_new_rule_in_its_legend_and_table(tmp_path, provider):
    from maps.siting import build_siting, layer_name

    path, _ = _rules_with_near_point(tmp_path, provider, "certification_center", 2000)
    ctx = SitingService(provider, path).context()
    m = build_siting(provider, ctx, "certification_center")
    text = "\n".join(c.html for c in m._children.values() if hasattr(c, "html"))
    legend = text[text.index("범례"):]
    assert re.search(r"허용 구역.*Allowed zone.*\(near_substation\)", legend)
    cut = next(c for c in feasible_region(ctx, "certification_center").constraints if c.rule == "near_substation")
    layers = {getattr(c, "layer_name", None) for c in m._children.values()}
    assert layer_name(cut) in layers
    check = evaluate_one(ctx, "certification_center", ctx.planned["certification_center"])
    rule = next(r for r in check.rules if r.rule == "near_substation")
    assert rule.passed and rule.message_ko in text and "data-rule='near_substation'" in text


def test_the_http_api_checks_and_cuts_with_the_new_rule(tmp_path, provider, monkeypatch):
    from api.app import create_app

    path, _ = _rules_with_near_point(tmp_path, provider, "certification_center", 2000)
    monkeypatch.setenv("ZONES_SITING_RULES", str(path))
    client = TestClient(create_app())
    rules = next(f for f in client.get("/siting/rules").json()["facilities"] if f["id"] == "certification_center")
    listed = next(r for r in rules["rules"] if r["id"] == "near_substation")
    assert (listed["kind"], listed["label_ko"]) == ("near_point", "기준점 반경 내")
    assert (listed["threshold"], listed["unit"]) == (2000, "m")

    stored = {f["id"]: f for f in client.get("/collections/core_infrastructure/items").json()["features"]}
    home = stored["certification_center"]["geometry"]
    away = shapely.geometry.mapping(shapely.affinity.translate(shapely.geometry.shape(home), 0.05))  # ~4.5 km east
    one = client.post("/siting/check", json={"facility": "certification_center", "geometry": home})
    assert one.status_code == 200
    near = next(r for r in one.json()["rules"] if r["rule"] == "near_substation")
    assert near["passed"] and near["measured"] < 2000 and near["message_en"].startswith("farthest point")

    feats = [{"type": "Feature", "id": name, "properties": {"facility": "certification_center"}, "geometry": g}
             for name, g in (("home", home), ("away", away))]
    batch = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats}).json()
    verdicts = {b["id"]: next(r for r in b["rules"] if r["rule"] == "near_substation") for b in batch}
    assert verdicts["home"]["passed"] and not verdicts["away"]["passed"] and verdicts["away"]["measured"] > 4000

    fc = client.get("/siting/feasible/certification_center").json()
    cut = [f for f in fc["features"] if f["properties"]["rule"] == "near_substation"]
    assert len(cut) == 1 and cut[0]["properties"]["kind"] == "near_point"
    assert cut[0]["properties"]["area_m2"] == pytest.approx(np.pi * 2000 ** 2, rel=1e-3)


def test_the_kind_is_known_while_registered(near_point):
    assert kind_of("near_point") is near_point and list(KINDS)[-1] == "near_point"
