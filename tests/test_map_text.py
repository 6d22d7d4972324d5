"""Text from data stays text in the generated pages (no browser needed; the browser checks are
in test_hostile_text.py): escaped markup, no template evaluated, no script element ended."""
from __future__ import annotations

import doctest
import re

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

import maps.page_text
from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from maps.overview import overview_html
from maps.page_text import html_text, script_json
from tests.write_helpers import square_fc, store_copy

TEMPLATE = "{{ 7*7 }}q {% raw %} {# c"
CLOSER = "</script><script>top.kzPwned=1</script>"


def test_page_text_doctests():
    assert doctest.testmod(maps.page_text).failed == 0


@pytest.mark.parametrize("text", ["R&D 단지 & Co", "a < b > c", "'\"", TEMPLATE, "\u2028x\u2029", "빛그린"])
def test_html_text_shows_exactly_the_value(text):
    from html import unescape
    assert unescape(html_text(text)) == text
    assert not re.search(r"[<>\"'{]", html_text(text))


def test_script_json_cannot_end_its_script_element():
    assert "</" not in script_json(CLOSER) and "<!--" not in script_json("<!--")
    assert script_json("한국 & Co") == '"한국 \\u0026 Co"'


def test_a_map_evaluates_no_template_in_a_name_and_keeps_it_as_text(tmp_path):
    site = gpd.GeoDataFrame({"id": ["s1"], "name_ko": [TEMPLATE], "name_en": [CLOSER], "provenance": ["surveyed"],
                             "source": ["{{ config }}{{ self.__init__.__globals__ }}"]},
                            geometry=[box(127.0, 35.8, 127.01, 35.81)], crs="EPSG:4326").to_crs("EPSG:5186")
    store = GeoPackageStore(tmp_path / "user.gpkg")
    store.write_all({"my_sites": site})
    page = overview_html(LayerProvider(store))
    assert "49q" not in page and "__builtins__" not in page  # nothing was evaluated
    assert script_json(TEMPLATE)[1:-1] in page  # the name itself is in the data, as a JSON string
    assert CLOSER not in page and page.count("</script>") == page.lower().count("<script")


@pytest.fixture
def client(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("t", "s3cret"),),
                        max_upload_bytes=2 * 1024 * 1024)
    return TestClient(create_app(settings))


def test_html_views_write_a_link_looking_name_as_text_and_encode_ids_in_links(client):
    name = "<a href=x><img src=x onerror=\"document.title='PWNED'\">"
    fid = "<a href=x>id & 1"
    fc = square_fc([(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)],
                   {"id": fid, "name_ko": name, "name_en": "R&D", "source": TEMPLATE})
    assert client.put("/collections/notes/items", json=fc, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    items = client.get("/collections/notes/items?f=html").text
    feature = client.get("/collections/notes/items/%3Ca%20href%3Dx%3Eid%20%26%201?f=html").text
    for page in (items, feature):
        assert "<img" not in page and "<a href=x" not in page
        assert html_text(name).replace("&#123;", "{") in page or "&lt;a href=x&gt;&lt;img" in page
    assert 'href="/collections/notes/items/%3Ca%20href%3Dx%3Eid%20%26%201?f=html"' in items
    assert "R&amp;D" in feature and "R&amp;amp;D" not in feature
