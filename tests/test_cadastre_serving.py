"""The imported cadastral map served: items by bbox (reading only the row groups a bbox meets), vector
tiles (OGC API - Tiles, MVT) and the web map that draws them, in headless Chromium against uvicorn."""
from __future__ import annotations

import io
import math
import os
import shutil
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.local_server import running_uvicorn
from api.settings import Settings
from geodata import DEFAULT_STORE
from geodata.cadastre import dataset, generate
from geodata.cadastre.bbox_reader import ParcelIndexes
from geodata.cadastre.dataset import dataset_root, partition_files
from geodata.cadastre.importer import import_parcels
from geodata.cadastre.vector_tiles import MIN_PARCEL_ZOOM, tile_bounds
from maps.assets import vectorgrid_path
from zones.crs import LON_LAT, METRIC, transformer

N = 20_000
ROW_GROUP = 500  # small row groups, so that a bbox read can be seen to skip most of them
BROWSER_SIZE = (900, 700)
TILES = "/collections/cadastre/tiles/WebMercatorQuad"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cadastre-serving")
    lots = generate.lots(N, "29", seed=11)
    path = generate.write_zip(lots, folder / "in", "29", "202411")
    store = folder / "store.gpkg"
    shutil.copy(DEFAULT_STORE, store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dataset, "ROW_GROUP", ROW_GROUP)
        import_parcels([path], store, progress_stream=io.StringIO())
    return store


@pytest.fixture(scope="module")
def everything(store) -> gpd.GeoDataFrame:
    return pd.concat([gpd.read_parquet(f) for f in partition_files(dataset_root(store))], ignore_index=True)


@pytest.fixture(scope="module")
def client(store) -> TestClient:
    settings = Settings.from_env()
    return TestClient(create_app(Settings(**{**settings.__dict__, "store_path": store})))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return row, col


def centre_lonlat(everything: gpd.GeoDataFrame, k: int) -> tuple[float, float]:
    x, y = everything.geometry.values[k].representative_point().coords[0]
    return transformer(METRIC, LON_LAT).transform(x, y)


