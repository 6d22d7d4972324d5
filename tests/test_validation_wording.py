"""Requests FastAPI cannot validate are answered in plain words, with the faults still listed."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from tests.write_helpers import store_copy


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


@pytest.mark.parametrize("path", ["/siting/check", "/allocations/check"])
@pytest.mark.parametrize("headers", [{"content-type": "application/json"}, {}], ids=["json", "no type"])
def test_an_empty_body_is_the_same_422_on_both_check_endpoints(client, path, headers):
    body = _problem(client.post(path, content=b"", headers=headers), 422)
    assert body["detail"].startswith("the request body is empty")
    assert "Field required" not in body["detail"]


def test_an_empty_siting_body_says_what_to_send(client):
    body = _problem(client.post("/siting/check", content=b"", headers={"content-type": "application/json"}), 422)
    assert '"facility"' in body["detail"] and "FeatureCollection" in body["detail"]
    assert body["code"] == "invalid_json"


def test_a_siting_body_that_is_not_json_names_the_line_and_column(client):
    raw = b'{"facility": "certification_center",\n  "geometry": {type: 1}}'
    body = _problem(client.post("/siting/check", content=raw, headers={"content-type": "application/json"}), 422)
    assert body["detail"] == ("the request body is not valid JSON (line 2, column 16: "
                              "Expecting property name enclosed in double quotes)")
    assert "decode error" not in body["detail"] and body["code"] == "invalid_json"


def test_both_check_endpoints_name_the_json_fault_the_same_way(client):
    raw = b"{bad"
    siting = _problem(client.post("/siting/check", content=raw, headers={"content-type": "application/json"}), 422)
    drafts = _problem(client.post("/allocations/check", content=raw, headers={"content-type": "application/json"}), 422)
    assert siting["detail"] == drafts["detail"] and "line 1, column 2" in siting["detail"]


def test_an_import_without_a_file_asks_for_the_file_field(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),))
    client = TestClient(create_app(settings))
    response = client.post("/collections/parcels/import", data={"crs": "EPSG:5186"},
                           headers={"Authorization": "Bearer s3cret"})
    body = _problem(response, 400)
    assert body["detail"] == "the upload needs a file field named 'file' (multipart/form-data)"
    assert body["errors"] == [{"where": "body.file", "problem": body["detail"]}]


def test_a_bad_query_parameter_stays_400_and_names_the_parameter(client):
    body = _problem(client.get("/collections/fez_districts/items", params={"limit": "ten"}), 400)
    assert "limit" in body["detail"] and body["errors"][0]["where"] == "query.limit"


def test_missing_form_fields_are_told_apart_from_a_missing_file():
    from fastapi import FastAPI, File, Form, UploadFile
    from api.problems import install_problem_handlers
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/upload")
    def upload(survey: UploadFile = File(...), note: str = Form(...)) -> dict:
        return {}

    body = _problem(TestClient(app).post("/upload", data={"other": "1"}), 400)
    assert [e["problem"] for e in body["errors"]] == [
        "the upload needs a file field named 'survey' (multipart/form-data)",
        "the form needs a field named 'note' (multipart/form-data)"]
