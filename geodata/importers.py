"""Reading surveyed layers: Shapefile (plain or zipped), GeoPackage, GeoJSON.

Each reader returns the features as they are in the file, with the CRS the
file declares (or None) and what it found out on the way (encoding, which
layer of a multi-layer GeoPackage, which .shp of a zip). CRS resolution,
reprojection and validation happen afterwards, the same for every format.
"""
from __future__ import annotations

import io
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS

from geodata.geojson_in import (
    FaultyFeatures, GeoInputFault, collection_features, crs_member_name, load_json, read_features,
)
from zones.crs import CRS84, pyproj_crs
from zones.errors import InvalidInput

SUPPORTED = (".shp", ".zip", ".gpkg", ".geojson", ".json")
# Code pages a .cpg may name, mapped to Python codec names.
_CPG_ALIASES = {"949": "cp949", "cp949": "cp949", "uhc": "cp949", "ms949": "cp949", "euc-kr": "euc-kr",
                "euckr": "euc-kr", "ks_c_5601-1987": "cp949", "utf-8": "utf-8", "utf8": "utf-8",
                "65001": "utf-8", "ansi 949": "cp949"}


class ImportProblem(InvalidInput):
    """The file cannot be read as a layer; the message says why in a GIS officer's terms."""

    default_code = "unreadable_file"


@dataclass
class ReadResult:
    gdf: gpd.GeoDataFrame  # as in the file; crs may be None
    declared_crs: CRS | None
    source_name: str
    fmt: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    # (CRS, why) the format defines when the file declares none: GeoJSON is lon/lat CRS84 (RFC 7946)
    default_crs: tuple[CRS, str] | None = None


def read_any(path: Path, *, encoding: str | None = None, source_layer: str | None = None,
             display_name: str | None = None) -> ReadResult:
    """Read `path` by its extension; `display_name` is the name the user knows it by (an upload)."""
    path = Path(path)
    name = display_name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportProblem(f"{name}: unsupported file type {suffix or '(none)'}; "
                            f"send a zipped or plain Shapefile (.zip/.shp), a GeoPackage (.gpkg) or GeoJSON (.geojson)")
    if suffix == ".zip":
        return _read_zip(path, name, encoding, source_layer)
    if suffix == ".shp":
        return _read_shapefile(path, name, encoding)
    if suffix == ".gpkg":
        return _read_gpkg(path, name, source_layer)
    return _read_geojson(path, name)


def _read_zip(path: Path, name: str, encoding: str | None, source_layer: str | None) -> ReadResult:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportProblem(f"{name}: not a readable zip archive") from None
    with archive, tempfile.TemporaryDirectory(prefix="kizone-zip-") as tmp:
        members = [m for m in archive.namelist() if not m.endswith("/") and "__MACOSX" not in m]
        shps = [m for m in members if m.lower().endswith(".shp")]
        others = [m for m in members if m.lower().endswith((".gpkg", ".geojson", ".json"))]
        if not shps and not others:
            raise ImportProblem(f"{name}: the zip holds no .shp, .gpkg or .geojson")
        chosen = shps or others
        if len(chosen) > 1:
            wanted = [m for m in chosen if Path(m).stem == source_layer] if source_layer else []
            if len(wanted) != 1:
                raise ImportProblem(f"{name}: the zip holds several layers ({', '.join(chosen)}); keep one per zip")
            chosen = wanted
        stem = str(Path(chosen[0]).with_suffix(""))
        for m in members:
            if m == chosen[0] or str(Path(m).with_suffix("")) == stem:
                target = Path(tmp) / Path(m).name
                if ".." in Path(m).parts:
                    raise ImportProblem(f"{name}: refusing a zip member with '..' in its path")
                target.write_bytes(archive.read(m))
        inner = Path(tmp) / Path(chosen[0]).name
        result = read_any(inner, encoding=encoding, source_layer=source_layer, display_name=inner.name)
        result.source_name = f"{name}!{Path(chosen[0]).name}"
        result.gdf = result.gdf.copy()
        return result


