"""Bad input of every kind gets a 4xx application/problem+json that names the fault; never a 500."""
import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import DEFAULT_STORE, PLAN_FILE

PROBLEM = "application/problem+json"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
GOOD_RING = [[126.677021, 35.174366], [126.676973, 35.186616], [126.662051, 35.186575],
             [126.662102, 35.174326], [126.677021, 35.174366]]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), raise_server_exceptions=False)


def _problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- query parameters and paths ------------------------------------------------------------

BAD_GETS = [
    ("/collections/no_such_layer", 404, "fez_districts"),
    ("/collections/no_such_layer/items", 404, "known layers"),
    ("/collections/fez_districts/items/no_such_feature", 404, "fez_future_car"),
    ("/collections/fez_districts/items?bbox=126.8,35.1,126.9", 400, "4 numbers"),
    ("/collections/fez_districts/items?bbox=a,b,c,d", 400, "numbers"),
    ("/collections/fez_districts/items?bbox=nan,35,127,36", 400, "NaN"),
    ("/collections/fez_districts/items?bbox=127,36,126,35", 400, "wrong way round"),
    ("/collections/fez_districts/items?bbox=126,35,190,36", 400, "range"),
    (f"/collections/fez_districts/items?bbox=126.8,35.1,127,35.3&bbox-crs={EPSG}4326", 400, "swap the pairs"),
    ("/collections/fez_districts/items?crs=EPSG:9999", 400, "5186"),
    ("/collections/fez_districts/items?crs=not-a-crs", 400, "not served"),
    ("/collections/fez_districts/items?bbox=126,35,127,36&bbox-crs=EPSG:3857", 400, "bbox-crs"),
    ("/collections/fez_districts/items/fez_ai?crs=EPSG:5174", 400, "not served"),
    ("/collections/fez_districts/items?limit=0", 400, "limit"),
    ("/collections/fez_districts/items?limit=-5", 400, "limit"),
    ("/collections/fez_districts/items?limit=ten", 400, "limit"),
    ("/collections/fez_districts/items?offset=-1", 400, "offset"),
    ("/collections/fez_districts/items?colour=red", 400, "colour"),
    ("/collections/fez_districts/items?f=xml", 400, "f=json or f=html"),
    ("/collections/fez_districts/items?area_m2=big", 400, "numeric"),
    ("/collections/fez_districts/items?limit=1&limit=2", 400, "more than once"),
    ("/collections?sort=name", 400, "sort"),
    ("/conformance?x=1", 400, "x"),
    ("/plan?version=2", 400, "version"),
    ("/?f=pdf", 400, "f=json"),
]


@pytest.mark.parametrize("url,status,says", BAD_GETS, ids=[u for u, _, _ in BAD_GETS])
def test_bad_request_is_a_problem_that_says_what_is_wrong(client, url, status, says):
    body = _problem(client.get(url), status)
    assert says.lower() in body["detail"].lower()


# --- uploaded drafts -----------------------------------------------------------------------

