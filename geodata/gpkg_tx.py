"""Replacing one layer of a GeoPackage in a single SQLite transaction.

GDAL writes the new features (with their R-tree index and GeoPackage
metadata) into a scratch GeoPackage, which is slow and may be killed without
harm. The store itself is then changed in one short transaction: drop the old
table, copy the new one over from the attached scratch file, record the
revision and its content, drop the content of revisions beyond the retention
limit (geodata.retention), bump the generation counter, commit. The store runs
in WAL mode while it is written, so readers are never blocked and see the last
committed state; a process killed before COMMIT leaves a WAL tail SQLite
ignores on the next open. Afterwards the file goes back to the rollback journal
when it can (see `_checkpoint`).
"""
from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from geodata.disk_full import is_disk_full, storage_full
from geodata.retention import PruneResult, history_layers, prune_layer
from geodata.revisions import (
    Revision, connect, ensure_history_tables, has_history, layer_columns, next_revision, quote, snapshot,
    table_exists,
)
from zones.errors import InvalidInput
from geodata.scratch import scratch_dir

# GeoPackage metadata tables whose rows are keyed by table_name.
META_TABLES = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents",
               "gpkg_data_columns", "gpkg_metadata_reference")


class WriteProblem(InvalidInput):
    """GDAL could not write the layer (a field or geometry it cannot store); nothing changed."""

    default_code = "not_storable"


def read_generation(path: Path) -> int:
    """The store's generation counter; 0 for a store no write has gone through yet."""
    if not Path(path).is_file():
        return 0
    con = connect(Path(path))
    try:
        row = con.execute("SELECT value FROM zones_store_state WHERE key = 'generation'").fetchone()
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()
    return int(row[0]) if row else 0


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def replace_layer_tx(path: Path, layer: str, gdf_metric: gpd.GeoDataFrame, *, token_name: str,
                     source_file: str, action: str, note: str, keep_revisions: int | None,
                     guard: Callable[[], None] | None = None) -> Revision:
    """Stage the layer in a scratch GeoPackage, then swap it in with its revision in one transaction.

    `guard` runs first inside that transaction, with the store's write lock held, so what it
    checks against cannot change before the commit; if it raises, nothing was changed."""
    with scratch_dir("write") as folder:
        scratch = folder / "layer.gpkg"
        try:
            pyogrio.write_dataframe(gdf_metric, scratch, layer=layer, driver="GPKG", promote_to_multi=True)
        except Exception as exc:  # GDAL refusing a field or a geometry: the store is not touched
            if is_disk_full(exc) or _short_of_space(folder, gdf_metric):
                raise storage_full("the layer's scratch copy (in the temporary folder)") from None
            raise WriteProblem(f"the layer could not be written as a GeoPackage table: {exc}") from None
        with _write_transaction(path, attach=scratch) as con:
            if guard is not None:
                guard()
            return _swap_layer(con, layer, token_name=token_name, source_file=source_file,
                               action=action, note=note, keep_revisions=keep_revisions)


def _short_of_space(folder: Path, gdf: gpd.GeoDataFrame) -> bool:
    """Whether `folder`'s disk lacks room for the layer as a GeoPackage (about twice its WKB and
    attributes, with the R-tree). GDAL reports a full disk as "Failed to commit transaction",
    without the reason, so the free space is asked after it failed."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return False
    wkb = sum(len(w) for w in shapely.to_wkb(gdf.geometry.values) if w is not None)
    return free < 2 * (wkb + int(gdf.drop(columns=gdf.geometry.name).memory_usage(deep=True).sum()))


def prune_tx(path: Path, layers: list[str] | None, keep_revisions: int | None) -> list[PruneResult]:
    """Apply the retention limit to the history of `layers` (all layers with history when None),
    in one transaction. The live layers and the generation counter are not touched."""
    with _write_transaction(path) as con:
        if not table_exists(con, "main", "zones_revisions"):
            return []  # nothing written yet, nothing to prune
        ensure_history_tables(con)
        now = utc_now()
        return [prune_layer(con, layer, keep_revisions, now) for layer in (layers or history_layers(con))]


def vacuum(path: Path) -> tuple[int, int]:
    """Rewrite the file without its free pages (after a prune); (bytes before, bytes after).
    Never part of a write transaction: it needs the store to itself for a moment."""
    before = Path(path).stat().st_size
    con = connect(path)
    try:
        con.execute("VACUUM")
        _checkpoint(con)
    except sqlite3.Error as exc:
        if is_disk_full(exc):  # VACUUM writes a whole copy first; SQLite drops it and keeps the file
            raise storage_full(f"a compacted copy of {Path(path).name}") from None
        raise
    finally:
        con.close()
    return before, Path(path).stat().st_size


@contextmanager
def _write_transaction(path: Path, attach: Path | None = None) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction in WAL mode: committed when the block ends, rolled back when it raises."""
    con = connect(path)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        if attach is not None:
            con.execute("ATTACH DATABASE ? AS src", (str(attach),))
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            if con.in_transaction:  # after SQLITE_FULL SQLite may have rolled back already
                con.execute("ROLLBACK")
            if is_disk_full(exc):
                raise storage_full(f"the store {Path(path).name}") from None
            raise
        if attach is not None:
            con.execute("DETACH DATABASE src")
        _checkpoint(con)
    finally:
        con.close()


