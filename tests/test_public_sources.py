"""Every source a user reads names a public document, never a file of this project."""
from __future__ import annotations

import re
import sqlite3
import tomllib

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geodata import DATA_DIR, DEFAULT_STORE
from geodata.catalog import load_catalog, zone_layer_ids

# Internal working notes (a facts sheet and numbered source copies) that no reader has.
PRIVATE_REF = re.compile(r"PLAN_FACTS|\bseeds? 0\d\d\b|\bseed 0\d\d")
HANGUL = re.compile(r"[가-힣]")
DATA_FILES = ["plan.toml", "zone_specs.toml", "layers.toml", "siting_rules.toml"]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_files_cite_public_sources_only(name):
    with open(DATA_DIR / name, "rb") as fh:
        data = tomllib.load(fh)
    leaks = [s for s in _strings(data) if PRIVATE_REF.search(s)]
    assert leaks == []


def test_feature_sources_in_the_store_cite_public_sources(provider):
    for layer in zone_layer_ids():
        sources = list(provider.layer(layer).metric["source"])
        assert sources and all(s.startswith("schematic: ") for s in sources)
        assert [s for s in sources if PRIVATE_REF.search(s)] == []


def test_api_descriptions_and_plan_sources_cite_public_sources(client):
    collections = client.get("/collections").json()["collections"]
    assert [c["id"] for c in collections if PRIVATE_REF.search(c.get("description", ""))] == []
    targets = client.get("/plan").json()["targets"]
    assert [t["id"] for t in targets if PRIVATE_REF.search(t["source"])] == []


def test_certification_centre_says_the_bitgreen_centre_is_another_facility(provider):
    row = provider.layer("core_infrastructure").metric.set_index("id").loc["certification_center"]
    assert row["parent"] == "fcsc_support"  # drawn inside the special complex
    assert "at the Bitgreen complex" in row["source"] and "a different, already-opened facility" in row["source"]
    assert "newsis NISX20231126_0002535077" in row["source"]


def test_layer_titles_are_korean_then_english():
    for info in load_catalog().values():
        assert info.title == f"{info.title_ko} · {info.title_en}"
        assert HANGUL.match(info.title) and info.title.endswith(info.title_en)
        assert not HANGUL.search(info.title_en)  # an English reader's half, and no Korean twice


def test_embedded_store_carries_the_bilingual_titles_and_descriptions():
    catalog = load_catalog()
    with sqlite3.connect(f"file:{DEFAULT_STORE}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT table_name, identifier, description FROM gpkg_contents").fetchall()
    assert {t for t, _, _ in rows} == set(catalog)
    for table, identifier, description in rows:
        assert identifier == catalog[table].title and HANGUL.search(identifier)
        assert description == catalog[table].description
