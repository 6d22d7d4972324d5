"""Coordinate reference systems: their names, how they may be spelled, Korea's extent, and the
one diagnosis of coordinates that do not land in Korea.

Every module that names, parses or transforms a CRS imports it from here, so a request, an
imported file and a GeoJSON `crs` member are read by the same rules and judged the same way.

EPSG:5186 (Korea 2000 / Central Belt 2010, GRS80 transverse Mercator, origin 127°E) covers both
Gwangju (126.7°E) and Jeonju (127.1°E) with a scale error under 0.01 %, so planar areas in it
match the geodesic area to within a few m² per km². Every area is measured and stored in it.
Coordinates are handled easting, northing and longitude, latitude (always_xy) throughout.

>>> crs_name("urn:ogc:def:crs:EPSG::5186"), crs_name("[EPSG:5179]"), crs_name("CRS84")
('EPSG:5186', 'EPSG:5179', 'OGC:CRS84')
>>> crs_name("http://www.opengis.net/def/crs/EPSG/0/4326")
'EPSG:4326'
>>> bool(in_korea(126.85, 35.16)), bool(in_korea(139.70, 35.68))
(True, False)
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from zones.errors import GeoInputFault

if TYPE_CHECKING:
    import numpy as np
    from pyproj import CRS, Transformer

# The names are plain text, so a command that only prints or compares them (the CLI's help, a
# share check) starts without PROJ, numpy or GEOS; the functions below import those when called.
METRIC = "EPSG:5186"  # where every area is measured and every layer stored
LON_LAT = "EPSG:4326"  # WGS 84 longitude, latitude (x, y here; its own axis order is lat, lon)
CRS84 = "OGC:CRS84"  # WGS 84 longitude, latitude in that order: GeoJSON's only CRS (RFC 7946)
WEB_MERCATOR = "EPSG:3857"  # the CRS of web map tiles (OGC WebMercatorQuad), never of a measurement


def __getattr__(name: str) -> Any:
    """METRIC_CRS and WGS84: the pyproj CRS objects of METRIC and LON_LAT, made when first asked for."""
    if name == "METRIC_CRS":
        return _crs(METRIC)
    if name == "WGS84":
        return _crs(LON_LAT)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# The Republic of Korea's outermost points lie at Baengnyeongdo 124.6°E, Dokdo 131.9°E, Marado 33.1°N
# and Goseong 38.6°N. Half a degree (45-55 km) around them keeps a survey that reaches past the
# coast (a buffer around Dokdo or Marado) inside, and is still far from the mistakes the check is
# for: swapped axes put 126-129 where 33-39 belongs, metres read as degrees are 10⁵ times too large.
KOREA_LON_RANGE = (123.5, 132.5)
KOREA_LAT_RANGE = (32.5, 39.5)
KOREA_BOX = (f"lon {KOREA_LON_RANGE[0]:g}–{KOREA_LON_RANGE[1]:g}, "
             f"lat {KOREA_LAT_RANGE[0]:g}–{KOREA_LAT_RANGE[1]:g}")
# No longitude or latitude is larger than 360 in magnitude, and no position in Korea lies within
# 360 m of the false origin of a Korean metric system (every false origin is 200 km or more west and
# 500 km or more south of its belt's origin). So numbers this small under a metric CRS are degrees:
# read as metres they land on that false origin, in the sea west of Jeju or on Jeju itself (EPSG:5176).
DEGREE_LIMIT = 360.0

# Coordinates written out (API answers, maps, sample files) keep the same ground precision whatever
# the CRS: 3 decimals of a metre is 1 mm; 9 decimals of a degree is 0.1 mm of latitude (0.09 mm of
# longitude at 35°N). Degrees get the finer step because a polygon's area is a sum over its vertices:
# a GET then PUT of the default store's layers moves the largest area by 0.2 m² at 9 decimals, by
# 2 m² at 8 and by 25 m² at 7 (admin_dongs, long detailed boundaries).
COORD_DECIMALS_DEGREES = 9
COORD_DECIMALS_METRES = 3

_EPSG_SPELLING = re.compile(
    r"^\[?(?:epsg::?|urn:ogc:def:crs:epsg:[0-9.]*:|https?://www\.opengis\.net/def/crs/epsg/[0-9.]+/)(\d+)\]?$",
    re.IGNORECASE)
_CRS84_SPELLING = re.compile(
    r"^\[?(?:ogc:|urn:ogc:def:crs:ogc:[0-9.]*:|https?://www\.opengis\.net/def/crs/ogc/[0-9.]+/)?crs84\]?$",
    re.IGNORECASE)


def crs_member_name(member: Any) -> str | None:
    """The name in a GeoJSON 2008 `crs` member ({"type": "name", "properties": {"name": ...}}),
    still written by ogr2ogr and QGIS for non-WGS 84 files; None when it has another shape
    (another `type`, no name, an empty one), which callers refuse rather than ignore.

    >>> crs_member_name({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5186"}})
    'urn:ogc:def:crs:EPSG::5186'
    >>> crs_member_name({"type": "AAA", "properties": {"name": ""}}) is None
    True
    """
    if not isinstance(member, dict) or member.get("type") != "name":
        return None
    properties = member.get("properties")
    name = properties.get("name") if isinstance(properties, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def crs_name(value: Any) -> str:
    """"EPSG:n" or "OGC:CRS84" for a CRS spelled any way the API, the importers or a GeoJSON `crs`
    member accept: EPSG:n, [EPSG:n] (OGC safe CURIE), an OGC URN or http(s) URI, CRS84, or anything
    PROJ reads that has an EPSG code. Only geographic and projected systems are accepted.

    >>> crs_name(" epsg:5174 "), crs_name("urn:ogc:def:crs:OGC:1.3:CRS84")
    ('EPSG:5174', 'OGC:CRS84')
    >>> crs_name("EPSG:9999")
    Traceback (most recent call last):
    ...
    zones.errors.GeoInputFault: unknown crs 'EPSG:9999'; use e.g. EPSG:4326 (lon/lat), EPSG:5186 or EPSG:5179
    """
    if not isinstance(value, str) or not value.strip():
        raise GeoInputFault("invalid_crs", f"crs must be a string such as \"{METRIC}\", got {str(value)[:60]!r}",
                            given=str(value)[:60])
    text = value.strip()
    if _CRS84_SPELLING.match(text):
        return CRS84
    match = _EPSG_SPELLING.match(text)
    name = f"EPSG:{int(match.group(1))}" if match else _epsg_of(text)
    usable = None if name is None else _usable(name)
    if usable is None:
        raise GeoInputFault("unknown_crs", f"unknown crs {value[:80]!r}; use e.g. {LON_LAT} (lon/lat), {METRIC} "
                            "or EPSG:5179", given=value[:80])
    if not usable:
        raise GeoInputFault("unknown_crs", f"crs {value[:80]!r} has no EPSG code this service can use: it is "
                            "neither longitude, latitude nor a map projection", given=value[:80])
    return name


@lru_cache(maxsize=256)
def _epsg_of(text: str) -> str | None:
    """The EPSG (or CRS84) name of a CRS PROJ reads by another spelling (WKT, PROJ string)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return None
    if crs.to_authority() == ("OGC", "CRS84"):
        return CRS84
    code = crs.to_epsg()
    return None if code is None else f"EPSG:{code}"


@lru_cache(maxsize=256)
def _usable(name: str) -> bool | None:
    """None for a name PROJ does not know; else whether it gives map positions (degrees or metres)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(name)
    except CRSError:
        return None
    return crs.is_geographic or crs.is_projected


def pyproj_crs(value: str) -> CRS:
    """The pyproj CRS for any spelling `crs_name` reads, and for a WKT or PROJ string without an EPSG
    code (an old .prj); GeoInputFault "unknown_crs" when PROJ cannot read it."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and (_CRS84_SPELLING.match(text) or _EPSG_SPELLING.match(text)):
        return _crs(crs_name(text))
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise GeoInputFault("unknown_crs", f"cannot understand the CRS {str(value)[:80]!r}: give it as {METRIC}, "
                            f"EPSG:5174, ... ({exc})", given=str(value)[:80]) from None


@lru_cache(maxsize=256)
def _crs(name: str) -> CRS:
    from pyproj import CRS

    return CRS.from_user_input(name)


def coord_decimals(name: str) -> int:
    """Decimals to write coordinates of `name` with (see COORD_DECIMALS_DEGREES)."""
    return COORD_DECIMALS_DEGREES if is_geographic(name) else COORD_DECIMALS_METRES


def is_lon_lat(name: str) -> bool:
    """True for the names whose x, y are WGS 84 longitude, latitude as sent (GeoJSON order)."""
    return name in (LON_LAT, CRS84)


@lru_cache(maxsize=256)
def is_geographic(name: str) -> bool:
    """True for a CRS in degrees (longitude, latitude), False for one in metres."""
    return _crs(name).is_geographic


def same_crs(a: str, b: str) -> bool:
    """Whether two CRS names denote the same system (CRS84 and EPSG:4326 do not: axis order differs)."""
    return a == b or _crs(a) == _crs(b)


# The equal-area system of the geodesic cross-check (zones.area): Lambert azimuthal equal-area on
# KGD2002 (GRS80), centred on South Korea. Equal-area on the ellipsoid itself, so a polygon's area in
# it is its area on the GRS80 ellipsoid; it shares nothing with EPSG:5186 but the ellipsoid.
EQUAL_AREA_CENTRE = (36.0, 127.5)  # latitude, longitude in degrees


@lru_cache(maxsize=1)
def equal_area_crs() -> str:
    """WKT of the equal-area CRS (KGD2002 datum, so no datum shift from EPSG:5186)."""
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import LambertAzimuthalEqualAreaConversion

    lat, lon = EQUAL_AREA_CENTRE
    return ProjectedCRS(conversion=LambertAzimuthalEqualAreaConversion(lat, lon), geodetic_crs=_crs(METRIC).geodetic_crs,
                        name=f"KGD2002 / Lambert azimuthal equal-area {lat:g}N {lon:g}E").to_wkt()


@lru_cache(maxsize=64)
def transformer(src: str, dst: str) -> Transformer:
    """Cached x, y-ordered (always_xy) transformer; building one costs ~1 ms, using one ~1 µs/point."""
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


@lru_cache(maxsize=64)
def best_transformer(src: str, dst: str) -> tuple[Transformer, str, float | None]:
    """The transformation PROJ ranks first from `src` (a name or WKT) to `dst`, with its name and
    stated accuracy in metres (None: a "ballpark" one, which keeps a datum shift of hundreds of metres).

    Imports use this one, not `transformer`, so the transformation the report names is the one applied.
    """
    from pyproj import CRS
    from pyproj.transformer import TransformerGroup

    group = TransformerGroup(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)
    if not group.transformers:
        raise GeoInputFault("no_transformation", f"PROJ has no usable transformation to {dst} here", dst=dst)
    best = group.transformers[0]
    accuracy = best.accuracy if best.accuracy is not None and best.accuracy >= 0 else None
    name = best.description or best.name
    if "Ballpark" in name:
        accuracy = None
    return best, name, accuracy


def reproject(geoms: Any, src: str, dst: str, tr: Transformer | None = None) -> Any:
    """One geometry or an array of them from `src` to `dst` (vectorised; z is dropped).

    `tr` is the transformer to use (default: the cached `transformer(src, dst)`).
    """
    import numpy as np
    import shapely

    if tr is None:
        if same_crs(src, dst):
            return geoms
        tr = transformer(src, dst)
    with np.errstate(all="ignore"):
        return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1], errcheck=False)))


