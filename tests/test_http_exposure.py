"""What the HTTP layer shows and accepts: links from a configured base (never the Host header),
feature ids percent-encoded and checked on write, HEAD/OPTIONS/405 with the true Allow list,
CORS off unless configured, JSON-only POST bodies (415)."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, SettingError
from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.feature_ids import MAX_ID_CHARS, id_fault
from tests.write_helpers import square_fc, store_copy

AUTH = {"Authorization": "Bearer s3cret"}
EVIL = "evil.example"
RING = [(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)]
DRAFT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"target_id": "fez_ai"},
         "geometry": {"type": "Polygon", "coordinates": [[[126.70, 35.20], [126.71, 35.20], [126.71, 35.21],
                                                          [126.70, 35.21], [126.70, 35.20]]]}}]}


def _client(tmp_path=None, **settings) -> TestClient:
    store = store_copy(tmp_path) if tmp_path is not None else DEFAULT_STORE
    return TestClient(create_app(Settings(store_path=store, plan_path=PLAN_FILE, **settings)))


@pytest.fixture(scope="module")
def client():
    return _client()


# --- links -------------------------------------------------------------------------------------

PAGES = ["/", "/?f=html", "/collections", "/collections?f=html", "/collections/fez_districts",
         "/collections/admin_dongs/items?limit=2", "/collections/admin_dongs/items?limit=2&f=html",
         "/collections/fez_districts/items/fez_ai", "/collections/fez_districts/items/fez_ai?f=html",
         "/conformance", "/openapi.json", "/docs", "/redoc", "/maps/siting"]


@pytest.mark.parametrize("path", PAGES)
def test_a_forged_host_appears_in_no_link(client, path):
    r = client.get(path, headers={"Host": EVIL, "X-Forwarded-Host": EVIL})
    assert r.status_code == 200, r.text
    assert EVIL not in r.text


def test_links_use_the_public_url_when_configured(tmp_path):
    client = _client(public_url="https://gis.example.go.kr/zones")
    landing = client.get("/", headers={"Host": EVIL}).json()
    hrefs = [link["href"] for link in landing["links"]]
    assert all(h.startswith("https://gis.example.go.kr/zones/") for h in hrefs), hrefs
    items = client.get("/collections/admin_dongs/items?limit=2", headers={"Host": EVIL}).json()
    assert {link["rel"] for link in items["links"]} >= {"self", "next"}
    assert all(link["href"].startswith("https://gis.example.go.kr/zones/collections/") for link in items["links"])
    assert client.get("/openapi.json").json()["servers"] == [{"url": "https://gis.example.go.kr/zones"}]


def test_without_a_public_url_links_name_the_address_the_connection_reached(client):
    doc = client.get("/", headers={"Host": EVIL}).json()
    assert {urlsplit(link["href"]).netloc for link in doc["links"]} == {"testserver"}
    assert "servers" not in client.get("/openapi.json").json()


@pytest.mark.parametrize("value", ["gis.example.go.kr", "ftp://x", "https://x/?a=1", "https://u:p@x", "https://x:port"])
def test_a_bad_public_url_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("ZONES_PUBLIC_URL", value)
    with pytest.raises(SettingError, match="ZONES_PUBLIC_URL"):
        Settings.from_env()


# --- feature ids ---------------------------------------------------------------------------------

ODD_IDS = ["a b?c#d%e&f=g", "필지 1-2", "x+y;z", "100%"]


def test_feature_ids_are_percent_encoded_in_links_and_round_trip(tmp_path):
    client = _client(tmp_path, write_tokens=(("alice", "s3cret"),))
    fc = square_fc(RING, {"id": ODD_IDS[0]})
    for k, fid in enumerate(ODD_IDS[1:], start=1):
        ring = [(x + 0.02 * k, y) for x, y in RING]
        fc["features"].append(square_fc(ring, {"id": fid})["features"][0])
    assert client.put("/collections/parcels/items", json=fc, headers=AUTH).status_code == 200
    for fid in ODD_IDS:
        r = client.get(f"/collections/parcels/items/{quote(fid, safe='')}")
        assert r.status_code == 200, (fid, r.text)
        assert r.json()["id"] == fid
        self_link = next(link["href"] for link in r.json()["links"] if link["rel"] == "self")
        assert urlsplit(self_link).path == f"/collections/parcels/items/{quote(fid, safe='')}"
        followed = client.get(self_link)  # the link leads back to the same feature
        assert followed.status_code == 200 and followed.json()["id"] == fid


@pytest.mark.parametrize("fid", ["a/b", "..", ".", "tab\there", "nul\x00", "del\x7f", "x" * (MAX_ID_CHARS + 1),
                                 "lone\ud800surrogate", ""])
def test_an_id_no_url_can_carry_is_refused_on_write(tmp_path, fid):
    client = _client(tmp_path, write_tokens=(("alice", "s3cret"),))
    fc = square_fc(RING, {"id": fid})
    import json
    body = json.dumps(fc, ensure_ascii=True)  # a lone surrogate is only expressible as a JSON escape
    r = client.put("/collections/parcels/items", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert "cannot be used in a URL" in r.json()["detail"]
    assert client.get("/collections/parcels").status_code == 404  # nothing stored


def test_the_id_rule_accepts_what_urls_carry():
    for fid in ["fez_ai", "29155101", "필지 1-2", "a?b#c%d", " spaced ", "x" * MAX_ID_CHARS]:
        assert id_fault(fid) is None, fid


# --- methods -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/collections", "/collections/fez_districts/items?limit=1",
                                  "/collections/fez_districts/items/fez_ai", "/allocations", "/openapi.json",
                                  "/maps/siting", "/health"])
def test_head_answers_wherever_get_does(client, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_of_an_unknown_thing_is_a_404(client):
    assert client.head("/collections/nope/items").status_code == 404
    assert client.head("/nope").status_code == 404


@pytest.mark.parametrize("path, allow", [
    ("/collections/parcels/items", "GET, HEAD, PUT, OPTIONS"),
    ("/collections/fez_districts/items/fez_ai", "GET, HEAD, OPTIONS"),
    ("/siting/check", "POST, OPTIONS"),
    ("/allocations/check", "POST, OPTIONS"),
    ("/", "GET, HEAD, OPTIONS"),
])
def test_options_and_405_carry_the_resource_allow_list(client, path, allow):
    options = client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == allow
    for method in ("DELETE", "PATCH"):
        refused = client.request(method, path)
        assert refused.status_code == 405
        assert refused.headers["allow"] == allow
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_method_the_path_lacks_gets_the_full_allow_list(client):
    """POST on a path whose routes are GET and PUT: both are named, not only the first route's."""
    r = client.post("/collections/parcels/items", json={})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, PUT, OPTIONS"


