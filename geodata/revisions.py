"""Layer history kept inside the GeoPackage, so a copy of the store carries it.

Three attribute tables (registered in gpkg_contents, visible in QGIS):
- `zones_revisions`: one row per revision of a layer (number, UTC time, token
  name, source file, feature count, checksum, action, column types, and when
  its content was pruned); these rows are small and kept for good;
- `zones_revision_data`: the content of the revisions (GeoPackage geometry
  blob + properties as JSON), so they can be restored; the content of old
  revisions is dropped under the retention limit (geodata.retention);
- `zones_store_state`: the store's generation counter, bumped by every write,
  which readers and caches use to notice a change.

The checksum is SHA-256 over the stored rows in feature order (geometry blob
and properties JSON), computed the same way for the live table and for a
revision's copy, so "is the layer exactly as in revision n" is a string compare.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zones.crs import METRIC
from zones.errors import Gone, NotFound

if TYPE_CHECKING:  # the history is read and listed without them; a revision's content needs them
    import geopandas as gpd
    import pandas as pd

    from geodata.gpkg_write import WrittenRows

HISTORY_DDL = (
    """CREATE TABLE IF NOT EXISTS zones_revisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        layer TEXT NOT NULL,
        revision INTEGER NOT NULL,
        created_utc TEXT NOT NULL,
        token_name TEXT NOT NULL,
        source_file TEXT NOT NULL,
        feature_count INTEGER NOT NULL,
        checksum TEXT NOT NULL,
        action TEXT NOT NULL,
        note TEXT NOT NULL,
        columns_json TEXT NOT NULL,
        data_pruned_utc TEXT,
        UNIQUE (layer, revision))""",
    """CREATE TABLE IF NOT EXISTS zones_revision_data (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        layer TEXT NOT NULL,
        revision INTEGER NOT NULL,
        fid INTEGER NOT NULL,
        geom BLOB,
        properties TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS zones_revision_data_layer_rev ON zones_revision_data (layer, revision, fid)",
    """CREATE TABLE IF NOT EXISTS zones_store_state (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        value INTEGER NOT NULL)""",
)
HISTORY_TABLES = {
    "zones_revisions": "Revision history of the layers (kizone)",
    "zones_revision_data": "Content of every layer revision, for restore (kizone)",
    "zones_store_state": "Store generation counter (kizone)",
}
# SQLite before 3.45 allows 127 function arguments: json_object over more columns is chained.
_JSON_CHUNK = 60


@dataclass(frozen=True)
class Revision:
    layer: str
    revision: int
    created_utc: str
    token_name: str
    source_file: str
    feature_count: int
    checksum: str
    action: str
    note: str
    # UTC time the stored content was dropped by the retention limit; None while it can be restored.
    data_pruned_utc: str | None = None

    @property
    def restorable(self) -> bool:
        return self.data_pruned_utc is None

    def as_dict(self) -> dict:
        return {**asdict(self), "restorable": self.restorable}


class UnknownRevision(NotFound):
    default_code = "unknown_revision"

    def __init__(self, layer: str, revision: int, known: list[int]):
        listing = ", ".join(map(str, known)) or "none"
        super().__init__(f"layer {layer!r} has no revision {revision}; its revisions: {listing}")


class PrunedRevision(Gone):
    """The revision is on record but its content was dropped by the retention limit."""

    default_code = "pruned_revision"

    def __init__(self, layer: str, revision: int, pruned_utc: str, restorable: list[int]):
        self.layer = layer
        self.revision = revision
        self.restorable = restorable
        self.oldest_restorable = min(restorable) if restorable else None
        oldest = (f"the oldest restorable revision is {self.oldest_restorable} "
                  f"(restorable: {revision_ranges(restorable)})") if restorable else "no revision is restorable"
        super().__init__(
            f"revision {revision} of layer {layer!r} can no longer be restored: its content was dropped on "
            f"{pruned_utc} under the revision retention limit (ZONES_KEEP_REVISIONS); its record stays in the "
            f"history; {oldest}")


def revision_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7": revision lists stay readable when fifty are restorable."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and n == int(out[-1].rpartition("-")[2]) + 1:
            out[-1] = f"{out[-1].partition('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def connect(path: Path, timeout_s: float = 60.0) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit) that waits for a concurrent writer."""
    con = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    return con


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_history_tables(con: sqlite3.Connection) -> None:
    for ddl in HISTORY_DDL:
        con.execute(ddl)
    from geodata.revision_index import INDEX_DDL, INDEX_TABLE

    for ddl in INDEX_DDL:
        con.execute(ddl)
    for table, description in (*HISTORY_TABLES.items(), INDEX_TABLE):
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (table, table, description))
    if not has_column(con, "main", "zones_revisions", "data_pruned_utc"):  # a store from before retention
        con.execute("ALTER TABLE main.zones_revisions ADD COLUMN data_pruned_utc TEXT")


def has_column(con: sqlite3.Connection, schema: str, table: str, column: str) -> bool:
    return any(r[1] == column for r in con.execute(f"PRAGMA {schema}.table_info({quote(table)})"))


