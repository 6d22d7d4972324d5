"""Computations over the parcel dataset on dask.distributed, and the same ones in memory.

`ZONES_DASK_SCHEDULER=tcp://host:8786` sends the work to an existing Dask cluster (its workers
must see the dataset's path); without it a LocalCluster on this machine's cores runs it. Each
partition (one 시군구 file) goes through the very function the in-memory path applies to the
whole dataset (`sums_of_table`, zones/pnu_crosscheck.dong_disagreements), and the partial results
are added or concatenated. The shares read the geometry column as the WKB bytes it is stored as
and measure it in place (geodata/wkb_rings.py): no geometry object is made for a sum of areas.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geodata.admin import _all_emd
from geodata.cadastre.dataset import partition_files
from geodata.cadastre.jimok import load_jimok_classes
from zones.crs import METRIC
from zones.errors import NotFound
from zones.pnu_crosscheck import dong_disagreements
from zones.landuse_shares import combine_sums, landuse_sums_of_codes, shares_table
from geodata.wkb_rings import wkb_areas

SCHEDULER_ENV = "ZONES_DASK_SCHEDULER"
READ_COLUMNS = ["sigungu", "jimok", "geometry"]
CROSSCHECK_COLUMNS = ["pnu", "geometry"]


class NoParcels(NotFound):
    """The store has no parcel dataset (nothing imported with `kizone import-parcels`)."""

    default_code = "no_parcel_dataset"


@contextmanager
def dask_client(address: str | None = None, **local: object) -> Iterator[object]:
    """A Client on `address`, $ZONES_DASK_SCHEDULER, or a LocalCluster started for the job (`local`:
    LocalCluster options such as n_workers, processes)."""
    from dask.distributed import Client, LocalCluster

    address = address or os.environ.get(SCHEDULER_ENV) or None
    if address:
        with Client(address) as client:
            yield client
        return
    options = {"n_workers": os.cpu_count() or 1, "threads_per_worker": 1, "dashboard_address": None}
    options.update(local)
    with LocalCluster(**options) as cluster, Client(cluster) as client:
        yield client


def _files(root: Path) -> list[str]:
    files = partition_files(root)
    if not files:
        raise NoParcels(f"no parcels in {root}: import a 연속지적도 zip first (kizone import-parcels FILE)")
    return [str(f) for f in files]


def areas_of_wkb_column(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Planar area of each WKB geometry of an Arrow binary column, read from its buffers in place
    (`geodata.wkb_rings.wkb_areas`); a null geometry is NaN, any geometry the compiled reader skips is measured by shapely."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = []
    for chunk in chunks:
        bufs = chunk.buffers()
        wide = pa.types.is_large_binary(chunk.type)
        offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
        area = wkb_areas(data, offsets)
        other = np.flatnonzero(np.isnan(area) & chunk.is_valid().to_numpy(zero_copy_only=False))
        if len(other):
            area[other] = shapely.area(shapely.from_wkb(chunk.take(pa.array(other)).to_numpy(zero_copy_only=False)))
        out.append(area)
    return np.concatenate(out) if out else np.zeros(0)


def dictionary_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, the distinct values) of a dictionary-encoded text column, chunk by chunk
    (each chunk may have its own dictionary): only the small dictionaries are read as text."""
    names: dict[str, int] = {}
    codes = []
    for chunk in column.chunks:
        local = np.array([names.setdefault(v, len(names)) for v in chunk.dictionary.to_pylist()], dtype=np.int64)
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        if chunk.null_count:
            raise ValueError("a parcel without 시군구 or 지목: the importer never writes one")
        codes.append(local[idx.astype(np.int64)] if len(local) else np.zeros(0, dtype=np.int64))
    return (np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)), np.array(list(names), dtype=object)


def sums_of_table(table: pa.Table, jimok_class: dict[str, str]) -> pd.DataFrame:
    """`landuse_sums` of an Arrow table of parcels (sigungu and jimok dictionary-encoded, WKB geometry):
    the one function both engines run, on each 시군구 file on Dask and on the whole dataset in memory."""
    s_codes, s_names = dictionary_codes(table.column("sigungu"))
    j_codes, j_names = dictionary_codes(table.column("jimok"))
    return landuse_sums_of_codes(s_codes, s_names, j_codes, j_names, areas_of_wkb_column(table.column("geometry")),
                                 jimok_class)


def read_for_sums(path: str) -> pa.Table:
    """A partition's sigungu and jimok (dictionary-encoded: a few dozen distinct values) and WKB geometry."""
    return pq.read_table(path, columns=READ_COLUMNS, read_dictionary=["sigungu", "jimok"])


def _sums_of_file(path: str, jimok_class: dict[str, str]) -> pd.DataFrame:
    return sums_of_table(read_for_sums(path), jimok_class)


def shares_dask(root: Path, client: object, jimok_class: dict[str, str] | None = None) -> pd.DataFrame:
    """Land-use shares by 시군구 over the dataset, one task per 시군구 file on `client`'s cluster."""
    mapping = jimok_class or load_jimok_classes()
    futures = [client.submit(_sums_of_file, f, mapping, pure=False) for f in _files(root)]  # type: ignore[attr-defined]
    return shares_table(combine_sums(client.gather(futures)))  # type: ignore[attr-defined]


def shares_in_memory(root: Path, jimok_class: dict[str, str] | None = None) -> pd.DataFrame:
    """The same shares from the whole dataset read into one table (small datasets, and the reference)."""
    mapping = jimok_class or load_jimok_classes()
    table = pa.concat_tables([read_for_sums(f) for f in _files(root)])
    return shares_table(sums_of_table(table, mapping))


def _dongs_of(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """(8-digit codes, polygons in `zones.crs.METRIC`) of the legal dongs of the 시도 the dataset holds."""
    sidos = tuple(sorted({Path(f).parent.name for f in _files(root)}))
    emd = _all_emd()
    sel = emd[emd["code"].str.startswith(sidos)].to_crs(METRIC)
    return sel["code"].to_numpy(dtype=object), np.asarray(sel.geometry.values, dtype=object)


def crosscheck_dask(root: Path, client: object) -> pd.DataFrame:
    """Parcels lying outside the dong their PNU names, one task per partition on `client`'s cluster."""
    codes, geoms = _dongs_of(root)
    frame = dask_geopandas.read_parquet(_files(root), columns=CROSSCHECK_COLUMNS)
    meta = dong_disagreements(frame._meta, codes, geoms)
    found = client.compute(frame.map_partitions(dong_disagreements, codes, geoms, meta=meta)).result()  # type: ignore[attr-defined]
    return found.sort_values("pnu", kind="stable").reset_index(drop=True)


def crosscheck_in_memory(root: Path) -> pd.DataFrame:
    """The same cross-check on the whole dataset in one process."""
    codes, geoms = _dongs_of(root)
    frame = pd.concat([gpd.read_parquet(f, columns=CROSSCHECK_COLUMNS) for f in _files(root)], ignore_index=True)
    return dong_disagreements(frame, codes, geoms).sort_values("pnu", kind="stable").reset_index(drop=True)
