"""A bbox in the wrong axis order or the wrong units is a 400 that says how to fix it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
ITEMS = "/collections/fez_districts/items"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _bbox_problem(client, **params) -> str:
    response = client.get(ITEMS, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["parameter"] == "bbox"
    return body["detail"]


@pytest.mark.parametrize("bbox_crs", [EPSG + "4326", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"])
def test_lon_lat_numbers_with_epsg_4326_are_told_to_swap(client, bbox_crs):
    detail = _bbox_problem(client, bbox="126.84,35.22,126.86,35.24", **{"bbox-crs": bbox_crs})
    assert "EPSG:4326 is latitude,longitude: swap the pairs" in detail
    assert "use CRS84 (lon,lat)" in detail
    assert "35.22,126.84,35.24,126.86" in detail  # the corrected bbox, ready to paste


def test_the_swapped_bbox_it_suggests_finds_the_features(client):
    lon_lat = client.get(ITEMS, params={"bbox": "126.84,35.22,126.86,35.24"}).json()
    lat_lon = client.get(ITEMS, params={"bbox": "35.22,126.84,35.24,126.86", "bbox-crs": "EPSG:4326"}).json()
    assert lon_lat["numberMatched"] == lat_lon["numberMatched"] > 0


def test_lat_lon_numbers_in_a_plain_bbox_are_named(client):
    detail = _bbox_problem(client, bbox="35.22,126.84,35.24,126.86")
    assert "looks like latitude,longitude" in detail and "CRS84) is longitude,latitude" in detail
    assert "126.84,35.22,126.86,35.24" in detail and "bbox-crs=EPSG:4326" in detail


@pytest.mark.parametrize("code", ["5186", "5179"])
def test_degrees_with_a_metric_bbox_crs_are_a_400_not_an_empty_page(client, code):
    detail = _bbox_problem(client, bbox="35.22,126.84,35.24,126.86", **{"bbox-crs": EPSG + code})
    assert "looks like degrees" in detail and f"EPSG:{code}" in detail and "metres" in detail


def test_a_right_bbox_outside_korea_is_not_mistaken_for_a_swap(client):
    """lon,lat far from Korea, and metres in EPSG:5186, answer normally (zero or more features)."""
    assert client.get(ITEMS, params={"bbox": "2.2,48.8,2.4,48.9"}).json()["numberMatched"] == 0
    metric = client.get(ITEMS, params={"bbox": "160000,270000,190000,300000", "bbox-crs": EPSG + "5186"})
    assert metric.status_code == 200
