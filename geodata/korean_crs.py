"""Which CRS an imported file is in, and how to bring it to the metric CRS without losing 400 m.

Korean data comes in the KGD2002 (GRS80) belts 5185-5188, the unified 5179,
lon/lat 4326, and the legacy Korean 1985 (Bessel) systems 5173-5177 and
2096-2098. Legacy .prj files are often ESRI WKT with a home-made name, a
datum called after the ellipsoid and no TOWGS84: PROJ then cannot tell which
datum it is and falls back to a "ballpark" transformation that keeps the
coordinates on the wrong datum, a shift of 300-400 m in Korea. So a CRS that
carries no EPSG identity is matched here by its projection parameters and
ellipsoid against the Korean EPSG systems, and the transformation is chosen
with pyproj's TransformerGroup (PROJ's own ranking of the EPSG operations)
and recorded by name and stated accuracy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer

from zones.crs import LON_LAT, METRIC, best_transformer, in_korea, lonlat_of, pyproj_crs, reproject, transformer
from zones.errors import GeoInputFault, InvalidInput
# EPSG systems in use in Korea, matched by parameters when a file's CRS has no code.
KOREAN_EPSG = (5186, 5185, 5187, 5188, 5179, 5181, 5180, 5182, 5183, 5184,
               5174, 5173, 5175, 5176, 5177, 2097, 2096, 2098, 5178)
GEOGRAPHIC_EPSG = (4326, 4737, 4162)
BESSEL_DATUM_EPSG = {4162}
_TM_PARAMS = (8801, 8802, 8805, 8806, 8807)  # lat0, lon0, k0, false easting, false northing
_PARAM_TOL = {8801: 1e-7, 8802: 1e-7, 8805: 1e-9, 8806: 1e-3, 8807: 1e-3}


class CrsProblem(InvalidInput):
    """The file's CRS is missing, unusable, or cannot be reached from `METRIC` safely."""

    default_code = "unusable_crs"


@dataclass(frozen=True)
class CrsResolution:
    """What the importer decided about the source CRS, for the report."""

    source: str  # how the CRS was known: "file", "--crs", "GeoJSON (RFC 7946: CRS84)"
    declared: str  # the CRS as the file or the caller gave it (name or WKT head)
    epsg: int | None  # the EPSG system it was identified as
    name: str
    matched_by: str  # "EPSG code", "projection parameters + ellipsoid", "as given"
    bessel: bool
    transformation: str
    accuracy_m: float | None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "source": self.source, "declared": self.declared, "epsg": self.epsg, "name": self.name,
            "matched_by": self.matched_by, "bessel": self.bessel, "transformation": self.transformation,
            "accuracy_m": self.accuracy_m, "notes": list(self.notes),
        }


def parse_crs(text: str) -> CRS:
    """The CRS given with --crs or a request's crs, in any spelling zones.crs reads (or WKT)."""
    try:
        return pyproj_crs(text)
    except GeoInputFault as fault:
        raise CrsProblem(fault.detail, code=fault.code) from None


