"""Property-based contract test: the app against its own OpenAPI document (schemathesis).

Every check schemathesis has (server errors, status codes, content types, headers, response
schemas, schema-invalid data refused, schema-valid data accepted, missing headers, unsupported
methods and their Allow, authentication), in its examples, coverage and fuzzing phases, with
positive and negative data; the coverage phase sends the edge cases (`f=` empty, a body of `0`,
a `crs` member of the wrong type, every missing parameter). Bounded: a few hundred requests in
all, through the ASGI app on a copy of the store, no network.

Two allowances, where validity goes beyond what a JSON schema can state: the check endpoints
read geometries (closed, non-self-intersecting rings inside Korea, targets and facilities that
exist, a `crs` member that names a served CRS and agrees with the `crs` parameter), so a
schema-valid body may still be refused with 422 (or 400 for the CRS); and an items `bbox` must have its
corners in order and in the range of its `bbox-crs`, so a schema-valid one may be a 400. Both
answers are problems naming the fault. A layout request may ask for more seconds than the
server allows (ZONES_LAYOUT_MAX_SECONDS, set to 1 here so no generated search runs long) or fix
a site whose geometry is refused: 422 too.
"""
import os

from hypothesis import HealthCheck, settings
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.settings import Settings
from geodata import DEFAULT_STORE, PLAN_FILE

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
CONFIG = SchemathesisConfig.from_dict({
    "operations": [{
        "include-path-regex": "^/(allocations|siting)/check$|^/siting/layout$",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400", "422"]}},
    }, {
        "include-path": "/collections/{collection_id}/items", "include-method": "GET",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
    }],
})


def _app():
    # Writes stay disabled (no token): the contract of the write endpoints is their 401/403 and
    # the store is never changed; the default store is only read.
    os.environ["ZONES_LAYOUT_MAX_SECONDS"] = "1"  # read once, when the app is made
    try:
        return create_app(Settings(store_path=DEFAULT_STORE, plan_path=PLAN_FILE))
    finally:
        del os.environ["ZONES_LAYOUT_MAX_SECONDS"]


schema = schemathesis.openapi.from_asgi("/openapi.json", _app(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_keeps_its_documented_contract(case):
    case.call_and_validate()


# The edge cases the coverage phase found, pinned so they stay answered as documented.
DRAFT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"target_id": "fez_ai"},
         "geometry": {"type": "Polygon", "coordinates": [[[126.70, 35.20], [126.71, 35.20], [126.71, 35.21],
                                                          [126.70, 35.21], [126.70, 35.20]]]}}]}


@pytest.fixture(scope="module")
def client():
    return TestClient(_app())


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", "/collections/fez_districts",
                                  "/collections/fez_districts/items", "/collections/fez_districts/items/fez_ai"])
@pytest.mark.parametrize("value", ["", "JSON", "docs-assets"])
def test_an_f_outside_json_and_html_is_a_400(client, path, value):
    r = client.get(path, params={"f": value})
    assert r.status_code == 400 and "use f=json or f=html" in r.json()["detail"]


@pytest.mark.parametrize("member", [{}, {"type": "AAA", "properties": {"name": ""}}, {"type": "name"},
                                    {"type": "name", "properties": {"name": 5186}}, "EPSG:5186", 5186, []])
def test_a_malformed_crs_member_is_refused_not_ignored(client, member):
    r = client.post("/allocations/check", json={**DRAFT, "crs": member})
    assert r.status_code == 400, r.text
    assert '"crs" member' in r.json()["detail"]


@pytest.mark.parametrize("path", ["/allocations/check", "/siting/check"])
@pytest.mark.parametrize("body", [b"0", b"null", b"[]", b'"x"', b"true"])
def test_a_json_body_that_is_not_an_object_is_a_422(client, path, body):
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_single_site_with_members_of_another_shape_is_refused(client):
    site = {"facility": "certification_center", "geometry": DRAFT["features"][0]["geometry"]}
    for extra in ({"features": {}}, {"type": 5}, {"type": "Polygon"}):
        r = client.post("/siting/check", json={**site, **extra})
        assert r.status_code == 422 and "not understood" in r.json()["detail"], r.text
    assert client.post("/siting/check", json={**site, "crs": None}).status_code == 200  # null: lon/lat


@pytest.mark.parametrize("crs", [[None, None], 5186, "EPSG:9999"])
def test_a_layout_with_a_malformed_crs_is_refused_even_with_no_fixed_site(client, crs):
    r = client.post("/siting/layout", json={"time_limit_s": 1, "crs": crs})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("crs: ")
