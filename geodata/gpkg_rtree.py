"""Filling a layer's GeoPackage R-tree at once, from the bounds array.

SQLite's rtree module indexes one row at a time (an R*-tree: choose a subtree, split full nodes,
reinsert): about 10 s for a million parcels, most of an import. Here the tree is packed whole
with Sort-Tile-Recursive (Leutenegger, Lopez & Edgington, ICDE 1997), as GDAL does for its own
GeoPackage writes, and its three shadow tables are written directly: `<rtree>_node` (each node a
blob of cells), `<rtree>_rowid` (the leaf of each feature) and `<rtree>_parent`. The format is
SQLite's (ext/rtree/rtree.c): a node is a 2-byte depth (root only), a 2-byte cell count, then per
cell a big-endian 64-bit id and four big-endian float32 coordinates (minx, maxx, miny, maxy)
rounded outwards as SQLite rounds them, so the index holds exactly what row-by-row inserts would
store; SQLite's `rtreecheck()` accepts it and later edits (QGIS, the R-tree triggers) update it as
any other R-tree. Anything unexpected in the table's layout falls back to row-by-row inserts.
"""
from __future__ import annotations

import math
import sqlite3

import numpy as np

from geodata.revisions import quote

_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])  # 24 bytes: id, minx, maxx, miny, maxy
# SQLite's outward rounding of a double to float32 (rtreeValueDown / rtreeValueUp)
_TOWARDS = 1.0 - 1.0 / 8388608.0
_AWAY = 1.0 + 1.0 / 8388608.0


def rtree_bounds(minx: np.ndarray, maxx: np.ndarray, miny: np.ndarray, maxy: np.ndarray) -> np.ndarray:
    """(n, 4) float32 boxes (minx, maxx, miny, maxy) as SQLite's rtree stores them: each minimum
    rounded down and each maximum up, so the float box contains the double one.

    >>> box = rtree_bounds(np.array([0.1]), np.array([0.1]), np.array([-0.1]), np.array([-0.1]))[0].tolist()
    >>> box[0] < 0.1 < box[1] and box[2] < -0.1 < box[3]
    True
    """
    out = np.empty((len(minx), 4), dtype=np.float32)
    for k, (d, down) in enumerate(((minx, True), (maxx, False), (miny, True), (maxy, False))):
        d = np.asarray(d, dtype=np.float64)
        f = d.astype(np.float32)
        wrong = f > d if down else f < d
        if wrong.any():
            scale = np.where(d < 0, _AWAY, _TOWARDS) if down else np.where(d < 0, _TOWARDS, _AWAY)
            f[wrong] = (d[wrong] * scale[wrong]).astype(np.float32)
        out[:, k] = f
    return out


def _str_order(boxes: np.ndarray, capacity: int) -> np.ndarray:
    """Sort-Tile-Recursive order: by centre x into vertical slices of whole nodes, then by centre y
    within each slice; consecutive runs of `capacity` are the nodes."""
    n = len(boxes)
    slices = math.ceil(math.sqrt(math.ceil(n / capacity)))
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.arange(n) // (slices * capacity)
    return by_x[np.lexsort((cy[by_x], slice_of))]


def _layout_ok(con: sqlite3.Connection, rtree: str) -> int | None:
    """The node size in bytes when the R-tree is the empty 2-D float one this module writes, else None."""
    cols = [r[1] for r in con.execute(f"PRAGMA main.table_info({quote(rtree)})")]
    rowid_cols = [r[1] for r in con.execute(f"PRAGMA main.table_info({quote(rtree + '_rowid')})")]
    parent_cols = [r[1] for r in con.execute(f"PRAGMA main.table_info({quote(rtree + '_parent')})")]
    nodes = con.execute(f"SELECT nodeno, length(data), data FROM main.{quote(rtree + '_node')}").fetchall()
    if (len(cols) != 5 or rowid_cols != ["rowid", "nodeno"] or parent_cols != ["nodeno", "parentnode"]
            or len(nodes) != 1 or nodes[0][0] != 1 or any(nodes[0][2])):
        return None
    size = int(nodes[0][1])
    return size if (size - 4) // _CELL.itemsize >= 4 else None