def test_a_small_bbox_reads_only_the_row_groups_it_meets(store, everything):
    index = ParcelIndexes(dataset_root(store)).current()
    groups = sum(len(p.group_rows) for p in index.partitions)
    assert groups >= N // ROW_GROUP  # the dataset really has many row groups to skip
    x, y = everything.geometry.values[N // 3].representative_point().coords[0]
    box = (x - 150, y - 150, x + 150, y + 150)
    frame, read = index.read(box)
    expected = everything[shapely.intersects(everything.geometry.values, shapely.box(*box))]
    assert sorted(frame["pnu"]) == sorted(expected["pnu"]) and len(frame) > 0
    assert read.files == 1 and read.row_groups <= 4, read  # of 40+ row groups in 5 files
    assert read.rows_scanned <= 4 * ROW_GROUP and read.rows_decoded < read.rows_scanned


def test_cadastre_is_listed_only_where_a_dataset_was_imported(client):
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert "cadastre" in ids
    bare = TestClient(create_app())
    assert "cadastre" not in [c["id"] for c in bare.get("/collections").json()["collections"]]
    answer = bare.get("/collections/cadastre/items?bbox=126.8,35.1,126.9,35.2")
    assert answer.status_code == 404 and "kizone import-parcels" in answer.json()["detail"]
    doc = client.get("/collections/cadastre").json()
    lon0, lat0, lon1, lat1 = doc["extent"]["spatial"]["bbox"][0]
    assert 126.5 < lon0 < lon1 < 127.1 and 35.0 < lat0 < lat1 < 35.3
    assert any(link["href"].endswith("/collections/cadastre/tiles") for link in doc["links"])


def test_items_by_bbox_in_crs84_and_in_5186_are_the_parcels_that_intersect_it(client, everything):
    lon, lat = centre_lonlat(everything, N // 2)
    bbox = (lon - 0.004, lat - 0.003, lon + 0.004, lat + 0.003)
    answer = client.get("/collections/cadastre/items", params={"bbox": ",".join(map(str, bbox)), "limit": 10000})
    assert answer.status_code == 200
    got = answer.json()
    metric = transformer(LON_LAT, METRIC).transform_bounds(*bbox, densify_pts=21)
    expected = everything[shapely.intersects(everything.geometry.values, shapely.box(*metric))]
    assert got["numberMatched"] == len(expected) == got["numberReturned"] > 10
    assert {f["id"] for f in got["features"]} == set(expected["pnu"])
    first = got["features"][0]
    assert set(first["properties"]) >= {"pnu", "jibun", "jimok", "land_use", "sigungu"}
    assert 126 < first["geometry"]["coordinates"][0][0][0] < 128  # lon first in CRS84
    assert "row-groups=" in answer.headers["x-parcels-read"]
    # The same box in EPSG:5186, north-east order as that CRS defines it
    x0, y0, x1, y1 = metric
    in_5186 = client.get("/collections/cadastre/items", params={
        "bbox": f"{y0},{x0},{y1},{x1}", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/5186", "limit": 10000})
    assert {f["id"] for f in in_5186.json()["features"]} == set(expected["pnu"])


def test_items_page_through_a_bbox_and_the_whole_dataset(client, everything):
    lon, lat = centre_lonlat(everything, N // 4)
    bbox = f"{lon - 0.004},{lat - 0.003},{lon + 0.004},{lat + 0.003}"
    seen, url, pages = [], f"/collections/cadastre/items?bbox={bbox}&limit=7", 0
    while url and pages < 100:
        page = client.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next" and lk["type"] == "application/geo+json"), None)
        pages += 1
    assert len(seen) == len(set(seen)) == page["numberMatched"] and pages > 2
    tail = client.get("/collections/cadastre/items", params={"limit": 3, "offset": N - 2})
    body = tail.json()
    assert body["numberMatched"] == N and body["numberReturned"] == 2
    assert not any(lk["rel"] == "next" for lk in body["links"])
    assert tail.headers["x-parcels-read"].startswith("files=1; row-groups=1;")  # only the group holding them
    one = client.get(f"/collections/cadastre/items/{body['features'][0]['id']}").json()
    assert one["id"] == body["features"][0]["id"] and one["properties"]["pnu"] == one["id"]
    assert client.get("/collections/cadastre/items/2911010100199999999").status_code == 404


def test_items_refuse_what_they_cannot_answer(client):
    for params, status in (({"bbox": "1,2,3"}, 400), ({"bbox": "126.9,35.2,126.8,35.1"}, 400),
                           ({"within": "plan:fez_total"}, 400), ({"crs": "EPSG:3857"}, 400), ({"f": "xml"}, 400)):
        answer = client.get("/collections/cadastre/items", params=params)
        assert answer.status_code == status, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_items_as_html_are_escaped_tables(client, everything):
    lon, lat = centre_lonlat(everything, 5)
    page = client.get("/collections/cadastre/items", params={"bbox": f"{lon - 0.002},{lat - 0.002},{lon + 0.002},{lat + 0.002}",
                                                             "f": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<table>" in page.text and "JIBUN" in page.text and "<script" not in page.text


def decode(tile: bytes) -> dict:
    return mapbox_vector_tile.decode(tile, default_options={"y_coord_down": True})


def test_a_parcel_tile_holds_the_parcels_of_its_area_with_pnu_jimok_jibun(client, everything):
    lon, lat = centre_lonlat(everything, N // 2)
    z = 16
    row, col = tile_of(lon, lat, z)
    answer = client.get(f"{TILES}/{z}/{row}/{col}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = decode(answer.content)
    assert list(layers) == ["parcels"]
    features = layers["parcels"]["features"]
    bounds = transformer("EPSG:3857", METRIC).transform_bounds(*tile_bounds(z, row, col), densify_pts=21)
    inside = everything[shapely.within(everything.geometry.values.representative_point(), shapely.box(*bounds))]
    pnus = {f["properties"]["PNU"] for f in features}
    assert set(inside["pnu"]) <= pnus and len(inside) > 0  # every parcel of the tile, plus the edge buffer's
    by_pnu = everything.set_index("pnu")
    for f in features[:50]:
        p = f["properties"]
        assert p["JIBUN"] == by_pnu.at[p["PNU"], "jibun"] and p["JIMOK"] == by_pnu.at[p["PNU"], "jimok"]
        assert f["id"] == int(p["PNU"]) and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        ring = np.array(f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon"
                        else f["geometry"]["coordinates"][0][0])
        assert (ring >= -64).all() and (ring <= 4096 + 64).all()


def test_our_encoder_writes_what_an_independent_decoder_reads_back():
    from geodata.cadastre import mvt

    shell = [(10, 10), (10, 200), (300, 200), (300, 10)]
    hole = [(50, 50), (100, 50), (100, 100), (50, 100)]
    geoms = np.array([shapely.Polygon(shell, [hole]),
                      shapely.MultiPolygon([shapely.box(400, 400, 500, 450), shapely.box(600, 600, 700, 700)]),
                      shapely.box(-64, 4000, 4160, 4160)], dtype=object)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    layer = mvt.polygon_layer("parcels", geoms, {"PNU": ["2911010100100010000", "2911010100100020000", "x"],
                                                 "JIMOK": ["대", "대", "도"], "n": [1, 300, 70000]},
                              ids=np.array([2911010100100010000, 2911010100100020000, 7]))
    decoded = decode(mvt.tile([layer]))["parcels"]
    assert decoded["extent"] == 4096 and len(decoded["features"]) == 3
    for f, g in zip(decoded["features"], geoms):
        assert shapely.geometry.shape(f["geometry"]).equals(g)
    assert [f["id"] for f in decoded["features"]] == [2911010100100010000, 2911010100100020000, 7]
    assert [f["properties"] for f in decoded["features"]] == [
        {"PNU": "2911010100100010000", "JIMOK": "대", "n": 1}, {"PNU": "2911010100100020000", "JIMOK": "대", "n": 300},
        {"PNU": "x", "JIMOK": "도", "n": 70000}]
    assert mvt.tile([b""]) == b""


def test_low_zoom_tiles_carry_the_density_grid_whose_counts_add_up(client):
    world = decode(client.get(f"{TILES}/0/0/0").content)
    assert list(world) == ["parcel_density"]
    assert sum(f["properties"]["parcels"] for f in world["parcel_density"]["features"]) == N
    lon, lat = 126.85, 35.16
    z = MIN_PARCEL_ZOOM - 1
    row, col = tile_of(lon, lat, z)
    assert list(decode(client.get(f"{TILES}/{z}/{row}/{col}").content)) == ["parcel_density"]
    assert list(decode(client.get(f"{TILES}/{z + 1}/{row * 2}/{col * 2}").content) or {"parcels": 0}) == ["parcels"]


def test_tile_addresses_outside_the_grid_or_the_data(client):
    assert client.get(f"{TILES}/16/0/0").status_code == 204  # no parcel there: no content
    for path, status, words in ((f"{TILES}/23/0/0", 404, "zooms 0 to 22"), (f"{TILES}/3/8/0", 404, "rows and columns 0 to 7"),
                                (f"{TILES}/a/0/0", 400, "whole number"), (f"{TILES}/3/-1/0", 400, "whole number"),
                                ("/collections/cadastre/tiles/WorldCRS84Quad/1/0/0", 404, "WebMercatorQuad")):
        answer = client.get(path)
        assert answer.status_code == status and words in answer.json()["detail"], (path, answer.text)
    meta = client.get(f"{TILES}").json()
    assert any(lk["rel"] == "item" and lk["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}") for lk in meta["links"])
    assert [layer["minTileMatrix"] for layer in meta["layers"]] == [str(MIN_PARCEL_ZOOM), "0"]
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][1]["matrixWidth"] == 2 and tms["crs"].endswith("/3857")
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in client.get("/conformance").json()["conformsTo"]


def test_a_reimport_is_served_at_once_not_the_cached_tiles(tmp_path):
    lots = generate.lots(3000, "29", seed=5)
    store = tmp_path / "store.gpkg"
    shutil.copy(DEFAULT_STORE, store)
    import_parcels([generate.write_zip(lots, tmp_path / "a", "29", "202401")], store, progress_stream=io.StringIO())
    app = TestClient(create_app(Settings(**{**Settings.from_env().__dict__, "store_path": store})))
    count = lambda: sum(f["properties"]["parcels"] for f in decode(app.get(f"{TILES}/0/0/0").content)["parcel_density"]["features"])  # noqa: E731
    assert count() == 3000
    import_parcels([generate.write_zip(lots.iloc[:1000], tmp_path / "b", "29", "202402")], store,
                   progress_stream=io.StringIO())
    assert count() == 1000


@pytest.fixture(scope="module")
def server_url(store):
    with running_uvicorn(env={**os.environ, "ZONES_STORE": str(store)}) as url:
        yield url


def test_the_cadastral_web_map_draws_parcels_from_the_tiles_offline(browser, server_url, everything):
    if not vectorgrid_path().is_file():
        pytest.skip(f"Leaflet.VectorGrid is not installed at {vectorgrid_path()} (make install runs npm)")
    result = browser.open(f"{server_url}/maps/cadastre")
    assert not result.errors, result.errors
    assert result.remote_requests == []
    lon, lat = centre_lonlat(everything, N // 2)
    browser.evaluate(f"kizoneMap.map.setView([{lat}, {lon}], 17, {{animate: false}}); 1")
    browser._wait_for("document.querySelectorAll('.leaflet-tile-container svg path, svg.leaflet-tile path').length > 20")
    drawn = browser.evaluate("document.querySelectorAll('.leaflet-tile-container svg path, svg.leaflet-tile path').length")
    tiles = [u for u in browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
             if "/collections/cadastre/tiles/WebMercatorQuad/17/" in u]
    assert drawn > 20 and tiles and all(u.startswith(server_url) for u in tiles)
    zoomed_out = browser.evaluate(f"kizoneMap.map.setView([{lat}, {lon}], 10, {{animate: false}}); 1")
    assert zoomed_out == 1
    browser._wait_for("performance.getEntriesByType('resource').some(e => e.name.includes('/WebMercatorQuad/10/'))")


def test_the_cadastre_collection_is_read_only_and_its_id_is_no_layer_id(store):
    writer = TestClient(create_app(Settings(**{**Settings.from_env().__dict__, "store_path": store,
                                               "write_tokens": (("gis", "secret"),)})))
    options = writer.options("/collections/cadastre/items")
    assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, OPTIONS"
    refused = writer.put("/collections/cadastre/items", json={"type": "FeatureCollection", "features": []},
                         headers={"Authorization": "Bearer secret"})
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS", refused.text
    assert "kizone import-parcels" in refused.json()["detail"]
    from geodata.store import InvalidLayerId, check_layer_id

    with pytest.raises(InvalidLayerId):
        check_layer_id("cadastre")


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian gdal-bin) is not installed")
def test_gdal_reads_the_cadastre_collection_by_bbox(server_url, everything):
    import subprocess

    lon, lat = centre_lonlat(everything, N // 3)
    box = (lon - 0.003, lat - 0.002, lon + 0.003, lat + 0.002)
    done = subprocess.run(["ogrinfo", "-ro", "-q", "-spat", *map(str, box), "OAPIF:" + server_url, "cadastre"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    metric = transformer(LON_LAT, METRIC).transform_bounds(*box, densify_pts=21)
    expected = everything[shapely.intersects(everything.geometry.values, shapely.box(*metric))]
    assert done.stdout.count("OGRFeature(cadastre)") == len(expected) > 0
    assert f"pnu (String) = {expected['pnu'].iloc[0]}" in done.stdout
