"""The map builders, without a browser: offline HTML, areas from the provider, statuses from the report."""
from __future__ import annotations

import dataclasses
import json
import re

import folium
import pytest
import shapely
from fastapi.testclient import TestClient

from maps.allocation import build_allocation, report_for
from maps.data_layer import DataLayer
from maps.assets import external_references, leaflet_css, leaflet_js, make_offline
from maps.display import fmt_km2, fmt_m2, fmt_pyeong
from maps.page_text import script_json
from maps.overview import build_overview
from maps.render import render_html
from maps.styles import STATUS_COLOURS


def geojson_layers(m: folium.Map) -> dict[str, DataLayer]:
    return {child.layer_name: child for child in m._children.values() if isinstance(child, DataLayer)}


def layer_by_prefix(m: folium.Map, prefix: str) -> DataLayer:
    matches = [layer for name, layer in geojson_layers(m).items() if name.startswith(prefix)]
    assert len(matches) == 1, f"{prefix!r} matches {list(geojson_layers(m))}"
    return matches[0]


@pytest.fixture(scope="module")
def overview(provider):
    return build_overview(provider)


@pytest.fixture(scope="module")
def overview_page(provider):
    return render_html(build_overview(provider))


def test_plain_folium_map_would_fetch_from_cdns_and_make_offline_removes_every_reference():
    m = folium.Map(tiles=None)
    folium.GeoJson({"type": "FeatureCollection", "features": []}).add_to(m)
    plain = m.get_root().render()
    assert any("leaflet" in url for url in external_references(plain))
    m2 = folium.Map(tiles=None)
    folium.GeoJson({"type": "FeatureCollection", "features": []}).add_to(m2)
    make_offline(m2)
    page = m2.get_root().render()
    assert external_references(page) == []
    assert leaflet_js()[:200] in page and "data:image/png;base64," in page
    # Class-level CDN lists are untouched: another plain folium map still gets them.
    assert folium.Map.default_js and folium.Map.default_js[0][0] == "leaflet"


def test_external_reference_detector_finds_each_kind_and_ignores_links_a_person_clicks():
    html = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/a.css">'
            '<style>.a{background:url("http://tiles.example/b.png")} @import "https://x.example/c.css";</style>'
            '<a href="https://leafletjs.com">Leaflet</a><img src="data:image/png;base64,AAAA">')
    assert external_references(html) == ["https://cdn.example/x.js", "//cdn.example/a.css",
                                          "http://tiles.example/b.png", "https://x.example/c.css"]


def test_leaflet_css_images_are_inlined():
    css = leaflet_css()
    assert "url(images/" not in css and css.count("data:image/png;base64,") >= 2


def test_overview_page_is_offline_and_small(overview_page):
    assert external_references(overview_page) == []
    assert "cdn." not in overview_page and "jquery" not in overview_page.lower()
    assert len(overview_page.encode("utf-8")) < 2_000_000
    # OpenStreetMap is offered as an optional layer but never added on opening.
    assert "tile.openstreetmap.org" in overview_page
    assert "window.kizoneMap" in overview_page


def test_overview_has_every_layer_with_its_features(provider, overview):
    layers = geojson_layers(overview)
    assert len(layers) == len(provider.layer_ids())
    for layer_id in provider.layer_ids():
        info = provider.layer(layer_id).info
        layer = layer_by_prefix(overview, info.title_ko)
        ids = [f["properties"]["id"] for f in layer.data["features"]]
        assert ids == list(provider.layer(layer_id).wgs84["id"])


def test_tooltips_show_the_providers_areas_in_three_units_and_provenance(provider, overview):
    gdf = provider.layer("fez_districts").wgs84.set_index("id")
    layer = layer_by_prefix(overview, provider.layer("fez_districts").info.title_ko)
    assert {"name_ko", "name_en", "area_m2_text", "area_ha_text", "area_pyeong_text",
            "provenance_text", "source"} <= {field for field, _label in layer.fields}
    for feature in layer.data["features"]:
        p = feature["properties"]
        row = gdf.loc[p["id"]]
        assert p["area_m2_text"] == fmt_m2(row["area_m2"])
        assert p["area_ha_text"] == f"{row['area_ha']:,.2f} ha"
        assert p["area_pyeong_text"] == fmt_pyeong(row["area_pyeong"])
        assert p["name_ko"] == row["name_ko"] and p["name_en"] == row["name_en"]
        assert p["provenance_text"].startswith(row["provenance"])
        assert p["source"] == row["source"]