def resolve(declared: CRS | None, override: str | None, *, source: str = "file", override_source: str = "--crs",
            hint: str = "--crs {code}", default: tuple[CRS, str] | None = None) -> tuple[CRS, CrsResolution]:
    """The CRS to read the coordinates in, identified, with the transformation to `METRIC`.

    `override_source` names where `override` came from (the CLI's --crs, or an API request's crs
    parameter) and `hint` how the caller gives one ("--crs {code}"), so the report and the messages
    speak of the option the user actually has. `default` is (CRS, why) for a format that defines one
    when the file declares none (GeoJSON: lon/lat CRS84, RFC 7946); it is used, and said, only then.
    """
    notes: list[str] = []
    if override:
        crs = parse_crs(override)
        if declared is not None and not _same(declared, crs):
            notes.append(f"the file declares {declared.name!r}; {override_source} {override} was used instead, as asked")
        source = override_source
    elif declared is None and default is not None:
        crs, source = default
    elif declared is None:
        raise CrsProblem(
            "the file carries no coordinate reference system (no .prj, no EPSG code); the tool never guesses: "
            f"tell it with {hint.format(code=METRIC)} for KGD2002 Central Belt 2010, "
            f"or {hint.format(code='EPSG:5174')} for the legacy Bessel Modified Central Belt")
    else:
        crs = declared
    epsg, matched_by = identify(crs)
    if epsg is not None and matched_by.startswith(("projection parameters", "ellipsoid")):
        notes.append(f"the CRS {crs.name!r} has no usable EPSG identity; its projection parameters and "
                     f"ellipsoid match EPSG:{epsg} ({CRS.from_epsg(epsg).name}), which was used")
    use = CRS.from_epsg(epsg) if epsg is not None else crs
    bessel = _is_bessel(use)
    if bessel and epsg is None:
        raise CrsProblem(
            f"the CRS {crs.name!r} is on the Bessel 1841 ellipsoid but matches none of the Korean 1985 systems "
            f"(EPSG:5173-5177, 2096-2098); without its datum the shift to KGD2002 (~300-400 m) cannot be applied. "
            f"Give the system with --crs")
    name, accuracy = best_transformation(use.to_wkt(), METRIC)
    if accuracy is None and not _same_datum_family(use):
        raise CrsProblem(
            f"PROJ knows no datum transformation from {use.name!r} to KGD2002 ({METRIC}), only a 'ballpark' "
            f"one that can be hundreds of metres off; give the source system with --crs")
    if bessel:
        notes.append("legacy Korean 1985 (Bessel 1841) coordinates: datum-shifted to KGD2002, not merely re-projected")
    return use, CrsResolution(
        source=source, declared=(override or crs.name), epsg=epsg, name=use.name, matched_by=matched_by,
        bessel=bessel, transformation=name, accuracy_m=accuracy, notes=tuple(notes),
    )


# The order systems are suggested in when coordinates fit several: the Central Belt systems first
# (Gwangju and Jeonju lie in it), then the unified ones, then the other belts.
SUGGESTED_EPSG = (5186, 5181, 5174, 2097, 5179, 5178, 5185, 5187, 5180, 5183, 5173, 5176, 2098, 2096,
                  5188, 5184, 5177, 5182, 5175)


def likely_systems(x: float, y: float) -> list[int]:
    """Korean EPSG systems in whose area of use the position x, y (easting, northing) falls.

    A transverse-Mercator belt cannot be told from its numbers alone (every belt has the same false
    origin), so this is a short list to check against the data's source, never a guess to apply.
    """
    out = []
    for code in SUGGESTED_EPSG:
        lon, lat = tr_point(transformer(f"EPSG:{code}", LON_LAT), x, y)
        area = CRS.from_epsg(code).area_of_use
        if area is not None and area.west <= lon <= area.east and area.south <= lat <= area.north:
            out.append(code)
    return out


def identify(crs: CRS) -> tuple[int | None, str]:
    """(EPSG code, how): by the CRS's own identity, else by parameters among the Korean systems."""
    if crs.to_authority(min_confidence=90) == ("OGC", "CRS84"):
        return 4326, f"OGC:CRS84 (lon/lat WGS84, as {LON_LAT})"
    code = crs.to_epsg(min_confidence=90)
    if code is not None and (code in KOREAN_EPSG or code in GEOGRAPHIC_EPSG or not _is_bessel(crs)):
        return code, "EPSG code"
    if crs.is_geographic:
        for candidate in GEOGRAPHIC_EPSG:
            if _same_ellipsoid(crs, CRS.from_epsg(candidate)) and _is_bessel(crs) == (candidate in BESSEL_DATUM_EPSG):
                return candidate, "ellipsoid (geographic)"
        return code, "EPSG code" if code else "as given"
    params = _tm_params(crs)
    if params is None:
        return code, "EPSG code" if code else "as given"
    for candidate in KOREAN_EPSG:
        other = CRS.from_epsg(candidate)
        if _same_ellipsoid(crs, other) and _params_match(params, _tm_params(other)):
            return candidate, "projection parameters + ellipsoid"
    return code, "EPSG code" if code else "as given"


