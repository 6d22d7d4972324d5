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
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import geopandas as gpd
import pyogrio
from pyproj import CRS

from geodata.geojson_in import (
    FaultyFeatures, GeoInputFault, collection_features, crs_member_name, load_json, read_features,
)
from zones.crs import CRS84, pyproj_crs
from zones.errors import InvalidInput
from geodata import safe_unzip
from geodata.feature_ids import id_refusal
from geodata.safe_unzip import ZipLimits
from geodata.scratch import scratch_dir

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
    # What the reader lost on the way (e.g. the attributes of a Shapefile without a readable .dbf):
    # error-level findings of the import, so --strict refuses and a default import says so loudly.
    faults: list[str] = field(default_factory=list)
    # Why the file's own CRS declaration could not be read (a damaged .prj), when it has one
    crs_unreadable: str | None = None


def read_any(path: Path, *, encoding: str | None = None, source_layer: str | None = None,
             display_name: str | None = None, zip_limits: ZipLimits = ZipLimits()) -> ReadResult:
    """Read `path` by its extension; `display_name` is the name the user knows it by (an upload).
    A zip is unpacked only within `zip_limits` (TooLarge otherwise)."""
    path = Path(path)
    name = display_name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportProblem(f"{name}: unsupported file type {suffix or '(none)'}; "
                            f"send a zipped or plain Shapefile (.zip/.shp), a GeoPackage (.gpkg) or GeoJSON (.geojson)")
    if suffix == ".zip":
        return _read_zip(path, name, encoding, source_layer, zip_limits)
    if suffix == ".shp":
        return _read_shapefile(path, name, encoding)
    if suffix == ".gpkg":
        return _read_gpkg(path, name, source_layer)
    return _read_geojson(path, name)


def _read_zip(path: Path, name: str, encoding: str | None, source_layer: str | None,
              limits: ZipLimits) -> ReadResult:
    safe_unzip.check_directory(path, name, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportProblem(f"{name}: not a readable zip archive") from None
    with archive, scratch_dir("zip") as tmp:
        infos = [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
        safe_unzip.check_member_count(infos, name, limits)
        names = {i.filename: safe_unzip.member_name(i) for i in infos}
        shps = [i for i in infos if names[i.filename].lower().endswith(".shp")]
        others = [i for i in infos if names[i.filename].lower().endswith((".gpkg", ".geojson", ".json"))]
        if not shps and not others:
            nested = [names[i.filename] for i in infos if names[i.filename].lower().endswith(".zip")]
            if nested:
                raise ImportProblem(f"{name}: the zip holds {len(nested)} zip file(s) ({', '.join(nested[:3])}) and "
                                    f"no layer; zips inside a zip are not opened: send the inner zip itself")
            raise ImportProblem(f"{name}: the zip holds no .shp, .gpkg or .geojson")
        chosen = shps or others
        if len(chosen) > 1:
            wanted = [i for i in chosen if PurePath(names[i.filename]).stem == source_layer] if source_layer else []
            if len(wanted) != 1:
                raise ImportProblem(f"{name}: the zip holds several layers "
                                    f"({', '.join(names[i.filename] for i in chosen)}); keep one per zip")
            chosen = wanted
        main = chosen[0]
        stem = str(PurePath(names[main.filename]).with_suffix(""))
        members = [i for i in infos if i is main or str(PurePath(names[i.filename]).with_suffix("")) == stem]
        safe_unzip.check_sizes(members, path.stat().st_size, name, limits)
        # Unpacked under one plain stem: the member names never reach the file system.
        dest = {i.filename: tmp / ("layer" + PurePath(names[i.filename]).suffix) for i in members}
        try:
            safe_unzip.extract(archive, members, dest, name, limits)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise ImportProblem(f"{name}: the zip is damaged ({_short(exc)})") from None
        inner_name = PurePath(names[main.filename]).name
        result = read_any(dest[main.filename], encoding=encoding, source_layer=source_layer, display_name=inner_name)
        result.source_name = f"{name}!{inner_name}"
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
    prj = sibling(path, ".prj")
    unreadable = None
    if gdf.crs is None and prj is None:
        notes.append("no .prj beside the .shp")
    elif gdf.crs is None:
        text = prj.read_bytes()[:60].decode("utf-8", "replace").strip()
        unreadable = f"the .prj beside the .shp ({prj.name}) is not a CRS definition that can be read ({text!r})"
    fault = dbf_fault(path, name, len(gdf), has_attributes=len(gdf.columns) > 1)
    return ReadResult(gdf, gdf.crs, name, "ESRI Shapefile", codec, notes, faults=[fault] if fault else [],
                      crs_unreadable=unreadable)


def sibling(path: Path, suffix: str) -> Path | None:
    """The file beside `path` with the same stem and `suffix`, in any letter case (.DBF from DOS tools)."""
    exact = path.with_suffix(suffix)
    if exact.exists():
        return exact
    return next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == suffix), None)


def dbf_fault(shp: Path, name: str, features: int, *, has_attributes: bool) -> str | None:
    """Why the Shapefile's attributes are missing or incomplete, or None when its .dbf is whole.

    GDAL reads a Shapefile without its .dbf, or with a damaged one, as geometries alone: every
    attribute (the ids too) would be lost without a word. The .dbf header says how many records
    of what length follow, which is enough to tell a whole table from a missing or cut one."""
    dbf = sibling(shp, ".dbf")
    lost = f"its {features} features carry no attribute (ids are numbered 1..n)"
    if dbf is None:
        return f"{name}: no .dbf beside the .shp: {lost}; send the .dbf with it"
    head = dbf.read_bytes()[:32] if dbf.stat().st_size >= 32 else b""
    records = int.from_bytes(head[4:8], "little") if head else 0
    header_len = int.from_bytes(head[8:10], "little") if head else 0
    record_len = int.from_bytes(head[10:12], "little") if head else 0
    if not head or header_len < 33 or record_len < 1 or not has_attributes:
        return f"{name}: the .dbf ({dbf.name}) is not a readable dBASE table: {lost}"
    if dbf.stat().st_size < header_len + records * record_len:
        return (f"{name}: the .dbf ({dbf.name}) is cut short: its header announces {records:,} records that the "
                f"file does not hold; attributes would be missing")
    if records != features:
        return (f"{name}: the .dbf ({dbf.name}) holds {records:,} records for {features:,} shapes; the attributes "
                f"cannot be matched to the features")
    return None


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
        gdf = pyogrio.read_dataframe(path, layer=chosen, use_arrow=True)  # columnar: 3x faster on 1M rows
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
    # Ids no URL can carry are named now: GDAL would fail on some of them (a lone surrogate)
    # with a message about geometries.
    unaddressable = id_refusal([str(i) for i in map(_feature_id, features) if i is not None])
    if unaddressable:
        raise ImportProblem(f"{name}: {unaddressable}", code="unaddressable_id")
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
        fid = _feature_id(feat)
        if "id" not in props and fid is not None:
            props["id"] = str(fid)
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


def _feature_id(feature: object) -> object:
    """A GeoJSON feature's id as the store takes it: `properties.id` when present, else the feature's own."""
    if not isinstance(feature, dict):
        return None
    props = feature.get("properties")
    if isinstance(props, dict) and "id" in props:
        return props["id"]
    return feature.get("id")
