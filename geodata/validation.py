"""The validation report of an imported layer: what is wrong, where, and what was repaired.

Everything runs on whole arrays (shapely 2) and an STRtree, so a layer of tens
of thousands of parcels is checked in seconds. Geometries are checked in
the metric CRS (`zones.crs.METRIC`), so every area is in m² and every location can be found on a map.

Severity: an *error* makes `--strict` refuse the import (default mode repairs
or drops and imports); a *warning* is reported only; a *fatal* fault (a layer
that is not polygons, coordinates that are not numbers) refuses in any mode.
Thresholds below are this tool's defaults (assumptions), not survey rules.
"""
from __future__ import annotations

import inspect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import shapely
from shapely import STRtree

from zones.crs import LON_LAT, METRIC, transformer

NOISE_M2 = 1.0  # below this an overlap or gap is numerical noise from shared edges (as zones.allocation)
SLIVER_THINNESS = 0.01  # Polsby-Popper 4πA/P²: a 1 m × 100 m strip is 0.03, a 1 m × 500 m strip 0.006
SLIVER_MAX_M2 = 1.0  # any polygon part smaller than this is a sliver whatever its shape
OUTSIDE_DONG_PCT = 0.1  # share of a feature outside its legal dongs before it is reported
MAX_LISTED = 200  # findings listed per kind; the counts are always complete
POLYGONAL = {"Polygon", "MultiPolygon"}
_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


@dataclass
class Finding:
    kind: str
    severity: str  # "fatal", "error", "warning"
    message: str
    feature: str | None = None  # feature id (or #n when the layer has no ids)
    other: str | None = None
    area_m2: float | None = None
    location: dict | None = None  # {"x", "y" (in METRIC), "lon", "lat"}

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ValidationReport:
    feature_count: int
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    repair_area_change_m2: float = 0.0
    dropped: int = 0

    def add(self, finding: Finding) -> None:
        self.counts[finding.kind] = self.counts.get(finding.kind, 0) + 1
        if self.counts[finding.kind] <= MAX_LISTED:
            self.findings.append(finding)

    def by_severity(self, severity: str) -> int:
        kinds = {f.kind for f in self.findings if f.severity == severity}
        return sum(self.counts[k] for k in kinds)

    @property
    def errors(self) -> int:
        return self.by_severity("error")

    @property
    def warnings(self) -> int:
        return self.by_severity("warning")

    @property
    def fatal(self) -> int:
        return self.by_severity("fatal")

    def as_dict(self) -> dict:
        return {
            "feature_count": self.feature_count, "errors": self.errors, "warnings": self.warnings,
            "fatal": self.fatal, "counts": dict(sorted(self.counts.items())), "repaired": self.repaired,
            "repair_area_change_m2": round(self.repair_area_change_m2, 3), "dropped": self.dropped,
            "findings": [f.as_dict() for f in self.findings],
            "crs": f"areas in m² planar {METRIC}; locations in {METRIC} and lon/lat WGS84",
            "thresholds": {"noise_m2": NOISE_M2, "sliver_thinness": SLIVER_THINNESS,
                           "sliver_max_m2": SLIVER_MAX_M2, "outside_dong_pct": OUTSIDE_DONG_PCT,
                           "note": "tool defaults (assumptions), not survey rules"},
        }


def validate(geoms: np.ndarray, ids: list[str], dongs: list[str | None] | None = None,
             causes: Mapping[int, tuple[str, str]] | None = None) -> tuple[np.ndarray, ValidationReport]:
    """Check and repair metric (`METRIC`) geometries; returns (geometries to store, report).

    Geometries to store are repaired where invalid and None where the feature must be dropped.
    `causes` maps a feature index to (kind, message) when the importer already knows why its
    coordinates could not be reprojected (swapped axes, metres read as degrees): that is reported
    instead of the bare "not numbers".
    """
    geoms = np.asarray(geoms, dtype=object)
    report = ValidationReport(feature_count=len(geoms))
    out = geoms.copy()
    drop = _empty_and_type(geoms, ids, report)
    drop |= _non_finite(geoms, ids, report, drop, causes or {})
    out = _repair_invalid(out, ids, report, drop)
    out[drop] = None
    report.dropped = int(drop.sum())
    _duplicates(out, ids, report)
    _slivers(out, ids, report)
    _overlaps_and_gaps(out, ids, report)
    if dongs is not None:
        _outside_dongs(out, ids, dongs, report)
    return out, report


