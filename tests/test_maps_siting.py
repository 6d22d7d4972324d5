"""The siting map: what it draws comes from zones.siting, as named layers, offline."""
from __future__ import annotations


import folium
import pytest
import shapely
from fastapi.testclient import TestClient

from geodata.siting_rules import SitingService
from maps.assets import external_references
from maps.browser import BrowserUnavailable, Chromium, file_url, find_chromium
from maps.data_layer import DataLayer
from maps.siting import build_siting, layer_name, siting_html
from maps.siting_index import siting_index_html
from zones.siting import UnknownFacility, evaluate_one, feasible_region

FACILITY = "ai_semiconductor_cluster"


@pytest.fixture(scope="module")
def ctx(provider):
    return SitingService(provider).context()


def geojson_layers(m: folium.Map) -> dict[str, DataLayer]:
    return {c.layer_name: c for c in m._children.values() if isinstance(c, DataLayer)}


def controls_text(m: folium.Map) -> str:
    return "\n".join(c.html for c in m._children.values() if hasattr(c, "html"))


def test_every_rule_geometry_is_a_named_layer_in_the_legend(provider, ctx):
    m = build_siting(provider, ctx, FACILITY)
    layers = geojson_layers(m)
    region = feasible_region(ctx, FACILITY)
    roles = {c.role for c in region.constraints}
    assert {"allowed_zone", "setback_band", "clearance_buffer", "existing_facility"} <= roles
    legend = controls_text(m)
    for c in region.constraints:
        layer = layers[layer_name(c)]
        drawn = shapely.geometry.shape(layer.data["features"][0]["geometry"])
        assert layer.data["features"][0]["properties"]["rule"] == c.rule
        # Drawn in lon/lat where zones.siting put it (5186 -> 4326), to the display precision.
        lon, lat = drawn.representative_point().coords[0]
        assert 126.5 < lon < 127.2 and 34.9 < lat < 35.4
        assert f"({c.rule})" in legend
    feasible = next(v for k, v in layers.items() if k.startswith("입지 가능 구역"))
    assert feasible.data["features"][0]["properties"]["area_m2_text"] == f"{region.area_m2:,.0f} m²"
    assert any(k.startswith("계획 부지") for k in layers)


def test_rule_table_holds_the_siting_evaluation_messages(provider, ctx):
    check = evaluate_one(ctx, FACILITY, ctx.planned[FACILITY])
    text = controls_text(build_siting(provider, ctx, FACILITY))
    for r in check.rules:
        assert r.message_ko in text and r.message_en in text and f"data-rule='{r.rule}'" in text
    assert text.count("kz-rule kz-pass") == sum(r.passed for r in check.rules)
    assert ("적합 · passes" if check.passed else "부적합 · fails") in text


def test_a_failing_planned_site_is_shown_failing(provider, ctx):
    """Move the stored site of the semiconductor cluster onto the theme park: clearance and overlap fail."""
    moved = type(ctx)(rules=ctx.rules, bound=ctx.bound, planned={**ctx.planned, FACILITY: ctx.planned["auto_theme_park"]})
    check = evaluate_one(moved, FACILITY, moved.planned[FACILITY])
    assert not check.passed
    text = controls_text(build_siting(provider, moved, FACILITY))
    assert "부적합 · fails" in text
    for r in check.failed_rules:
        assert f"kz-rule kz-fail' data-rule='{r.rule}'" in text


def test_page_is_offline_and_links_the_other_facilities(provider, ctx):
    page = siting_html(provider, ctx, FACILITY, lambda f: f"siting?facility={f}", "siting")
    assert external_references(page) == [] and "window.kizoneMap" in page
    for fid in ctx.rules.facilities:
        assert f"siting?facility={fid}" in page
    with pytest.raises(UnknownFacility):
        build_siting(provider, ctx, "space_port")