def test_zone_geometry_is_drawn_as_stored_and_only_the_base_layer_is_simplified(provider, overview):
    zone = provider.layer("fez_districts")
    layer = layer_by_prefix(overview, zone.info.title_ko)
    for feature, geom in zip(layer.data["features"], zone.wgs84.geometry):
        drawn = shapely.geometry.shape(feature["geometry"])
        assert shapely.get_num_coordinates(drawn) == shapely.get_num_coordinates(geom)
        assert drawn.equals_exact(geom, tolerance=1e-6)
    base = provider.layer("admin_dongs")
    base_layer = layer_by_prefix(overview, base.info.title_ko)
    drawn = [shapely.geometry.shape(f["geometry"]) for f in base_layer.data["features"]]
    assert len(drawn) == len(base.wgs84) and not any(g.is_empty for g in drawn)
    assert sum(map(shapely.get_num_coordinates, drawn)) < 0.6 * shapely.get_num_coordinates(base.wgs84.geometry.values).sum()


def test_coordinates_have_at_most_six_decimals(overview):
    text = json.dumps([layer.data for layer in geojson_layers(overview).values()])
    assert re.search(r"\d\.\d{7,}", text) is None


def _skewed_plan(plan):
    """One target made under (plan doubled), one over (plan halved), one missing."""
    by_id = {t.id: t for t in plan}
    under = dataclasses.replace(by_id["fez_ai"], value=by_id["fez_ai"].value * 2)
    over = dataclasses.replace(by_id["fez_future_car"], value=by_id["fez_future_car"].value / 2)
    missing = dataclasses.replace(by_id["fez_ai"], id="ghost_site", name_ko="유령 부지", name_en="Ghost site",
                                  features=("no_such_feature",), parts=(), within=None)
    return [under if t.id == "fez_ai" else over if t.id == "fez_future_car" else t for t in plan] + [missing]


def test_allocation_map_colours_each_target_by_its_report_status(provider, plan):
    skewed = _skewed_plan(plan)
    report = report_for(provider, skewed)
    statuses = {r.target_id: r.status for r in report.rows}
    assert statuses["fez_ai"] == "under" and statuses["fez_future_car"] == "over" and statuses["ghost_site"] == "missing"
    m = build_allocation(provider, skewed, report)
    drawn = {}
    for layer in geojson_layers(m).values():
        for f in layer.data["features"]:
            if "status" in f["properties"]:
                style = layer.style_for(f)
                assert style["color"] == STATUS_COLOURS[f["properties"]["status"]]
                drawn[f["properties"]["id"]] = f["properties"]
    # Every target with a geometry is drawn, the missing one is not (it is listed in the summary).
    assert set(drawn) == {r.target_id for r in report.rows if r.status != "missing"}
    row = next(r for r in report.rows if r.target_id == "fez_ai")
    assert drawn["fez_ai"]["measured_text"] == f"{fmt_m2(row.measured_m2)} ({fmt_km2(row.measured_m2 / 1e6)})"
    assert fmt_m2(row.planned_m2) in drawn["fez_ai"]["planned_text"]
    assert drawn["fez_ai"]["status_text"].startswith("미달")
    page = render_html(m)
    assert external_references(page) == []
    escaped = lambda text: script_json(text)[1:-1]  # the summary box travels as a JSON string
    assert escaped("유령 부지") in page and escaped("확인 필요 · Needs a look") in page


def test_allocation_map_of_the_default_store_is_all_within_tolerance(provider, plan):
    report = report_for(provider, plan)
    page = render_html(build_allocation(provider, plan, report))
    counts = report.counts()
    assert counts["ok"] + counts["missing"] == len(plan)
    assert f"all {counts['ok']} measured targets within tolerance" in page
    escaped = lambda text: script_json(text)[1:-1]  # the banner travels as a JSON string
    assert escaped("도식 경계") in page and "schematic-banner" in page  # says what it rests on


@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    return TestClient(create_app())


@pytest.mark.parametrize("path", ["/maps/overview", "/maps/allocation"])
def test_api_serves_self_contained_map_pages(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert external_references(resp.text) == [] and "window.kizoneMap" in resp.text
    assert client.get(path).text == resp.text  # cached, same page


def test_overview_of_a_users_store_with_an_unknown_layer_and_no_dongs(tmp_path):
    """An imported store: a layer the catalogue does not know, in another CRS, and no base layer."""
    import geopandas as gpd
    from shapely.geometry import box

    from geodata.provider import LayerProvider
    from geodata.store import GeoPackageStore

    site = gpd.GeoDataFrame({"id": ["s1"], "name_ko": ["시험 부지"], "name_en": ["Test site"],
                             "provenance": ["surveyed"], "source": ["survey 2025"]},
                            geometry=[box(127.0, 35.8, 127.01, 35.81)], crs="EPSG:4326").to_crs("EPSG:5179")
    store = GeoPackageStore(tmp_path / "user.gpkg")
    store.write_all({"my_sites": site})
    provider = LayerProvider(store)
    m = build_overview(provider)
    layers = geojson_layers(m)
    assert list(layers) == ["my_sites · my_sites (1)"]
    props = layers["my_sites · my_sites (1)"].data["features"][0]["properties"]
    assert props["area_m2_text"] == fmt_m2(provider.layer("my_sites").metric["area_m2"].iloc[0])
    assert props["provenance_text"].startswith("surveyed")
    assert external_references(render_html(m)) == []
