"""Reading Shapefiles (cp949, zipped), GeoPackages and GeoJSON, and refusing garbage."""
from __future__ import annotations

import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geodata.importers import ImportProblem, read_any
from geodata.layer_import import ImportOptions, import_file
from geodata.store import GeoPackageStore
from tests.write_helpers import store_copy

NAMES = ["미래차 부품 생산 기업단지", "광산구 오운동 지원시설", "빛그린 인프라"]


def _korean_parcels() -> gpd.GeoDataFrame:
    geoms = [shapely.box(170000 + i * 200, 280000, 170000 + i * 200 + 150, 280150) for i in range(3)]
    return gpd.GeoDataFrame({"id": ["a", "b", "c"], "name_ko": NAMES, "use": ["support"] * 3},
                            geometry=geoms, crs="EPSG:5186")


@pytest.fixture()
def cp949_shp(tmp_path):
    path = tmp_path / "parcels_cp949.shp"
    pyogrio.write_dataframe(_korean_parcels(), path, encoding="cp949")
    raw = (tmp_path / "parcels_cp949.dbf").read_bytes()
    assert NAMES[0].encode("cp949") in raw  # really cp949 bytes on disk, not UTF-8
    return path


def test_cp949_shapefile_decoded_from_cpg(cp949_shp):
    read = read_any(cp949_shp)
    assert read.encoding == "cp949" and list(read.gdf["name_ko"]) == NAMES


def test_cp949_shapefile_without_cpg_needs_encoding(cp949_shp):
    cp949_shp.with_suffix(".cpg").unlink()
    with pytest.raises(ImportProblem, match="--encoding cp949"):
        read_any(cp949_shp)
    read = read_any(cp949_shp, encoding="euc-kr")
    assert list(read.gdf["name_ko"]) == NAMES


def test_zipped_shapefile_imports_into_store(cp949_shp, tmp_path):
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("parcels_cp949.*"):
            zf.write(part, f"survey/{part.name}")
    store = GeoPackageStore(store_copy(tmp_path))
    result = import_file(store, archive, ImportOptions(layer="parcels", token_name="gis"))
    assert result.accepted and result.revision.source_file == "parcels.zip!parcels_cp949.shp"
    stored = store.read("parcels")
    assert list(stored["name_ko"]) == NAMES and stored.crs.to_epsg() == 5186
    assert stored.geometry.area.round(3).tolist() == [22500.0] * 3


def test_geopackage_with_several_layers_needs_source_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(_korean_parcels(), path, layer="first")
    pyogrio.write_dataframe(_korean_parcels().iloc[:1], path, layer="second", append=False)
    with pytest.raises(ImportProblem, match="name the one to import"):
        read_any(path)
    assert len(read_any(path, source_layer="second").gdf) == 1


@pytest.mark.parametrize("name,content,match", [
    ("junk.zip", b"PK\x03\x04 not really", "not a readable zip"),
    ("junk.gpkg", b"SQLite format 3\x00 garbage", "not a readable GeoPackage"),
    ("junk.geojson", b"{\"type\": \"FeatureCollection\", \"features\": [", "not valid JSON"),
    ("junk.geojson", b"{\"type\": \"Feature\"}", "FeatureCollection is expected"),
    ("junk.dwg", b"AC1027", "unsupported file type"),
    ("junk.shp", b"\x00" * 100, "not a readable Shapefile"),
])
def test_garbage_files_are_refused_with_a_reason(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportProblem, match=match):
        read_any(path)


def test_empty_zip_is_refused(tmp_path):
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(ImportProblem, match="holds no .shp"):
        read_any(archive)
