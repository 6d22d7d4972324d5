"""The HTML views show numbers at the precision a planner checks, and features by their names."""
from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.html_numbers import format_number


@pytest.mark.parametrize("name, value, shown", [
    ("area_km2", 1.106, "1.1060"),
    ("area_km2", 1.8469764931499315, "1.8470"),
    ("area_ha", 184.69764931499316, "184.70"),
    ("area_m2", 1846976.4931499315, "1,846,976.5"),
    ("gazetted_m2", 1847000.0, "1,847,000.0"),
    ("area_geodesic_m2", 0.04, "0.0"),
    ("area_pyeong", 558710.3891778543, "558,710.39"),
    ("ratio", 1.106, "1.106"),
    ("ratio", 0.123456789, "0.123457"),
    ("ratio", 2.5, "2.5"),
    ("ratio", 123456.789, "123,457"),
    ("ratio", 0.0, "0"),
    ("code", 29200176, "29200176"),
])
def test_numbers_keep_their_meaningful_precision(name, value, shown):
    assert format_number(value, name) == shown


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _cells(html: str) -> dict[str, str]:
    pairs = re.findall(r"<tr><td>([^<]*)</td><td>(.*?)</td></tr>", html)
    return {unescape(k): unescape(v) for k, v in pairs}


def test_feature_page_shows_the_areas_to_their_unit_precision(client):
    feature = client.get("/collections/fez_districts/items/fez_future_car?f=json").json()
    page = client.get("/collections/fez_districts/items/fez_future_car?f=html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    cells = _cells(page.text)
    props = feature["properties"]
    assert cells["area_km2"] == f"{props['area_km2']:.4f}"
    assert cells["area_ha"] == f"{props['area_ha']:,.2f}"
    assert cells["area_m2"] == f"{props['area_m2']:,.1f}"
    assert cells["area_pyeong"] == f"{props['area_pyeong']:,.2f}"
    assert float(cells["area_km2"]) == pytest.approx(props["area_km2"], abs=5e-5)


def test_feature_page_title_names_the_feature_in_korean_and_english(client):
    props = client.get("/collections/fez_districts/items/fez_future_car?f=json").json()["properties"]
    page = client.get("/collections/fez_districts/items/fez_future_car?f=html").text
    expected = f"{props['name_ko']} · {props['name_en']} (fez_districts / fez_future_car)"
    assert unescape(re.search(r"<title>(.*?)</title>", page).group(1)) == expected
    assert unescape(re.search(r"<h1>(.*?)</h1>", page).group(1)) == expected


def test_items_page_shows_square_metres_to_one_decimal(client):
    fc = client.get("/collections/fez_districts/items?f=json&limit=3").json()
    page = client.get("/collections/fez_districts/items?f=html&limit=3").text
    for feature in fc["features"]:
        assert f"<td>{feature['properties']['area_m2']:,.1f}</td>" in page


def test_a_feature_without_names_is_titled_by_its_ids():
    from api.html import feature_title
    assert feature_title("parcels", {"id": "p1", "properties": {"name_ko": "", "use": "support"}}) == "parcels / p1"
    assert feature_title("parcels", {"id": "p2", "properties": {"name_en": "Lot 2"}}) == "Lot 2 (parcels / p2)"
