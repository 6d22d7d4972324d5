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

from geodata.revisions import connect, layer_columns, quote, table_exists, wkb_sql

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
        con.execute("BEGIN")
        if not table_exists(con, "main", layer):
            return None
        pk, geom, cols = layer_columns(con, "main", layer)
        names = {c for c, _ in cols}
        if not set(by) <= names or (where is not None and where[0] not in names):
            return None
        types = dict(cols)
        keys = ", ".join(_as_text(c, types[c]) for c in by)
        cond, params = "", ()
        if where is not None:
            column = _as_text(where[0], types[where[0]])
            cond = f"WHERE ({column} IN ({', '.join('?' * len(where[1]))})" \
                + (f" OR {column} IS NULL)" if "" in where[1] else ")")
            params = tuple(where[1])
        groups = ", ".join(str(i + 1) for i in range(len(by)))
        sums: dict[tuple[str, ...], float] = {}
        if trusted(con, layer):
            join = f"LEFT JOIN {quote(area_table(layer))} a ON a.fid = l.{quote(pk)}"
            rows = con.execute(f"SELECT {keys}, total(a.area_m2), count(*) - count(a.area_m2) FROM {quote(layer)} l "
                               f"{join} {cond} GROUP BY {groups}", params).fetchall()
            for r in rows:
                key = tuple("" if v is None else v for v in r[:-2])
                sums[key] = sums.get(key, 0.0) + r[-2]
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


def feature_areas(geoms) -> "np.ndarray":
    """What `write_areas` stores for each geometry: its planar area, 0 for a missing or empty one."""
    import numpy as np
    import shapely

    return np.nan_to_num(shapely.area(np.asarray(geoms, dtype=object)))
