"""OGC API - Features Part 1 + Part 2 behaviour through the real ASGI app."""
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from api.app import create_app
from api.ogc import EPSG_5179

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def rels(doc):
    return {l["rel"] for l in doc["links"]}


def test_landing_page_links_the_api_description_conformance_data_and_maps(client):
    doc = client.get("/").json()
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels(doc)
    hrefs = {l["href"].split("://", 1)[1].split("/", 1)[1] for l in doc["links"]}
    assert {"openapi.json", "docs", "conformance", "collections", "maps/overview", "maps/allocation"} <= hrefs
    assert client.get("/openapi.json").status_code == 200


def test_conformance_declares_core_geojson_html_and_crs(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collection_advertises_crs_list_storage_crs_and_crs84_extent(client):
    doc = client.get("/collections/jeonju_sites").json()
    assert doc["crs"] == [CRS84, EPSG + "4326", EPSG + "5186", EPSG + "5179"]
    assert doc["storageCrs"] == EPSG + "5186"
    minx, miny, maxx, maxy = doc["extent"]["spatial"]["bbox"][0]
    assert 127.0 < minx < maxx < 127.3 and 35.7 < miny < maxy < 36.0  # Jeonju, lon/lat
    assert {"self", "items"} <= rels(doc)


def test_items_default_limit_paging_and_exact_number_matched(client):
    first = client.get("/collections/admin_dongs/items").json()
    assert first["numberReturned"] == 10 and first["numberMatched"] == 305
    nxt = next(l["href"] for l in first["links"] if l["rel"] == "next" and l["type"] == "application/geo+json")
    second = client.get(nxt).json()
    assert second["numberReturned"] == 10
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}
    prev = next(l["href"] for l in second["links"] if l["rel"] == "prev" and l["type"] == "application/geo+json")
    assert [f["id"] for f in client.get(prev).json()["features"]] == [f["id"] for f in first["features"]]
    last = client.get("/collections/admin_dongs/items?offset=300&limit=10").json()
    assert last["numberReturned"] == 5 and "next" not in rels(last)


def test_limit_above_maximum_is_clamped_not_refused(client):
    resp = client.get("/collections/admin_dongs/items?limit=50000")
    assert resp.status_code == 200
    body = resp.json()
    assert body["numberReturned"] == 305
    assert "limit=10000" in next(l["href"] for l in body["links"] if l["rel"] == "self")


def test_bbox_selects_the_intersecting_features_only(client):
    # A box around the AI district (첨단3지구) in the north of Gwangju.
    body = client.get("/collections/fez_districts/items?bbox=126.84,35.22,126.86,35.24").json()
    assert [f["id"] for f in body["features"]] == ["fez_ai"]
    assert body["numberMatched"] == 1


def test_bbox_crs_5186_is_northing_easting_and_matches_the_lon_lat_query(client):
    to_5186 = Transformer.from_crs("OGC:CRS84", "EPSG:5186", always_xy=True)
    (e0, e1), (n0, n1) = to_5186.transform([126.84, 126.86], [35.22, 35.24])
    metric = client.get(f"/collections/fez_districts/items?bbox={n0},{e0},{n1},{e1}&bbox-crs={EPSG}5186").json()
    assert [f["id"] for f in metric["features"]] == ["fez_ai"]


def test_crs_4326_answers_lat_lon_and_5186_northing_easting(client):
    lonlat = client.get("/collections/fez_districts/items/fez_ai").json()
    latlon = client.get(f"/collections/fez_districts/items/fez_ai?crs={EPSG}4326")
    assert latlon.headers["content-crs"] == f"<{EPSG}4326>"
    lon, lat = lonlat["geometry"]["coordinates"][0][0][0]
    assert latlon.json()["geometry"]["coordinates"][0][0][0] == pytest.approx([lat, lon], abs=1e-7)
    metric = client.get(f"/collections/fez_districts/items/fez_ai?crs={EPSG}5186")
    assert metric.headers["content-crs"] == f"<{EPSG}5186>"
    northing, easting = metric.json()["geometry"]["coordinates"][0][0][0]
    e, n = Transformer.from_crs("OGC:CRS84", "EPSG:5186", always_xy=True).transform(lon, lat)
    assert (northing, easting) == pytest.approx((n, e), abs=0.05)


def test_crs_5179_is_served_from_a_cached_copy(client):
    a = client.get(f"/collections/jeonju_sites/items?crs={EPSG}5179")
    assert a.headers["content-crs"] == f"<{EPSG}5179>"
    northing, easting = a.json()["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 1_700_000 < northing < 1_800_000 and 900_000 < easting < 1_000_000  # Jeonju in Unified CS
    cache = client.app.state.feature_cache
    assert cache.get("jeonju_sites", EPSG_5179) is cache.get("jeonju_sites", EPSG_5179)


def test_default_items_carry_content_crs_crs84(client):
    resp = client.get("/collections/fez_districts/items")
    assert resp.headers["content-crs"] == f"<{CRS84}>"


def test_property_equality_filter(client):
    body = client.get("/collections/admin_dongs/items?sigungu=함평군&limit=1000").json()
    assert body["numberMatched"] == body["numberReturned"] > 0
    assert {f["properties"]["sigungu"] for f in body["features"]} == {"함평군"}
    none = client.get("/collections/fez_districts/items?provenance=surveyed").json()
    assert none["numberMatched"] == 0 and none["features"] == []


def test_single_feature_by_id(client):
    feat = client.get("/collections/fez_districts/items/fez_future_car").json()
    assert feat["type"] == "Feature" and feat["id"] == "fez_future_car"
    assert feat["properties"]["area_m2"] == pytest.approx(1_847_000, rel=0.01)
    assert "collection" in rels(feat)


def test_html_view_when_a_browser_asks(client):
    resp = client.get("/collections/fez_districts/items", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.headers["content-type"].startswith("text/html")
    assert "미래형자동차" in resp.text and "/maps/overview" in resp.text
    assert client.get("/collections?f=html").headers["content-type"].startswith("text/html")
    assert client.get("/collections", headers={"Accept": "application/json"}).headers["content-type"] == "application/json"


def test_plan_lists_targets_with_sources(client):
    targets = {t["id"]: t for t in client.get("/plan").json()["targets"]}
    assert targets["fez_total"]["parts"] == ["fez_future_car", "fez_ai", "fez_smart_energy_1", "fez_smart_energy_2"]
    assert targets["fez_total"]["planned_m2"] == pytest.approx(4_371_000)
    assert all(t["source"] for t in targets.values())
