"""/siting through the real ASGI app, and `kizone siting` through its entry point."""
import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def stored_sites(client):
    return {f["id"]: f for f in client.get("/collections/core_infrastructure/items").json()["features"]}


def square(lon, lat, d=0.0005):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                [lon - d, lat + d], [lon - d, lat - d]]]}


def test_rules_list_the_seven_facilities_with_sources(client):
    body = client.get("/siting/rules").json()
    assert len(body["facilities"]) == 7 and "assumption" in body["note"]
    rule = body["facilities"][0]["rules"][0]
    assert {"id", "kind", "threshold", "unit", "source", "params"} <= set(rule)


def test_check_of_a_stored_site_in_lon_lat_agrees_with_the_report(client, stored_sites):
    report = {s["facility"]: s for s in client.get("/siting/report").json()["sites"]}
    for fid in ("certification_center", "autonomous_test_bed"):
        resp = client.post("/siting/check", json={"facility": fid, "geometry": stored_sites[fid]["geometry"]})
        assert resp.status_code == 200
        body = resp.json()
        assert set(body) == {"facility", "name_ko", "name_en", "passed", "rules"} and body["facility"] == fid
        assert (body["name_ko"], body["name_en"]) == (report[fid]["name_ko"], report[fid]["name_en"])
        assert body["passed"] == report[fid]["passed"]
        assert {"rule", "passed", "measured", "threshold", "unit", "message_ko", "message_en"} <= set(body["rules"][0])
        for got, want in zip(body["rules"], report[fid]["rules"]):
            assert got["passed"] == want["passed"]
            # lon/lat rounded to 7 decimals (~1 cm) moves measurements by centimetres only
            tol = 1.0 if got["unit"] == "m" else max(50.0, 1e-3 * want["threshold"])
            assert got["measured"] == pytest.approx(want["measured"], abs=tol)


def test_batch_answers_a_list_in_feature_order(client, stored_sites):
    feats = [{"type": "Feature", "id": fid, "properties": {"facility": fid}, "geometry": f["geometry"]}
             for fid, f in stored_sites.items()]
    resp = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats})
    assert resp.status_code == 200
    body = resp.json()
    assert [b["facility"] for b in body] == list(stored_sites)
    single = client.post("/siting/check", json={"facility": feats[2]["id"], "geometry": feats[2]["geometry"]}).json()
    assert body[2]["rules"] == single["rules"] and body[2]["passed"] == single["passed"]


def test_metric_coordinates_with_crs(client):
    site = {"type": "Polygon", "coordinates": [[[171400, 284900], [171450, 284900], [171450, 284950],
                                                 [171400, 284950], [171400, 284900]]]}
    body = client.post("/siting/check", json={"facility": "mobility_data_center", "geometry": site,
                                              "crs": "EPSG:5186"}).json()
    area = next(r for r in body["rules"] if r["rule"] == "min_area")
    assert area["measured"] == pytest.approx(2500, abs=1e-6) and not area["passed"]


