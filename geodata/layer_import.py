"""One import, the same from the CLI and the API: read, resolve the CRS, validate, write a revision.

Nothing touches the store until the whole file has been read, reprojected and
validated; then the layer is replaced in one transaction. A refused import
(no CRS, not polygons, `--strict` with errors) changes nothing and still
returns its full report.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np

import shapely

from geodata import korean_crs
from geodata.feature_ids import id_refusal
from geodata.importers import ImportProblem, ReadResult, from_geojson_obj, read_any
from geodata.revisions import Revision, revision_ranges
from geodata.safe_unzip import ZipLimits
from geodata.store import GeoPackageStore, check_layer_id
from geodata.validation import Finding, summary, validate
from zones.crs import (DEGREE_LIMIT, LON_LAT, METRIC, box_in_korea, check_in_korea, in_korea, is_geographic,
                       lonlat_of)
from zones.errors import GeoInputFault


@dataclass
class ImportOptions:
    layer: str
    crs: str | None = None
    encoding: str | None = None
    strict: bool = False
    source_layer: str | None = None
    token_name: str = "local"
    # Where `crs` came from and how the user gives one, in the words of their interface
    crs_from: str = "--crs"
    crs_hint: str = "--crs {code}"
    # How far an uploaded zip may unpack (ZONES_MAX_UNZIPPED_MB, ZONES_MAX_ZIP_RATIO, ZONES_MAX_ZIP_MEMBERS)
    zip_limits: ZipLimits = field(default_factory=ZipLimits)
    # What the write must not break (geodata.write_guard), checked inside its transaction
    guard: Callable[[str, gpd.GeoDataFrame], None] | None = None


@dataclass
class ImportResult:
    accepted: bool
    report: dict
    summary: str
    revision: Revision | None = None
    refused_because: list[str] = field(default_factory=list)


def import_file(store: GeoPackageStore, path: Path, opts: ImportOptions, display_name: str | None = None) -> ImportResult:
    check_layer_id(opts.layer)
    read = read_any(Path(path), encoding=opts.encoding, source_layer=opts.source_layer, display_name=display_name,
                    zip_limits=opts.zip_limits)
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
                                   action="import", note="strict" if opts.strict else "", guard=opts.guard)
    report["accepted"] = True
    report["revision"] = revision.as_dict()
    report["pruned_revisions"] = store.pruned_by(revision)
    return ImportResult(True, report, _text(report), revision, [])


def prepare(read: ReadResult, opts: ImportOptions) -> tuple[gpd.GeoDataFrame | None, dict, list[str]]:
    """The layer to store (in `METRIC`), its report, and the reasons to refuse it (empty = accept)."""
    base = {"layer": opts.layer, "source_file": read.source_name, "format": read.fmt, "encoding": read.encoding,
            "mode": "strict" if opts.strict else "default (repair, report, import)", "notes": list(read.notes)}
    if len(read.gdf) == 0:
        return None, base, [f"{read.source_name} holds no features"]
    if read.crs_unreadable and not opts.crs:
        return None, base, [f"{read.crs_unreadable}; the tool never guesses: tell it with "
                            f"{opts.crs_hint.format(code=METRIC)} (or the system the data is in)"]
    if read.crs_unreadable:
        base["notes"].append(f"{read.crs_unreadable}; {opts.crs_from} {opts.crs} was used")
    try:
        crs, resolution = korean_crs.resolve(read.declared_crs, opts.crs, override_source=opts.crs_from,
                                             hint=opts.crs_hint, default=read.default_crs)
    except korean_crs.CrsProblem as exc:
        return None, base, [str(exc)]
    base["crs"] = resolution.as_dict()
    if read.default_crs is not None and resolution.source == read.default_crs[1]:
        base["notes"].append("GeoJSON without 'crs': lon/lat WGS84 (RFC 7946)")
    src = read.gdf
    raw = np.asarray(src.geometry.values, dtype=object)
    metric = korean_crs.to_metric(raw, crs)
    ids, id_note = _ids(src)
    if id_note:
        base["notes"].append(id_note)
    unaddressable = id_refusal(ids)
    if unaddressable:
        return None, base, [unaddressable]
    dongs = src["dongs"].tolist() if "dongs" in src.columns else None
    causes = placement_causes(raw, resolution, opts)
    fixed, report = validate(metric, ids, dongs, {i: (kind, f"feature {ids[i]}: {text}")
                                                  for i, (kind, text) in causes.items()})
    for i, (kind, text) in causes.items():
        if kind == "degrees_as_metres" and fixed[i] is not None:  # a finite speck near the false origin: unusable
            fixed[i] = None
            report.add(Finding(kind, "fatal", f"feature {ids[i]}: {text}", ids[i]))
    for f in korean_crs.lonlat_bounds_check(fixed, raw, crs):
        i = f["index"]
        kind, message = causes.get(i, ("swapped_coordinates" if f["swapped"] else "outside_korea", f["message"]))
        report.add(Finding(kind, "error", message if i not in causes else f"feature {ids[i]}: {message}",
                           ids[i], location={"lon": f["lon"], "lat": f["lat"]}))
    for fault in read.faults:
        report.add(Finding("attributes_lost", "error", fault))
    base["validation"] = report.as_dict()
    refused = ([f"--strict: {fault}" for fault in read.faults] if opts.strict else []) \
        + _refusals(report, causes, fixed, opts)
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
                           geometry=gpd.GeoSeries(fixed[keep], crs=METRIC), crs=METRIC)
    return out, base, []


def _refusals(report, causes: dict[int, tuple[str, str]], fixed: np.ndarray, opts: ImportOptions) -> list[str]:
    """Why the layer is refused: a known cause of unusable coordinates is said once for the layer,
    not as one "not numbers" per feature beside it."""
    refused = []
    unusable = {i for i, g in enumerate(fixed) if g is None}
    explained = {i: causes[i] for i in unusable if i in causes}
    for kind in dict.fromkeys(k for k, _ in explained.values()):
        hits = sorted(i for i, (k, _) in explained.items() if k == kind)
        share = f" ({len(hits)} of {len(fixed)} features)" if len(hits) < len(fixed) else ""
        refused.append(causes[hits[0]][1] + share)
    others = report.fatal - len(explained)
    if others > 0:
        refused.append(f"{others} fatal fault(s): the layer cannot be stored as it is (see findings)")
    if opts.strict and report.errors:
        refused.append(f"--strict: {report.errors} error(s) found; nothing was changed (see findings)")
    if not explained and all(g is None for g in fixed):
        refused.append("no feature has a usable geometry")
    return refused


# How a shared place-check fault (geodata.geojson_in) is reported for a whole file.
_CAUSE_KIND = {"swapped_lat_lon": "swapped_coordinates", "swapped_axes": "swapped_coordinates",
               "metres_as_degrees": "metres_as_degrees", "degrees_as_metres": "degrees_as_metres"}
_CAUSE_WORDING = {
    "swapped_lat_lon": "the coordinates look like latitude, longitude (first position {x:g}, {y:g}); positions in "
                       "{system} are longitude, latitude: swap them",
    "swapped_axes": "the coordinates look like northing, easting in {system} (first position {x:,.0f} / {y:,.0f}); "
                    "positions are easting, northing: swap them",
    "metres_as_degrees": "these coordinates look like metres (e.g. {x:,.0f} / {y:,.0f}), not longitude/latitude: "
                         "{declared}; give its CRS with {hint}{likely}",
    "degrees_as_metres": "these coordinates look like longitude/latitude (e.g. {x:g}, {y:g}), not metres in {system}: "
                         "{declared}; give the right CRS with {hint} (longitude/latitude)",
}


def placement_causes(raw: np.ndarray, resolution: korean_crs.CrsResolution,
                     opts: ImportOptions) -> dict[int, tuple[str, str]]:
    """(kind, message) for each feature whose coordinates lie outside Korea for a known reason:
    axes swapped, metres read as degrees or degrees as metres (the CRS is missing or wrong).

    The shared GeoJSON place checks judge the features; only those that do not land in Korea are
    looked at, so a clean layer of any size costs one vectorised transformation.
    """
    if resolution.epsg is None:
        return {}
    code = f"EPSG:{resolution.epsg}"
    coords, owner = shapely.get_coordinates(raw, return_index=True)
    finite = np.isfinite(coords).all(axis=1)
    if finite.all() and len(coords) and box_in_korea(*coords.min(axis=0), *coords.max(axis=0), code):
        inside = finite  # the layer's extent lies in Korea: no position is transformed one by one
    else:
        inside = finite & in_korea(*lonlat_of(coords[:, 0], coords[:, 1], code))
    suspects = np.unique(owner[~inside])
    # Degrees read as metres may land inside the Korea box (EPSG:5174, 5176, ...); none can when every
    # position has a coordinate larger than any degree (one test on the whole array).
    all_large = bool(len(coords)) and np.abs(coords).max(axis=1).min() > DEGREE_LIMIT
    if not is_geographic(code) and not all_large:
        present, large = np.zeros(len(raw), dtype=bool), np.zeros(len(raw), dtype=bool)
        present[owner] = True
        large[owner[(np.abs(coords) > DEGREE_LIMIT).any(axis=1)]] = True
        suspects = np.union1d(suspects, np.flatnonzero(present & ~large))
    suspects = np.setdiff1d(suspects, np.unique(owner[~finite]))
    starts = np.searchsorted(owner, suspects, side="left")
    ends = np.searchsorted(owner, suspects, side="right")
    out: dict[int, tuple[str, str]] = {}
    advice: dict[str, dict] = {}  # per kind, from its first feature: the suggested systems cost ~20 transforms
    for i, a, b in zip(suspects.tolist(), starts, ends):
        try:
            check_in_korea(coords[a:b], code, resolution.name)
        except GeoInputFault as fault:
            if fault.kind in _CAUSE_KIND:
                if fault.kind not in advice:
                    advice[fault.kind] = _advice(fault, resolution, opts)
                out[i] = (_CAUSE_KIND[fault.kind], fault.worded(_CAUSE_WORDING, **advice[fault.kind]))
    return out


def _advice(fault: GeoInputFault, resolution: korean_crs.CrsResolution, opts: ImportOptions) -> dict:
    """What the cause messages say about the CRS: which one was used, why, and which to give."""
    if resolution.source == opts.crs_from:
        declared = f"{opts.crs_from} says {resolution.declared}"
    elif resolution.source == "file":
        declared = f"the file declares {resolution.declared}"
    else:
        declared = "the file declares no CRS"
    likely = korean_crs.likely_systems(fault.facts["x"], fault.facts["y"]) if fault.kind == "metres_as_degrees" else []
    fits = ""
    if likely:
        named = [f"EPSG:{likely[0]} ({korean_crs.CRS.from_epsg(likely[0]).name})"] + [f"EPSG:{c}" for c in likely[1:4]]
        rest = f" and {len(likely) - 4} more Korean systems" if len(likely) > 4 else ""
        fits = f"; the numbers fit {', '.join(named)}{rest}: the data's source can say which"
    code = LON_LAT if fault.kind == "degrees_as_metres" else f"EPSG:{likely[0]}" if likely else METRIC
    return {"declared": declared, "hint": opts.crs_hint.format(code=code),
            "likely": fits, "system": resolution.name}


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
        lines.append(f"transformation to {METRIC}: {crs['transformation']} (stated accuracy {acc})")
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
