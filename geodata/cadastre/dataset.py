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


def row_groups_meeting(meta, boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """The row groups of a file (its footer `meta`) whose `bbox` covering-column statistics (min of
    xmin/ymin, max of xmax/ymax) meet one of `boxes`; a group without statistics is kept. Rows are
    Hilbert-sorted, so a group covers a compact area."""
    where = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    cols = [where.get(f"bbox.{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
    out = []
    for g in range(meta.num_row_groups):
        stats = [meta.row_group(g).column(i).statistics if i is not None else None for i in cols]
        if any(st is None or not st.has_min_max for st in stats):
            out.append(g)
            continue
        box = (stats[0].min, stats[1].min, stats[2].max, stats[3].max)
        if any(not (box[0] > b[2] or box[2] < b[0] or box[1] > b[3] or box[3] < b[1]) for b in boxes):
            out.append(g)
    return out


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
