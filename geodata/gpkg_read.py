"""Reading a GeoPackage layer through Python's sqlite3, in one read transaction.

Why not GDAL here: the writer (geodata.gpkg_tx) uses Python's sqlite3, and
GDAL links its own copy of SQLite. Two SQLite libraries in one process do not
see each other's POSIX locks, and closing a file in one drops the other's
locks (sqlite.org/howtocorrupt.html, 2.2.1), so the server must not read the
store with GDAL while it writes with sqlite3. Reading here also makes the
snapshot exact: schema, rows and the generation counter come from one
transaction, so a reader gets the old layer or the new one, never a mix.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

import numpy as np
import shapely

from geodata.revisions import connect, layer_columns, quote, table_exists, wkb_sql

_INT = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT")
_REAL = ("REAL", "FLOAT", "DOUBLE")


def feature_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute("SELECT table_name FROM gpkg_contents WHERE lower(data_type) = 'features' ORDER BY rowid")
    return [r[0] for r in rows if not r[0].startswith("zones_")]


@dataclass(frozen=True)
class LayerScan:
    """What a scan of one layer found besides its rows: the CRS, the generation, the attribute
    columns read (name, SQL type) and the store's feature layers."""

    crs: CRS | None
    generation: int
    columns: list[tuple[str, str]]
    layers: list[str]


def scan_layer(path: Path, layer: str, columns: list[str] | None,
               on_batch: Callable[[LayerScan, np.ndarray | None, list[np.ndarray]], None], *, geometry: bool = True,
               decode: bool = True, batch: int | None = None) -> tuple[LayerScan | None, int, list[str]]:
    """Hand the layer's rows, in primary-key order and `_BATCH` at a time, to `on_batch(scan,
    geometries, [values of each column])`, all from one read transaction; (scan or None when the
    layer is absent, generation, feature layers).

    `columns`: the attribute columns to read (those the layer has; default all). `geometry=False`
    reads no geometry (`on_batch` gets None): the attributes of a layer whose geometry is at hand;
    `decode=False` hands over the geometry blobs as stored (GeoPackage header and WKB; an object
    array of bytes, None where there is none), for a reader that takes them apart itself. `batch`:
    rows a batch (default `_BATCH`); a reader keeping little of each batch takes smaller ones.
    A batch's rows and WKB are dropped before the next batch is fetched, so a reader that keeps
    only what it derives from each batch never holds the whole layer's blobs or geometries."""
    con = connect(path, timeout_s=30.0)
    try:
        con.execute("BEGIN")
        layers = feature_tables(con)
        generation = _generation(con)
        if layer not in layers:
            con.execute("COMMIT")
            return None, generation, layers
        pk, geom, cols = layer_columns(con, "main", layer)
        if columns is not None:
            wanted = set(columns)
            cols = [(c, t) for c, t in cols if c in wanted]
        geom_sql = [(wkb_sql(geom) if decode else quote(geom))] if geometry else []
        select = ", ".join(geom_sql + [quote(c) for c, _ in cols] or [quote(pk)])
        scan = LayerScan(crs=_layer_crs(con, layer), generation=generation, columns=cols, layers=layers)
        cursor = con.execute(f"SELECT {select} FROM {quote(layer)} ORDER BY {quote(pk)}")
        first = 1 if geometry else 0
        while rows := cursor.fetchmany(batch or _BATCH):
            values = list(zip(*rows))
            del rows
            geoms = None
            if geometry:
                geoms = np.array(values[0], dtype=object)
                geoms = shapely.from_wkb(geoms) if decode else geoms
            on_batch(scan, geoms, [_shared_values(values[k + first]) for k in range(len(cols))])
            del values, geoms  # a batch's row tuples and WKB go before the next one comes
        con.execute("COMMIT")
    finally:
        con.close()
    return scan, generation, layers


def read_layer(path: Path, layer: str, columns: list[str] | None = None
               ) -> tuple[gpd.GeoDataFrame | None, int, list[str]]:
    """(layer or None when absent, store generation, feature layers), all from one snapshot.

    `columns`: the attribute columns to read (those the layer has; default all); the geometry
    always comes. Reading three columns of a million parcels instead of all of them is most of
    a cold start."""
    geom_parts: list[np.ndarray] = []
    col_parts: list[list[np.ndarray]] = []

    def keep(_scan: LayerScan, geoms: np.ndarray | None, values: list[np.ndarray]) -> None:
        geom_parts.append(geoms)
        while len(col_parts) < len(values):
            col_parts.append([])
        for k, v in enumerate(values):
            col_parts[k].append(v)

    scan, generation, layers = scan_layer(path, layer, columns, keep)
    if scan is None:
        return None, generation, layers
    cols, crs = scan.columns, scan.crs
    geoms = np.concatenate(geom_parts) if geom_parts else np.array([], dtype=object)
    index = pd.RangeIndex(len(geoms))
    frame = pd.DataFrame({name: _typed(pd.Series(np.concatenate(col_parts[k]) if geom_parts else [], dtype=object,
                                                 index=index), sql_type)
                          for k, (name, sql_type) in enumerate(cols)}, index=index)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=index, crs=crs), crs=crs)
    return gdf, generation, layers


_BATCH = 100_000  # rows decoded at a time: bounds the transient memory of a read


def _shared_values(values: tuple) -> np.ndarray:
    """The column's values as an object array in which equal values are one object: SQLite hands
    out a new string per row, and a parcel layer repeats its uses, zones and sources a million
    times (about 100 bytes each, saved per row and column).

    >>> a = _shared_values(tuple("x" * 3 + str(i % 2) for i in range(4)))
    >>> a.tolist(), a[0] is a[2]
    (['xxx0', 'xxx1', 'xxx0', 'xxx1'], True)
    >>> _shared_values((None, None, "a", None)).tolist(), _shared_values((None, None)).tolist()
    ([None, None, 'a', None], [None, None])
    """
    arr = np.array(values, dtype=object)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    if not len(uniques) or len(uniques) > len(arr) // 2:  # all missing, or mostly distinct
        return arr
    out = np.asarray(uniques, dtype=object)[codes]
    out[codes < 0] = None
    return out


def list_feature_layers(path: Path) -> list[str]:
    con = connect(path, timeout_s=30.0)
    try:
        return feature_tables(con)
    finally:
        con.close()


def _generation(con: sqlite3.Connection) -> int:
    if not table_exists(con, "main", "zones_store_state"):
        return 0
    row = con.execute("SELECT value FROM zones_store_state WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def _layer_crs(con: sqlite3.Connection, layer: str) -> CRS | None:
    row = con.execute(
        "SELECT s.organization, s.organization_coordsys_id, s.definition FROM gpkg_geometry_columns g "
        "JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id WHERE lower(g.table_name) = lower(?)", (layer,)).fetchone()
    if row is None:
        return None
    org, code, definition = row
    if org and org.upper() == "EPSG" and code and code > 0:
        return CRS.from_epsg(code)
    if definition and definition.strip().lower() != "undefined":
        return CRS.from_wkt(definition)
    return None


def _typed(series: pd.Series, sql_type: str) -> pd.Series:
    base = sql_type.split("(")[0].strip()
    if base in _INT:
        return series.astype("Int64") if series.isna().any() else series.astype("int64")
    if base in _REAL:
        return series.astype("float64")
    if base == "BOOLEAN":
        return series.map(lambda v: None if v is None else bool(v))
    return series.astype(object)
