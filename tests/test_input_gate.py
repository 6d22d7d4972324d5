"""Every GeoJSON entry point refuses what no parser can take, and degrees sent under a Korean
metric CRS, with a clear 4xx (API) or one line and exit code 2 or 3 (CLI); never a 500, a
traceback, or a speck stored in the sea west of Jeju.

Entry points: POST /allocations/check (drafts), POST /siting/check, PUT /collections/{id}/items,
POST /collections/{id}/import (upload), `kizone import`, `kizone siting check`.
"""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy
from zones.crs import check_in_korea
from zones.errors import GeoInputFault

AUTH = {"Authorization": "Bearer s3cret"}
PROBLEM = "application/problem+json"
RING = [[126.69, 35.15], [126.70, 35.15], [126.70, 35.16], [126.69, 35.16], [126.69, 35.15]]
FEATURE = {"type": "Feature", "id": "a", "geometry": {"type": "Polygon", "coordinates": [RING]},
           "properties": {"id": "a", "target_id": "fez_ai", "facility": "certification_center"}}
COLLECTION = {"type": "FeatureCollection", "features": [FEATURE]}
# A coordinate written as a 4,301-digit integer: one digit past Python's int-string limit.
HUGE_INT = json.dumps(COLLECTION).replace("126.7,", "1" * 4301 + ",", 1)
DEEP = "[" * 100_000 + "]" * 100_000
UNPARSABLE = {"4301-digit integer": HUGE_INT, "100,000 nested arrays": DEEP}
# Every Korean metric system: the KGD2002 belts (2010 and older origins), the unified systems, and
# the Korean 1985 (Bessel) belts. Lon/lat read in most of them lands inside the Korea box.
KOREAN_METRIC = (5185, 5186, 5187, 5188, 5180, 5181, 5182, 5183, 5184, 5179, 5178,
                 5173, 5174, 5175, 5176, 5177, 2096, 2097, 2098)
ENTRY_CRS = (5174, 5176, 2097, 5181, 5186)  # each entry point, under a few of them


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return store_copy(tmp_path_factory.mktemp("gate"))


@pytest.fixture(scope="module")
def client(store):
    settings = Settings(store_path=store, plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),),
                        max_upload_bytes=2 * 1024 * 1024)
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _problem(resp, status: int = 422) -> dict:
    assert resp.status_code == status, resp.text[:500]
    assert resp.headers["content-type"] == PROBLEM
    return resp.json()


def _send(client, entry: str, text: str, crs: str | None = None):
    headers = {"content-type": "application/json"}
    if entry == "drafts":
        return client.post("/allocations/check", content=text, headers=headers)
    if entry == "siting":
        return client.post("/siting/check", content=text, headers=headers)
    if entry == "put":
        return client.put("/collections/parcels/items", params={"crs": crs} if crs else {}, content=text,
                          headers={**AUTH, **headers})
    return client.post("/collections/parcels/import", files={"file": ("sites.geojson", text.encode())},
                       data={"crs": crs} if crs else {}, headers=AUTH)


def _parcels(store) -> str | None:
    """The parcels layer's checksum (None while no write has created it)."""
    gpkg = GeoPackageStore(store)
    return gpkg.checksum("parcels") if "parcels" in gpkg.layer_ids() else None


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kizone: error: "), err[:500]
    return lines[0]


# --- input no parser can take ----------------------------------------------------------------

@pytest.mark.parametrize("text", UNPARSABLE.values(), ids=UNPARSABLE.keys())
@pytest.mark.parametrize("entry", ["drafts", "siting", "put", "upload"])
def test_unparsable_json_is_a_422_problem_on_every_endpoint(client, store, entry, text):
    before = _parcels(store)
    body = _problem(_send(client, entry, text))
    if text is DEEP:
        assert "nested too deeply" in body["detail"]
    else:  # read as a float (as JavaScript and GDAL read it): no finite coordinate
        assert "NaN" in body["detail"] or "finite" in body["detail"]
    assert _parcels(store) == before