def shapefile_encoding(shp: Path, given: str | None) -> tuple[str, str]:
    """(codec, how it was decided): --encoding wins, then the .cpg, else UTF-8 with a note."""
    if given:
        return _codec(given), "--encoding"
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists():
        cpg = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".cpg"), cpg)
    if cpg.exists():
        text = cpg.read_bytes().decode("ascii", "ignore").strip()
        return _codec(text), f".cpg ({text})"
    return "utf-8", "no .cpg: assumed UTF-8"


def _codec(text: str) -> str:
    key = text.strip().lower()
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    try:
        return io.TextIOWrapper(io.BytesIO(), encoding=key).encoding
    except LookupError:
        raise ImportProblem(f"unknown attribute encoding {text!r}; use utf-8, cp949 or euc-kr") from None


def _read_shapefile(path: Path, name: str, encoding: str | None) -> ReadResult:
    if not path.exists():
        raise ImportProblem(f"{name}: file not found")
    codec, how = shapefile_encoding(path, encoding)
    try:
        gdf = pyogrio.read_dataframe(path, encoding=codec)
    except UnicodeDecodeError:
        raise ImportProblem(f"{name}: attributes are not {codec}; tell the encoding with --encoding cp949 (or euc-kr)") from None
    except Exception as exc:
        raise ImportProblem(f"{name}: not a readable Shapefile ({_short(exc)})") from None
    notes = [f"attribute encoding {codec} ({how})"]
    _check_decoded(gdf, name, codec)
    prj = path.with_suffix(".prj")
    if gdf.crs is None and not prj.exists():
        notes.append("no .prj beside the .shp")
    return ReadResult(gdf, gdf.crs, name, "ESRI Shapefile", codec, notes)


def _check_decoded(gdf: gpd.GeoDataFrame, name: str, codec: str) -> None:
    """Korean text read with the wrong code page turns into U+FFFD or Latin-1 soup."""
    for col in gdf.columns:
        if gdf[col].dtype != object or col == gdf.geometry.name:
            continue
        for value in gdf[col].dropna().astype(str).head(200):
            if "\ufffd" in value:
                raise ImportProblem(f"{name}: column {col!r} does not decode as {codec} ({value[:30]!r}); "
                                    f"tell the encoding with --encoding cp949 (or euc-kr)")