@pytest.mark.parametrize("crs", ["http://www.opengis.net/def/crs/EPSG/0/5186", "urn:ogc:def:crs:EPSG::5186",
                                 {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5186"}}])
def test_crs_named_as_ogc_uri_urn_or_crs_member(client, crs):
    site = {"type": "Polygon", "coordinates": [[[171400, 284900], [171450, 284900], [171450, 284950],
                                                 [171400, 284950], [171400, 284900]]]}
    resp = client.post("/siting/check", json={"facility": "mobility_data_center", "geometry": site, "crs": crs})
    assert resp.status_code == 200, resp.text
    area = next(r for r in resp.json()["rules"] if r["rule"] == "min_area")
    assert area["measured"] == pytest.approx(2500, abs=1e-6)


def test_unknown_facility_is_a_404_problem(client):
    resp = client.post("/siting/check", json={"facility": "space_port", "geometry": square(126.69, 35.15)})
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
    assert "space_port" in resp.json()["detail"] and "modular_factory" in resp.json()["detail"]
    assert client.get("/siting/feasible/space_port").status_code == 404


@pytest.mark.parametrize("geometry, crs, words", [
    ({"type": "Polygon", "coordinates": [[[126.69, 35.15], [126.70, 35.16], [126.70, 35.15], [126.69, 35.16],
                                          [126.69, 35.15]]]}, None, "Self-intersection"),
    ({"type": "Point", "coordinates": [126.69, 35.15]}, None, "Polygon or MultiPolygon"),
    (square(35.15, 126.69, 0.0005), None, "looks like (lat, lon)"),
    (square(139.69, 35.68), None, "outside Korea"),
    ({"type": "Polygon", "coordinates": [[[171400, 284900], [171450, 284900], [171450, 284950], [171400, 284900]]]},
     None, "EPSG:5186"),
    ({"type": "Polygon", "coordinates": [[[1, 2], [3]]]}, None, "do not form"),
    (square(126.69, 35.15), "EPSG:999999", "unknown crs"),
])
def test_invalid_geometry_is_a_422_problem_naming_the_fault(client, geometry, crs, words):
    body = {"facility": "modular_factory", "geometry": geometry, **({"crs": crs} if crs else {})}
    resp = client.post("/siting/check", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert words in resp.json()["detail"]


def test_nan_coordinates_are_refused(client):
    raw = ('{"facility": "modular_factory", "geometry": {"type": "Polygon", "coordinates": '
           '[[[126.69, 35.15], [NaN, 35.15], [126.70, 35.16], [126.69, 35.15]]]}}')
    resp = client.post("/siting/check", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 422 and "finite" in resp.json()["detail"]


def test_batch_error_names_the_feature(client, stored_sites):
    feats = [{"type": "Feature", "properties": {"facility": "modular_factory"}, "geometry": stored_sites["modular_factory"]["geometry"]},
             {"type": "Feature", "properties": {"facility": "modular_factory"}, "geometry": {"type": "Point", "coordinates": [126.69, 35.15]}}]
    resp = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats})
    assert resp.status_code == 422 and resp.json()["detail"].startswith("features[1].geometry")
    assert [(e["feature"], e["fault"]) for e in resp.json()["errors"]] == [(1, "wrong_geometry_type")]


def test_feature_properties_that_are_not_an_object_are_a_422(client):
    feats = [{"type": "Feature", "properties": ["modular_factory"], "geometry": square(126.69, 35.15)}]
    resp = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats})
    assert resp.status_code == 422 and "features[0] has no properties.facility" in resp.json()["detail"]


def test_more_than_100000_sites_in_one_request_is_a_413(client):
    resp = client.post("/siting/check", json={"type": "FeatureCollection", "features": [{}] * 100_001})
    assert resp.status_code == 413 and resp.headers["content-type"] == "application/problem+json"
    assert "100,001 features; at most 100,000" in resp.json()["detail"]


def test_feasible_region_is_lon_lat_geojson_with_its_area(client):
    resp = client.get("/siting/feasible/ai_semiconductor_cluster")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
    fc = resp.json()
    first = fc["features"][0]
    assert first["properties"]["role"] == "feasible_region" and first["properties"]["area_m2"] > 150_000
    assert first["properties"]["area_m2"] == pytest.approx(fc["summary"]["area_m2"])
    lon, lat = first["geometry"]["coordinates"][0][0][0]
    assert 126 < lon < 128 and 34 < lat < 36
    roles = {f["properties"]["role"] for f in fc["features"]}
    assert {"allowed_zone", "setback_band", "clearance_buffer", "existing_facility", "planned_site"} <= roles


def test_report_lists_every_stored_site(client):
    body = client.get("/siting/report").json()
    assert body["counts"]["sites"] == 7 and body["counts"]["passed"] + body["counts"]["failed"] == 7


def test_answers_name_the_facility_in_korean_and_english(client, stored_sites):
    names = {f["id"]: (f["name_ko"], f["name_en"]) for f in client.get("/siting/rules").json()["facilities"]}
    assert all(ko and en and ko != en for ko, en in names.values())
    for site in client.get("/siting/report").json()["sites"]:
        assert (site["name_ko"], site["name_en"]) == names[site["facility"]]
    feats = [{"type": "Feature", "id": f"s{i}", "properties": {"facility": fid}, "geometry": f["geometry"]}
             for i, (fid, f) in enumerate(stored_sites.items())]
    batch = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats}).json()
    assert [(b["id"], b["name_ko"], b["name_en"]) for b in batch] == [
        (f["id"], *names[f["properties"]["facility"]]) for f in feats]
    fc = client.get("/siting/feasible/certification_center").json()
    assert (fc["summary"]["name_ko"], fc["summary"]["name_en"]) == names["certification_center"]
    for f in fc["features"]:
        assert (f["properties"]["name_ko"], f["properties"]["name_en"]) == names["certification_center"]


