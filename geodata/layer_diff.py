"""Diffs of a layer: between two stored revisions, or between two versions held in memory
(a scenario's layer against the base).

Revisions are compared through their feature index (geodata.revision_index): bucket digests
first, then the rows of the differing buckets, then the content of the features whose
fingerprints differ, which alone are classed geometrically (zones.diff). Nothing else of the
layer is read.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.revision_index import (ROW, bucket_digest, build_rows, geometry_hashes_of, read_buckets, read_digests,
                                    index_rows, split_buckets, text_hashes)
from zones.crs import METRIC
from geodata.revisions import PrunedRevision, UnknownRevision, _history, connect, wkb_sql
from zones.diff import DiffSummary, FeatureChange, Side, classify, summarise

# Columns the provider derives from the geometry: never an attribute change of their own.
DERIVED_COLUMNS = ("area_m2", "area_ha", "area_km2", "area_pyeong", "area_geodesic_m2")


@dataclass(frozen=True)
class LayerDiff:
    layer: str
    before: str  # "revision 3", "base", a scenario id
    after: str
    changes: list[FeatureChange]
    summary: DiffSummary

    def as_dict(self) -> dict:
        return {"layer": self.layer, "from": self.before, "to": self.after, "summary": self.summary.as_dict(),
                "features": [c.as_dict() for c in self.changes], "crs": "EPSG:5186",
                "note": "areas planar in EPSG:5186; bearings clockwise from grid north"}


def _matched(rows_a: np.ndarray, rows_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `rows_a` and in `rows_b` of the rows whose fingerprint differs or has no
    counterpart (both sorted by key)."""
    if len(rows_a) == len(rows_b) and np.array_equal(rows_a["key"], rows_b["key"]):
        differ = (rows_a["geom"] != rows_b["geom"]) | (rows_a["attr"] != rows_b["attr"])
        return np.flatnonzero(differ), np.flatnonzero(differ)
    at = np.searchsorted(rows_b["key"], rows_a["key"])
    at_c = np.minimum(at, max(len(rows_b) - 1, 0))
    found = (at < len(rows_b)) & (rows_b["key"][at_c] == rows_a["key"]) if len(rows_b) else np.zeros(len(rows_a), bool)
    same = found.copy()
    same[found] = (rows_b["geom"][at_c[found]] == rows_a["geom"][found]) & \
                  (rows_b["attr"][at_c[found]] == rows_a["attr"][found])
    keep_b = np.ones(len(rows_b), dtype=bool)
    keep_b[at_c[same]] = False
    return np.flatnonzero(~same), np.flatnonzero(keep_b)


def diff_revisions(path: Path, layer: str, r1: int, r2: int) -> LayerDiff:
    """What changed in `layer` from revision `r1` to revision `r2` (in one read transaction)."""
    con = connect(path)
    try:
        con.execute("BEGIN")
        history = {r.revision: r for r in _history(con, layer)}
        for r in (r1, r2):
            if r not in history:
                raise UnknownRevision(layer, r, list(history))
            if not history[r].restorable:
                raise PrunedRevision(layer, r, history[r].data_pruned_utc,
                                     [x.revision for x in history.values() if x.restorable])
        rows1, rows2 = _differing_rows(con, layer, r1, r2)
        pos1, pos2 = _matched(rows1, rows2)
        before = _fetch(con, layer, r1, rows1[pos1])
        after = _fetch(con, layer, r2, rows2[pos2])
        con.execute("COMMIT")
    finally:
        con.close()
    changes = classify(before, after)
    return _finish(layer, f"revision {r1}", f"revision {r2}", changes, history[r2].feature_count)


def _differing_rows(con: sqlite3.Connection, layer: str, r1: int, r2: int) -> tuple[np.ndarray, np.ndarray]:
    """The index rows of both revisions in the buckets whose digests differ."""
    d1, d2 = read_digests(con, layer, r1), read_digests(con, layer, r2)
    if d1 is None or d2 is None:  # a revision from before the index: fingerprint it now
        full1 = index_rows(con, layer, r1) if d1 is None else None
        full2 = index_rows(con, layer, r2) if d2 is None else None
        b1 = split_buckets(full1) if full1 is not None else None
        b2 = split_buckets(full2) if full2 is not None else None
        d1 = d1 if b1 is None else {b: bucket_digest(p) for b, p in b1.items()}
        d2 = d2 if b2 is None else {b: bucket_digest(p) for b, p in b2.items()}
    else:
        b1 = b2 = None
    differ = {b for b in d1.keys() | d2.keys() if d1.get(b) != d2.get(b)}

    def rows(buckets: dict[int, np.ndarray] | None, revision: int) -> np.ndarray:
        if buckets is None:
            return read_buckets(con, layer, revision, differ)
        parts = [buckets[b] for b in sorted(differ) if b in buckets]
        return np.concatenate(parts) if parts else np.empty(0, dtype=ROW)

    return rows(b1, r1), rows(b2, r2)


