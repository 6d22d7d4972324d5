"""Imports that fail for a known reason say that reason once: metres without a CRS, swapped axes,
NaN in the JSON, and where the CRS came from. CLI in process, API through the real app."""
from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from cli.main import main
from geodata import PLAN_FILE
from geodata.store import GeoPackageStore
from tests.write_helpers import square_fc, store_copy

AUTH = {"Authorization": "Bearer s3cret"}
# A 100 m square in 광산구, EPSG:5186 easting/northing, written with no crs member
METRES = square_fc([(185000, 285000), (185100, 285000), (185100, 285100), (185000, 285100), (185000, 285000)],
                   {"id": "m1"})
LAT_LON = square_fc([(35.15, 126.69), (35.15, 126.70), (35.16, 126.70), (35.16, 126.69), (35.15, 126.69)],
                    {"id": "s1"})
NOT_NUMBERS = "coordinates that are not numbers"


def _client(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),),
                        max_upload_bytes=2 * 1024 * 1024)
    return TestClient(create_app(settings))


def _cli_import(tmp_path, monkeypatch, capsys, fc, *extra):
    store = store_copy(tmp_path)
    monkeypatch.setenv("ZONES_STORE", str(store))
    src = tmp_path / "in.geojson"
    src.write_text(json.dumps(fc) if isinstance(fc, dict) else fc)
    before = GeoPackageStore(store).generation()
    code = main(["import", str(src), "--layer", "parcels", "--report", str(tmp_path / "r.json"), *extra])
    out = capsys.readouterr()
    report = json.loads((tmp_path / "r.json").read_text()) if (tmp_path / "r.json").exists() else None
    if code != 0:
        assert GeoPackageStore(store).generation() == before  # nothing written
    return code, out, report


def test_cli_metres_without_crs_say_so_and_suggest_korean_systems(tmp_path, monkeypatch, capsys):
    code, out, report = _cli_import(tmp_path, monkeypatch, capsys, METRES)
    assert code == 3
    assert ("these coordinates look like metres (e.g. 185,000 / 285,000), not longitude/latitude: the file "
            "declares no CRS; give its CRS with --crs EPSG:5186") in out.out
    assert "EPSG:5186 (KGD2002 / Central Belt 2010), EPSG:5181, EPSG:5174" in out.out
    assert NOT_NUMBERS not in out.out and NOT_NUMBERS not in json.dumps(report)
    assert len(report["refused_because"]) == 1 and "look like metres" in report["refused_because"][0]
    assert report["validation"]["counts"] == {"metres_as_degrees": 1}


def test_cli_swapped_lat_lon_is_one_refusal_naming_the_swap(tmp_path, monkeypatch, capsys):
    code, out, report = _cli_import(tmp_path, monkeypatch, capsys, LAT_LON)
    assert code == 3
    assert report["refused_because"] == [
        "the coordinates look like latitude, longitude (first position 35.15, 126.69); positions in WGS 84 are "
        "longitude, latitude: swap them"]
    assert NOT_NUMBERS not in out.out and report["validation"]["counts"] == {"swapped_coordinates": 1}


def test_cli_given_crs_is_reported_as_given_without_the_wgs84_default(tmp_path, monkeypatch, capsys):
    code, out, report = _cli_import(tmp_path, monkeypatch, capsys, METRES, "--crs", "EPSG:5186")
    assert code == 0, out
    assert report["crs"]["source"] == "--crs" and report["crs"]["epsg"] == 5186 and report["crs"]["notes"] == []
    assert not any("WGS84" in n for n in report["notes"])
    (tmp_path / "b").mkdir()
    lonlat = square_fc([(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)])
    code, out, report = _cli_import(tmp_path / "b", monkeypatch, capsys, lonlat)
    assert code == 0 and "GeoJSON without 'crs': lon/lat WGS84 (RFC 7946)" in report["notes"]
    assert report["crs"]["source"] == "GeoJSON default (RFC 7946: lon/lat CRS84)"


def test_cli_degrees_under_a_metric_crs_are_named(tmp_path, monkeypatch, capsys):
    lonlat = square_fc([(126.69, 35.15), (126.70, 35.15), (126.70, 35.16), (126.69, 35.16), (126.69, 35.15)])
    code, out, report = _cli_import(tmp_path, monkeypatch, capsys, lonlat, "--crs", "EPSG:5186", "--strict")
    assert code == 3
    assert ("these coordinates look like longitude/latitude (e.g. 126.69, 35.15), not metres in KGD2002 / Central "
            "Belt 2010: --crs says EPSG:5186") in out.out


def test_cli_nan_in_a_geojson_file_names_the_feature(tmp_path, monkeypatch, capsys):
    text = json.dumps(METRES).replace("185100, 285000", "NaN, 285000")
    code, out, _ = _cli_import(tmp_path, monkeypatch, capsys, text)
    assert code == 2
    assert ("in.geojson: feature #1 (id 'm1'): geometry.coordinates[0][1] is [NaN, 285000]; JSON has no NaN or "
            "Infinity") in out.err


def test_put_metres_without_crs_names_the_crs_parameter(tmp_path):
    r = _client(tmp_path).put("/collections/parcels/items", json=METRES, headers=AUTH)
    assert r.status_code == 422, r.text
    body = r.json()
    assert ("these coordinates look like metres (e.g. 185,000 / 285,000), not longitude/latitude: the file declares "
            "no CRS; give its CRS with ?crs=EPSG:5186") in body["detail"]
    assert NOT_NUMBERS not in r.text and "--crs" not in body["detail"]


def test_put_with_crs_parameter_reports_it_as_the_source(tmp_path):
    r = _client(tmp_path).put("/collections/parcels/items", params={"crs": "EPSG:5186"}, json=METRES,
                              headers=AUTH)
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    assert report["crs"]["source"] == "the request's crs parameter" and report["crs"]["notes"] == []
    assert not any("WGS84" in n for n in report["notes"])
    assert "from the request's crs parameter" in r.json()["summary"]


def test_put_with_nan_names_the_feature_not_the_parser(tmp_path):
    body = json.dumps({"type": "FeatureCollection", "features": [
        METRES["features"][0], LAT_LON["features"][0]]}).replace("[35.15, 126.7]", "[NaN, 126.7]", 1)
    r = _client(tmp_path).put("/collections/parcels/items", content=body,
                              headers={**AUTH, "Content-Type": "application/geo+json"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("PUT body: feature #2 (id 's1'): geometry.coordinates[0][1] is [NaN, 126.7]; "
                             "JSON has no NaN or Infinity")
    assert "ParseException" not in r.text and "json.exception" not in r.text