def _empty_and_type(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> np.ndarray:
    missing = shapely.is_missing(geoms) | shapely.is_empty(np.where(shapely.is_missing(geoms), shapely.Point(), geoms))
    for i in np.flatnonzero(missing):
        report.add(Finding("empty_geometry", "error", f"feature {ids[i]} has no geometry; it is dropped", ids[i]))
    types = shapely.get_type_id(geoms)
    wrong = ~missing & ~np.isin(types, (3, 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(wrong):
        report.add(Finding("geometry_type", "fatal",
                           f"feature {ids[i]} is a {geoms[i].geom_type}; this layer holds areas, only Polygon or "
                           f"MultiPolygon features can be measured", ids[i], location=_where(geoms[i])))
    return missing | wrong


def _non_finite(geoms: np.ndarray, ids: list[str], report: ValidationReport, skip: np.ndarray,
                causes: Mapping[int, tuple[str, str]]) -> np.ndarray:
    bad = np.zeros(len(geoms), dtype=bool)
    for i in np.flatnonzero(~skip):
        coords = shapely.get_coordinates(geoms[i])
        if not np.isfinite(coords).all():
            bad[i] = True
            if i in causes:
                report.add(Finding(causes[i][0], "fatal", causes[i][1], ids[i]))
                continue
            report.add(Finding("non_finite_coordinates", "fatal",
                               f"feature {ids[i]} has coordinates that are not numbers (NaN or infinite), "
                               f"often a failed reprojection or a broken export", ids[i]))
    return bad


def _make_valid(geoms: np.ndarray) -> np.ndarray:
    if "method" in inspect.signature(shapely.make_valid).parameters:
        try:
            return shapely.make_valid(geoms, method="structure", keep_collapsed=False)
        except (TypeError, ValueError, shapely.errors.GEOSException):
            pass
    return shapely.make_valid(geoms)


def _repair_invalid(geoms: np.ndarray, ids: list[str], report: ValidationReport, skip: np.ndarray) -> np.ndarray:
    check = np.flatnonzero(~skip)
    reasons = shapely.is_valid_reason(geoms[check])
    inv_pos = np.flatnonzero(reasons != "Valid Geometry")
    invalid = check[inv_pos]
    if not len(invalid):
        return geoms
    fixed = np.array([_polygonal(g) for g in _make_valid(geoms[invalid])], dtype=object)
    before = shapely.area(geoms[invalid])
    after = shapely.area(fixed)
    out = geoms.copy()
    for k, i in enumerate(invalid):
        reason = str(reasons[inv_pos[k]])
        change = float(after[k] - before[k])
        report.add(Finding(
            "invalid_geometry", "error",
            f"feature {ids[i]} is invalid ({reason}); repaired with make_valid, area changed by {change:+,.1f} m²",
            ids[i], area_m2=change, location=_reason_location(reason) or _where(geoms[i])))
        out[i] = fixed[k]
    report.repaired = len(invalid)
    report.repair_area_change_m2 = float(np.sum(after - before))
    return out


def _polygonal(g):
    if g is None or g.geom_type in POLYGONAL:
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in POLYGONAL]
    flat = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(flat) if flat else shapely.Polygon()


def _duplicates(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> None:
    seen: dict[str, int] = {}
    for i, fid in enumerate(ids):
        if fid in seen:
            report.add(Finding("duplicate_id", "error", f"id {fid} is used by features #{seen[fid] + 1} and #{i + 1}", fid))
        else:
            seen[fid] = i
    valid = np.flatnonzero(~shapely.is_missing(geoms))
    if not len(valid):
        return
    keys = shapely.to_wkb(shapely.normalize(geoms[valid]))
    first: dict[bytes, int] = {}
    for k, i in zip(keys, valid):
        if k in first:
            j = first[k]
            report.add(Finding("duplicate_geometry", "error",
                               f"features {ids[j]} and {ids[i]} have the same geometry (imported twice?)",
                               ids[i], ids[j], area_m2=float(shapely.area(geoms[i])), location=_where(geoms[i])))
        else:
            first[k] = i


def _slivers(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> None:
    present = np.flatnonzero(~shapely.is_missing(geoms))
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    if not len(parts):
        return
    area = shapely.area(parts)
    perim = shapely.length(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        thinness = np.where(perim > 0, 4 * math.pi * area / perim ** 2, 0.0)
    sliver = (area < SLIVER_MAX_M2) | (thinness < SLIVER_THINNESS)
    for k in np.flatnonzero(sliver):
        i = present[owner[k]]
        report.add(Finding("sliver", "warning",
                           f"feature {ids[i]} has a sliver part of {area[k]:,.2f} m² (thinness {thinness[k]:.4f})",
                           ids[i], area_m2=float(area[k]), location=_where(parts[k])))


def _overlaps_and_gaps(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> None:
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(
        np.where(shapely.is_missing(geoms), shapely.Point(), geoms)))
    if len(present) < 2:
        return
    g = geoms[present]
    tree = STRtree(g)
    left, right = tree.query(g, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left):
        inter = shapely.intersection(g[left], g[right])
        area = shapely.area(inter)
        for a, b, m2, piece in zip(left[area > NOISE_M2], right[area > NOISE_M2], area[area > NOISE_M2],
                                   inter[area > NOISE_M2]):
            i, j = present[a], present[b]
            report.add(Finding("overlap", "warning",
                               f"features {ids[i]} and {ids[j]} overlap by {m2:,.1f} m² (counted twice in sums)",
                               ids[i], ids[j], area_m2=float(m2), location=_where(piece)))
    # Only features that touch another can enclose a gap between features.
    touching_any = np.unique(np.concatenate([left, right])) if len(left) else np.array([], dtype=int)
    if not len(touching_any):
        return
    union_parts = shapely.get_parts(shapely.union_all(g[touching_any]))
    with_holes = union_parts[shapely.get_num_interior_rings(union_parts) > 0]
    holes = [shapely.Polygon(ring) for poly in with_holes for ring in shapely.get_rings(poly)[1:]]
    for hole in holes:
        if hole.area <= NOISE_M2:
            continue
        touching = tree.query(hole, predicate="intersects")
        if len(touching) >= 2:
            names = ", ".join(ids[present[t]] for t in touching[:6])
            report.add(Finding("gap", "warning",
                               f"a gap of {hole.area:,.1f} m² lies between features {names}",
                               ids[present[touching[0]]], area_m2=float(hole.area), location=_where(hole)))


@lru_cache(maxsize=256)
def _dong_area(codes: tuple[str, ...]):
    from geodata.admin import dong_union

    return shapely.make_valid(dong_union(list(codes)))


def _outside_dongs(geoms: np.ndarray, ids: list[str], dongs: list[str | None], report: ValidationReport) -> None:
    for i, (geom, text) in enumerate(zip(geoms, dongs)):
        if geom is None or geom.is_empty or not text or not str(text).strip():
            continue
        codes = tuple(sorted({c.strip() for c in str(text).split(",") if c.strip()}))
        try:
            region = _dong_area(codes)
        except KeyError as exc:
            report.add(Finding("unknown_dong", "warning", f"feature {ids[i]}: {exc.args[0]}", ids[i]))
            continue
        outside = geom.difference(region)
        pct = outside.area / geom.area * 100.0 if geom.area else 0.0
        if outside.area > NOISE_M2 and pct > OUTSIDE_DONG_PCT:
            report.add(Finding("outside_dongs", "warning",
                               f"feature {ids[i]} lies {outside.area:,.0f} m² ({pct:.1f} %) outside its legal dongs "
                               f"{', '.join(codes)}", ids[i], area_m2=float(outside.area), location=_where(outside)))


def _where(geom) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    try:
        p = shapely.get_coordinates(shapely.point_on_surface(geom))[0]
    except Exception:
        p = shapely.get_coordinates(geom)[0]
    return _location(float(p[0]), float(p[1]))


def _reason_location(reason: str) -> dict | None:
    m = _LOCATION.search(reason)
    return _location(float(m.group(1)), float(m.group(2))) if m else None


def _location(x: float, y: float) -> dict:
    lon, lat = transformer(METRIC, LON_LAT).transform(x, y)
    return {"x": round(x, 3), "y": round(y, 3), "lon": round(float(lon), 7), "lat": round(float(lat), 7),
            "crs": f"{METRIC} (x, y); lon/lat WGS84"}


def summary(report: ValidationReport) -> str:
    """A few lines a GIS officer reads on the terminal."""
    lines = [f"features: {report.feature_count}   errors: {report.errors}   warnings: {report.warnings}"
             + (f"   FATAL: {report.fatal}" if report.fatal else "")]
    if report.repaired:
        lines.append(f"repaired: {report.repaired} invalid geometries (make_valid), "
                     f"area change {report.repair_area_change_m2:+,.1f} m² in total")
    if report.dropped:
        lines.append(f"dropped: {report.dropped} features")
    for kind, n in sorted(report.counts.items()):
        lines.append(f"  {kind:24s} {n:6d}")
    shown = [f for f in report.findings if f.severity in ("fatal", "error")][:15]
    shown += [f for f in report.findings if f.severity == "warning"][:max(0, 25 - len(shown))]
    for f in shown:
        at = f" at {f.location['lon']:.6f} E {f.location['lat']:.6f} N" if f.location else ""
        lines.append(f"  - [{f.severity}] {f.message}{at}")
    listed = len(shown)
    total = sum(report.counts.values())
    if total > listed:
        lines.append(f"  ... {total - listed} more in the JSON report")
    return "\n".join(lines)
