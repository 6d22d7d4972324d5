"""Writing one feature layer straight into an open GeoPackage transaction, on whole arrays.

A write used to let GDAL stage the layer in a scratch GeoPackage and then copy it over: the
features were written twice. Here the table, its R-tree index and their GeoPackage metadata are
created in the store's own transaction and the rows inserted once: geometry blobs (GeoPackage
header + ISO WKB) are built for the whole layer at once, and the R-tree is filled from the
bounds array before its triggers exist, packed at once (geodata.gpkg_rtree), so no per-row SQL
function or R-tree insertion runs. The schema is what GDAL
writes for the same data (table, R-tree, the standard's R-tree triggers, OGR's feature count), so
QGIS and GDAL read and edit the layer as before.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.gpkg_rtree import fill_rtree
from geodata.revisions import quote
from geodata.share_file import share_keys
from geodata.stored_areas import feature_areas, index_group_keys, write_areas
from zones.crs import METRIC, METRIC_CRS
from zones.errors import InvalidInput

GEOM_COLUMN = "geom"
FID_COLUMN = "fid"
RTREE_EXTENSION = ("gpkg_rtree_index", "http://www.geopackage.org/spec120/#extension_rtree", "write-only")
# Geometry type ids (shapely) -> (GeoPackage type name, shapely constructor of its multi type)
_MULTI = {0: "MULTIPOINT", 1: "MULTILINESTRING", 2: "MULTILINESTRING", 3: "MULTIPOLYGON",
          4: "MULTIPOINT", 5: "MULTILINESTRING", 6: "MULTIPOLYGON"}
# Envelope [minx, maxx, miny, maxy] after the 8-byte header; flags: little-endian, envelope code 1
_HEADER = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"), ("env", "<f8", (4,))])
_EMPTY_HEADER = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4")])


class WriteProblem(InvalidInput):
    """A value the GeoPackage cannot hold (a field or geometry it cannot store); nothing changed."""

    default_code = "not_storable"


def geometry_blobs(geoms: np.ndarray, srs_id: int, wrap: np.ndarray | None = None) -> list[bytes | None]:
    """GeoPackage geometry blobs (GeoPackage 1.4, clause 2.1.3) for an array of shapely geometries;
    those marked in `wrap` are stored as their one-part multi geometry (see `promote_to_multi`).

    >>> blob = geometry_blobs(np.array([shapely.box(0, 0, 2, 1)]), 5186)[0]
    >>> blob[:4], int.from_bytes(blob[4:8], "little"), np.frombuffer(blob[8:40]).tolist()
    (b'GP\\x00\\x03', 5186, [0.0, 2.0, 0.0, 1.0])
    >>> shapely.from_wkb(blob[40:]).equals(shapely.box(0, 0, 2, 1))
    True
    >>> shapely.from_wkb(geometry_blobs(np.array([shapely.box(0, 0, 2, 1)]), 5186, np.array([True]))[0][40:]).wkt
    'MULTIPOLYGON (((2 0, 2 1, 0 1, 0 0, 2 0)))'
    """
    geoms = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(geoms)
    present = ~shapely.is_missing(geoms)
    empty = present & shapely.is_empty(np.where(present, geoms, shapely.Point()))
    full = np.flatnonzero(present & ~empty)
    if len(full):
        wkb = wrapped_wkb(shapely.to_wkb(geoms[full], flavor="iso", byte_order=1),
                          None if wrap is None else wrap[full])
        header = np.zeros(len(full), dtype=_HEADER)
        header["magic"], header["flags"], header["srs"] = b"GP", 0b0000_0011, srs_id
        header["env"] = shapely.bounds(geoms[full])[:, [0, 2, 1, 3]]
        heads = header.tobytes()
        size = _HEADER.itemsize
        for k, (i, w) in enumerate(zip(full.tolist(), wkb)):
            out[i] = heads[k * size:(k + 1) * size] + w
    blank = np.flatnonzero(empty)
    if len(blank):
        wkb = shapely.to_wkb(geoms[blank], flavor="iso", byte_order=1)
        head = np.zeros(1, dtype=_EMPTY_HEADER)
        head["magic"], head["flags"], head["srs"] = b"GP", 0b0001_0001, srs_id
        for i, w in zip(blank.tolist(), wkb):
            out[i] = head.tobytes() + w
    return out


def wrapped_wkb(wkbs, wrap: np.ndarray | None) -> list[bytes]:
    """Little-endian ISO WKB of single geometries with those marked in `wrap` turned into their
    one-part multi geometry: byte order, the multi type (the single's type + 3, whatever its z and
    m) and a count of 1 put before the single's own WKB, so no geometry is built for it.

    >>> w = shapely.to_wkb(shapely.Point(1, 2), flavor="iso", byte_order=1)
    >>> shapely.from_wkb(wrapped_wkb([w], np.array([True]))[0]).wkt
    'MULTIPOINT ((1 2))'
    """
    if wrap is None or not wrap.any():
        return list(wkbs)
    prefix: dict[bytes, bytes] = {}
    out = []
    for w, multi in zip(wkbs, wrap.tolist()):
        if multi:
            head = w[1:5]
            if head not in prefix:
                prefix[head] = b"\x01" + (int.from_bytes(head, "little") + 3).to_bytes(4, "little") + b"\x01\0\0\0"
            w = prefix[head] + w
        out.append(w)
    return out


def promote_to_multi(geoms: np.ndarray) -> tuple[np.ndarray, str, bool, np.ndarray]:
    """(geometries, GeoPackage geometry type, has z, wrap): single parts become multi when the layer
    holds one kind of geometry (as GDAL's promote_to_multi), else the layer is GEOMETRY. Non-empty
    single parts stay as they are and are marked in `wrap`: their multi form is written straight
    into the WKB (`wrapped_wkb`); empty ones become the empty multi geometry."""
    geoms = np.asarray(geoms, dtype=object)
    wrap = np.zeros(len(geoms), dtype=bool)
    present = ~shapely.is_missing(geoms)
    kinds = {_MULTI.get(int(t), "GEOMETRY") for t in np.unique(shapely.get_type_id(geoms[present]))}
    has_z = bool(shapely.has_z(geoms[present]).any()) if present.any() else False
    if len(kinds) != 1 or "GEOMETRY" in kinds:
        return geoms, "GEOMETRY", has_z, wrap
    kind = kinds.pop()
    single = present & np.isin(shapely.get_type_id(geoms), (0, 1, 2, 3))
    empty = single & shapely.is_empty(np.where(present, geoms, shapely.Point()))
    if empty.any():
        geoms = geoms.copy()
        geoms[empty] = shapely.from_wkt(f"{kind} EMPTY")
    return geoms, kind, has_z, single & ~empty


def column_type(series: pd.Series) -> str:
    """The GeoPackage field type GDAL gives a pandas column (pyogrio's mapping)."""
    kind = series.dtype.kind
    if str(series.dtype) == "boolean" or kind == "b":
        return "BOOLEAN"
    if kind in "iu":
        return "MEDIUMINT" if series.dtype.itemsize <= 4 and kind == "i" else "INTEGER"
    if kind == "f":
        return "REAL"
    if kind == "M":
        return "DATETIME"
    return "TEXT"


def column_values(series: pd.Series) -> list:
    """The column as values sqlite3 binds: None for missing, 0/1 for booleans, ISO text for times."""
    missing = series.isna().to_numpy()
    kind = series.dtype.kind
    if kind == "M":
        text = pd.to_datetime(series).dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23) + "Z"
        return [None if m else v for v, m in zip(text.tolist(), missing)]
    if str(series.dtype) == "boolean" or kind == "b":
        return [None if m else int(bool(v)) for v, m in zip(series.tolist(), missing)]
    if kind in "iuf" and not missing.any():
        return series.to_numpy().tolist()
    values = series.astype(object).where(~missing, None).tolist()
    if kind in "iuf" or isinstance(series.dtype, pd.StringDtype):  # text columns hold only str or None
        return values
    return [v if v is None or isinstance(v, (str, int, float, bytes)) else str(v) for v in values]


def srs_id_for_metric(con: sqlite3.Connection) -> int:
    """The store's srs_id of the metric CRS (`METRIC`), registered when the store does not know it yet."""
    code = int(METRIC.split(":")[1])
    row = con.execute("SELECT srs_id FROM main.gpkg_spatial_ref_sys WHERE upper(organization) = 'EPSG' "
                      "AND organization_coordsys_id = ?", (code,)).fetchone()
    if row:
        return int(row[0])
    con.execute("INSERT INTO main.gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, "
                "definition, description) VALUES (?, ?, 'EPSG', ?, ?, NULL)",
                (METRIC_CRS.name, code, code, METRIC_CRS.to_wkt("WKT1_GDAL")))
    return code


@dataclass(frozen=True)
class WrittenRows:
    """What was just stored, row for row in fid order: the revision record is computed from these
    instead of reading the geometries back (geodata.revisions.snapshot)."""
    fids: np.ndarray
    blobs: list[bytes | None]  # the geometry column's values
    geoms: np.ndarray  # the geometries those blobs encode, those marked in `wrapped` as their one-part multi
    wrapped: np.ndarray


def write_layer(con: sqlite3.Connection, layer: str, gdf: gpd.GeoDataFrame) -> WrittenRows:
    """Create `layer` in the main schema of `con` (inside its open transaction) holding `gdf`
    (in `METRIC`), with its R-tree and metadata. The layer must not exist."""
    srs_id = srs_id_for_metric(con)
    geoms, type_name, has_z, wrap = promote_to_multi(np.asarray(gdf.geometry.values, dtype=object))
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [str(c) for c in props.columns]
    if len({c.lower() for c in columns} | {FID_COLUMN, GEOM_COLUMN}) != len(columns) + 2:
        raise WriteProblem(f"the layer's attribute names {columns} clash with each other or with "
                           f"{FID_COLUMN}/{GEOM_COLUMN} (SQLite ignores case)")
    types = [column_type(props[c]) for c in props.columns]
    fields = "".join(f", {quote(c)} {t}" for c, t in zip(columns, types))
    con.execute(f"CREATE TABLE main.{quote(layer)} ({quote(FID_COLUMN)} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                f"{quote(GEOM_COLUMN)} {type_name}{fields})")
    fids = np.arange(1, len(gdf) + 1)
    values = [column_values(props[c]) for c in props.columns]
    blobs = geometry_blobs(geoms, srs_id, wrap)
    marks = ", ".join("?" * (len(columns) + 2))
    try:
        con.executemany(f"INSERT INTO main.{quote(layer)} VALUES ({marks})", zip(fids.tolist(), blobs, *values))
    except (sqlite3.InterfaceError, OverflowError) as exc:
        raise WriteProblem(f"the layer could not be written as a GeoPackage table: {exc}") from None
    write_areas(con, layer, FID_COLUMN, GEOM_COLUMN, fids.tolist(), feature_areas(geoms).tolist())
    index_group_keys(con, layer, [k for k in share_keys(layer) if set(k) <= set(columns)])
    rtree = f"rtree_{layer}_{GEOM_COLUMN}"
    con.execute(f"CREATE VIRTUAL TABLE main.{quote(rtree)} USING rtree(id, minx, maxx, miny, maxy)")
    indexed = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(
        np.where(shapely.is_missing(geoms), shapely.Point(), geoms)))
    bounds = shapely.bounds(geoms[indexed]) if len(indexed) else np.zeros((0, 4))
    fill_rtree(con, rtree, fids[indexed], bounds[:, 0], bounds[:, 2], bounds[:, 1], bounds[:, 3])
    for sql in _rtree_triggers(layer, rtree):
        con.execute(sql)
    extent = (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()),
              float(bounds[:, 3].max())) if len(bounds) else (None, None, None, None)
    stamp = datetime.now(timezone.utc)
    now = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    con.execute("INSERT INTO main.gpkg_contents (table_name, data_type, identifier, description, last_change, "
                "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, '', ?, ?, ?, ?, ?, ?)",
                (layer, layer, now, *extent, srs_id))
    con.execute("INSERT INTO main.gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
                "VALUES (?, ?, ?, ?, ?, 0)", (layer, GEOM_COLUMN, type_name, srs_id, int(has_z)))
    con.execute("INSERT INTO main.gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
                "VALUES (?, ?, ?, ?, ?)", (layer, GEOM_COLUMN, *RTREE_EXTENSION))
    if _table_exists(con, "gpkg_ogr_contents"):
        con.execute("INSERT INTO main.gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)", (layer, len(gdf)))
        for sql in _count_triggers(layer):
            con.execute(sql)
    return WrittenRows(fids, blobs, geoms, wrap)


