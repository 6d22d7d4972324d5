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
import pandas as pd
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
    _duplicate_ids(ids, report)
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
    """Features with a NaN or infinite coordinate, found on the layer's whole coordinate array."""
    bad = np.zeros(len(geoms), dtype=bool)
    check = np.flatnonzero(~skip)
    coords, owner = shapely.get_coordinates(geoms[check], return_index=True)
    bad[check[np.unique(owner[~np.isfinite(coords).all(axis=1)])]] = True
    for i in np.flatnonzero(bad):
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
    invalid = check[~shapely.is_valid(geoms[check])]  # the reasons, as text, only for those
    if not len(invalid):
        return geoms
    reasons = shapely.is_valid_reason(geoms[invalid])
    fixed = np.array([_polygonal(g) for g in _make_valid(geoms[invalid])], dtype=object)
    before = shapely.area(geoms[invalid])
    after = shapely.area(fixed)
    out = geoms.copy()
    for k, i in enumerate(invalid):
        reason = str(reasons[k])
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


def _duplicate_ids(ids: list[str], report: ValidationReport) -> None:
    """Ids used more than once, each later use named with the feature that used it first."""
    series = pd.Series(ids, dtype=object)
    again = np.flatnonzero(series.duplicated(keep="first").to_numpy())
    if not len(again):
        return
    first = series.drop_duplicates(keep="first")
    first_at = dict(zip(first.to_numpy(), first.index))
    for i in again:
        fid = ids[i]
        report.add(Finding("duplicate_id", "error", f"id {fid} is used by features #{first_at[fid] + 1} and #{i + 1}",
                           fid))


