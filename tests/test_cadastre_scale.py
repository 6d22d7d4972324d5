"""The cadastral map at scale: generated 연속지적도 zips, their streaming import into the partitioned
GeoParquet dataset, and the Dask path giving the numbers of the in-memory path."""
from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from geodata.cadastre import generate
from geodata.cadastre.dataset import dataset_root, partition_files
from geodata.cadastre.engine import dask_client, shares_dask, shares_in_memory
from geodata.cadastre.importer import import_parcels
from geodata.cadastre.lsmd import PRJ_CENTRAL_BELT_2010
from geodata.cadastre.progress import Progress

N = 20_000
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lots() -> gpd.GeoDataFrame:
    return generate.lots(N, "29", seed=3)


@pytest.fixture(scope="module")
def imported(lots, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cad")
    path = generate.write_zip(lots, folder / "in", "29", "202411")
    store = folder / "store.gpkg"
    import_parcels([path], store, progress_stream=io.StringIO())
    return store


def read_all(store: Path) -> gpd.GeoDataFrame:
    return pd.concat([gpd.read_parquet(f) for f in partition_files(dataset_root(store))], ignore_index=True)


def test_generated_zip_has_the_published_shape(lots, tmp_path):
    path = generate.write_zip(lots.iloc[:50], tmp_path, "29", "202411")
    assert path.name == "LSMD_CONT_LDREG_29_202411.zip"
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == [f"LSMD_CONT_LDREG_29_202411.{e}" for e in ("dbf", "prj", "shp", "shx")]
        assert zf.read("LSMD_CONT_LDREG_29_202411.prj").decode() == PRJ_CENTRAL_BELT_2010
        dbf = zf.read("LSMD_CONT_LDREG_29_202411.dbf")
    jibun = lots["JIBUN"].iloc[0]
    assert jibun.encode("cp949") in dbf and jibun.encode("utf-8") not in dbf
    assert lots["PNU"].str.fullmatch(r"29\d{6}00[12]\d{8}").all()
    assert set(lots["JIBUN"].str[-1]) >= {"대", "장", "도", "공", "잡", "임", "전", "답"}
    assert lots["PNU"].is_unique


def test_import_partitions_by_sigungu_with_bbox_and_hilbert_order(imported, lots):
    files = partition_files(dataset_root(imported))
    assert {f.parent.name for f in files} == {"29"}
    assert {f.stem for f in files} == set(lots["PNU"].str[:5])
    frame = gpd.read_parquet(files[0])
    assert {"pnu", "jimok", "sigungu"} <= set(frame.columns)
    schema = pq.read_schema(files[0])
    geo = json.loads(schema.metadata[b"geo"])
    assert "bbox" in schema.names and geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert (frame["sigungu"] == files[0].stem).all()
    h = frame.geometry.hilbert_distance().to_numpy()
    assert (np.diff(h) >= 0).all()
    assert len(read_all(imported)) == N


def test_dask_path_gives_the_in_memory_numbers(imported):
    root = dataset_root(imported)
    memory = shares_in_memory(root)
    with dask_client(n_workers=2, processes=False, threads_per_worker=1) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        distributed = shares_dask(root, client)
    assert memory[["sigungu", "land_use", "parcels"]].equals(distributed[["sigungu", "land_use", "parcels"]])
    np.testing.assert_allclose(distributed["area_m2"], memory["area_m2"], rtol=1e-12, atol=0.01)
    assert int(memory["parcels"].sum()) == N
    assert set(memory["land_use"]) >= {"residential", "industrial", "transport", "forest"}


def test_bessel_copy_lands_within_a_metre_of_its_central_belt_twin(lots, tmp_path):
    sample = lots.iloc[:800].copy()
    grs = generate.write_zip(sample, tmp_path / "grs", "29", "202411")
    bessel = generate.write_zip(sample, tmp_path / "bessel", "29", "202411", bessel=True)
    report_a = import_parcels([grs], tmp_path / "a.gpkg", progress_stream=io.StringIO())
    report_b = import_parcels([bessel], tmp_path / "b.gpkg", progress_stream=io.StringIO())
    assert report_b.inputs[0]["crs"]["bessel"] and not report_a.inputs[0]["crs"]["bessel"]
    a = read_all(tmp_path / "a.gpkg").set_index("pnu").sort_index()
    b = read_all(tmp_path / "b.gpkg").set_index("pnu").sort_index()
    assert list(a.index) == list(b.index)
    gap = shapely.hausdorff_distance(a.geometry.values, b.geometry.values)
    assert gap.max() < 1.0
    raw = gpd.read_file(f"zip://{bessel}")
    assert shapely.hausdorff_distance(raw.geometry.values[0], sample.geometry.values[0]) > 100  # really shifted


def test_bad_pnus_broken_rings_and_unknown_dongs_are_counted_and_listed(lots, tmp_path):
    sample = lots.iloc[:600].copy().reset_index(drop=True)
    spoilt = generate.inject_faults(sample, 4)
    path = generate.write_zip(sample, tmp_path, "29", "202411")
    report = import_parcels([path], tmp_path / "s.gpkg", progress_stream=io.StringIO())
    assert report.bad_counts == {"invalid_pnu": 4, "invalid_geometry": 4, "unknown_dong": 4}
    assert report.rows_read == 600 and report.rows_written == 588
    listed = {r["reason"].split(":")[0]: [] for r in report.bad_rows}
    for r in report.bad_rows:
        listed[r["reason"].split(":")[0]].append(r["row"] - 1)
    assert {k: sorted(v) for k, v in listed.items()} == spoilt
    assert any("Self-intersection" in r["reason"] for r in report.bad_rows)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_reimport_killed_midway_leaves_the_previous_partitions(imported, tmp_path):
    store = tmp_path / "store.gpkg"
    root = dataset_root(store)
    first = generate.write_zip(generate.lots(300, "29", seed=5), tmp_path / "v1", "29", "202401")
    import_parcels([first], store, progress_stream=io.StringIO())
    before = _digest(root / "29")
    big = generate.write_zip(generate.lots(60_000, "29", seed=6), tmp_path / "v2", "29", "202411")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "import-parcels", str(big), "--store", str(store),
                             "--batch", "1000"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    tmp = root / f".tmp-29-{proc.pid}"
    while time.monotonic() < deadline and not any((tmp / ".spill").glob("*.arrow")):
        assert proc.poll() is None, "the import ended before it could be killed"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tmp.exists(), "killed while writing its new partitions"
    assert _digest(root / "29") == before
    assert len(pd.concat([gpd.read_parquet(f) for f in partition_files(root)])) == 300
    assert not tmp.exists()  # the next reader cleared what the killed import left


def test_progress_shows_a_bar_on_a_terminal_and_lines_in_a_log(tmp_path, lots):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    bar = Terminal()
    progress = Progress(10_000_000, 1000, bar)
    progress.advance(500, 5_000_000)
    progress.done()
    assert "\r[" + "#" * 14 + "." * 14 + "] 500/1,000 rows (50%)" in bar.getvalue()
    assert "MB/s" in bar.getvalue() and "ETA" in bar.getvalue()
    path = generate.write_zip(lots.iloc[:200], tmp_path, "29", "202411")
    done = subprocess.run([sys.executable, "-m", "cli.main", "import-parcels", str(path), "--store",
                           str(tmp_path / "p.gpkg")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "progress: 200/200 rows (100%)" in done.stderr and "rows/s" in done.stderr
    assert "200 rows read, 200 written" in done.stdout


def test_crosscheck_finds_parcels_numbered_in_another_dong_on_both_paths(lots, tmp_path):
    from geodata.cadastre.engine import crosscheck_dask, crosscheck_in_memory

    sample = lots.iloc[:3000].copy().reset_index(drop=True)
    codes = sample["PNU"].str[:8]
    other = sorted(set(codes))
    moved = [i for i in range(0, 3000, 500)]
    for i in moved:  # renumber into a neighbouring dong of the same 시군구 where one exists
        same = [c for c in other if c[:5] == codes[i][:5] and c != codes[i]]
        sample.loc[i, "PNU"] = same[0] + sample.loc[i, "PNU"][8:]
    path = generate.write_zip(sample, tmp_path, "29", "202411")
    store = tmp_path / "x.gpkg"
    import_parcels([path], store, progress_stream=io.StringIO())
    root = dataset_root(store)
    memory = crosscheck_in_memory(root)
    assert sorted(memory["pnu"]) == sorted(sample.loc[moved, "PNU"])
    assert (memory["found_dong"] != memory["pnu_dong"]).all() and (memory["found_dong"] != "").all()
    with dask_client(n_workers=2, processes=False, threads_per_worker=1) as client:
        distributed = crosscheck_dask(root, client)
    pd.testing.assert_frame_equal(memory, distributed)


def test_a_bbox_read_opens_only_the_partitions_it_meets(imported):
    from geodata.cadastre.dataset import read_bbox

    root = dataset_root(imported)
    everything = read_all(imported)
    one = gpd.read_parquet(partition_files(root)[0])
    x, y = one.geometry.values[len(one) // 2].centroid.coords[0]
    box = (x - 300, y - 300, x + 300, y + 300)
    frame, opened = read_bbox(root, box)
    expected = everything[shapely.intersects(everything.geometry.values, shapely.box(*box))]
    assert sorted(frame["pnu"]) == sorted(expected["pnu"]) and len(frame) > 0
    assert opened < len(partition_files(root))


def test_streamed_sample_is_the_frame_gdal_reads_back(tmp_path):
    """The sample written a dong at a time by our own shapefile writer holds, as GDAL reads it, the very lots
    `generate.lots` gives, in the published shape; the importer takes it like any other file."""
    import pyogrio

    frame = generate.lots(3000, "29", seed=8)
    path = generate.write_sample(3000, tmp_path, "29", "202411", seed=8)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == [f"LSMD_CONT_LDREG_29_202411.{e}" for e in ("dbf", "prj", "shp", "shx")]
    back = pyogrio.read_dataframe(f"zip://{path}", encoding="cp949")
    assert back["PNU"].tolist() == frame["PNU"].tolist() and back["JIBUN"].tolist() == frame["JIBUN"].tolist()
    assert shapely.equals(back.geometry.values, frame.geometry.values).all()
    assert (shapely.is_ccw(shapely.get_exterior_ring(frame.geometry.values)) == False).all()  # noqa: E712 (clockwise)
    report = import_parcels([path], tmp_path / "w.gpkg", progress_stream=io.StringIO())
    assert report.rows_written == 3000 and not report.bad_counts


def test_a_worker_process_checking_geometries_gives_the_same_dataset(lots, tmp_path):
    """The geometry checks in a worker process (big imports) and in-process (small ones) give the same
    files, bad rows included, for a Bessel copy too (the worker reprojects)."""
    sample = lots.iloc[:2500].copy().reset_index(drop=True)
    generate.inject_faults(sample, 3)
    for bessel in (False, True):
        path = generate.write_zip(sample, tmp_path / f"in{bessel}", "29", "202411", bessel=bessel)
        one = import_parcels([path], tmp_path / f"one{bessel}.gpkg", progress_stream=io.StringIO(), workers=0, batch=700)
        two = import_parcels([path], tmp_path / f"two{bessel}.gpkg", progress_stream=io.StringIO(), workers=1, batch=700)
        assert one.bad_counts == two.bad_counts == {"invalid_pnu": 3, "invalid_geometry": 3, "unknown_dong": 3}
        assert one.bad_rows == two.bad_rows
        a, b = read_all(tmp_path / f"one{bessel}.gpkg"), read_all(tmp_path / f"two{bessel}.gpkg")
        assert len(a) == 2491 and a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()
        assert (a["jibun"] == a["pnu"].map(dict(zip(sample["PNU"], sample["JIBUN"])))).all()


def test_dbf_text_is_decoded_like_python_decodes_it():
    """cp949 (published), UTF-8 (re-saved) and other encodings give the text Python's codecs give, a
    broken two-byte character included."""
    from geodata.cadastre.dbf import text_column
    from zones.pnu import text_matrix

    values = pd.Series(["12-3대", "산7임", "8", "공원 ", "", "abc", "·점", "갂가"])
    for encoding in ("cp949", "euc-kr", "utf-8"):
        assert text_column(text_matrix(values, encoding), encoding).to_pylist() == [v.rstrip() for v in values]
    broken = np.frombuffer(b"ab\xb0  cd\xb0\xa1\xb0", dtype=np.uint8).reshape(2, 5)
    assert text_column(broken, "cp949").to_pylist() == ["ab\ufffd", "cd가\ufffd"]
    assert text_column(text_matrix(pd.Series(["é", "a"]), "latin-1"), "latin-1").to_pylist() == ["é", "a"]


def test_a_large_sigungu_is_written_as_several_sorted_files_with_the_same_numbers(imported, lots, tmp_path,
                                                                                 monkeypatch):
    """Past PART_ROWS a 시군구 becomes several files, each a stretch of its Hilbert order and sorted on its
    own: every parcel is there once, bbox reads and shares are those of the one-file layout."""
    from geodata.cadastre import dataset
    from geodata.cadastre.dataset import read_bbox, sigungu_of_file

    monkeypatch.setattr(dataset, "PART_ROWS", 2500)
    path = generate.write_zip(lots, tmp_path / "in", "29", "202411")
    store = tmp_path / "parts.gpkg"
    import_parcels([path], store, progress_stream=io.StringIO(), batch=3000)
    root, single = dataset_root(store), dataset_root(imported)
    files = partition_files(root)
    assert len(files) > len(partition_files(single)) and all(pq.ParquetFile(f).metadata.num_rows <= 2500 for f in files)
    assert {sigungu_of_file(f) for f in files} == {f.stem for f in partition_files(single)}
    for f in files:
        frame = gpd.read_parquet(f)
        assert (frame["sigungu"] == sigungu_of_file(f)).all()
        assert (np.diff(frame.geometry.hilbert_distance().to_numpy()) >= 0).all()
    both = read_all(store)
    assert len(both) == N and both["pnu"].is_unique
    x, y = both.geometry.values[N // 3].centroid.coords[0]
    box = (x - 400, y - 400, x + 400, y + 400)
    assert sorted(read_bbox(root, box)[0]["pnu"]) == sorted(read_bbox(single, box)[0]["pnu"])
    a, b = shares_in_memory(root), shares_in_memory(single)
    assert a[["sigungu", "land_use", "parcels"]].equals(b[["sigungu", "land_use", "parcels"]])
    np.testing.assert_allclose(a["area_m2"], b["area_m2"], rtol=1e-12)


def test_records_deleted_in_the_dbf_leave_every_pnu_on_its_own_geometry(lots, tmp_path):
    """GDAL skips records flagged deleted in the .dbf; the PNU and JIBUN read from the .dbf bytes are
    matched to geometries by record number, so no parcel gets its neighbour's number."""
    sample = lots.iloc[:400].copy().reset_index(drop=True)
    path = generate.write_zip(sample, tmp_path / "in", "29", "202411")
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    dbf = folder / "LSMD_CONT_LDREG_29_202411.dbf"
    raw = bytearray(dbf.read_bytes())
    header_len, record_len = int.from_bytes(raw[8:10], "little"), int.from_bytes(raw[10:12], "little")
    for k in (0, 7, 8, 399):
        raw[header_len + k * record_len] = ord("*")
    dbf.write_bytes(bytes(raw))
    report = import_parcels([folder / "LSMD_CONT_LDREG_29_202411.shp"], tmp_path / "d.gpkg", progress_stream=io.StringIO())
    got = read_all(tmp_path / "d.gpkg").set_index("pnu").sort_index()
    want = sample.drop(index=[0, 7, 8, 399]).set_index("PNU").sort_index()
    assert report.rows_written == 396 and list(got.index) == list(want.index)
    assert shapely.equals(got.geometry.values, want.geometry.values).all()


def test_hilbert_keys_are_the_distances_geopandas_gives():
    """Our whole-array Hilbert index equals GeoSeries.hilbert_distance() on the same midpoints."""
    from geodata.cadastre.partition import hilbert_keys

    rng = np.random.default_rng(4)
    for scale in (1.0, 30_000.0):
        x, y = rng.uniform(180_000, 180_000 + scale, 50_000), rng.uniform(270_000, 270_000 + scale / 3, 50_000)
        x[:5] = x[0]  # ties and a column of equal x
        expected = gpd.GeoSeries(shapely.points(x, y)).hilbert_distance().to_numpy()
        np.testing.assert_array_equal(hilbert_keys(x, y), expected)