def test_cli_report_shows_both_names_of_every_facility(client, capsys):
    assert main(["siting", "report"]) == 0
    out = capsys.readouterr().out
    for fac in client.get("/siting/rules").json()["facilities"]:
        assert f"{fac['name_ko']} · {fac['name_en']} ({fac['id']}): " in out


def test_cli_check_prints_the_rule_table_and_json(tmp_path, capsys, stored_sites):
    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(stored_sites["modular_factory"]["geometry"]), encoding="utf-8")
    assert main(["siting", "check", str(path), "--facility", "modular_factory"]) == 0
    out = capsys.readouterr().out
    assert "미래차 부품 모듈화 협동공장 · Future-car parts modular cooperative factory (modular_factory): PASS" in out
    assert "hall_fits" in out and "폭(최대 내접원 지름)" in out
    assert main(["siting", "check", str(path), "--facility", "auto_theme_park", "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body[0]["facility"] == "auto_theme_park" and body[0]["passed"] is False
    assert body[0]["name_ko"] and body[0]["name_en"]


def test_cli_report_and_errors(tmp_path, capsys):
    assert main(["siting", "report"]) == 0
    out = capsys.readouterr().out
    assert "of 7 stored sites pass" in out
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Point", "coordinates": [126.69, 35.15]}', encoding="utf-8")
    assert main(["siting", "check", str(bad), "--facility", "modular_factory"]) == 2
    assert "Polygon or MultiPolygon" in capsys.readouterr().err


@pytest.mark.parametrize("geometry", [
    square(35.15, 126.69),
    {"type": "Polygon", "coordinates": [[[171400, 284900], [171450, 284900], [171450, 284950], [171400, 284900]]]},
    {"type": "Polygon", "coordinates": [[[126.69, 35.15], [126.70, 35.16], [126.70, 35.15], [126.69, 35.16]]]},
    {"type": "Polygon", "coordinates": [[["126.69", "35.15"]] * 4]},
], ids=["lat, lon", "metres without crs", "bow-tie left open", "text coordinates"])
def test_cli_and_api_refuse_a_site_in_the_same_words(client, tmp_path, capsys, geometry):
    api = client.post("/siting/check", json={"facility": "modular_factory", "geometry": geometry})
    assert api.status_code == 422
    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(geometry), encoding="utf-8")
    assert main(["siting", "check", str(path), "--facility", "modular_factory"]) == 2
    assert capsys.readouterr().err.strip() == f"kizone: error: {path}: {api.json()['detail']}"


def test_feasible_features_carry_every_area_unit_and_whole_counts(client):
    fc = client.get("/siting/feasible/certification_center").json()
    assert {f["properties"]["role"] for f in fc["features"]} >= {"feasible_region", "allowed_zone", "planned_site"}
    for f in fc["features"]:
        p = f["properties"]
        m2 = p["area_m2"]
        assert m2 > 0
        assert p["area_ha"] == pytest.approx(m2 / 10_000) and p["area_km2"] == pytest.approx(m2 / 1_000_000)
        assert p["area_pyeong"] == pytest.approx(m2 * 121 / 400)
        assert type(p["parts"]) is int and p["parts"] >= 1
        g = f["geometry"]
        assert p["parts"] == (len(g["coordinates"]) if g["type"] == "MultiPolygon" else 1)
    assert type(fc["summary"]["parts"]) is int


def test_an_open_ring_is_refused_as_drafts_refuse_it(client):
    ring = [[126.6865, 35.1680], [126.6880, 35.1680], [126.6880, 35.1692], [126.6865, 35.1692]]  # no closing position
    geometry = {"type": "Polygon", "coordinates": [ring]}
    site = client.post("/siting/check", json={"facility": "certification_center", "geometry": geometry})
    assert site.status_code == 422 and site.headers["content-type"] == "application/problem+json"
    draft = client.post("/allocations/check", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"target_id": "fez_ai"}, "geometry": geometry}]})
    assert draft.status_code == 422 and draft.json()["errors"][0]["fault"] == "unclosed_ring"
    reason = draft.json()["errors"][0]["detail"]
    assert "ring 0 is not closed" in reason and "repeat the first position at the end" in reason
    assert site.json()["detail"] == f"geometry: {reason}"
    closed = client.post("/siting/check", json={"facility": "certification_center",
                                                "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}})
    assert closed.status_code == 200


def _bad_batch(stored_sites, n_bad):
    """A batch of one good site then `n_bad` faulty features of several kinds, some with ids."""
    good = {"type": "Feature", "id": "ok", "properties": {"facility": "modular_factory"},
            "geometry": stored_sites["modular_factory"]["geometry"]}
    kinds = [
        lambda i: {"type": "Feature", "id": f"p{i}", "properties": {"facility": "modular_factory"},
                   "geometry": {"type": "Point", "coordinates": [126.69, 35.15]}},
        lambda i: {"type": "Feature", "properties": {"facility": "modular_factory"}, "geometry": square(35.15, 126.69)},
        lambda i: {"type": "Feature", "id": i, "properties": {}, "geometry": square(126.69, 35.15)},
        lambda i: ["not", "a", "feature"],
    ]
    return [good] + [kinds[i % len(kinds)](i) for i in range(n_bad)]


def test_batch_lists_every_faulty_feature_in_one_problem(client, stored_sites):
    feats = _bad_batch(stored_sites, 4)
    resp = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats})
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["faulty_features"] == 4 and body["errors_not_listed"] == 0
    assert [(e["feature"], e["id"], e["fault"]) for e in body["errors"]] == [
        (1, "p0", "wrong_geometry_type"), (2, None, "swapped_lat_lon"), (3, "2", "no_facility"),
        (4, None, "not_a_feature")]
    # Each entry reads as the same feature alone would be refused.
    for e in body["errors"]:
        alone = client.post("/siting/check", json={"type": "FeatureCollection", "features": [feats[e["feature"]]]})
        assert alone.json()["detail"] == e["detail"].replace(f"features[{e['feature']}]", "features[0]")
    assert body["errors"][1]["location"] == [35.15 - 0.0005, 126.69 - 0.0005]
    assert body["detail"].startswith("4 of 5 features cannot be checked; the first: features[1].geometry")


