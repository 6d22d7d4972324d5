"""The checks at scale over the cadastral dataset: land use and statutory ratios by complex, the
parcels of every plan target's zone, the PNU cross-check; Dask gives the in-memory numbers, the zone
areas are the exact intersections, the API gives the CLI's numbers."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from cli.main import main
from geodata import DEFAULT_STORE, PLAN_FILE
from geodata.cadastre import generate
from geodata.cadastre.checks import _tasks, complex_checks, plan_zones, read_parcels, zone_parcels
from geodata.cadastre.dataset import dataset_root, partition_files
from geodata.cadastre.documents import crosscheck_document, shares_document
from geodata.cadastre.engine import dask_client
from geodata.cadastre.importer import import_parcels
from geodata.cadastre.jimok import load_jimok_classes, load_statutory_uses
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.statutory_file import statutory_complexes
from geodata.store import GeoPackageStore

N = 30_000


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("checks")
    path = folder / "store.gpkg"
    shutil.copy(DEFAULT_STORE, path)
    zipped = generate.write_zip(generate.lots(N, "29", seed=11), folder / "in", "29", "202411")
    import_parcels([zipped], path, progress_stream=io.StringIO())
    return path


@pytest.fixture(scope="module")
def provider(store) -> LayerProvider:
    return LayerProvider(GeoPackageStore(store).require())


@pytest.fixture(scope="module")
def plan():
    return load_plan(PLAN_FILE)


@pytest.fixture(scope="module")
def client():
    """Two worker processes, so every task and its arguments really travel to another process."""
    with dask_client(n_workers=2, processes=True, threads_per_worker=1) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


@pytest.fixture(scope="module")
def parcels(store) -> gpd.GeoDataFrame:
    return pd.concat([gpd.read_parquet(f) for f in partition_files(dataset_root(store))], ignore_index=True)


def test_zone_parcels_on_dask_are_those_in_memory_and_the_exact_intersections(store, provider, plan, client, parcels):
    root = dataset_root(store)
    zones, missing = plan_zones(provider, plan)
    assert {m["zone"] for m in missing} == {"sobujang_zone", "jingok_complex", "jeonju_aging_core_2"}
    memory = zone_parcels(root, zones)
    distributed = zone_parcels(root, zones, client)
    pd.testing.assert_frame_equal(memory, distributed)
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    met = 0
    for z in zones:  # independently: every parcel meeting the zone, intersected with it
        cand = tree.query(z.geometry)
        area = shapely.area(shapely.intersection(geoms[cand], z.geometry))
        expected = pd.Series(area[area > 0], index=parcels["pnu"].to_numpy()[cand][area > 0]).sort_index()
        got = memory[memory["zone"] == z.id].set_index("pnu")["area_in_zone_m2"].sort_index()
        assert list(got.index) == list(expected.index), z.id
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=0.01)
        met += len(got) > 0
    assert met >= 15  # Gwangju's zones hold parcels; Jeonju's lie outside this 시도's dataset
    crossing = memory[~memory["whole"]]
    assert len(crossing) and (crossing["area_in_zone_m2"] < crossing["area_m2"]).all()
    whole = memory[memory["whole"]]
    np.testing.assert_array_equal(whole["area_in_zone_m2"], whole["area_m2"])


def test_only_the_partitions_whose_bounds_meet_a_zone_are_read(store, provider, plan):
    files = [str(f) for f in partition_files(dataset_root(store))]
    zones, _ = plan_zones(provider, plan, ["fez_ai"])
    tasks = _tasks(files, zones)
    assert 1 <= len(tasks) < len(files)
    path, mine = tasks[0]
    assert mine == zones
    near, whole = read_parcels(path, ["pnu", "geometry"], mine), read_parcels(path, ["pnu", "geometry"])
    assert 0 < len(near) < len(whole) / 4  # only the rows whose bbox meets the zone's are decoded
    meets = shapely.intersects(shapely.box(*zones[0].geometry.bounds), whole.geometry.values)
    assert set(whole["pnu"][meets]) <= set(near["pnu"])


def test_shares_and_statutory_ratios_by_complex_on_dask_are_those_in_memory(store, provider, plan, client, parcels):
    root = dataset_root(store)
    memory = complex_checks(root, provider, plan)
    distributed = complex_checks(root, provider, plan, client)
    assert memory.shares[["complex_id", "land_use", "parcels"]].equals(distributed.shares[["complex_id", "land_use", "parcels"]])
    np.testing.assert_allclose(distributed.shares["area_m2"], memory.shares["area_m2"], rtol=1e-12, atol=0.01)
    assert [(r.complex_id, r.rule_id, r.status, r.parcels) for r in memory.statutory] == \
        [(r.complex_id, r.rule_id, r.status, r.parcels) for r in distributed.statutory]
    np.testing.assert_allclose([r.measured or 0 for r in memory.statutory],
                               [r.measured or 0 for r in distributed.statutory], rtol=1e-12)
    # independently: the parcels whose inner point lies in Cheomdan 3, their 지목 and areas
    complexes, _ = statutory_complexes(provider, plan)
    cx = next(c for c in complexes if c.id == "cheomdan3")
    inner = shapely.point_on_surface(np.asarray(parcels.geometry.values, dtype=object))
    mine = parcels[shapely.contains(cx.geometry, inner)]
    area = mine.geometry.area
    uses = mine["jimok"].map(load_statutory_uses())
    green = next(r for r in memory.statutory if r.complex_id == "cheomdan3" and r.rule_id == "green_ratio")
    assert green.parcels == len(mine) > 50
    assert green.measured == pytest.approx(area[uses == "green"].sum() / area.sum() * 100, rel=1e-12)
    industrial = next(r for r in memory.statutory if r.complex_id == "cheomdan3" and r.rule_id == "industrial_share")
    saleable = uses.isin(["industrial", "support"])
    assert industrial.measured == pytest.approx(area[uses == "industrial"].sum() / area[saleable].sum() * 100, rel=1e-12)
    classes = mine["jimok"].map(load_jimok_classes())
    shares = memory.shares[memory.shares["complex_id"] == "cheomdan3"].set_index("land_use")
    np.testing.assert_allclose(shares["area_m2"], area.groupby(classes).sum().sort_index(), rtol=1e-12)
    jeonju = [r for r in memory.statutory if r.complex_id.startswith("jeonju")]
    assert jeonju and {r.status for r in jeonju} == {"no data"}  # not in this 시도's dataset


def test_sigungu_shares_and_crosscheck_documents_on_dask_are_those_in_memory(store, provider, plan, client):
    root = dataset_root(store)
    memory, distributed = shares_document(root, "sigungu", provider, plan), shares_document(root, "sigungu", provider, plan, client)
    assert [(r["sigungu"], r["land_use"], r["parcels"]) for r in memory["rows"]] == \
        [(r["sigungu"], r["land_use"], r["parcels"]) for r in distributed["rows"]]
    np.testing.assert_allclose([r["area_m2"] for r in memory["rows"]], [r["area_m2"] for r in distributed["rows"]],
                               rtol=1e-12, atol=0.01)
    assert crosscheck_document(root) == crosscheck_document(root, client)


def test_the_api_gives_the_numbers_of_the_cli(store, capsys, monkeypatch):
    from api.app import create_app

    monkeypatch.setenv("ZONES_STORE", str(store))
    api = TestClient(create_app())
    for cli_args, url in ((["shares", "--by", "complex"], "/parcels/shares?by=complex"),
                          (["zones", "fez_ai", "fcsc_total"], "/parcels/zones?target=fez_ai,fcsc_total"),
                          (["crosscheck"], "/parcels/crosscheck")):
        assert main(["parcels", *cli_args, "--engine", "memory", "--format", "json", "--store", str(store)]) == 0
        cli = json.loads(capsys.readouterr().out)
        answer = api.get(url)
        assert answer.status_code == 200, answer.text
        assert answer.json() == cli, url
    zones = api.get("/parcels/zones?target=fez_ai")
    assert zones.json()["zones"][0]["parcels"] == len(zones.json()["parcels"]) > 0
    csv = api.get("/parcels/zones?target=fez_ai&f=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "zone,pnu,sigungu,jimok,land_use,area_m2,area_in_zone_m2,whole"
    assert len(lines) == 1 + len(zones.json()["parcels"])
    statutory = api.get("/parcels/shares?by=complex&f=csv&table=statutory").text.lstrip("\ufeff").splitlines()
    assert statutory[0].startswith("complex_id,") and len(statutory) == 1 + len(api.get("/parcels/shares?by=complex").json()["statutory"])
    page = api.get("/parcels/shares?by=complex&f=html")
    assert page.headers["content-type"].startswith("text/html") and "green_ratio" in page.text
    assert api.get("/parcels/zones?target=no_such_target").status_code == 400
    assert api.get("/parcels/shares?by=dong").status_code == 400


def test_without_a_dataset_the_api_answers_a_clear_404(tmp_path, monkeypatch):
    from api.app import create_app

    store = tmp_path / "bare.gpkg"
    shutil.copy(DEFAULT_STORE, store)
    monkeypatch.setenv("ZONES_STORE", str(store))
    api = TestClient(create_app())
    for url in ("/parcels/shares", "/parcels/zones", "/parcels/crosscheck"):
        answer = api.get(url)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
        assert "import-parcels" in answer.json()["detail"]


def test_kizone_parcels_zones_prints_each_zone_and_the_csv_every_parcel(store, capsys):
    assert main(["parcels", "zones", "fez_ai", "--engine", "memory", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("fez_ai ") and "parcels" in out
    assert main(["parcels", "zones", "--engine", "memory", "--format", "csv", "--table", "zones", "--store",
                 str(store)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("zone,name_ko,name_en,zone_area_m2") and len(rows) == 1 + 28