def table_exists(con: sqlite3.Connection, schema: str, table: str) -> bool:
    row = con.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return row is not None


def layer_columns(con: sqlite3.Connection, schema: str, layer: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(primary-key column, geometry column, [(attribute column, declared type)])."""
    info = con.execute(f"PRAGMA {schema}.table_info({quote(layer)})").fetchall()
    pk = next((r[1] for r in info if r[5] == 1), "rowid")
    row = con.execute(f"SELECT column_name FROM {schema}.gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
                      (layer,)).fetchone()
    geom = row[0] if row else "geom"
    cols = [(r[1], (r[2] or "").upper()) for r in info if r[1] not in (pk, geom)]
    return pk, geom, cols


def properties_json_sql(cols: list[tuple[str, str]]) -> str:
    """SQL expression that renders a row's attributes as one JSON object, in column order."""
    if not cols:
        return "json_object()"
    chunks = [cols[i:i + _JSON_CHUNK] for i in range(0, len(cols), _JSON_CHUNK)]
    exprs = ["json_object(" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}', {quote(c)}" for c, _ in chunk) + ")"
             for chunk in chunks]
    out = exprs[0]
    for e in exprs[1:]:
        out = f"json_patch({out}, {e})"
    return out


def rows_checksum(rows) -> tuple[str, int]:
    """SHA-256 over (geometry blob, properties JSON) rows, in their order, and the row count.

    Each row contributes the blob's length (8 bytes, little-endian), the blob, the JSON in UTF-8 and
    a record separator. Kept for rows already in Python; `query_checksum` computes the same digest
    from a query without a Python step per row.
    """
    h = hashlib.sha256()
    n = 0
    for blob, props in rows:
        h.update(len(blob or b"").to_bytes(8, "little"))
        h.update(blob or b"")
        h.update(props.encode("utf-8"))
        h.update(b"\x1e")
        n += 1
    return h.hexdigest(), n


_CHECKSUM_BATCH = 50_000


def query_checksum(con: sqlite3.Connection, blob_sql: str, props_sql: str, from_sql: str,
                   params: tuple = ()) -> tuple[str, int]:
    """`rows_checksum` of `SELECT blob_sql, props_sql FROM_SQL`, fed to SHA-256 in batches.

    SQLite hands out each row's blob length, blob and UTF-8 JSON; the batch is interleaved with
    the record separators by slice assignment and hashed as one buffer.

    >>> con = sqlite3.connect(":memory:")
    >>> _ = con.execute("CREATE TABLE t (g BLOB, p TEXT)")
    >>> _ = con.executemany("INSERT INTO t VALUES (?, ?)", [(b"GP01", '{"a":1}'), (None, '{"가":2}')])
    >>> query_checksum(con, "g", "p", "FROM t ORDER BY rowid") == rows_checksum(con.execute("SELECT g, p FROM t"))
    True
    """
    cur = con.execute(f"SELECT ifnull(length({blob_sql}), 0), ifnull({blob_sql}, x''), "
                      f"CAST({props_sql} AS BLOB) {from_sql}", params)
    h = hashlib.sha256()
    n = 0
    while True:
        batch = cur.fetchmany(_CHECKSUM_BATCH)
        if not batch:
            break
        lengths, blobs, props = zip(*batch)
        checksum_update(h, lengths, blobs, props)
        n += len(batch)
    return h.hexdigest(), n


def checksum_update(h, lengths, blobs, props) -> None:
    """Feed rows (blob length, blob, UTF-8 properties JSON) to `h` as `rows_checksum` does, as one
    buffer: the columns are interleaved with the record separators by slice assignment."""
    import numpy as np

    parts: list[bytes] = [b"\x1e"] * (4 * len(blobs))
    parts[0::4] = np.asarray(lengths, dtype="<u8").view("V8").tolist()
    parts[1::4] = blobs
    parts[2::4] = props
    h.update(b"".join(parts))


def snapshot(con: sqlite3.Connection, schema: str, layer: str, revision: int, *, created_utc: str,
             token_name: str, source_file: str, action: str, note: str,
             written: "WrittenRows | None" = None) -> Revision:
    """Copy the layer's current rows in `schema` into the history as `revision`.

    `written`: the rows as the write just stored them (geodata.gpkg_write); the checksum and the
    index then take the geometries from it and read back only the properties, instead of reading
    and decoding every geometry blob again."""
    pk, geom, cols = layer_columns(con, schema, layer)
    con.execute(
        f"INSERT INTO main.zones_revision_data (layer, revision, fid, geom, properties) "
        f"SELECT ?, ?, {quote(pk)}, {quote(geom)}, {properties_json_sql(cols)} "
        f"FROM {schema}.{quote(layer)} ORDER BY {quote(pk)}", (layer, revision))
    from geodata.revision_index import index_rows, index_rows_of_written, write_index

    known = index_rows_of_written(con, layer, revision, written) if written is not None else None
    if known is not None:
        checksum, count, rows = known
    else:
        checksum, count = query_checksum(
            con, "geom", "properties", "FROM main.zones_revision_data WHERE layer = ? AND revision = ? ORDER BY fid",
            (layer, revision))
        rows = index_rows(con, layer, revision)
    write_index(con, layer, revision, rows)
    rev = Revision(layer, revision, created_utc, token_name, source_file, count, checksum, action, note)
    con.execute(
        "INSERT INTO main.zones_revisions (layer, revision, created_utc, token_name, source_file, feature_count, "
        "checksum, action, note, columns_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (layer, revision, created_utc, token_name, source_file, count, checksum, action, note,
         json.dumps(cols)))
    return rev


