"""One import, the same from the CLI and the API: read, resolve the CRS, validate, write a revision.

Nothing touches the store until the whole file has been read, reprojected and
validated; then the layer is replaced in one transaction. A refused import
(no CRS, not polygons, `--strict` with errors) changes nothing and still
returns its full report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np

from geodata import korean_crs
from geodata.importers import ImportProblem, ReadResult, from_geojson_obj, read_any
from geodata.revisions import Revision, revision_ranges
from geodata.store import GeoPackageStore, check_layer_id
from geodata.validation import Finding, summary, validate


@dataclass
class ImportOptions:
    layer: str
    crs: str | None = None
    encoding: str | None = None
    strict: bool = False
    source_layer: str | None = None
    token_name: str = "local"


@dataclass
class ImportResult:
    accepted: bool
    report: dict
    summary: str
    revision: Revision | None = None
    refused_because: list[str] = field(default_factory=list)


def import_file(store: GeoPackageStore, path: Path, opts: ImportOptions, display_name: str | None = None) -> ImportResult:
    check_layer_id(opts.layer)
    read = read_any(Path(path), encoding=opts.encoding, source_layer=opts.source_layer, display_name=display_name)
    return _import(store, read, opts)


def import_geojson(store: GeoPackageStore, body: object, opts: ImportOptions, name: str = "request body") -> ImportResult:
    check_layer_id(opts.layer)
    return _import(store, from_geojson_obj(body, name), opts)


def _import(store: GeoPackageStore, read: ReadResult, opts: ImportOptions) -> ImportResult:
    gdf, report, refused = prepare(read, opts)
    if refused:
        report["accepted"] = False
        report["refused_because"] = refused
        return ImportResult(False, report, _text(report), None, refused)
    revision = store.replace_layer(opts.layer, gdf, token_name=opts.token_name, source_file=read.source_name,
                                   action="import", note="strict" if opts.strict else "")
    report["accepted"] = True
    report["revision"] = revision.as_dict()
    report["pruned_revisions"] = store.pruned_by(revision)
    return ImportResult(True, report, _text(report), revision, [])


def prepare(read: ReadResult, opts: ImportOptions) -> tuple[gpd.GeoDataFrame | None, dict, list[str]]:
    """The layer to store (EPSG:5186), its report, and the reasons to refuse it (empty = accept)."""
    base = {"layer": opts.layer, "source_file": read.source_name, "format": read.fmt, "encoding": read.encoding,
            "mode": "strict" if opts.strict else "default (repair, report, import)", "notes": list(read.notes)}
    if len(read.gdf) == 0:
        return None, base, [f"{read.source_name} holds no features"]
    try:
        crs, resolution = korean_crs.resolve(read.declared_crs, opts.crs)
    except korean_crs.CrsProblem as exc:
        return None, base, [str(exc)]
    base["crs"] = resolution.as_dict()
    src = read.gdf
    raw = np.asarray(src.geometry.values, dtype=object)
    metric = korean_crs.to_metric(raw, crs)
    ids, id_note = _ids(src)
    if id_note:
        base["notes"].append(id_note)
    dongs = src["dongs"].tolist() if "dongs" in src.columns else None
    fixed, report = validate(metric, ids, dongs)
    if report.counts.get("non_finite_coordinates"):
        # lat/lon given as lon/lat puts latitudes past 90°: they cannot even be reprojected
        for i in korean_crs.impossible_latitudes(raw, crs):
            report.add(Finding("swapped_coordinates", "error",
                               f"feature {ids[i]} has latitudes beyond ±90°: the coordinates look swapped "
                               f"(GeoJSON and EPSG:4326 files here are lon, lat)", ids[i]))
    for f in korean_crs.lonlat_bounds_check(fixed, raw, crs):
        report.add(Finding("swapped_coordinates" if f["swapped"] else "outside_korea", "error", f["message"],
                           ids[f["index"]], location={"lon": f["lon"], "lat": f["lat"]}))
    base["validation"] = report.as_dict()
    refused = []
    if report.fatal:
        refused.append(f"{report.fatal} fatal fault(s): the layer cannot be stored as it is (see findings)")
    if opts.strict and report.errors:
        refused.append(f"--strict: {report.errors} error(s) found; nothing was changed (see findings)")
    if all(g is None for g in fixed):
        refused.append("no feature has a usable geometry")
    if refused:
        return None, base, refused
    keep = np.array([g is not None for g in fixed])
    props = _safe_columns(src.drop(columns=src.geometry.name).copy(), base["notes"])
    props["id"] = ids
    if "provenance" not in props.columns:
        props["provenance"] = "imported"
        base["notes"].append("no 'provenance' column: set to 'imported'")
    if "source" not in props.columns:
        props["source"] = f"imported from {read.source_name}"
    out = gpd.GeoDataFrame(props[keep].reset_index(drop=True),
                           geometry=gpd.GeoSeries(fixed[keep], crs="EPSG:5186"), crs="EPSG:5186")
    return out, base, []


RESERVED_COLUMNS = {"fid", "geom", "geometry"}


def _safe_columns(props, notes: list[str]):
    """Attribute names a GeoPackage can hold: no clash with its fid/geometry columns, none empty,
    none equal to another but for case (SQLite column names ignore case)."""
    taken: set[str] = set()
    renamed = {}
    for col in props.columns:
        name = str(col).strip() or "unnamed"
        if name.lower() in RESERVED_COLUMNS:
            name = f"{name}_attr"
        base, k = name, 2
        while name.lower() in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name.lower())
        if name != col:
            renamed[col] = name
    if renamed:
        notes.append("attribute columns renamed to fit a GeoPackage: "
                     + ", ".join(f"{a!r} -> {b!r}" for a, b in renamed.items()))
    return props.rename(columns=renamed)


def _ids(src: gpd.GeoDataFrame) -> tuple[list[str], str | None]:
    if "id" in src.columns and src["id"].notna().all():
        return [str(v) for v in src["id"]], None
    return [str(i + 1) for i in range(len(src))], "no complete 'id' column: features numbered 1..n"


def _text(report: dict) -> str:
    from geodata.validation import ValidationReport

    lines = [f"layer {report['layer']} from {report['source_file']} ({report['format']})"]
    crs = report.get("crs")
    if crs:
        acc = "unknown (ballpark)" if crs["accuracy_m"] is None else f"±{crs['accuracy_m']:g} m"
        lines.append(f"CRS: {crs['name']} (EPSG:{crs['epsg']}, {crs['matched_by']}, from {crs['source']})")
        lines.append(f"transformation to EPSG:5186: {crs['transformation']} (stated accuracy {acc})")
        lines += [f"  note: {n}" for n in crs["notes"]]
    lines += [f"note: {n}" for n in report["notes"]]
    v = report.get("validation")
    if v:
        rep = ValidationReport(feature_count=v["feature_count"], counts=v["counts"], repaired=v["repaired"],
                               repair_area_change_m2=v["repair_area_change_m2"], dropped=v["dropped"],
                               findings=[Finding(**f) for f in v["findings"]])
        lines.append(summary(rep))
    if report.get("accepted"):
        r = report["revision"]
        lines.append(f"IMPORTED: layer {r['layer']} is now revision {r['revision']} "
                     f"({r['feature_count']} features, checksum {r['checksum'][:12]}…)")
        pruned = report.get("pruned_revisions")
        if pruned:
            lines.append(f"history: the content of revision{'s' * (len(pruned) > 1)} {revision_ranges(pruned)} "
                         f"was dropped by the retention limit (ZONES_KEEP_REVISIONS); their records stay")
    else:
        lines.append("REFUSED, store unchanged: " + "; ".join(report.get("refused_because", [])))
    return "\n".join(lines)


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


__all__ = ["ImportOptions", "ImportResult", "ImportProblem", "import_file", "import_geojson", "write_report"]
