"""A Shapefile that lost its attributes or its CRS on the way is not imported as if nothing happened."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from geodata.layer_import import ImportOptions, import_file
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

AUTH = {"Authorization": "Bearer s3cret"}


def _parts(folder: Path) -> dict[str, bytes]:
    geoms = [shapely.box(170000 + i * 200, 280000, 170000 + i * 200 + 150, 280150) for i in range(3)]
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"], "use": ["support"] * 3}, geometry=geoms, crs="EPSG:5186")
    pyogrio.write_dataframe(gdf, folder / "parcels.shp", encoding="UTF-8")
    return {p.suffix: p.read_bytes() for p in folder.glob("parcels.*")}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for suffix, data in parts.items():
            zf.writestr(f"parcels{suffix}", data)
    return out.getvalue()


@pytest.fixture()
def client(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),))
    return TestClient(create_app(settings))


def _upload(client, data: bytes, strict: bool):
    return client.post("/collections/parcels/import", headers=AUTH, data={"strict": str(strict).lower()},
                       files={"file": ("parcels.zip", data, "application/zip")})


@pytest.mark.parametrize("damage, words", [
    (lambda parts: parts.pop(".dbf"), "no .dbf beside the .shp"),
    (lambda parts: parts.update({".dbf": b"not a table" * 5}), "is not a readable dBASE table"),
])
def test_lost_attributes_refuse_a_strict_upload_and_are_an_error_otherwise(client, tmp_path, damage, words):
    parts = _parts(tmp_path)
    damage(parts)
    refused = _upload(client, _zip(parts), strict=True)
    assert refused.status_code == 422 and words in refused.json()["detail"]
    assert "parcels" not in client.get("/collections").text
    accepted = _upload(client, _zip(parts), strict=False)
    assert accepted.status_code == 200, accepted.text
    findings = accepted.json()["report"]["validation"]["findings"]
    lost = [f for f in findings if f["kind"] == "attributes_lost"]
    assert len(lost) == 1 and lost[0]["severity"] == "error" and words in lost[0]["message"]
    assert accepted.json()["report"]["validation"]["errors"] >= 1
    assert words in accepted.json()["summary"]


def test_a_whole_shapefile_has_no_such_finding(client, tmp_path):
    r = _upload(client, _zip(_parts(tmp_path)), strict=True)
    assert r.status_code == 200, r.text
    assert r.json()["report"]["validation"]["errors"] == 0


def test_a_garbage_prj_is_named_unreadable_not_missing(tmp_path):
    _parts(tmp_path)
    (tmp_path / "parcels.prj").write_text("GARBAGE PROJECTION")
    store = GeoPackageStore(store_copy(tmp_path, "s.gpkg"))
    result = import_file(store, tmp_path / "parcels.shp", ImportOptions(layer="parcels"))
    assert not result.accepted
    text = " ".join(result.refused_because)
    assert "parcels.prj" in text and "not a CRS definition" in text and "GARBAGE" in text and "no .prj" not in text
    assert "--crs EPSG:5186" in text
    given = import_file(store, tmp_path / "parcels.shp", ImportOptions(layer="parcels", crs="EPSG:5186"))
    assert given.accepted and any("not a CRS definition" in n for n in given.report["notes"])