def fill_rtree(con: sqlite3.Connection, rtree: str, ids: np.ndarray, minx: np.ndarray, maxx: np.ndarray,
               miny: np.ndarray, maxy: np.ndarray) -> None:
    """Index `ids` with their bounds in the empty R-tree virtual table `rtree` (created just before,
    in `con`'s transaction)."""
    ids = np.asarray(ids, dtype=np.int64)
    size = _layout_ok(con, rtree) if len(ids) else None
    if size is None:
        if len(ids):
            con.executemany(f"INSERT INTO main.{quote(rtree)} VALUES (?, ?, ?, ?, ?)",
                            zip(ids.tolist(), np.asarray(minx).tolist(), np.asarray(maxx).tolist(),
                                np.asarray(miny).tolist(), np.asarray(maxy).tolist()))
        return
    capacity = (size - 4) // _CELL.itemsize
    boxes, entries = rtree_bounds(minx, maxx, miny, maxy), ids
    blobs: dict[int, bytes] = {}
    leaf_of: tuple[np.ndarray, np.ndarray] = (entries, entries)
    parents: list[tuple[np.ndarray, np.ndarray]] = []
    next_no, depth = 2, 0
    while True:
        order = _str_order(boxes, capacity)
        boxes, entries = boxes[order], entries[order]
        count = math.ceil(len(entries) / capacity)
        numbers = np.array([1]) if count == 1 else np.arange(next_no, next_no + count)
        next_no += 0 if count == 1 else count
        owner = numbers[np.arange(len(entries)) // capacity]
        if depth == 0:
            leaf_of = (entries, owner)
        else:
            parents.append((entries, owner))
        blobs.update(_node_blobs(entries, boxes, numbers, capacity, size, depth if count == 1 else 0))
        if count == 1:
            break
        starts = np.arange(count) * capacity
        boxes = np.column_stack([np.minimum.reduceat(boxes[:, 0], starts), np.maximum.reduceat(boxes[:, 1], starts),
                                 np.minimum.reduceat(boxes[:, 2], starts), np.maximum.reduceat(boxes[:, 3], starts)])
        entries = numbers
        depth += 1
    node_table, rowid_table, parent_table = (quote(rtree + s) for s in ("_node", "_rowid", "_parent"))
    con.executemany(f"INSERT OR REPLACE INTO main.{node_table} VALUES (?, ?)", sorted(blobs.items()))
    rows, leaves = leaf_of
    by_id = np.argsort(rows, kind="stable")
    con.executemany(f"INSERT INTO main.{rowid_table} VALUES (?, ?)",
                    zip(rows[by_id].tolist(), leaves[by_id].tolist()))
    if parents:
        children = np.concatenate([c for c, _ in parents])
        parent_of = np.concatenate([p for _, p in parents])
        by_no = np.argsort(children)
        con.executemany(f"INSERT INTO main.{parent_table} VALUES (?, ?)",
                        zip(children[by_no].tolist(), parent_of[by_no].tolist()))


def _node_blobs(entries: np.ndarray, boxes: np.ndarray, numbers: np.ndarray, capacity: int, size: int,
                depth: int) -> dict[int, bytes]:
    """nodeno -> node blob for the nodes holding `entries` in runs of `capacity` (in order)."""
    count = len(numbers)
    cells = np.zeros(count * capacity, dtype=_CELL)
    cells["id"][:len(entries)] = entries
    cells["box"][:len(entries)] = boxes
    buf = np.zeros((count, size), dtype=np.uint8)
    n_cells = np.full(count, capacity, dtype=">u2")
    n_cells[-1] = len(entries) - (count - 1) * capacity
    buf[:, 0:2] = np.frombuffer(np.array([depth], dtype=">u2").tobytes(), dtype=np.uint8)
    buf[:, 2:4] = n_cells.view(np.uint8).reshape(count, 2)
    buf[:, 4:4 + capacity * _CELL.itemsize] = cells.view(np.uint8).reshape(count, capacity * _CELL.itemsize)
    return {int(no): buf[k].tobytes() for k, no in enumerate(numbers.tolist())}