def _swap_layer(con: sqlite3.Connection, layer: str, *, token_name: str, source_file: str,
                action: str, note: str, keep_revisions: int | None) -> Revision:
    now = utc_now()
    ensure_history_tables(con)
    if table_exists(con, "main", layer) and not has_history(con, layer):
        # The content the store had before its first tracked write becomes revision 0.
        snapshot(con, "main", layer, 0, created_utc=now, token_name="-", source_file="",
                 action="baseline", note="content before the first recorded write")
    _drop_layer(con, layer)
    _copy_layer(con, layer)
    revision = snapshot(con, "main", layer, next_revision(con, layer), created_utc=now,
                        token_name=token_name, source_file=source_file, action=action, note=note)
    prune_layer(con, layer, keep_revisions, now)
    con.execute("INSERT INTO zones_store_state (key, value) VALUES ('generation', 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1")
    return revision


def _drop_layer(con: sqlite3.Connection, layer: str) -> None:
    if table_exists(con, "main", layer):
        _, geom, _ = layer_columns(con, "main", layer)
        con.execute(f"DROP TABLE IF EXISTS main.{quote(f'rtree_{layer}_{geom}')}")
        con.execute(f"DROP TABLE main.{quote(layer)}")  # drops its triggers and indexes too
    for meta in META_TABLES:
        if table_exists(con, "main", meta):
            con.execute(f"DELETE FROM main.{meta} WHERE lower(table_name) = lower(?)", (layer,))


def _copy_layer(con: sqlite3.Connection, layer: str) -> None:
    _, geom, _ = layer_columns(con, "src", layer)
    rtree = f"rtree_{layer}_{geom}"
    objects = con.execute("SELECT type, name, tbl_name, sql FROM src.sqlite_master WHERE sql IS NOT NULL").fetchall()
    table_sql = next(sql for typ, name, _, sql in objects if typ == "table" and name == layer)
    con.execute(table_sql)
    con.execute(f"INSERT INTO main.{quote(layer)} SELECT * FROM src.{quote(layer)}")
    if any(name == rtree for _, name, _, _ in objects):
        con.execute(next(sql for _, name, _, sql in objects if name == rtree))
        con.execute(f"INSERT INTO main.{quote(rtree)} SELECT * FROM src.{quote(rtree)}")
    for meta in META_TABLES:
        if table_exists(con, "main", meta) and table_exists(con, "src", meta):
            cols = _common_columns(con, meta)
            con.execute(f"INSERT INTO main.{meta} ({cols}) SELECT {cols} FROM src.{meta} "
                        f"WHERE lower(table_name) = lower(?)", (layer,))
    srs_cols = _common_columns(con, "gpkg_spatial_ref_sys")
    con.execute(f"INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys ({srs_cols}) SELECT {srs_cols} "
                "FROM src.gpkg_spatial_ref_sys WHERE srs_id IN "
                "(SELECT srs_id FROM src.gpkg_contents WHERE lower(table_name) = lower(?))", (layer,))
    has_ogr_contents = table_exists(con, "main", "gpkg_ogr_contents")
    for typ, name, tbl, sql in objects:
        if tbl != layer or typ not in ("index", "trigger"):
            continue
        if "gpkg_ogr_contents" in sql and not has_ogr_contents:
            continue
        con.execute(sql)


def _common_columns(con: sqlite3.Connection, table: str) -> str:
    """Columns present in both copies of a metadata table (GeoPackage versions differ)."""
    main_cols = {r[1] for r in con.execute(f"PRAGMA main.table_info({table})")}
    return ", ".join(quote(r[1]) for r in con.execute(f"PRAGMA src.table_info({table})") if r[1] in main_cols)


def _checkpoint(con: sqlite3.Connection) -> None:
    """Fold the WAL back into the .gpkg and return to the rollback journal when no reader is
    busy, never waiting for readers to do so. Back in rollback mode the file is a plain
    GeoPackage again: a file copy is complete, and read-only GDAL opens (which cannot
    create the WAL's shared-memory file) read it with locking instead of unlocked."""
    try:
        con.execute("PRAGMA busy_timeout = 0")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError:
        pass
