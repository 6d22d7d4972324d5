"""OGC API - Features vocabulary: CRS identifiers, axis order, links, paging, formats.

Axis order (decided here, once, for the whole API):
- Without a `crs` parameter, features come in CRS84: lon, lat, as GeoJSON (RFC 7946) demands.
- With `crs`, OGC API - Features Part 2 says coordinates follow the axis order the CRS defines.
  EPSG code 4326 (`LON_LAT`) is latitude, longitude; the Korean projected systems (`METRIC`,
  EPSG:5179) are northing, easting. GDAL and QGIS swap back by the same rule, so a layer lands in
  the right place in both.
- `bbox` is lon, lat (CRS84) unless `bbox-crs` names another CRS; then the four numbers follow
  that CRS's axis order too (EPSG code 4326: minLat, minLon, maxLat, maxLon).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Query, Request

from api.bbox_hints import axis_order_hint
from api.problems import Problem
from zones.crs import CRS84 as CRS84_NAME
from zones.crs import COORD_DECIMALS_DEGREES, COORD_DECIMALS_METRES, LON_LAT, METRIC, crs_name, is_lon_lat
from zones.errors import GeoInputFault

OGC_CRS = "http://www.opengis.net/def/crs/"


@dataclass(frozen=True)
class ServedCrs:
    uri: str
    epsg: str  # what pyproj understands
    label: str
    lat_first: bool  # axis order of the CRS: (north, east) instead of (east, north)
    decimals: int  # output precision per unit: zones.crs.COORD_DECIMALS_DEGREES / _METRES

    @property
    def geographic(self) -> bool:
        """Degrees of longitude/latitude (WGS 84), as opposed to metres."""
        return is_lon_lat(self.epsg)

    @property
    def header(self) -> str:
        return f"<{self.uri}>"


CRS84 = ServedCrs(OGC_CRS + "OGC/1.3/CRS84", CRS84_NAME, "WGS 84 lon/lat (CRS84)", False, COORD_DECIMALS_DEGREES)
EPSG_4326 = ServedCrs(OGC_CRS + "EPSG/0/4326", LON_LAT, f"WGS 84 lat/lon ({LON_LAT})", True, COORD_DECIMALS_DEGREES)
EPSG_5186 = ServedCrs(OGC_CRS + "EPSG/0/5186", METRIC, f"Korea 2000 / Central Belt 2010 ({METRIC})", True,
                      COORD_DECIMALS_METRES)
EPSG_5179 = ServedCrs(OGC_CRS + "EPSG/0/5179", "EPSG:5179", "Korea 2000 / Unified CS (EPSG:5179)", True,
                      COORD_DECIMALS_METRES)

SERVED_CRS: tuple[ServedCrs, ...] = (CRS84, EPSG_4326, EPSG_5186, EPSG_5179)
STORAGE_CRS = EPSG_5186
CRS_URIS = [c.uri for c in SERVED_CRS]

_BY_NAME: dict[str, ServedCrs] = {c.epsg: c for c in SERVED_CRS}


def parse_crs(value: str | None, param: str = "crs") -> ServedCrs:
    """The served CRS named by a request parameter in any spelling zones.crs reads (URI, URN, CURIE,
    EPSG:n), or a 400 listing the ones we serve."""
    if value is None or value == "":
        return CRS84
    try:
        found = _BY_NAME.get(crs_name(value))
    except GeoInputFault:
        found = None
    if found is None:
        raise Problem(400, "Unsupported CRS",
                      f"{param}={value!r} is not served; use one of: {', '.join(CRS_URIS)}",
                      parameter=param, supported=CRS_URIS)
    return found


def parse_bbox(value: str, bbox_crs: ServedCrs) -> tuple[float, float, float, float]:
    """bbox as (minx, miny, maxx, maxy) in x/y (east, north) order of `bbox_crs`."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) not in (4, 6):
        raise Problem(400, "Invalid bbox",
                      f"bbox needs 4 numbers (or 6 with heights), got {len(parts)}: {value!r}", parameter="bbox")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise Problem(400, "Invalid bbox", f"bbox must be comma-separated numbers, got {value!r}",
                      parameter="bbox") from None
    if not all(math.isfinite(n) for n in nums):
        raise Problem(400, "Invalid bbox", f"bbox contains NaN or infinity: {value!r}", parameter="bbox")
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    hint = axis_order_hint(nums, bbox_crs.epsg, bbox_crs.label, value)
    if hint:
        raise Problem(400, "Invalid bbox", hint, parameter="bbox")
    a0, a1, b0, b1 = nums
    if bbox_crs.lat_first:
        a0, a1, b0, b1 = a1, a0, b1, b0
    minx, miny, maxx, maxy = a0, a1, b0, b1
    if minx > maxx or miny > maxy:
        order = "minLat,minLon,maxLat,maxLon" if bbox_crs is EPSG_4326 else (
            "minNorthing,minEasting,maxNorthing,maxEasting" if bbox_crs.lat_first else "minLon,minLat,maxLon,maxLat")
        raise Problem(400, "Invalid bbox",
                      f"bbox corners are the wrong way round for {bbox_crs.label}; expected {order}, got {value!r}",
                      parameter="bbox")
    if bbox_crs.geographic and not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise Problem(400, "Invalid bbox", f"bbox {value!r} is outside the range of longitude/latitude "
                      f"for {bbox_crs.label}", parameter="bbox")
    return minx, miny, maxx, maxy