@pytest.mark.parametrize("text", UNPARSABLE.values(), ids=UNPARSABLE.keys())
@pytest.mark.parametrize("command", ["import", "siting"])
def test_unparsable_json_is_one_line_and_exit_2_in_the_cli(tmp_path, monkeypatch, capsys, command, text):
    store = store_copy(tmp_path)
    monkeypatch.setenv("ZONES_STORE", str(store))
    src = tmp_path / "in.geojson"
    src.write_text(text)
    args = (["import", str(src), "--layer", "parcels", "--report", str(tmp_path / "r.json")] if command == "import"
            else ["siting", "check", str(src)])
    assert main(args) == 2
    line = _one_line_error(capsys)
    assert str(src) in line or "in.geojson" in line


def test_a_long_integer_id_is_read_as_a_number_not_refused(client):
    feature = {**FEATURE, "id": 12345678901234567890123}
    resp = client.post("/allocations/check", json={"type": "FeatureCollection", "features": [feature]})
    assert resp.status_code == 200, resp.text


# --- degrees under a Korean metric CRS --------------------------------------------------------

@pytest.mark.parametrize("code", KOREAN_METRIC)
def test_lon_lat_under_every_korean_metric_crs_looks_like_degrees(code):
    with pytest.raises(GeoInputFault) as info:
        check_in_korea(RING, f"EPSG:{code}")
    assert info.value.kind == "degrees_as_metres" and "look like degrees" in info.value.detail


@pytest.mark.parametrize("code", KOREAN_METRIC)
def test_metres_in_every_korean_metric_crs_are_not_taken_for_degrees(code):
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, code, always_xy=True).transform(127.0, 36.0)
    check_in_korea([[x, y], [x + 50, y], [x + 50, y + 50], [x, y]], f"EPSG:{code}")


@pytest.mark.parametrize("code", ENTRY_CRS)
def test_siting_refuses_degrees_sent_as_a_metric_crs(client, code):
    body = _problem(client.post("/siting/check", json={**COLLECTION, "crs": f"EPSG:{code}"}))
    assert "look like degrees" in body["detail"] and body["errors"][0]["fault"] == "outside_korea"


@pytest.mark.parametrize("entry", ["put", "upload"])
@pytest.mark.parametrize("code", ENTRY_CRS)
def test_writes_refuse_degrees_sent_as_a_metric_crs_and_store_nothing(client, store, entry, code):
    before = _parcels(store)
    body = _problem(_send(client, entry, json.dumps(COLLECTION), crs=f"EPSG:{code}"))
    assert "look like longitude/latitude" in body["detail"] and "EPSG:4326" in body["detail"]
    assert body["report"]["validation"]["counts"].get("degrees_as_metres") == 1
    assert _parcels(store) == before


@pytest.mark.parametrize("code", ENTRY_CRS)
def test_cli_import_refuses_degrees_sent_as_a_metric_crs(tmp_path, monkeypatch, capsys, code):
    store = store_copy(tmp_path)
    monkeypatch.setenv("ZONES_STORE", str(store))
    src = tmp_path / "in.geojson"
    src.write_text(json.dumps(COLLECTION))
    before = _parcels(store)
    assert main(["import", str(src), "--layer", "parcels", "--crs", f"EPSG:{code}",
                 "--report", str(tmp_path / "r.json")]) == 3
    out = capsys.readouterr().out
    assert "REFUSED" in out and "look like longitude/latitude" in out and "--crs EPSG:4326" in out
    assert _parcels(store) == before


@pytest.mark.parametrize("code", ENTRY_CRS)
def test_cli_siting_check_refuses_degrees_sent_as_a_metric_crs(tmp_path, capsys, code):
    src = tmp_path / "site.geojson"
    src.write_text(json.dumps(COLLECTION))
    assert main(["siting", "check", str(src), "--crs", f"EPSG:{code}"]) == 2
    assert "look like degrees" in _one_line_error(capsys)


def test_drafts_refuse_degrees_sent_as_a_metric_crs(client):
    for crs in ("EPSG:5186", "EPSG:5179"):  # the metric systems the draft check is served in
        body = _problem(client.post("/allocations/check", json=COLLECTION, params={"crs": crs}))
        assert "look like degrees" in body["detail"]
