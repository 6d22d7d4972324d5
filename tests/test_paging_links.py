"""next/prev links of the items pages: never a link to a page that is empty for no reason."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.collections import prev_offset

ITEMS = "/collections/admin_dongs/items"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _page_link(doc: dict, rel: str) -> dict[str, str] | None:
    hrefs = [l["href"] for l in doc["links"] if l["rel"] == rel and l["type"] == "application/geo+json"]
    assert len(hrefs) <= 1
    return {k: v[0] for k, v in parse_qs(urlsplit(hrefs[0]).query).items()} if hrefs else None


@pytest.mark.parametrize("offset, limit, matched, expected", [
    (0, 10, 25, None), (10, 10, 25, 0), (5, 10, 25, 0), (20, 10, 25, 10),
    (25, 10, 25, 15), (30, 10, 25, 20), (100000, 10, 25, 20), (100000, 7, 25, 19),
    (3, 10, 0, None), (100000, 10, 0, None), (26, 100, 25, 0),
])
def test_prev_offset(offset, limit, matched, expected):
    assert prev_offset(offset, limit, matched) == expected


def test_prev_past_the_end_leads_to_the_last_page_with_features(client):
    matched = client.get(ITEMS, params={"limit": 1}).json()["numberMatched"]
    assert matched > 20
    past = client.get(ITEMS, params={"offset": 100000, "limit": 10}).json()
    assert past["numberReturned"] == 0 and _page_link(past, "next") is None
    prev = _page_link(past, "prev")
    assert int(prev["offset"]) < matched <= int(prev["offset"]) + 10
    assert (100000 - int(prev["offset"])) % 10 == 0  # same page grid as the request
    last = client.get(ITEMS, params=prev).json()
    assert 0 < last["numberReturned"] <= 10 and _page_link(last, "next") is None


def test_an_empty_match_has_no_prev(client):
    empty = client.get(ITEMS, params={"offset": 50, "bbox": "2.2,48.8,2.4,48.9"}).json()
    assert empty["numberMatched"] == 0 and _page_link(empty, "prev") is None


def test_inside_the_result_prev_is_one_page_back(client):
    doc = client.get(ITEMS, params={"offset": 30, "limit": 10}).json()
    assert _page_link(doc, "prev")["offset"] == "20" and _page_link(doc, "next")["offset"] == "40"