def parse_int(value: str | None, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer query parameter; above `maximum` is clamped (OGC API: never fail a large limit)."""
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise Problem(400, f"Invalid {name}", f"{name} must be a whole number, got {value!r}", parameter=name) from None
    if number < minimum:
        raise Problem(400, f"Invalid {name}", f"{name} must be at least {minimum}, got {number}", parameter=name)
    return min(number, maximum) if maximum is not None else number


# Understood by every read (api.scenario_view): which scenario the answer is for.
VIEW_PARAMS = {"scenario"}


def reject_unknown_params(request: Request, allowed: set[str], hint: str = "") -> None:
    """OGC API: a query parameter the server does not know is a 400, not silently ignored."""
    unknown = sorted(set(request.query_params.keys()) - allowed - VIEW_PARAMS)
    if unknown:
        raise Problem(400, "Unknown query parameter",
                      f"not understood here: {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}{hint}",
                      parameters=unknown)
    for key in request.query_params.keys():
        if len(request.query_params.getlist(key)) > 1:
            raise Problem(400, "Repeated query parameter", f"{key} is given more than once", parameter=key)


# --- formats -------------------------------------------------------------------------------

# The `f` parameter's values, as the OpenAPI document declares them; anything else (an empty f=,
# another case) is a 400 from wants_html that names the two.
FORMATS = ("json", "html")


def format_query(description: str = "json or html", **kwargs):
    """The `f` query parameter, declared with its values (checked by `wants_html`)."""
    return Query(None, description=description, json_schema_extra={"enum": list(FORMATS)}, **kwargs)

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.1"


def wants_html(request: Request) -> bool:
    """f=html / f=json win; otherwise the Accept header (a browser prefers text/html)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in FORMATS:
            raise Problem(400, "Unknown format", f"f={f!r}: use f=json or f=html", parameter="f")
        return f == "html"
    accept = request.headers.get("accept", "")
    best_html, best_json = 0.0, 0.0
    for part in accept.split(","):
        fields = [x.strip() for x in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for p in fields[1:]:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
        elif media in (JSON, GEOJSON, "application/*"):
            best_json = max(best_json, q)
    return best_html > best_json


# --- links ---------------------------------------------------------------------------------

def base_url(request: Request) -> str:
    """The absolute base of every link the API builds, never taken from the request's Host header
    (a client could put any host there and have it echoed into links and pages).

    `ZONES_PUBLIC_URL` when set (the address clients use, e.g. behind a reverse proxy); otherwise
    the address the connection actually reached: the server socket's own host and port, which
    OGC clients (QGIS, GDAL) can follow and no header can change.
    """
    public = request.app.state.settings.public_url
    if public:
        return public
    root = request.scope.get("root_path", "").rstrip("/")
    server = request.scope.get("server")
    if not server:  # a Unix socket: no address to give, links stay absolute paths
        return root
    host, port = server[0], server[1]
    scheme = request.scope.get("scheme", "http")
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return f"{scheme}://{netloc}{root}"


def path_segment(value: str) -> str:
    """`value` as one URL path segment: every reserved character percent-encoded (a feature id
    with `?`, `#`, `%` or spaces still names that feature)."""
    return quote(value, safe="")


def link(href: str, rel: str, type_: str, title: str = "") -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def feature_collection_doc(url: str, collection_id: str, *, title: str, title_ko: str, title_en: str,
                           description: str, bbox: list[float], items_title: str, more_links: list[dict],
                           items_hint: str = "") -> dict:
    """The OGC API - Features document of one collection at `url`: what every collection states the
    same way (item type, CRSs, extent in CRS84, its self/alternate/items links), then `more_links`.
    `items_hint` follows the GeoJSON items link's title (what a client must add to keep a page small)."""
    return {
        "id": collection_id,
        "title": title,
        "title_ko": title_ko,
        "title_en": title_en,
        "description": description,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84.uri}},
        "crs": CRS_URIS,
        "storageCrs": STORAGE_CRS.uri,
        "links": [
            link(f"{url}?f=json", "self", JSON, "this collection"),
            link(f"{url}?f=html", "alternate", HTML, "this collection as HTML"),
            link(f"{url}/items?f=json", "items", GEOJSON, f"{items_title} as GeoJSON{items_hint}"),
            link(f"{url}/items?f=html", "items", HTML, f"{items_title} as HTML"),
            *more_links,
        ],
    }


def with_params(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def self_and_alternate(request: Request, path: str, json_type: str = JSON, params: dict[str, str] | None = None,
                       html: bool = False) -> list[dict]:
    """`self` in the format served, `alternate` for the other one."""
    params = {k: v for k, v in (params or {}).items() if k != "f"}
    url = base_url(request) + path
    as_json = link(with_params(url, {**params, "f": "json"}), "self", json_type, "this document as JSON")
    as_html = link(with_params(url, {**params, "f": "html"}), "alternate", HTML, "this document as HTML")
    if html:
        as_json["rel"], as_html["rel"] = "alternate", "self"
    return [as_json, as_html]