def test_batch_fault_list_is_capped_and_counts_the_rest(client, stored_sites):
    feats = _bad_batch(stored_sites, 250)
    body = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats}).json()
    assert body["faulty_features"] == 250 and len(body["errors"]) == 100 and body["errors_not_listed"] == 150
    assert [e["feature"] for e in body["errors"]] == list(range(1, 101))


def test_cli_lists_every_faulty_feature_of_a_batch(client, tmp_path, capsys, stored_sites):
    feats = _bad_batch(stored_sites, 3)
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    api = client.post("/siting/check", json={"type": "FeatureCollection", "features": feats}).json()
    assert main(["siting", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"kizone: error: {path}: {api['detail']}"
    assert err[1:] == [f"  {e['detail']}" + (f" (id {e['id']})" if e["id"] is not None else "") for e in api["errors"]]


def test_the_documented_example_site_passes_every_rule(client):
    body = client.get("/openapi.json").json()["paths"]["/siting/check"]["post"]["requestBody"]
    examples = body["content"]["application/json"]["schema"]["examples"]
    assert examples
    for example in examples:
        resp = client.post("/siting/check", json=example)
        assert resp.status_code == 200, resp.text
        check = resp.json()
        assert check["passed"] and len(check["rules"]) >= 5, [r["message_en"] for r in check["rules"] if not r["passed"]]
        assert all(r["passed"] for r in check["rules"])
        ring = example["geometry"]["coordinates"][0]  # anticlockwise, as RFC 7946 asks of an exterior ring
        assert sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) > 0