def _slivers(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> None:
    present = np.flatnonzero(~shapely.is_missing(geoms))
    g = geoms[present]
    # A Polygon is its own only part: only multi-part features are split (most parcels are not)
    multi = shapely.get_type_id(g) != 3
    parts, owner = shapely.get_parts(g[multi], return_index=True)
    parts = np.concatenate([g[~multi], parts])
    owner = np.concatenate([np.flatnonzero(~multi), np.flatnonzero(multi)[owner]])
    if not len(parts):
        return
    area = shapely.area(parts)
    perim = shapely.length(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        thinness = np.where(perim > 0, 4 * math.pi * area / perim ** 2, 0.0)
    sliver = (area < SLIVER_MAX_M2) | (thinness < SLIVER_THINNESS)
    for k in np.flatnonzero(sliver)[np.argsort(owner[sliver], kind="stable")]:
        i = present[owner[k]]
        report.add(Finding("sliver", "warning",
                           f"feature {ids[i]} has a sliver part of {area[k]:,.2f} m² (thinness {thinness[k]:.4f})",
                           ids[i], area_m2=float(area[k]), location=_where(parts[k])))


def _overlaps_and_gaps(geoms: np.ndarray, ids: list[str], report: ValidationReport) -> None:
    """Overlaps, duplicate geometries and gaps between features.

    A clean parcel layer is a coverage: neighbours share edges, vertex for vertex, and never
    overlap. That is proven from the edges and one coverage union (`_clean_coverage`), without
    intersecting every pair of neighbours; its gaps are the holes of that union. Any other layer
    gets the general method: every intersecting pair tested (DE-9IM interiors-intersect), the
    overlapping ones intersected, and the holes of the union of the features that touch another.
    """
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(
        np.where(shapely.is_missing(geoms), shapely.Point(), geoms)))
    if len(present) < 2:
        return
    g = geoms[present]
    tree = STRtree(g)
    union = _clean_coverage(g, tree)
    if union is None:
        left, right = tree.query(g, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        touching = np.unique(np.concatenate([left, right]))
        meet = shapely.relate_pattern(g[left], g[right], "T********") if len(left) else np.zeros(0, dtype=bool)
        _report_overlaps(g, present, ids, left[meet], right[meet], report)
        union = shapely.union_all(g[touching]) if len(touching) else shapely.Polygon()
    parts = shapely.get_parts(union)
    with_holes = parts[shapely.get_num_interior_rings(parts) > 0]
    for hole in (shapely.Polygon(ring) for poly in with_holes for ring in shapely.get_rings(poly)[1:]):
        if hole.area <= NOISE_M2:
            continue
        touching = tree.query(hole, predicate="intersects")
        if len(touching) >= 2:
            names = ", ".join(ids[present[t]] for t in touching[:6])
            report.add(Finding("gap", "warning",
                               f"a gap of {hole.area:,.1f} m² lies between features {names}",
                               ids[present[touching[0]]], area_m2=float(hole.area), location=_where(hole)))


def _report_overlaps(g: np.ndarray, present: np.ndarray, ids: list[str], left: np.ndarray, right: np.ndarray,
                     report: ValidationReport) -> None:
    """Findings for pairs (left < right) whose interiors meet: same geometry, and overlap area."""
    if not len(left):
        return
    same = shapely.equals_exact(shapely.normalize(g[left]), shapely.normalize(g[right]), tolerance=0.0)
    for a, b in zip(left[same], right[same]):
        i, j = present[a], present[b]
        report.add(Finding("duplicate_geometry", "error",
                           f"features {ids[i]} and {ids[j]} have the same geometry (imported twice?)",
                           ids[j], ids[i], area_m2=float(shapely.area(g[b])), location=_where(g[b])))
    inter = shapely.intersection(g[left], g[right])
    area = shapely.area(inter)
    big = area > NOISE_M2
    for a, b, m2, piece in zip(left[big], right[big], area[big], inter[big]):
        i, j = present[a], present[b]
        report.add(Finding("overlap", "warning",
                           f"features {ids[i]} and {ids[j]} overlap by {m2:,.1f} m² (counted twice in sums)",
                           ids[i], ids[j], area_m2=float(m2), location=_where(piece)))


def _clean_coverage(g: np.ndarray, tree: STRtree):
    """The union of `g` when the features form a clean coverage (no overlaps), else None.

    With exteriors counter-clockwise and holes clockwise, two features that share an edge run it
    in opposite directions. The layer is a clean coverage when (1) no edge is run twice in one
    direction or used three times, (2) no edge used once enters another feature's interior, and
    (3) the coverage union of the features (GEOS, linear: it keeps the edges used once) is valid
    and as large as the features together. Why that suffices: by (2) every edge used once lies
    on the boundary of the true union, and every boundary point of the true union lies on an edge
    no neighbour matches, so by (1) on an edge used once: the coverage union is bounded by exactly
    the true union's boundary and is the true union. Overlapping features make the true union
    smaller than their sum, which (3) rules out. Cost: one sort of the edges, one query of the
    edges used once, one coverage union.
    """
    start, end, forward, owner = _edges(g)
    key = np.where(forward[:, None], np.hstack([start, end]), np.hstack([end, start]))
    del start, end
    order = _key_order(key)
    key, forward, owner = key[order], forward[order], owner[order]
    new_group = np.ones(len(key), dtype=bool)
    new_group[1:] = (key[1:] != key[:-1]).any(axis=1)
    group = np.cumsum(new_group) - 1
    size = np.bincount(group)
    n_forward = np.bincount(group, weights=forward)
    if np.any((size > 2) | ((size == 2) & (n_forward != 1))):
        return None
    single = size[group] == 1
    lines = shapely.linestrings(np.stack([key[single, :2], key[single, 2:]], axis=1))
    edge_at, hit = tree.query(lines, predicate="intersects")
    other = owner[single][edge_at] != hit
    if np.any(shapely.relate_pattern(lines[edge_at[other]], g[hit[other]], "T********")):
        return None
    try:
        union = shapely.coverage_union_all(g)
    except shapely.errors.GEOSException:  # vertices not matched along shared edges
        return None
    total = float(shapely.area(g).sum())
    if not union.is_valid or abs(union.area - total) > max(NOISE_M2, 1e-9 * total):
        return None
    return union


def _edges(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, forward, owner) of every ring edge of the polygons `g`, with exteriors run
    counter-clockwise and holes clockwise: `forward` says the edge runs from its smaller end (by x,
    then y) to its larger, `owner` whose edge it is. A Polygon without holes (most parcels) is one
    ring: its coordinates are read once and its orientation taken from its signed area, without
    making a new geometry per part and ring; the others are oriented and split by GEOS."""
    simple = (shapely.get_type_id(g) == 3) & (shapely.get_num_interior_rings(g) == 0)
    coords, coord_ring = shapely.get_coordinates(g[simple], return_index=True)
    ring_owner = np.flatnonzero(simple)
    same = coord_ring[:-1] == coord_ring[1:]
    a, b = coords[:-1], coords[1:]
    ring = coord_ring[:-1][same]
    twice_area = np.bincount(ring, weights=(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1])[same], minlength=len(ring_owner))
    start, end = a[same], b[same]
    forward = (start[:, 0] < end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] < end[:, 1]))
    forward ^= twice_area[ring] < 0  # a clockwise exterior runs each edge the other way once oriented
    owner = ring_owner[ring]
    rest = np.flatnonzero(~simple)
    if len(rest):
        parts, part_owner = shapely.get_parts(shapely.orient_polygons(g[rest]), return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        rc, rc_ring = shapely.get_coordinates(rings, return_index=True)
        same = rc_ring[:-1] == rc_ring[1:]
        s2, e2 = rc[:-1][same], rc[1:][same]
        f2 = (s2[:, 0] < e2[:, 0]) | ((s2[:, 0] == e2[:, 0]) & (s2[:, 1] < e2[:, 1]))
        start, end = np.concatenate([start, s2]), np.concatenate([end, e2])
        forward = np.concatenate([forward, f2])
        owner = np.concatenate([owner, rest[part_owner[ring_part[rc_ring[:-1][same]]]]])
    return start, end, forward, owner


def _key_order(key: np.ndarray) -> np.ndarray:
    """An order of the (n, 4) edge keys in which equal keys are adjacent: by a 64-bit hash of the
    key's bits (one integer sort), checked exactly; on a collision, by the keys themselves."""
    bits = (key + 0.0).view(np.uint64)  # + 0.0: -0.0 and 0.0 are one coordinate
    h = np.zeros(len(key), dtype=np.uint64)
    for k, mult in enumerate((0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)):
        h ^= bits[:, k] * np.uint64(mult)
        h ^= h >> np.uint64(29)
    order = np.argsort(h, kind="stable")
    hs, ks = h[order], key[order]
    same_hash = hs[1:] == hs[:-1]
    if np.any(same_hash & (ks[1:] != ks[:-1]).any(axis=1)):  # two keys, one hash: sort the keys
        return np.lexsort(key.T[::-1])
    # equal keys under different hashes cannot happen (the hash is a function of the key), and
    # a run of one hash holds one key: equal keys are adjacent
    return order


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
