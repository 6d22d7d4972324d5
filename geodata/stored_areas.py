"""The planar area of every feature, stored beside its layer when the layer is written.

Why: the land-use shares of a million parcels are sums of their areas by use and zone. Measured
at each run, the polygons must be read, decoded and measured first (most of a cold `kizone
shares`); stored once at write time, the shares are one GROUP BY inside SQLite and need no
geometry at all.

Where: `zones_area_<layer>` (fid, area_m2), one row per feature of the layer, the planar area in
the metric CRS (`zones.crs.METRIC`, what PostGIS's ST_Area gives on the stored geometry). Like the
R-tree's tables it is an index of the layer, not a layer: it is not listed in gpkg_contents, and
QGIS and GDAL do not show it.

Kept right when the layer is edited outside this tool (QGIS, GDAL, sqlite3): triggers on the layer
table, in plain SQL (no spatial function, so any SQLite runs them), delete a feature's stored area
when the feature is inserted, when its geometry or fid changes and when it is deleted. Readers take
the stored areas and measure only the features that have none. A tool that recreates the table
(GDAL's overwrite, say) drops the triggers with the old table: then the stored areas are not
trusted at all and every feature is measured.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from geodata.revisions import connect, layer_columns, quote, table_exists, wkb_sql

if TYPE_CHECKING:  # numpy is imported only where used: kizone shares starts without it
    import numpy as np

_EVENTS = ("insert", "update", "delete")
_MMAP_BYTES = 1 << 30


def area_table(layer: str) -> str:
    return f"zones_area_{layer}"


def _trigger(layer: str, event: str) -> str:
    return f"zones_area_{layer}_{event}"


def write_areas(con: sqlite3.Connection, layer: str, fid_column: str, geom_column: str,
                fids: Sequence[int], areas: Sequence[float]) -> None:
    """Store the areas of a layer just written in `con`'s transaction (the layer's rows must carry
    exactly these fids), and the triggers that forget an area when its feature changes."""
    table, t, fid, geom = quote(area_table(layer)), quote(layer), quote(fid_column), quote(geom_column)
    con.execute(f"DROP TABLE IF EXISTS main.{table}")
    con.execute(f"CREATE TABLE main.{table} (fid INTEGER PRIMARY KEY NOT NULL, area_m2 REAL NOT NULL)")
    con.executemany(f"INSERT INTO main.{table} VALUES (?, ?)", zip(fids, areas))
    con.execute(f"CREATE TRIGGER main.{quote(_trigger(layer, 'insert'))} AFTER INSERT ON {t} "
                f"BEGIN DELETE FROM {table} WHERE fid = NEW.{fid}; END")
    con.execute(f"CREATE TRIGGER main.{quote(_trigger(layer, 'update'))} AFTER UPDATE ON {t} "
                f"WHEN OLD.{fid} IS NOT NEW.{fid} OR OLD.{geom} IS NOT NEW.{geom} "
                f"BEGIN DELETE FROM {table} WHERE fid IN (OLD.{fid}, NEW.{fid}); END")
    con.execute(f"CREATE TRIGGER main.{quote(_trigger(layer, 'delete'))} AFTER DELETE ON {t} "
                f"BEGIN DELETE FROM {table} WHERE fid = OLD.{fid}; END")


def index_group_keys(con: sqlite3.Connection, layer: str, keys: Sequence[Sequence[str]]) -> None:
    """An index of the layer on each list of columns in `keys` (those the share check groups and
    filters this layer by), so that `area_sums` scans the index, a few bytes per feature, instead of
    the layer's rows with their geometries (measured on a million parcels: 0.31 s to 0.19 s). GDAL and
    QGIS keep an index on a layer they edit; one that recreates the table drops it, and the sums
    then scan the rows, as right as before."""
    for cols in keys:
        name = f"zones_keys_{layer}_{'_'.join(cols)}"
        con.execute(f"CREATE INDEX IF NOT EXISTS main.{quote(name)} ON {quote(layer)} "
                    f"({', '.join(quote(c) for c in cols)})")


def drop_areas(con: sqlite3.Connection, layer: str) -> None:
    """Forget a layer's stored areas (its triggers go with its table)."""
    con.execute(f"DROP TABLE IF EXISTS main.{quote(area_table(layer))}")


