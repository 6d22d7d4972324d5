"""Uploaded zips are unpacked within limits: size, ratio and member count are checked from the
archive's directory before anything is unpacked; the API answers 413, the CLI one line."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, SettingError
from geodata import PLAN_FILE
from geodata.importers import ImportProblem, read_any
from geodata.safe_unzip import ZipLimits, directory_size
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy
from zones.errors import TooLarge

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def _shapefile(folder: Path, stem: str = "parcels") -> Path:
    geoms = [shapely.box(170000 + i * 200, 280000, 170000 + i * 200 + 150, 280150) for i in range(3)]
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"], "name_ko": ["가", "나", "다"]}, geometry=geoms, crs="EPSG:5186")
    path = folder / f"{stem}.shp"
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    return path


def _bomb(tmp_path: Path, padding_mib: int, name: str = "bomb.zip") -> Path:
    """A real Shapefile whose .dbf is followed by `padding_mib` MiB of blanks (GDAL reads its 3 records
    and ignores the rest): deflate packs the blanks about 1000:1."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    shp = _shapefile(src)
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in shp.parent.glob("parcels.*"):
            if part.suffix != ".dbf":
                zf.write(part, part.name)
        with zf.open("parcels.dbf", "w", force_zip64=True) as fh:
            fh.write(shp.with_suffix(".dbf").read_bytes())
            for _ in range(padding_mib):
                fh.write(b" " * MIB)
    return archive


def test_a_zip_over_the_unpacked_size_limit_is_refused_before_unpacking(tmp_path):
    archive = _bomb(tmp_path, 40)
    with pytest.raises(TooLarge) as caught:
        read_any(archive, zip_limits=ZipLimits(max_unzipped_bytes=16 * MIB))
    assert caught.value.code == "zip_too_large"
    assert "ZONES_MAX_UNZIPPED_MB" in str(caught.value) and "parcels.dbf 40.0 MiB" in str(caught.value)
    assert caught.value.facts["max_unzipped_mb"] == 16


def test_a_zip_that_expands_a_thousand_times_is_refused_under_the_default_limits(tmp_path):
    archive = _bomb(tmp_path, 64)
    assert archive.stat().st_size < MIB  # 64 MiB in well under 1 MiB
    with pytest.raises(TooLarge, match="ZONES_MAX_ZIP_RATIO") as caught:
        read_any(archive)
    assert caught.value.code == "zip_ratio_too_high" and caught.value.facts["ratio"] > 100


def test_too_many_members_are_refused_from_the_end_record(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(30):
            zf.writestr(f"f{i}.txt", "x")
    assert directory_size(archive)[0] == 30
    with pytest.raises(TooLarge, match="30 members.*ZONES_MAX_ZIP_MEMBERS"):
        read_any(archive, zip_limits=ZipLimits(max_members=20))


def test_a_zip_that_understates_a_size_unpacks_no_more_than_it_declares(tmp_path):
    _shapefile(tmp_path)
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in tmp_path.glob("parcels.*"):
            zf.writestr(part.name, part.read_bytes() + (b" " * 30 * MIB if part.suffix == ".dbf" else b""))
    data = bytearray(archive.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first entry of the member list
    while not data[entry + 46:].startswith(b"parcels.dbf"):
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (64 * 1024).to_bytes(4, "little")  # the directory says 64 KiB
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as zf:
        assert zf.getinfo("parcels.dbf").file_size == 64 * 1024
    with pytest.raises(ImportProblem, match="damaged"):
        read_any(archive)


def test_a_nested_zip_is_named_not_opened(tmp_path):
    inner = _bomb(tmp_path, 0, "inner.zip")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.zip")
    with pytest.raises(ImportProblem, match="1 zip file.*inner.zip.*send the inner zip"):
        read_any(outer)


def test_cp949_member_names_of_korean_windows_zips_are_decoded(tmp_path):
    _shapefile(tmp_path, "QZQZ")
    archive = tmp_path / "survey.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("QZQZ.*"):
            zf.write(part, part.name)
    # what Korean Windows tools write: the names in cp949 and the UTF-8 flag (bit 11) unset
    archive.write_bytes(archive.read_bytes().replace(b"QZQZ", "필지".encode("cp949")))
    with zipfile.ZipFile(archive) as zf:
        assert all(not i.flag_bits & 0x800 for i in zf.infolist())
    read = read_any(archive)
    assert read.source_name == "survey.zip!필지.shp" and len(read.gdf) == 3


def test_upload_of_a_bomb_is_413_naming_the_limits(tmp_path):
    settings = Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=(("alice", "s3cret"),),
                        zip_limits=ZipLimits(max_unzipped_bytes=8 * MIB))
    client = TestClient(create_app(settings))
    archive = _bomb(tmp_path, 20)
    before = GeoPackageStore(settings.store_path).layer_ids()
    r = client.post("/collections/parcels/import", headers={"Authorization": "Bearer s3cret"},
                    files={"file": ("bomb.zip", archive.read_bytes(), "application/zip")}, data={"strict": "true"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "ZONES_MAX_UNZIPPED_MB" in body["detail"] and body["max_unzipped_mb"] == 8
    assert body["code"] == "zip_too_large" and body["max_ratio"] == 100 and body["max_members"] == 1000
    assert GeoPackageStore(settings.store_path).layer_ids() == before


def test_kizone_import_honours_the_limit_and_says_it_in_one_line(tmp_path):
    store = store_copy(tmp_path)
    archive = _bomb(tmp_path, 12)
    env = dict(os.environ, ZONES_STORE=str(store), ZONES_MAX_UNZIPPED_MB="4")
    r = subprocess.run([sys.executable, "-m", "cli.main", "import", str(archive), "--layer", "parcels", "--strict",
                        "--report", str(tmp_path / "r.json")], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "ZONES_MAX_UNZIPPED_MB" in lines[0] and "Traceback" not in r.stderr
    assert "parcels" not in GeoPackageStore(store).layer_ids()


@pytest.mark.parametrize("name, value", [("ZONES_MAX_UNZIPPED_MB", "big"), ("ZONES_MAX_ZIP_RATIO", "0"),
                                         ("ZONES_MAX_ZIP_RATIO", "inf"), ("ZONES_MAX_ZIP_MEMBERS", "1.5")])
def test_a_bad_limit_stops_the_server_start_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=name):
        Settings.from_env()


def test_the_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZONES_MAX_UNZIPPED_MB", "2.5")
    monkeypatch.setenv("ZONES_MAX_ZIP_RATIO", "40")
    monkeypatch.setenv("ZONES_MAX_ZIP_MEMBERS", "50")
    assert ZipLimits.from_env() == ZipLimits(int(2.5 * MIB), 40.0, 50)
