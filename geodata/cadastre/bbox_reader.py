"""The parcels of a bounding box, read from the dataset for a server that answers many small requests.

`dataset.read_bbox` answers a whole frame once (the engine, the CLI). A server answering items and
vector-tile requests in the thousands needs more, and this module gives it:

- the footers are read once per *generation* of the dataset, not per request: the row-group
  statistics of the bbox covering column (xmin, ymin, xmax, ymax of each row group) and each
  file's stated bbox sit in an index that is rebuilt only when a partition file changes (a
  re-import swaps a 시도 folder in, so its files have new inodes and mtimes);
- a request opens only the files and, in them, only the row groups whose boxes meet its bbox,
  filters the rows on the covering column before decoding any WKB, and decodes only the rows
  whose box meets the bbox;
- every read says what it read (`ReadStats`: files, row groups, rows), so a test or a benchmark
  can check that a small bbox reads a small part of the dataset.

Only `dataset.py`'s public functions know the layout (`partition_files`), so a change of row-group
size or of files per partition needs nothing here.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from geodata.cadastre.dataset import groups_meeting, partition_files, row_group_boxes
from zones.crs import METRIC

Box = tuple[float, float, float, float]
ATTRIBUTES = ("pnu", "jibun", "jimok", "sido", "sigungu")
COUNT_UP_TO = 500_000  # rows a bbox page may scan past its own features to give numberMatched


@dataclass(frozen=True)
class Partition:
    """One file of the dataset as its footer describes it."""

    path: Path
    rows: int
    group_rows: np.ndarray  # rows per row group
    group_boxes: np.ndarray  # (row groups, 4): xmin, ymin, xmax, ymax of the covering column
    metadata: pq.FileMetaData = field(repr=False, compare=False)

    @property
    def box(self) -> Box:
        b = self.group_boxes
        return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())) \
            if len(b) else (np.inf, np.inf, -np.inf, -np.inf)

    def groups_meeting(self, box: Box) -> np.ndarray:
        """Row groups whose covering box meets `box` (touching counts)."""
        return np.asarray(groups_meeting(self.group_boxes, [box]), dtype=np.int64)


@dataclass
class ReadStats:
    """What one read touched: files opened, row groups read, rows decoded from the bbox column on."""

    files: int = 0
    row_groups: int = 0
    rows_scanned: int = 0
    rows_decoded: int = 0

    def add(self, other: "ReadStats") -> None:
        self.files += other.files
        self.row_groups += other.row_groups
        self.rows_scanned += other.rows_scanned
        self.rows_decoded += other.rows_decoded


@dataclass(frozen=True)
class Page:
    """One page of parcels: the rows, how many match in all (None when not counted), whether
    more may follow, and what was read."""

    frame: gpd.GeoDataFrame
    matched: int | None
    more: bool
    stats: ReadStats


def generation(root: Path) -> tuple:
    """A value that changes whenever a partition file is added, removed or replaced."""
    stamp = []
    for f in partition_files(root):
        try:
            st = os.stat(f)
        except FileNotFoundError:  # swapped out between the listing and the stat: the next call sees it
            continue
        stamp.append((str(f), st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamp)


def _partition(path: Path) -> Partition:
    md = pq.read_metadata(path)
    try:
        boxes, rows = row_group_boxes(md)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return Partition(path=path, rows=int(md.num_rows), group_rows=rows, group_boxes=boxes, metadata=md)


class ParcelIndex:
    """The footers of one generation of the dataset, and bbox reads through them."""

    def __init__(self, root: Path, stamp: tuple):
        self.root = root
        self.stamp = stamp
        self.partitions = [_partition(Path(p)) for p, *_ in stamp]
        self.rows = sum(p.rows for p in self.partitions)

    @property
    def box(self) -> Box | None:
        """The dataset's extent in the metric CRS, or None when it holds no rows."""
        boxes = np.array([p.box for p in self.partitions if p.rows]) if self.partitions else np.empty((0, 4))
        if not len(boxes):
            return None
        return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))

    def meeting(self, box: Box) -> list[tuple[Partition, np.ndarray]]:
        """(partition, row groups) for every file with a row group meeting `box`, in dataset order."""
        out = []
        for p in self.partitions:
            groups = p.groups_meeting(box)
            if len(groups):
                out.append((p, groups))
        return out

    def _groups(self, part: Partition, groups: np.ndarray, box: Box | None,
                columns: tuple[str, ...], stats: ReadStats) -> pa.Table:
        """Rows of `groups` of one file, with `columns` and the WKB geometry, those whose covering
        box misses `box` already dropped (no WKB decoded)."""
        table = pq.ParquetFile(part.path, metadata=part.metadata).read_row_groups(
            groups.tolist(), columns=[*columns, "geometry", *(["bbox"] if box is not None else [])])
        stats.files += 1
        stats.row_groups += len(groups)
        stats.rows_scanned += table.num_rows
        if box is None:
            return table
        minx, miny, maxx, maxy = box
        b = table.column("bbox")
        keep = pc.and_(pc.and_(pc.less_equal(pc.struct_field(b, "xmin"), maxx),
                               pc.greater_equal(pc.struct_field(b, "xmax"), minx)),
                       pc.and_(pc.less_equal(pc.struct_field(b, "ymin"), maxy),
                               pc.greater_equal(pc.struct_field(b, "ymax"), miny)))
        return table.filter(keep).drop_columns(["bbox"])

    @staticmethod
    def _frame(table: pa.Table, box: Box | None, stats: ReadStats) -> gpd.GeoDataFrame:
        """Decode the WKB of `table`; keep the rows whose geometry intersects `box` (all when None)."""
        geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
        stats.rows_decoded += len(geoms)
        frame = gpd.GeoDataFrame(table.drop_columns(["geometry"]).to_pandas(), geometry=geoms, crs=METRIC)
        if box is None or not len(frame):
            return frame
        return frame[shapely.intersects(geoms, shapely.box(*box))].reset_index(drop=True)

    def read(self, box: Box, columns: tuple[str, ...] = ATTRIBUTES) -> tuple[gpd.GeoDataFrame, ReadStats]:
        """Parcels whose geometry intersects `box` (metric CRS), in dataset order, and what was read."""
        stats = ReadStats()
        frames = [self._frame(self._groups(part, groups, box, columns, stats), box, stats)
                  for part, groups in self.meeting(box)]
        if not frames:
            return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns}, geometry=[], crs=METRIC), stats
        return pd.concat(frames, ignore_index=True), stats

    def page(self, box: Box | None, offset: int, limit: int, count_up_to: int = COUNT_UP_TO,
             columns: tuple[str, ...] = ATTRIBUTES) -> Page:
        """Parcels `offset` to `offset + limit` of those intersecting `box` (all parcels when None),
        in dataset order. Without a bbox only the row groups holding the page are read. With one,
        row groups are read file by file until the page is full and, while no more than
        `count_up_to` rows were scanned, on to the end so the number matched can be given."""
        stats = ReadStats()
        want = offset + limit
        taken: list[gpd.GeoDataFrame] = []
        seen = 0
        if box is None:
            work = [(p, np.arange(len(p.group_rows))) for p in self.partitions]
        else:
            work = self.meeting(box)
        finished = True
        for part, groups in work:
            if seen >= want and (box is None or stats.rows_scanned > count_up_to):
                finished = False
                break
            if box is None:  # skip whole row groups by their row counts: no read at all
                starts = seen + np.concatenate(([0], np.cumsum(part.group_rows[groups])[:-1]))
                ends = starts + part.group_rows[groups]
                needed = (ends > offset) & (starts < want)
                seen += int(part.group_rows[groups].sum())
                if not needed.any():
                    continue
                groups, first = groups[needed], int(starts[needed][0])
                frame = self._frame(self._groups(part, groups, None, columns, stats), None, stats)
                lo, hi = max(offset - first, 0), min(want - first, len(frame))
                taken.append(frame.iloc[lo:hi])
                continue
            frame = self._frame(self._groups(part, groups, box, columns, stats), box, stats)
            lo, hi = max(offset - seen, 0), min(want - seen, len(frame))
            if hi > lo:
                taken.append(frame.iloc[lo:hi])
            seen += len(frame)
        matched = self.rows if box is None else (seen if finished else None)
        more = seen > want or not finished
        if taken:
            out = pd.concat(taken, ignore_index=True)
        else:
            out = gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns}, geometry=[], crs=METRIC)
        return Page(out, matched, more, stats)

    def find(self, pnu: str, columns: tuple[str, ...] = ATTRIBUTES) -> gpd.GeoDataFrame:
        """The parcel numbered `pnu` (no row when none), read from the files of its 시군구 only."""
        sigungu = pnu[:5]
        frames = []
        for part in self.partitions:
            if part.path.stem != sigungu and not part.path.stem.startswith(sigungu):
                continue
            table = pq.read_table(part.path, columns=[*columns, "geometry"], filters=[("pnu", "=", pnu)])
            if table.num_rows:
                frames.append(table)
        table = pa.concat_tables(frames) if frames else None
        if table is None:
            return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=METRIC)
        geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
        return gpd.GeoDataFrame(table.drop_columns(["geometry"]).to_pandas(), geometry=geoms, crs=METRIC)


class ParcelIndexes:
    """The index of the dataset's current generation, rebuilt when a partition file changes."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._current: ParcelIndex | None = None

    def current(self) -> ParcelIndex | None:
        """The index of the dataset as it is now, or None when the dataset holds no partition."""
        stamp = generation(self.root)
        if not stamp:
            return None
        with self._lock:
            if self._current is not None and self._current.stamp == stamp:
                return self._current
        index = ParcelIndex(self.root, stamp)
        with self._lock:
            self._current = index
        return index