def next_revision(con: sqlite3.Connection, layer: str) -> int:
    row = con.execute("SELECT max(revision) FROM main.zones_revisions WHERE layer = ?", (layer,)).fetchone()
    return 1 if row[0] is None else int(row[0]) + 1


def has_history(con: sqlite3.Connection, layer: str) -> bool:
    return con.execute("SELECT 1 FROM main.zones_revisions WHERE layer = ? LIMIT 1", (layer,)).fetchone() is not None


def list_revisions(path: Path, layer: str) -> list[Revision]:
    con = connect(path)
    try:
        return _history(con, layer)
    finally:
        con.close()


def _history(con: sqlite3.Connection, layer: str) -> list[Revision]:
    if not table_exists(con, "main", "zones_revisions"):
        return []
    pruned = "data_pruned_utc" if has_column(con, "main", "zones_revisions", "data_pruned_utc") else "NULL"
    rows = con.execute(
        "SELECT layer, revision, created_utc, token_name, source_file, feature_count, checksum, action, note, "
        f"{pruned} FROM zones_revisions WHERE layer = ? ORDER BY revision", (layer,)).fetchall()
    return [Revision(*r) for r in rows]


def layer_checksum(path: Path, layer: str) -> str:
    """Checksum of the live layer, comparable with a revision's checksum."""
    con = connect(path)
    try:
        con.execute("BEGIN")
        pk, geom, cols = layer_columns(con, "main", layer)
        checksum, _ = query_checksum(con, quote(geom), properties_json_sql(cols),
                                     f"FROM {quote(layer)} ORDER BY {quote(pk)}")
        con.execute("COMMIT")
    finally:
        con.close()
    return checksum


def wkb_sql(geom_column: str) -> str:
    """SQL giving the WKB inside a GeoPackage geometry blob: the header (8 bytes and an envelope of
    0, 32, 48 or 64 bytes, by bits 1-3 of the flags byte) is cut off by SQLite for every row, so
    the whole column decodes in one `shapely.from_wkb` call. A blob that is not a GeoPackage
    geometry gives one zero byte, which the decoder refuses."""
    g = quote(geom_column)
    code = f"substr(hex(substr({g}, 4, 1)), 2, 1)"
    return (f"CASE WHEN {g} IS NULL THEN NULL WHEN substr({g}, 1, 2) != x'4750' THEN x'00' "
            f"ELSE substr({g}, 9 + CASE WHEN {code} IN ('0', '1') THEN 0 WHEN {code} IN ('2', '3') THEN 32 "
            f"WHEN {code} IN ('4', '5', '6', '7') THEN 48 WHEN {code} IN ('8', '9') THEN 64 ELSE -8 END) END")


def read_revision_data(path: Path, layer: str, revision: int) -> gpd.GeoDataFrame:
    """The content of one revision, with the column types it was stored with.

    The record and the content are read in one read transaction, so a prune
    committed meanwhile cannot pass off a dropped revision as an empty layer."""
    con = connect(path)
    try:
        con.execute("BEGIN")
        history = {r.revision: r for r in _history(con, layer)}
        if revision not in history:
            raise UnknownRevision(layer, revision, list(history))
        if not history[revision].restorable:
            raise PrunedRevision(layer, revision, history[revision].data_pruned_utc,
                                 [r.revision for r in history.values() if r.restorable])
        row = con.execute("SELECT columns_json FROM zones_revisions WHERE layer = ? AND revision = ?",
                          (layer, revision)).fetchone()
        cols = [tuple(c) for c in json.loads(row[0])]
        data = con.execute(f"SELECT {wkb_sql('geom')}, properties FROM zones_revision_data WHERE layer = ? "
                           "AND revision = ? ORDER BY fid", (layer, revision)).fetchall()
        con.execute("COMMIT")
    finally:
        con.close()
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    geoms = shapely.from_wkb(np.array([d[0] for d in data], dtype=object))
    records = [json.loads(d[1]) for d in data]
    frame = pd.DataFrame.from_records(records, columns=[c for c, _ in cols]) if records else \
        pd.DataFrame({c: pd.Series(dtype=object) for c, _ in cols})
    for name, sql_type in cols:
        frame[name] = _typed(frame[name], sql_type)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=METRIC)


def _typed(series: pd.Series, sql_type: str) -> pd.Series:
    if sql_type in ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT"):
        return series.astype("Int64") if series.isna().any() else series.astype("int64")
    if sql_type in ("REAL", "FLOAT", "DOUBLE"):
        return series.astype("float64")
    if sql_type == "BOOLEAN":
        return series.astype("boolean")
    return series.astype(object)
