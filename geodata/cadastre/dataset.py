"""The partitioned GeoParquet dataset of parcels beside the store, and its atomic replacement by 시도.

Layout: `<store>.parcels/<시도>/<시군구>.parquet`, one GeoParquet 1.1 file per 시군구 (codes from
the PNU) - or, for a 시군구 of more than PART_ROWS parcels, `<시군구>.parquet`, `<시군구>.1.parquet`,
… each holding a stretch of the 시군구's Hilbert order, so one task of the Dask engine or one
reader holds at most PART_ROWS rows whatever the dataset's size. In each file the rows are sorted
along a Hilbert curve over the file's extent, with a `bbox` covering column and row groups of
ROW_GROUP rows, so a reader that knows a bounding box skips whole files (their footer states
their bbox) and row groups (the covering column's statistics). `sigungu_of_file` names a file's
시군구.

Re-importing a 시도 builds its folder as `.tmp-<시도>-<pid>` beside it and swaps it in with two
renames (`<시도>` → `.old-<시도>-<pid>`, tmp → `<시도>`). A process killed while it writes leaves
only a tmp folder, which `recover` removes; one killed between the two renames leaves the old
folder under its .old name, which `recover` puts back. Every reader and writer calls `recover`
first, so the previous partitions are what anyone sees until the new ones are complete.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd

ROW_GROUP = 16_384
PART_ROWS = 500_000  # rows of one file at most: a 시군구 larger than this is written as several
COLUMNS = ["pnu", "jibun", "jimok", "sido", "sigungu", "geometry"]
_TMP = re.compile(r"^\.tmp-(\d{2})-(\d+)$")
_OLD = re.compile(r"^\.old-(\d{2})-(\d+)$")


def dataset_root(store: Path) -> Path:
    """`<store>.parcels` beside the GeoPackage."""
    return store.with_name(store.name + ".parcels")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(root: Path) -> None:
    """Undo what a killed import left: put back a 시도 folder stranded under its .old name, drop tmp folders."""
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        old, tmp = _OLD.match(entry.name), _TMP.match(entry.name)
        if old and not _alive(int(old.group(2))):
            live = root / old.group(1)
            if live.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.rename(entry, live)
        elif tmp and not _alive(int(tmp.group(2))):
            shutil.rmtree(entry, ignore_errors=True)


def temp_folder(root: Path, sido: str) -> Path:
    """A fresh folder to build `sido`'s partitions in, on the same filesystem as the dataset."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{sido}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def swap_in(root: Path, sido: str, built: Path) -> None:
    """Make `built` the partitions of `sido`, replacing any previous ones (see the module's docstring)."""
    live = root / sido
    old = root / f".old-{sido}-{os.getpid()}"
    if live.exists():
        os.rename(live, old)
    os.rename(built, live)
    _fsync_dir(root)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def partition_files(root: Path, sidos: tuple[str, ...] = ()) -> list[Path]:
    """Every 시군구 file of the dataset (of `sidos` only, if given), in code order."""
    recover(root)
    if not root.is_dir():
        return []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{2}", p.name)
                     and (not sidos or p.name in sidos))
    return [f for folder in folders for f in sorted(folder.glob("*.parquet"))]


def sigungu_of_file(path: Path) -> str:
    """The 5-digit 시군구 code a partition file holds (`29200.parquet`, `29200.1.parquet` → "29200")."""
    return path.name.split(".", 1)[0]


def file_bbox(path: Path) -> tuple[float, float, float, float] | None:
    """The bbox the GeoParquet metadata states for a file's geometry column (read from the footer only)."""
    import json

    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    geo = json.loads(meta.get(b"geo", b"{}"))
    box = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {}).get("bbox")
    return tuple(box) if box and len(box) == 4 else None


def row_group_boxes(meta):
    """(boxes, rows): each row group's box from its `bbox` covering-column statistics (min of xmin/ymin,
    max of xmax/ymax), an (n, 4) float array, and its row count. A group without statistics gets an
    unbounded box, so that every bbox meets it and it is read. Raises ValueError for a file without
    the covering column (written before it existed). Rows are Hilbert-sorted, so a group covers a
    compact area."""
    import numpy as np

    where = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    cols = [where.get(f"bbox.{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
    if None in cols:
        raise ValueError("no bbox covering column (import the file again with kizone import-parcels)")
    boxes = np.empty((meta.num_row_groups, 4))
    rows = np.empty(meta.num_row_groups, dtype=np.int64)
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        rows[g] = group.num_rows
        for k, c in enumerate(cols):
            st = group.column(c).statistics
            if st is None or not st.has_min_max:
                boxes[g, k] = -np.inf if k < 2 else np.inf
            else:
                boxes[g, k] = st.min if k < 2 else st.max
    return boxes, rows


def groups_meeting(group_boxes, boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """Indexes of the row groups (boxes from `row_group_boxes`) that meet one of `boxes`; touching counts.

    >>> import numpy as np
    >>> groups_meeting(np.array([[0, 0, 1, 1], [5, 5, 6, 6], [-np.inf, -np.inf, np.inf, np.inf]]), [(1, 1, 2, 2)])
    [0, 2]
    """
    import numpy as np

    b = group_boxes
    hit = np.zeros(len(b), dtype=bool)
    for minx, miny, maxx, maxy in boxes:
        hit |= (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
    return np.flatnonzero(hit).tolist()


def row_groups_meeting(meta, boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """The row groups of a file (its footer `meta`) whose covering-column box meets one of `boxes`."""
    try:
        group_boxes, _ = row_group_boxes(meta)
    except ValueError:  # no covering column: every group must be read
        return list(range(meta.num_row_groups))
    return groups_meeting(group_boxes, boxes)


def read_bbox(root: Path, bbox: tuple[float, float, float, float]):
    """Parcels intersecting `bbox` (metric CRS, `zones.crs.METRIC`), opening only the files whose stated bbox meets it and, in
    them, reading only the row groups whose covering-column statistics do. Returns (frame, files opened)."""
    import geopandas as gpd
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    from zones.crs import METRIC

    minx, miny, maxx, maxy = bbox
    opened = [f for f in partition_files(root)
              if (b := file_bbox(f)) is None or not (b[0] > maxx or b[2] < minx or b[1] > maxy or b[3] < miny)]
    tables = []
    for f in opened:
        handle = pq.ParquetFile(f)
        groups = row_groups_meeting(handle.metadata, [bbox])
        if groups:
            tables.append(handle.read_row_groups(groups, columns=[*COLUMNS, "bbox"]))
    if not tables:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[:-1]}, geometry=[], crs=METRIC), len(opened)
    table = pa.concat_tables(tables)
    box = table.column("bbox").combine_chunks()
    near = ((box.field("xmin").to_numpy() <= maxx) & (box.field("xmax").to_numpy() >= minx)
            & (box.field("ymin").to_numpy() <= maxy) & (box.field("ymax").to_numpy() >= miny))
    table = table.drop_columns(["bbox"]).filter(pa.array(near))
    geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    hit = shapely.intersects(geoms, shapely.box(*bbox))
    frame = table.drop_columns(["geometry"]).filter(pa.array(hit)).to_pandas()
    return gpd.GeoDataFrame(frame, geometry=np.asarray(geoms[hit]), crs=METRIC), len(opened)