def test_index_lists_the_seven_with_their_verdicts(ctx):
    page = siting_index_html(ctx, lambda f: f"siting-{f}.html")
    assert page.count("kz-facility-row") == 7 and external_references(page) == []
    assert all(f"siting-{fid}.html" in page for fid in ctx.rules.facilities)


@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    return TestClient(create_app())


def test_api_siting_map_index_and_unknown_facility(client):
    resp = client.get(f"/maps/siting?facility={FACILITY}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert external_references(resp.text) == [] and "AI 반도체 클러스터" in resp.text
    index = client.get("/maps/siting")
    assert index.status_code == 200 and f"siting?facility={FACILITY}" in index.text
    bad = client.get("/maps/siting?facility=space_port")
    assert bad.status_code == 404 and bad.headers["content-type"] == "application/problem+json"
    assert "space_port" in bad.json()["detail"]
    assert any(link["href"].endswith("/maps/siting") for link in client.get("/").json()["links"])
    assert "siting" in client.get("/maps/overview").text


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed (`make test` installs it as root)")
def test_siting_map_renders_offline_with_every_rule_layer(provider, ctx, tmp_path):
    page = tmp_path / f"siting-{FACILITY}.html"
    page.write_text(siting_html(provider, ctx, FACILITY), encoding="utf-8")
    try:
        with Chromium(width=1400, height=860) as browser:
            result = browser.open(file_url(page))
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    assert result.remote_requests == [] and result.errors == []
    assert result.requests == [file_url(page)]
    state = result.state
    assert state["kind"] == "siting" and state["canvases"] == 1
    region = feasible_region(ctx, FACILITY)
    expected = {f"{c.role}:{c.rule}" for c in region.constraints} | {"feasible_region", "planned_site", "admin_dongs"}
    assert set(state["layers"]) == expected
    for key, layer in state["layers"].items():
        assert layer["onMap"] and layer["total"] == layer["expected"] > 0, key
        if key != "admin_dongs":  # fitted to the rule layers: each one on screen
            assert layer["drawn"] == layer["expected"], key
    assert state["paintedPixels"] > 100_000 and state["layerControl"] >= len(expected) + 2
    text = "\n".join(state["controls"])
    assert "AI semiconductor cluster" in text and "Feasible region" in text
    assert result.screenshot.startswith(b"\x89PNG")


def test_cli_map_writes_a_siting_map_per_facility_and_the_list(tmp_path, ctx):
    from cli.main import main

    assert main(["map", "--out", str(tmp_path)]) == 0
    for fid in ctx.rules.facilities:
        assert external_references((tmp_path / f"siting-{fid}.html").read_text(encoding="utf-8")) == []
    assert "siting-modular_factory.html" in (tmp_path / "siting.html").read_text(encoding="utf-8")
    assert "siting.html" in (tmp_path / "overview.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("facility", ["certification_center", FACILITY])
def test_legend_entries_are_distinct_and_each_allowed_zone_says_what_it_is(provider, ctx, facility):
    import re

    text = controls_text(build_siting(provider, ctx, facility))
    legend = text[text.index("범례"):]
    rows = re.findall(r"<tr><td>(<span class=\"kz-swatch\"[^>]*></span>)</td><td>(.*?)</td></tr>", legend)
    assert len(rows) == len({label for _, label in rows}) >= 4
    bound = {b.rule.id: b for b in ctx.facility_rules(facility)}
    zones = [c for c in feasible_region(ctx, facility).constraints if c.role == "allowed_zone"]
    assert {c.kind for c in zones} == {"within", "in_dongs"}
    swatches = set()
    for c in zones:
        b = bound[c.rule]
        swatch, label = next(r for r in rows if f"({c.rule})" in r[1])
        what = ("허용 구역", "Allowed zone") if c.kind == "within" else ("허용 법정동 구역", "Allowed legal-dong zone")
        assert label.startswith(f"{what[0]}: {b.name_ko}<br><small>{what[1]}: {b.name_en} ({c.rule})")
        swatches.add(swatch)
    assert len(swatches) == len(zones)