def best_transformation(src_wkt: str, dst: str) -> tuple[str, float | None]:
    """Name and stated accuracy (m) of the transformation PROJ ranks first; accuracy None = ballpark."""
    try:
        _, name, accuracy = best_transformer(src_wkt, dst)
    except GeoInputFault as fault:
        raise CrsProblem(fault.detail, code=fault.code) from None
    return name, accuracy


def to_metric(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Geometries from `crs` to `METRIC` with the transformation `resolve` reported."""
    geoms = np.asarray(geoms, dtype=object)
    if _same(crs, CRS.from_user_input(METRIC)):
        return geoms
    wkt = crs.to_wkt()
    return reproject(geoms, wkt, METRIC, tr=best_transformer(wkt, METRIC)[0])


def lonlat_bounds_check(geoms_metric: np.ndarray, raw_geoms: np.ndarray, crs: CRS) -> list[dict]:
    """Findings for coordinates outside Korea, and whether swapping the axes would fix them."""
    geoms_metric = np.asarray(geoms_metric, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms_metric))
    if not len(present):
        return []
    b = shapely.bounds(geoms_metric[present])
    lon, lat = lonlat_of((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, METRIC)
    inside = in_korea(lon, lat)
    findings = []
    for k in np.flatnonzero(~inside):
        i = int(present[k])
        rx, ry = _centre(raw_geoms[i])
        swapped = _swap_lands_in_korea(rx, ry, crs)
        findings.append({
            "index": i, "lon": _finite(float(lon[k])), "lat": _finite(float(lat[k])), "swapped": swapped,
            "message": (f"feature #{i + 1} lies at {_fmt(lon[k])} E, {_fmt(lat[k])} N, outside Korea"
                        + ("; its coordinates look swapped (lat/lon or northing/easting)" if swapped else "")),
        })
    return findings


def tr_point(tr: Transformer, x: float, y: float) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        a, b = tr.transform(x, y, errcheck=False)
    return float(a), float(b)


def _swap_lands_in_korea(x: float, y: float, crs: CRS) -> bool:
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    if crs.is_geographic:
        return _in_korea(y, x)
    try:
        lon, lat = tr_point(best_transformer(crs.to_wkt(), LON_LAT)[0], y, x)
    except Exception:
        return False
    return _in_korea(lon, lat)


def _in_korea(lon: float, lat: float) -> bool:
    return bool(in_korea(lon, lat))


def _centre(g) -> tuple[float, float]:
    minx, miny, maxx, maxy = g.bounds
    return (minx + maxx) / 2, (miny + maxy) / 2


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _fmt(v: float) -> str:
    return f"{v:.5f}" if math.isfinite(v) else "?"


def _tm_params(crs: CRS) -> dict[int, float] | None:
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in (op.method_name or ""):
        return None
    out = {}
    for p in op.params:
        try:
            out[int(p.code)] = float(p.value)
        except (TypeError, ValueError):
            continue
    return out if all(k in out for k in _TM_PARAMS) else None


def _params_match(a: dict[int, float], b: dict[int, float] | None) -> bool:
    return b is not None and all(abs(a[k] - b[k]) <= _PARAM_TOL[k] for k in _TM_PARAMS)


def _same_ellipsoid(a: CRS, b: CRS) -> bool:
    ea, eb = a.ellipsoid, b.ellipsoid
    if ea is None or eb is None:
        return False
    return abs(ea.semi_major_metre - eb.semi_major_metre) < 1e-3 and abs(ea.inverse_flattening - eb.inverse_flattening) < 1e-6


def _is_bessel(crs: CRS) -> bool:
    e = crs.ellipsoid
    return e is not None and abs(e.semi_major_metre - 6377397.155) < 1e-2


def _same_datum_family(crs: CRS) -> bool:
    """GRS80/WGS84-based systems need no datum shift at the metre level."""
    e = crs.ellipsoid
    return e is not None and abs(e.semi_major_metre - 6378137.0) < 1e-3


def _same(a: CRS, b: CRS) -> bool:
    try:
        return a == b or (a.to_epsg() is not None and a.to_epsg() == b.to_epsg())
    except Exception:
        return False
