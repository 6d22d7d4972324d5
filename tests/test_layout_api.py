"""The layout jobs over the real ASGI app: started, followed, cancelled; the map of a result."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _wait(client, job: str, seconds: float = 60.0) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = client.get(f"/siting/layout/{job}").json()
        if body["status"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job} still running after {seconds} s")


def test_a_long_search_answers_a_job_at_once_and_can_be_cancelled(client):
    r = client.post("/siting/layout", json={"objective": "compact", "time_limit_s": 240})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    assert r.headers["location"] == f"/siting/layout/{job}" and r.json()["status"] == "running"
    gone = client.delete(f"/siting/layout/{job}")
    assert gone.status_code in (200, 202)
    body = _wait(client, job, 30.0)
    assert body["status"] == "cancelled"
    again = client.delete(f"/siting/layout/{job}")  # an ended job: nothing to stop
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    if body.get("result") and body["result"]["sites"]["features"]:
        assert body["result"]["checker"]["passed"]


def test_a_short_search_is_answered_with_its_checked_layout_and_map(client):
    r = client.post("/siting/layout", json={"objective": "land", "time_limit_s": 2,
                                            "fix": {"certification_center": "planned"}})
    assert r.status_code == 200, r.text
    body = r.json()
    result = body["result"]
    feats = {f["id"]: f for f in result["sites"]["features"]}
    assert feats["certification_center"]["properties"]["role"] == "fixed"
    placed = [f for f in feats.values() if f["properties"]["role"] == "placed"]
    assert len(placed) == 6 and all(f["properties"]["passed"] for f in placed)
    assert result["checker"]["passed"] and result["checker"]["rejected"] == 0
    lon, lat = feats["auto_theme_park"]["geometry"]["coordinates"][0][0]
    assert 126 < lon < 127.5 and 35 < lat < 35.5
    page = client.get(f"/maps/layout?job={body['job']}")
    assert page.status_code == 200 and "배치안 · Layout" in page.text and "leaflet" in page.text.lower()


def test_unknown_jobs_and_bad_requests_are_refused(client):
    assert client.get("/siting/layout/nope").status_code == 404
    assert client.delete("/siting/layout/nope").status_code == 404
    assert client.get("/maps/layout?job=nope").status_code == 404
    for body, words in [({}, "time_limit_s is required"), ({"time_limit_s": 10**6}, "ZONES_LAYOUT_MAX_SECONDS"),
                        ({"time_limit_s": 1, "objective": "pretty"}, "objective"),
                        ({"time_limit_s": 1, "colour": 1}, "unknown member 'colour'"),
                        ({"time_limit_s": 1, "grid_m": 0.01}, "grid cell")]:
        r = client.post("/siting/layout", json=body)
        assert r.status_code == 422 and words in r.json()["detail"], (body, r.text)
    r = client.post("/siting/layout", json={"time_limit_s": 1, "facilities": ["moon_base"]})
    assert r.status_code == 404


def test_running_searches_are_bounded(monkeypatch):
    monkeypatch.setenv("ZONES_LAYOUT_JOBS", "1")
    client = TestClient(create_app())
    first = client.post("/siting/layout", json={"time_limit_s": 240})
    assert first.status_code == 202
    try:
        second = client.post("/siting/layout", json={"time_limit_s": 240})
        assert second.status_code == 429 and "ZONES_LAYOUT_JOBS" in second.json()["detail"]
    finally:
        client.delete(f"/siting/layout/{first.json()['job']}")
        _wait(client, first.json()["job"], 30.0)