# --- CORS ----------------------------------------------------------------------------------------

ORIGIN = "https://planning.example.go.kr"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def test_cors_is_off_by_default(client):
    r = client.get("/collections", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/allocations/check", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_only_the_configured_origins():
    client = _client(cors_origins=(ORIGIN,))
    r = client.get("/collections", headers={"Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == ORIGIN
    pre = client.options("/allocations/check", headers=PREFLIGHT)
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == ORIGIN
    other = client.get("/collections", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_setting(monkeypatch):
    monkeypatch.setenv("ZONES_CORS_ORIGINS", f"{ORIGIN}, http://localhost:8080")
    assert Settings.from_env().cors_origins == (ORIGIN, "http://localhost:8080")
    monkeypatch.setenv("ZONES_CORS_ORIGINS", "planning.example.go.kr")
    with pytest.raises(SettingError, match="ZONES_CORS_ORIGINS"):
        Settings.from_env()


# --- JSON bodies only ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, body", [("/allocations/check", DRAFT),
                                        ("/siting/check", {"facility": "certification_center",
                                                           "geometry": DRAFT["features"][0]["geometry"]})])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_a_post_that_is_not_json_is_a_415(client, path, body, content_type):
    import json
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post(path, content=json.dumps(body).encode(), headers=headers)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "application/json" in r.headers["accept-post"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/geo+json", "Application/GEO+JSON;charset=UTF-8"])
def test_json_media_types_are_accepted(client, content_type):
    import json
    r = client.post("/allocations/check", content=json.dumps(DRAFT).encode(), headers={"Content-Type": content_type})
    assert r.status_code == 200, r.text