def to_metric(geoms: Any, src: str) -> Any:
    """`geoms` (in `src`) in `METRIC`, where every area in this tool is measured."""
    return reproject(geoms, src, METRIC)


def to_lonlat(geoms: Any, src: str) -> Any:
    """`geoms` (in `src`) in WGS 84 longitude, latitude."""
    return reproject(geoms, src, LON_LAT)


def in_korea(lon: Any, lat: Any) -> np.ndarray:
    """Whether each lon, lat lies in the Korea extent (NaN and infinity do not)."""
    import numpy as np

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return ((KOREA_LON_RANGE[0] <= lon) & (lon <= KOREA_LON_RANGE[1])
            & (KOREA_LAT_RANGE[0] <= lat) & (lat <= KOREA_LAT_RANGE[1]))


def lonlat_of(x: Any, y: Any, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """x, y in `crs` as WGS 84 longitude, latitude (inf where the transformation fails)."""
    import numpy as np

    if is_lon_lat(crs):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        lon, lat = transformer(crs, LON_LAT).transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def box_in_korea(minx: float, miny: float, maxx: float, maxy: float, crs: str, steps: int = 64) -> bool:
    """Whether every position of the rectangle (in `crs`) lies in the Korea extent, from its outline
    alone: a projection maps the rectangle onto the region its outline encloses, so when the outline
    (`steps` points a side) lies a hundredth of a degree inside the box, all of it does. False
    means "look at each position" (`lonlat_of`, `in_korea`), not that one lies outside.

    >>> box_in_korea(160_000, 270_000, 200_000, 300_000, METRIC), box_in_korea(139.6, 35.6, 139.8, 35.8, LON_LAT)
    (True, False)
    """
    import numpy as np

    if not all(map(np.isfinite, (minx, miny, maxx, maxy))):
        return False
    t = np.linspace(0.0, 1.0, steps)
    x = np.concatenate([minx + (maxx - minx) * t, np.full(steps, maxx), maxx - (maxx - minx) * t, np.full(steps, minx)])
    y = np.concatenate([np.full(steps, miny), miny + (maxy - miny) * t, np.full(steps, maxy), maxy - (maxy - miny) * t])
    lon, lat = lonlat_of(x, y, crs)
    margin = 0.01
    return bool(((KOREA_LON_RANGE[0] + margin <= lon) & (lon <= KOREA_LON_RANGE[1] - margin)
                 & (KOREA_LAT_RANGE[0] + margin <= lat) & (lat <= KOREA_LAT_RANGE[1] - margin)).all())


def check_in_korea(xy: Any, crs: str, label: str | None = None) -> None:
    """The degrees-or-metres diagnosis: every x, y position (in `crs`, a name from `crs_name`) lies
    in Korea, or a GeoInputFault names the likeliest reason why not.

    Kinds: "degrees_as_metres" (numbers no larger than degrees under a metric CRS: the CRS is wrong,
    whatever system it is, even where those numbers would land inside the Korea box), "swapped_lat_lon"
    / "swapped_axes" (swapping x and y lands every position in Korea), "metres_as_degrees" (numbers
    larger than any degree under a lon/lat CRS), else "outside_korea". `label` names the CRS in
    messages (default `crs`).

    >>> check_in_korea([[126.69, 35.15], [126.70, 35.16]], "EPSG:5174")
    Traceback (most recent call last):
    ...
    zones.errors.GeoInputFault: coordinates like 126.69, 35.15 look like degrees but the crs is EPSG:5174; drop the crs to send lon, lat
    >>> check_in_korea([[171400, 284900]], "EPSG:5186")
    """
    import numpy as np

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    label = label or crs
    x, y = xy[:, 0], xy[:, 1]
    geographic = is_geographic(crs)
    if not geographic and len(xy) and (np.abs(xy) <= DEGREE_LIMIT).all():
        at = [float(x[0]), float(y[0])]
        raise GeoInputFault("degrees_as_metres", f"coordinates like {at[0]:g}, {at[1]:g} look like degrees but the "
                            f"crs is {label}; drop the crs to send lon, lat", at, x=at[0], y=at[1], crs=crs)
    lon, lat = lonlat_of(x, y, crs)
    inside = in_korea(lon, lat)
    if inside.all():
        return
    bad = int(np.flatnonzero(~inside)[0])
    at = [float(x[bad]), float(y[bad])]
    pos = f"{at[0]:g}, {at[1]:g}"
    facts = {"x": at[0], "y": at[1], "crs": crs}
    if in_korea(*lonlat_of(y, x, crs)).all():
        if is_lon_lat(crs):
            raise GeoInputFault("swapped_lat_lon", f"coordinates look like latitude, longitude (first position {pos}); "
                                "GeoJSON positions are longitude, latitude: swap them", at, **facts)
        raise GeoInputFault("swapped_axes", f"coordinates look like northing, easting in {label} (first position "
                            f"{pos}); uploads are easting, northing: swap them", at, **facts)
    if geographic and (np.abs(xy) > DEGREE_LIMIT).any():
        raise GeoInputFault("metres_as_degrees", f"coordinates like {pos} look like metres; say which CRS they are "
                            f"in (e.g. {METRIC}) or send lon, lat", at, **facts)
    in_crs = "" if is_lon_lat(crs) else f" in {label}"
    raise GeoInputFault("outside_korea", f"position {pos}{in_crs} lies outside Korea ({KOREA_BOX})", at, **facts)