def _fc(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


def _feat(coords, gtype="Polygon", fid="draft-b", **props):
    return {"type": "Feature", "id": fid, "properties": props or {"target_id": "fez_ai"},
            "geometry": {"type": gtype, "coordinates": coords}}


GOOD = _feat([GOOD_RING], fid="draft-a", target_id="fez_future_car")
BOWTIE = [[126.80, 35.20], [126.81, 35.21], [126.81, 35.20], [126.80, 35.21], [126.80, 35.20]]

BAD_FEATURES = [
    ("point", _feat([126.8, 35.2], gtype="Point"), "wrong_geometry_type", "Point"),
    ("linestring", _feat([[126.8, 35.2], [126.9, 35.3]], gtype="LineString"), "wrong_geometry_type", "LineString"),
    ("no geometry", {"type": "Feature", "id": "draft-b", "properties": {"target_id": "fez_ai"}, "geometry": None}, "no_geometry", "no geometry"),
    ("not a feature", {"type": "Polygon", "coordinates": [GOOD_RING]}, "not_a_feature", "Feature"),
    ("unclosed ring", _feat([GOOD_RING[:-1]]), "unclosed_ring", "not closed"),
    ("too few points", _feat([[GOOD_RING[0], GOOD_RING[1], GOOD_RING[0]]]), "too_few_points", "at least 4"),
    ("self-intersecting", _feat([BOWTIE]), "self_intersection", "self-intersect"),
    ("string coordinates", _feat([[["126.8", "35.2"]] * 4]), "bad_coordinates", "numbers"),
    ("3 rings deep missing", _feat([126.8, 35.2]), "bad_coordinates", "not an array"),
    ("swapped lat/lon", _feat([[[p[1], p[0]] for p in GOOD_RING]]), "swapped_lat_lon", "latitude, longitude"),
    ("outside Korea (Tokyo)", _feat([[[139.70, 35.68], [139.71, 35.68], [139.71, 35.69], [139.70, 35.68]]]), "outside_korea", "outside Korea"),
    ("metres without crs", _feat([[[169000, 287000], [170000, 287000], [170000, 288000], [169000, 287000]]]), "outside_korea", "metres"),
    ("unknown target", _feat([GOOD_RING], target_id="fez_moon"), "unknown_target", "GET /plan"),
    ("claims nothing", _feat([GOOD_RING], name="my draft"), "no_claim", "target_id"),
    ("unknown layer", _feat([GOOD_RING], layer="roads", id="r1"), "unknown_layer", "roads"),
]


@pytest.mark.parametrize("feature,fault,says", [b[1:] for b in BAD_FEATURES], ids=[b[0] for b in BAD_FEATURES])
def test_bad_draft_feature_is_named_by_index_and_id(client, feature, fault, says):
    body = _problem(client.post("/allocations/check", json=_fc(GOOD, feature)), 422)
    err = body["errors"][0]
    assert err["fault"] == fault and err["feature"] == 1
    assert says.lower() in err["detail"].lower()
    assert body["detail"].startswith("feature #1")


@pytest.mark.parametrize("literal,label", [("NaN", "NaN"), ("Infinity", "inf"), ("-Infinity", "inf"), ("1e999", "inf"),
                                           ("1" + "0" * 400, "huge")])
def test_non_finite_coordinates_are_422_not_500(client, literal, label):
    text = json.dumps(_fc(GOOD, _feat([GOOD_RING]))).replace("126.662051", literal, 1)
    body = _problem(client.post("/allocations/check", content=text, headers={"content-type": "application/json"}), 422)
    faults = {e["fault"] for e in body["errors"]}
    assert "non_finite_coordinate" in faults


def test_self_intersection_reports_the_geos_location(client):
    err = client.post("/allocations/check", json=_fc(_feat([BOWTIE]))).json()["errors"][0]
    assert err["location"] == pytest.approx([126.805, 35.205])
    assert "GEOS" in err["detail"]


def test_every_faulty_feature_is_listed(client):
    body = _problem(client.post("/allocations/check", json=_fc(_feat([BOWTIE], fid="x"), GOOD, _feat([126.8, 35.2], gtype="Point", fid="y"))), 422)
    assert [(e["feature"], e["id"]) for e in body["errors"]] == [(0, "x"), (2, "y")]


BAD_BODIES = [
    ("not JSON", b"{type: FeatureCollection", "not valid JSON"),
    ("empty body", b"", "empty"),
    ("not UTF-8", b"\xff\xfe{}", "UTF-8"),
    ("a JSON array", b"[1, 2, 3]", "FeatureCollection"),
    ("a lone Feature", json.dumps(GOOD).encode(), "FeatureCollection"),
    ("no features", json.dumps(_fc()).encode(), "no features"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "JSON"),
]


@pytest.mark.parametrize("raw,says", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_malformed_upload_is_422(client, raw, says):
    body = _problem(client.post("/allocations/check", content=raw, headers={"content-type": "application/geo+json"}), 422)
    assert says.lower() in body["detail"].lower()


@pytest.mark.parametrize("doc,params,says", [
    (_fc(GOOD, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2097"}}), {}, "crs member"),
    (_fc(GOOD, crs="EPSG:5186"), {}, "crs"),
    (_fc(GOOD), {"crs": "EPSG:32652"}, "not served"),
    (_fc(GOOD, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5179"}}), {"crs": "EPSG:5186"}, "5179"),
], ids=["unknown crs member", "malformed crs member", "unknown crs parameter", "conflicting crs"])
def test_bad_upload_crs_is_400(client, doc, params, says):
    body = _problem(client.post("/allocations/check", json=doc, params=params), 400)
    assert says.lower() in body["detail"].lower()


def test_northing_easting_under_a_metric_crs_is_named_as_swapped(client):
    unified = [[925874, 1685284], [925924, 1685284], [925924, 1685334], [925874, 1685334], [925874, 1685284]]
    feature = _feat([[[n, e] for e, n in unified]], target_id="fez_ai")
    body = _problem(client.post("/allocations/check", json=_fc(feature), params={"crs": "EPSG:5179"}), 422)
    assert body["errors"][0]["fault"] == "swapped_axes" and "northing, easting" in body["detail"]
    assert body["errors"][0]["location"] == [1685284, 925874]


def test_lon_lat_sent_as_5186_is_refused(client):
    body = _problem(client.post("/allocations/check", json=_fc(GOOD), params={"crs": "EPSG:5186"}), 422)
    assert "degrees" in body["detail"]


def test_unknown_query_parameter_on_upload_is_400(client):
    _problem(client.post("/allocations/check", json=_fc(GOOD), params={"dry_run": "1"}), 400)


@pytest.fixture(scope="module")
def small_client():
    return TestClient(create_app(Settings(store_path=DEFAULT_STORE, plan_path=PLAN_FILE, max_body_bytes=2_000)),
                      raise_server_exceptions=False)


def test_declared_body_over_the_limit_is_413(small_client):
    big = json.dumps(_fc(*[GOOD] * 20))
    body = _problem(small_client.post("/allocations/check", content=big, headers={"content-type": "application/json"}), 413)
    assert "2,000 bytes" in body["detail"] and "ZONES_MAX_BODY_BYTES" in body["detail"]


def test_streamed_body_over_the_limit_is_413_even_without_content_length(small_client):
    chunks = (json.dumps(GOOD).encode() for _ in range(20))  # a generator: sent chunked, no Content-Length
    _problem(small_client.post("/allocations/check", content=chunks, headers={"content-type": "application/json"}), 413)


def test_body_under_the_limit_passes(small_client):
    assert small_client.post("/allocations/check", json=_fc(GOOD)).status_code == 200
