"""One partition of the parcel dataset: the rows of one 시군구, spilled while the import reads, then
written once as a Hilbert-sorted GeoParquet 1.1 file.

While a shapefile streams in, each batch's good rows are appended per 시군구 to an Arrow IPC file
(`Spill`): no encoding, no compression, one file per 시군구 however many batches. When the 시도 is
read, each spill's rows are ordered along a Hilbert curve over the 시군구's extent (from the bbox
columns alone, no geometry is parsed again) and written as one file, or, past PART_ROWS
(geodata/cadastre/dataset.py), dealt in that order to several files, each written once.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import CRS

from zones.crs import METRIC

HILBERT_LEVEL = 16  # geopandas' default, so GeoSeries.hilbert_distance() reproduces the order
SPILL_SCHEMA = pa.schema([("pnu", pa.string()), ("jibun", pa.string()), ("jimok", pa.string()),
                          ("geometry", pa.binary()), ("xmin", pa.float64()), ("ymin", pa.float64()),
                          ("xmax", pa.float64()), ("ymax", pa.float64())])
BBOX_TYPE = pa.struct([("xmin", pa.float64()), ("ymin", pa.float64()), ("xmax", pa.float64()),
                       ("ymax", pa.float64())])
GEOMETRY_TYPES = {3: "Polygon", 6: "MultiPolygon"}


class Spill:
    """The rows of one 시군구 appended batch by batch to an Arrow IPC file."""

    def __init__(self, path: Path, sido: str, sigungu: str):
        self.path, self.sido, self.sigungu = path, sido, sigungu
        self.rows = 0
        self.geometry_types: set[int] = set()
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_file(self._sink, SPILL_SCHEMA)

    def append(self, batch: pa.RecordBatch, type_ids: set[int]) -> None:
        """Add rows of the spill schema; `type_ids`: the shapely geometry type ids among them."""
        self._writer.write_batch(batch)
        self.rows += batch.num_rows
        self.geometry_types |= type_ids

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = None


def hilbert_keys(x: np.ndarray, y: np.ndarray, level: int = HILBERT_LEVEL) -> np.ndarray:
    """Distance along the Hilbert curve of order `level` of each point (x, y), over the points' extent.

    The coordinates are scaled to integers 0 … 2**level - 1 across their range, then the curve index
    is built from the top bit down (the classic quadrant-and-rotate construction), on whole arrays:
    one pass per level, no geometry object. It is the distance GeoSeries.hilbert_distance() gives
    the same points (its default extent is also that of the midpoints; tests compare the two).

    >>> hilbert_keys(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0]), level=1).tolist()
    [0, 1, 2, 3]
    """
    side = (1 << level) - 1
    cells = []
    for v in (x, y):
        width = float(np.nanmax(v) - np.nanmin(v)) if len(v) else 0.0
        if width == 0:
            cells.append(np.zeros(len(v), dtype=np.int64))
            continue
        scaled = np.clip((v - np.nanmin(v)) * (side / width), 0, side)
        cells.append(scaled.astype(np.uint32).astype(np.int64))
    cx, cy = cells
    d = np.zeros(len(cx), dtype=np.int64)
    s = 1 << (level - 1)
    while s > 0:
        rx, ry = (cx & s) > 0, (cy & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = rx & ~ry  # the lower quadrants are turned so the curve joins up
        fx, fy = np.where(flip, s - 1 - cx, cx), np.where(flip, s - 1 - cy, cy)
        cx, cy = np.where(ry, fx, fy), np.where(ry, fy, fx)
        s >>= 1
    return d


def hilbert_order(xmin: np.ndarray, ymin: np.ndarray, xmax: np.ndarray, ymax: np.ndarray) -> np.ndarray:
    """The row order along the Hilbert curve by the rows' bbox midpoints (`hilbert_keys`)."""
    return np.argsort(hilbert_keys((xmin + xmax) / 2.0, (ymin + ymax) / 2.0), kind="stable")


