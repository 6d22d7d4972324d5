"""Replacing one layer of a GeoPackage in a single SQLite transaction.

The store is changed in one transaction: drop the old table, write the new
one with its R-tree index and GeoPackage metadata (geodata.gpkg_write: the
features are written once, from whole arrays), record the revision and its
content, drop the content of revisions beyond the retention limit
(geodata.retention), bump the generation counter, commit. Nothing is staged
in the temporary folder, and SQLite keeps its own temporary data in memory. The store runs
in WAL mode while it is written, so readers are never blocked and see the last
committed state; a process killed before COMMIT leaves a WAL tail SQLite
ignores on the next open. Afterwards the file goes back to the rollback journal
when it can (see `_checkpoint`).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd

from geodata.disk_full import is_disk_full, storage_full
from geodata.gpkg_write import WriteProblem, write_layer  # noqa: F401  (WriteProblem re-exported)
from geodata.retention import PruneResult, history_layers, prune_layer
from geodata.revisions import (
    Revision, connect, ensure_history_tables, has_history, layer_columns, next_revision, quote, snapshot,
    table_exists,
)
from geodata.stored_areas import drop_areas

# GeoPackage metadata tables whose rows are keyed by table_name.
META_TABLES = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents",
               "gpkg_data_columns", "gpkg_metadata_reference")


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


def read_generation_in(con: sqlite3.Connection) -> int:
    """The generation counter as seen by `con`'s transaction."""
    if not table_exists(con, "main", "zones_store_state"):
        return 0
    row = con.execute("SELECT value FROM main.zones_store_state WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def replace_layer_tx(path: Path, layer: str, gdf_metric: gpd.GeoDataFrame, *, token_name: str,
                     source_file: str, action: str, note: str, keep_revisions: int | None,
                     guard: Callable[[], None] | None = None) -> Revision:
    """Swap the layer in with its revision in one transaction.

    `guard` runs first inside that transaction, with the store's write lock held, so what it
    checks against cannot change before the commit; if it raises, nothing was changed."""
    with write_transaction(path) as con:
        if guard is not None:
            guard()
        return _swap_layer(con, layer, gdf_metric, token_name=token_name, source_file=source_file,
                           action=action, note=note, keep_revisions=keep_revisions)


def replace_layers_tx(path: Path, layers: dict[str, gpd.GeoDataFrame], *, token_name: str, source_file: str,
                      action: str, note: str, keep_revisions: int | None,
                      guard: Callable[[sqlite3.Connection], None] | None = None,
                      then: Callable[[sqlite3.Connection, dict[str, Revision]], None] | None = None,
                      ) -> dict[str, Revision]:
    """Several layers replaced in one transaction, each recorded as a new revision: all of them are
    committed or none. `guard(con)` runs first inside the transaction; `then(con, revisions)` last, to
    record what the write means elsewhere in the store (a promoted scenario), in the same commit."""
    with write_transaction(path) as con:
        if guard is not None:
            guard(con)
        revisions = {layer: _swap_layer(con, layer, gdf, token_name=token_name, source_file=source_file,
                                        action=action, note=note, keep_revisions=keep_revisions)
                     for layer, gdf in layers.items()}
        if then is not None:
            then(con, revisions)
        return revisions


def prune_tx(path: Path, layers: list[str] | None, keep_revisions: int | None) -> list[PruneResult]:
    """Apply the retention limit to the history of `layers` (all layers with history when None),
    in one transaction. The live layers and the generation counter are not touched."""
    with write_transaction(path) as con:
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
def write_transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction in WAL mode: committed when the block ends, rolled back when it raises."""
    con = connect(path)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA temp_store = MEMORY")  # a full temporary folder cannot fail a write
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
        _checkpoint(con)
    finally:
        con.close()


def _swap_layer(con: sqlite3.Connection, layer: str, gdf_metric: gpd.GeoDataFrame, *, token_name: str,
                source_file: str,
                action: str, note: str, keep_revisions: int | None) -> Revision:
    now = utc_now()
    ensure_history_tables(con)
    if table_exists(con, "main", layer) and not has_history(con, layer):
        # The content the store had before its first tracked write becomes revision 0.
        snapshot(con, "main", layer, 0, created_utc=now, token_name="-", source_file="",
                 action="baseline", note="content before the first recorded write")
    _drop_layer(con, layer)
    written = write_layer(con, layer, gdf_metric)
    revision = snapshot(con, "main", layer, next_revision(con, layer), created_utc=now,
                        token_name=token_name, source_file=source_file, action=action, note=note, written=written)
    prune_layer(con, layer, keep_revisions, now)
    con.execute("INSERT INTO zones_store_state (key, value) VALUES ('generation', 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1")
    return revision


def _drop_layer(con: sqlite3.Connection, layer: str) -> None:
    if table_exists(con, "main", layer):
        _, geom, _ = layer_columns(con, "main", layer)
        con.execute(f"DROP TABLE IF EXISTS main.{quote(f'rtree_{layer}_{geom}')}")
        con.execute(f"DROP TABLE main.{quote(layer)}")  # drops its triggers and indexes too
    drop_areas(con, layer)
    for meta in META_TABLES:
        if table_exists(con, "main", meta):
            con.execute(f"DELETE FROM main.{meta} WHERE lower(table_name) = lower(?)", (layer,))


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