def _table_exists(con: sqlite3.Connection, table: str) -> bool:
    return con.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() \
        is not None


def _rtree_triggers(layer: str, rtree: str) -> list[str]:
    """The R-tree maintenance triggers of the GeoPackage standard (extension F.3, 1.4 wording)."""
    t, r, g, i = quote(layer), quote(rtree), quote(GEOM_COLUMN), quote(FID_COLUMN)
    box = f"ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})"
    has_new = f"(NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))"
    no_new = f"(NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))"
    name = lambda suffix: quote(f"{rtree}_{suffix}")  # noqa: E731
    return [
        f"CREATE TRIGGER main.{name('insert')} AFTER INSERT ON {t} WHEN {has_new} "
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, {box}); END",
        f"CREATE TRIGGER main.{name('update6')} AFTER UPDATE OF {g} ON {t} WHEN OLD.{i} = NEW.{i} AND {has_new} "
        f"AND (OLD.{g} NOTNULL AND NOT ST_IsEmpty(OLD.{g})) BEGIN UPDATE {r} SET minx = ST_MinX(NEW.{g}), "
        f"maxx = ST_MaxX(NEW.{g}), miny = ST_MinY(NEW.{g}), maxy = ST_MaxY(NEW.{g}) WHERE id = NEW.{i}; END",
        f"CREATE TRIGGER main.{name('update7')} AFTER UPDATE OF {g} ON {t} WHEN OLD.{i} = NEW.{i} AND {has_new} "
        f"AND (OLD.{g} ISNULL OR ST_IsEmpty(OLD.{g})) BEGIN INSERT INTO {r} VALUES (NEW.{i}, {box}); END",
        f"CREATE TRIGGER main.{name('update2')} AFTER UPDATE OF {g} ON {t} WHEN OLD.{i} = NEW.{i} AND {no_new} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
        f"CREATE TRIGGER main.{name('update5')} AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND {has_new} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, {box}); END",
        f"CREATE TRIGGER main.{name('update4')} AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND {no_new} "
        f"BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END",
        f"CREATE TRIGGER main.{name('delete')} AFTER DELETE ON {t} WHEN OLD.{g} NOT NULL "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
    ]


def _count_triggers(layer: str) -> list[str]:
    """OGR's feature-count triggers, so GDAL's cached count stays right after an edit in QGIS."""
    t, lit = quote(layer), "'" + layer.replace("'", "''") + "'"
    return [
        f"CREATE TRIGGER main.{quote(f'trigger_insert_feature_count_{layer}')} AFTER INSERT ON {t} BEGIN UPDATE "
        f"gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower({lit}); END",
        f"CREATE TRIGGER main.{quote(f'trigger_delete_feature_count_{layer}')} AFTER DELETE ON {t} BEGIN UPDATE "
        f"gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower({lit}); END",
    ]