def _read_gpkg(path: Path, name: str, source_layer: str | None) -> ReadResult:
    try:
        layers = [(str(n), g) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ImportProblem(f"{name}: not a readable GeoPackage ({_short(exc)})") from None
    spatial = [n for n, g in layers if g is not None and not n.startswith("zones_")]
    if source_layer:
        if source_layer not in spatial:
            raise ImportProblem(f"{name}: no layer {source_layer!r}; its layers: {', '.join(spatial) or 'none'}")
        chosen = source_layer
    elif len(spatial) == 1:
        chosen = spatial[0]
    else:
        raise ImportProblem(f"{name}: holds {len(spatial)} layers ({', '.join(spatial) or 'none'}); "
                            f"name the one to import (--source-layer)")
    try:
        gdf = pyogrio.read_dataframe(path, layer=chosen)
    except Exception as exc:
        raise ImportProblem(f"{name}: layer {chosen!r} is not readable ({_short(exc)})") from None
    return ReadResult(gdf, gdf.crs, name, "GPKG", None, [f"layer {chosen!r} of the GeoPackage"])


def _read_geojson(path: Path, name: str) -> ReadResult:
    try:
        raw = load_json(path.read_bytes(), name)
    except GeoInputFault as fault:
        raise ImportProblem(fault.detail, code=fault.code) from None
    return from_geojson_obj(raw, name)


def from_geojson_obj(raw: object, name: str) -> ReadResult:
    """A GeoJSON FeatureCollection (RFC 7946: lon/lat CRS84 unless a legacy `crs` member says otherwise),
    read by the shared reader: every faulty feature is counted, the first named."""
    try:
        features = collection_features(raw)
    except GeoInputFault as fault:
        if fault.kind != "no_features" or not isinstance(raw.get("features"), list):
            raise ImportProblem(f"{name}: a GeoJSON FeatureCollection is expected (type 'FeatureCollection' with "
                                f"'features')", code=fault.code) from None
        features = []  # refused later, with its report, as a layer holding no features
    notes = []
    declared = None
    legacy = raw.get("crs")
    if legacy is not None:
        try:
            declared = pyproj_crs(crs_member_name(legacy))
        except GeoInputFault:
            raise ImportProblem(f"{name}: the 'crs' member is not understood; RFC 7946 GeoJSON is lon/lat WGS84 "
                                f"and needs none", code="unknown_crs") from None
        notes.append(f"legacy GeoJSON 'crs' member: {crs_member_name(legacy)}")
    try:
        read_features(features, _check_feature)
    except FaultyFeatures as faults:
        first = faults.listed[0]
        who = f"feature #{first.index + 1}" + (f" (id {first.id!r})" if first.id is not None else "")
        more = f" (and {faults.total - 1} more feature(s))" if faults.total > 1 else ""
        raise ImportProblem(f"{name}: {who}: {first.fault.detail}{more}", code=first.fault.code,
                            faulty_features=faults.total) from None
    try:
        gdf = _features_to_gdf(features, declared)
    except Exception as exc:
        raise ImportProblem(f"{name}: a geometry could not be read ({_short(exc)})") from None
    return ReadResult(gdf, declared, name, "GeoJSON", "utf-8", notes,
                      default_crs=(GEOJSON_CRS, "GeoJSON default (RFC 7946: lon/lat CRS84)"))


GEOJSON_CRS = CRS.from_user_input(CRS84)


def _check_feature(i: int, feat: object) -> None:
    """One feature as an import needs it: a Feature, its geometry an object with a type (or null), its
    properties an object, and no NaN or Infinity (JSON has neither, but Python's reader and some
    exporters let them through; left in, they reach the geometry parser and come back as its internals)."""
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise GeoInputFault("not_a_feature", "is not a GeoJSON Feature")
    geom = feat.get("geometry")
    if geom is not None and (not isinstance(geom, dict) or "type" not in geom):
        raise GeoInputFault("bad_geometry", "has a malformed geometry")
    if feat.get("properties") is not None and not isinstance(feat.get("properties"), dict):
        raise GeoInputFault("bad_properties", "'properties' must be an object")
    where = _non_finite_in(geom, "geometry")
    if where is None and isinstance(feat.get("properties"), dict):
        where = _non_finite_in(feat["properties"], "properties")
    if where is not None:
        raise GeoInputFault("non_finite_coordinate", f"{where}; JSON has no NaN or Infinity: every coordinate must "
                            "be a number, a missing value null")


def _non_finite_in(value: object, path: str) -> str | None:
    """Where the first NaN/infinite number in a parsed JSON value sits, or None (cheap when there is none)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {_num(value)}"
    if isinstance(value, (dict, list)):
        if "NaN" not in json.dumps(value) and "Infinity" not in json.dumps(value):
            return None
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, list) and item and all(isinstance(v, (int, float)) for v in item):
                if not all(math.isfinite(v) for v in item):  # a position: name it whole
                    return f"{path}[{key}] is [{', '.join(_num(v) for v in item)}]"
                continue
            where = _non_finite_in(item, f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]")
            if where:
                return where
    return None


def _num(v: float) -> str:
    return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(repr(float(v)), repr(v))


def _features_to_gdf(features: list[dict], crs: CRS) -> gpd.GeoDataFrame:
    import shapely

    geoms, rows = [], []
    for i, feat in enumerate(features):
        geom = feat.get("geometry")
        try:
            geoms.append(shapely.from_geojson(json.dumps(geom)) if geom else None)
        except Exception as exc:
            raise ValueError(f"feature #{i + 1}: {_short(exc)}") from None
        props = dict(feat.get("properties") or {})
        if "id" not in props and feat.get("id") is not None:
            props["id"] = str(feat["id"])
        rows.append({(f"{k}_attr" if k == "geometry" else k):
                     (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                     for k, v in props.items()})
    import pandas as pd

    frame = pd.DataFrame.from_records(rows)
    if len(frame) != len(rows):  # features without any property
        frame = pd.DataFrame.from_records(rows, index=pd.RangeIndex(len(rows)))
        frame = frame.reindex(pd.RangeIndex(len(rows)))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=crs)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