def _fetch(con: sqlite3.Connection, layer: str, revision: int, rows: np.ndarray) -> Side:
    """The features of index `rows` of one revision, with their geometry hashes."""
    hash_of = dict(zip(rows["fid"].tolist(), rows["geom"].tolist()))
    wanted = sorted(hash_of)
    found: list[tuple[int, bytes | None, str]] = []
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        found += con.execute(
            f"SELECT fid, {wkb_sql('geom')}, properties FROM zones_revision_data WHERE layer = ? AND revision = ? "
            f"AND fid IN ({','.join('?' * len(chunk))}) ORDER BY fid", (layer, revision, *chunk)).fetchall()
    geoms = shapely.from_wkb(np.array([r[1] for r in found], dtype=object)) if found else np.empty(0, dtype=object)
    props = [json.loads(r[2]) for r in found]
    ids = []
    for (fid, _, _), p in zip(found, props):
        if p.get("id") is not None:
            ids.append(str(p["id"]))
        else:  # no id column: readers number the features 1..n in stored order
            n = con.execute("SELECT count(*) FROM zones_revision_data WHERE layer = ? AND revision = ? AND fid <= ?",
                            (layer, revision, fid)).fetchone()[0]
            ids.append(str(n))
    hashes = np.array([hash_of[r[0]] for r in found], dtype="<u8")
    return Side(ids, np.asarray(geoms, dtype=object), props, hashes)


def _finish(layer: str, before: str, after: str, changes: list[FeatureChange], after_count: int) -> LayerDiff:
    order = {"removed": 0, "added": 1, "moved": 2, "reshaped": 3, "modified": 4}
    changes.sort(key=lambda c: (order[c.change], c.id))
    present_after = sum(1 for c in changes if c.change != "removed")
    return LayerDiff(layer, before, after, changes, summarise(changes, after_count - present_after))


def frame_rows(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The index rows of a layer held in memory (fid = row position)."""
    attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name, *[c for c in DERIVED_COLUMNS if c in gdf.columns]]))
    texts = (json.dumps(r, sort_keys=True, ensure_ascii=False, default=str)
             for r in attrs.astype(object).where(attrs.notna(), None).to_dict(orient="records"))
    ids = [str(v) for v in gdf["id"]]
    return build_rows(ids, geometry_hashes_of(gdf.geometry.values), text_hashes(texts),
                      np.arange(len(gdf), dtype=np.int64))


def _frame_side(gdf: gpd.GeoDataFrame, rows: np.ndarray, positions: np.ndarray) -> Side:
    order = np.argsort(rows["fid"][positions], kind="stable")
    part = gdf.iloc[rows["fid"][positions][order]]
    attrs = pd.DataFrame(part.drop(columns=[part.geometry.name, *[c for c in DERIVED_COLUMNS if c in part.columns]]))
    props = attrs.astype(object).where(attrs.notna(), None).to_dict(orient="records")
    return Side([str(v) for v in part["id"]], np.asarray(part.geometry.values, dtype=object), props,
                rows["geom"][positions][order])


def diff_frames(layer: str, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, before_label: str,
                after_label: str) -> LayerDiff:
    """What changed from one in-memory version of a layer to another (metric, with `id`)."""
    rows1, rows2 = frame_rows(before), frame_rows(after)
    pos1, pos2 = _matched(rows1, rows2)
    changes = classify(_frame_side(before, rows1, pos1), _frame_side(after, rows2, pos2))
    return _finish(layer, before_label, after_label, changes, len(after))


def changes_frame(diff: LayerDiff, before_too: bool = False) -> gpd.GeoDataFrame:
    """The changed features as a layer (EPSG:5186) with their class as a property: each drawn as
    it is after the change (a removed one as it was); with `before_too`, the earlier outline of a
    moved or reshaped feature is a row of its own (`side` = before)."""
    rows, geoms = [], []
    for c in diff.changes:
        base = {k: v for k, v in c.as_dict().items() if k != "changed_attributes"}
        base["changed_attributes"] = ", ".join(c.changed_attributes)
        rows.append({**base, "side": "before" if c.change == "removed" else "after"})
        geoms.append(c.geometry_before if c.change == "removed" else c.geometry_after)
        if before_too and c.change in ("moved", "reshaped"):
            rows.append({**base, "side": "before"})
            geoms.append(c.geometry_before)
    frame = pd.DataFrame.from_records(rows, columns=["id", "change", "side", "id_before", "area_before_m2",
                                                     "area_after_m2", "area_change_m2", "shift_m", "bearing_deg",
                                                     "direction", "changed_attributes"])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=METRIC), crs=METRIC)