def geo_metadata(bbox: tuple[float, float, float, float], geometry_types: set[int]) -> bytes:
    """The GeoParquet 1.1 `geo` metadata: WKB geometry in `zones.crs.METRIC`, its bbox and the covering column."""
    column = {"encoding": "WKB", "crs": CRS.from_user_input(METRIC).to_json_dict(),
              "geometry_types": [GEOMETRY_TYPES[t] for t in sorted(geometry_types) if t in GEOMETRY_TYPES],
              "bbox": list(bbox),
              "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}}
    return json.dumps({"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column},
                       "creator": {"library": "kr-industrial-zones"}}).encode()


def write_partition(spill: Spill, folder: Path, row_group: int, part_rows: int) -> list[Path]:
    """The spilled rows of a 시군구 as Hilbert-sorted GeoParquet files in `folder`: `<시군구>.parquet`
    and, past `part_rows` rows, `<시군구>.1.parquet`, … each a stretch of the 시군구's Hilbert order.

    Memory holds the bbox columns and the order of the whole 시군구 (40 bytes a row) and one file's rows:
    the spill is read batch by batch and dealt to the files' own spills, which are then sorted one by one.
    """
    spill.close()
    with pa.memory_map(str(spill.path)) as source:  # mapped: only the bbox columns' pages are read
        reader = pa.ipc.open_file(source)
        if spill.rows <= part_rows:
            rows = reader.read_all()
            written = [_write_sorted(rows, folder / f"{spill.sigungu}.parquet", row_group, spill)] if spill.rows else []
            del rows
            spill.path.unlink()
            return written
        boxes = pa.Table.from_batches([reader.get_batch(i).select(["xmin", "ymin", "xmax", "ymax"])
                                       for i in range(reader.num_record_batches)])
        order = hilbert_order(*(np.ascontiguousarray(boxes.column(k).to_numpy())
                                for k in ("xmin", "ymin", "xmax", "ymax")))
        del boxes
    part = np.empty(len(order), dtype=np.int64)
    part[order] = np.arange(len(order)) // part_rows
    del order
    parts = [Spill(spill.path.with_name(f"{spill.sigungu}.{k}.arrow"), spill.sido, spill.sigungu)
             for k in range(int(part.max()) + 1)]
    with pa.OSFile(str(spill.path)) as source:
        reader = pa.ipc.open_file(source)
        start = 0
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            mine = part[start:start + batch.num_rows]
            start += batch.num_rows
            for k in np.unique(mine):
                parts[k].append(batch.filter(pa.array(mine == k)), spill.geometry_types)
    spill.path.unlink()
    written = []
    for k, piece in enumerate(parts):
        piece.close()
        with pa.OSFile(str(piece.path)) as source:
            rows = pa.ipc.open_file(source).read_all()
        written.append(_write_sorted(rows, folder / (f"{spill.sigungu}.parquet" if k == 0 else f"{spill.sigungu}.{k}.parquet"),
                                     row_group, spill))
        piece.path.unlink()
    return written


def _write_sorted(table: pa.Table, target: Path, row_group: int, spill: Spill) -> Path:
    """`table` (rows of the spill schema) as one GeoParquet file sorted along the Hilbert curve over its own extent."""
    table = table.combine_chunks()  # one chunk: a take per row group then gathers from one array, not hundreds
    xmin, ymin, xmax, ymax = (table.column(k).to_numpy() for k in ("xmin", "ymin", "xmax", "ymax"))
    order = hilbert_order(xmin, ymin, xmax, ymax)
    bbox = (float(xmin.min()), float(ymin.min()), float(xmax.max()), float(ymax.max()))
    schema = pa.schema([("pnu", pa.string()), ("jibun", pa.string()), ("jimok", pa.string()),
                        ("sido", pa.string()), ("sigungu", pa.string()), ("geometry", pa.binary()),
                        ("bbox", BBOX_TYPE)], metadata={b"geo": geo_metadata(bbox, spill.geometry_types)})
    with pq.ParquetWriter(str(target), schema, compression="snappy", write_statistics=True) as writer:
        for start in range(0, table.num_rows, row_group):
            part = table.take(pa.array(order[start:start + row_group]))
            n = part.num_rows
            box = pa.StructArray.from_arrays([part.column(k).combine_chunks() for k in ("xmin", "ymin", "xmax", "ymax")],
                                             fields=list(BBOX_TYPE))
            writer.write_table(pa.table([part.column("pnu"), part.column("jibun"), part.column("jimok"),
                                         pa.repeat(spill.sido, n).cast(pa.string()),
                                         pa.repeat(spill.sigungu, n).cast(pa.string()),
                                         part.column("geometry"), box], schema=schema), row_group_size=row_group)
    return target