def trusted(con: sqlite3.Connection, layer: str) -> bool:
    """Whether the stored areas of `layer` are those of its current rows but for the ones the
    triggers removed: the table exists and the three triggers still sit on the layer."""
    if not table_exists(con, "main", area_table(layer)):
        return False
    names = [_trigger(layer, e) for e in _EVENTS]
    found = con.execute(f"SELECT count(*) FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                        f"AND name IN ({', '.join('?' * len(names))})", (layer, *names)).fetchone()[0]
    return found == len(names)


def area_sums(path: Path, layer: str, by: Sequence[str], where: tuple[str, Sequence[str]] | None = None
              ) -> dict[tuple[str, ...], float] | None:
    """(values of the `by` columns, as text; "" for a missing value) -> summed planar area (m²) of
    the features of `layer` having them, over the features whose `where[0]` column is one of
    `where[1]` (all features without `where`). None when the layer or one of the columns is absent.

    One scan of the layer in one read transaction: the stored areas are summed inside SQLite, and
    only features without one (edited elsewhere since the write, or a layer this tool did not
    write) are measured from their geometry."""
    con = connect(path, timeout_s=30.0)
    try:
        con.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")  # a scan without a read() call per page
        con.execute("PRAGMA temp_store = MEMORY")  # the sums by group (`_grouped`) never touch the disk
        con.execute("BEGIN")
        if not table_exists(con, "main", layer):
            return None
        pk, geom, cols = layer_columns(con, "main", layer)
        names = {c for c, _ in cols}
        if not set(by) <= names or (where is not None and where[0] not in names):
            return None
        types = dict(cols)
        key_exprs = [_as_text(c, types[c]) for c in by]
        keys = ", ".join(key_exprs)
        cond, params = "", ()
        if where is not None:
            column = _as_text(where[0], types[where[0]])
            cond = f"WHERE ({column} IN ({', '.join('?' * len(where[1]))})" \
                + (f" OR {column} IS NULL)" if "" in where[1] else ")")
            params = tuple(where[1])
        sums: dict[tuple[str, ...], float] = {}
        if trusted(con, layer):
            join = f"LEFT JOIN {quote(area_table(layer))} a ON a.fid = l.{quote(pk)}"
            rows = _grouped(con, [f"ifnull({k}, '')" for k in key_exprs],
                            f"ifnull(a.area_m2, 0), a.fid IS NULL FROM {quote(layer)} l {join} {cond}", bool(cond), params)
            sums = {tuple(r[:-2]): r[-2] for r in rows}
            unmeasured = any(r[-1] for r in rows)
            missing = f"{cond} {'AND' if cond else 'WHERE'} a.fid IS NULL"
        else:  # every feature is measured
            unmeasured, join, missing = True, "", cond
        if unmeasured:
            rows = con.execute(f"SELECT {keys}, {wkb_sql(geom)} FROM {quote(layer)} l {join} {missing}",
                               params).fetchall()
            for k, area in _measure(rows).items():
                sums[k] = sums.get(k, 0.0) + area
        con.execute("COMMIT")
        return sums
    finally:
        con.close()


def _grouped(con: sqlite3.Connection, keys: list[str], values_from: str, has_where: bool,
             params: tuple) -> list[tuple]:
    """(*key, summed area, summed count) per distinct key of `SELECT *keys, area, count FROM ...`
    (`values_from`: the area and count expressions and the FROM clause, with a WHERE when `has_where`).

    Summed into a temporary table as the rows come (an upsert into a table of one row per group),
    not by GROUP BY: SQLite groups by sorting every row first, which costs more than the scan on a
    million parcels."""
    names = [f"k{i}" for i in range(len(keys))]
    con.execute(f"CREATE TEMP TABLE zones_sums ({', '.join(names)}, area REAL NOT NULL, n INTEGER NOT NULL, "
                f"PRIMARY KEY ({', '.join(names)}))")
    try:
        where = "AND true" if has_where else "WHERE true"  # SQLite's rule for an upsert after a join
        con.execute(f"INSERT INTO temp.zones_sums SELECT {', '.join(keys)}, {values_from} {where} "
                    f"ON CONFLICT ({', '.join(names)}) DO UPDATE SET area = area + excluded.area, n = n + excluded.n",
                    params)
        return con.execute("SELECT * FROM temp.zones_sums").fetchall()
    finally:
        con.execute("DROP TABLE temp.zones_sums")


def _as_text(column: str, declared: str) -> str:
    """SQL giving `column` of the layer (alias l) as text, NULL when missing: a TEXT column already
    holds only text (SQLite converts what is stored into it), so it is read as it is."""
    return f"l.{quote(column)}" if declared.split("(")[0].strip() == "TEXT" else f"CAST(l.{quote(column)} AS TEXT)"


def _measure(rows: list[tuple]) -> dict[tuple[str, ...], float]:
    """key -> summed planar area of (*key, WKB) rows (a missing geometry is 0 m², a missing key
    value is "")."""
    import numpy as np
    import shapely

    if not rows:
        return {}
    areas = np.nan_to_num(shapely.area(shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object))))
    out: dict[tuple[str, ...], float] = {}
    for r, a in zip(rows, areas.tolist()):
        key = tuple("" if v is None else v for v in r[:-1])
        out[key] = out.get(key, 0.0) + a
    return out


def feature_areas(geoms) -> np.ndarray:
    """What `write_areas` stores for each geometry: its planar area, 0 for a missing or empty one."""
    import numpy as np
    import shapely

    return np.nan_to_num(shapely.area(np.asarray(geoms, dtype=object)))
