"""The documents describing the cadastral map (연속지적도) collection and its vector tiles.

Why the id `cadastre` and not `parcels`: the store's own `parcels` layer (the plan's allocation
units, with `use` and `zone`) already answers as `/collections/parcels`, and both can exist in the
same store. The imported 연속지적도 is another dataset (millions of lots with PNU, JIBUN, 지목),
stored beside the GeoPackage as GeoParquet, so it gets its own collection id.

The collection is listed only while the dataset holds parcels; the documents are built from
the footers the bbox index already holds (no parcel is read to describe the collection).
"""
from __future__ import annotations

from fastapi import Request

from api.ogc import CRS84, HTML, JSON, base_url, feature_collection_doc, link
from geodata.cadastre.bbox_reader import ParcelIndex
from geodata.cadastre.vector_tiles import (EXTENT, MAX_ZOOM, MIN_PARCEL_ZOOM, MVT_MEDIA_TYPE, ORIGIN, PARCEL_LAYER,
                                           SUMMARY_LAYER, TILE_PIXELS)
from zones.crs import LON_LAT, METRIC, WEB_MERCATOR, transformer

COLLECTION_ID = "cadastre"
TITLE_KO = "연속지적도"
TITLE_EN = "Continuous cadastral map"
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
TILES_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
PIXEL_SIZE_M = 0.00028  # the standardized rendering pixel of the scale denominators (OGC 2DTMS)


def lonlat_extent(index: ParcelIndex) -> list[float]:
    """The dataset's extent in CRS84 (zeros when it holds no rows)."""
    box = index.box
    if box is None:
        return [0.0] * 4
    return [float(v) for v in transformer(METRIC, LON_LAT).transform_bounds(*box, densify_pts=21)]


def collection_doc(request: Request, index: ParcelIndex) -> dict:
    base = base_url(request)
    url = f"{base}/collections/{COLLECTION_ID}"
    return feature_collection_doc(
        url, COLLECTION_ID, title=f"{TITLE_KO} · {TITLE_EN}", title_ko=TITLE_KO, title_en=TITLE_EN,
        description=(f"The imported continuous cadastral map: {index.rows:,} parcels with PNU, JIBUN and 지목 "
                     f"(kizone import-parcels). Items need a bbox to stay small; vector tiles draw parcels from "
                     f"zoom {MIN_PARCEL_ZOOM} and a density grid below it."),
        bbox=lonlat_extent(index), items_title="Parcels", items_hint=" (use bbox)",
        more_links=[link(f"{url}/tiles", REL_TILESETS_VECTOR, JSON, "Vector tiles (MVT) of the parcels"),
                    link(f"{base}/maps/cadastre", "related", HTML, "Cadastral map · 연속지적도 지도")])


def tile_matrix_set() -> dict:
    """The WebMercatorQuad tile matrix set (OGC Two Dimensional Tile Matrix Set 2.0), zooms 0 to MAX_ZOOM."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = 2 * ORIGIN / TILE_PIXELS / (1 << z)
        matrices.append({"id": str(z), "scaleDenominator": cell / PIXEL_SIZE_M, "cellSize": cell,
                         "cornerOfOrigin": "topLeft", "pointOfOrigin": [-ORIGIN, ORIGIN],
                         "tileWidth": TILE_PIXELS, "tileHeight": TILE_PIXELS, "matrixWidth": 1 << z,
                         "matrixHeight": 1 << z})
    return {"id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI, "crs": CRS_3857,
            "orderedAxes": ["X", "Y"], "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            "tileMatrices": matrices}


def tile_matrix_set_limits(index: ParcelIndex) -> list[dict]:
    """Per zoom, the rows and columns of the tiles that hold parcels (a client asks for no others)."""
    box = index.box
    if box is None:
        return []
    minx, miny, maxx, maxy = transformer(METRIC, WEB_MERCATOR).transform_bounds(*box, densify_pts=21)
    limits = []
    for z in range(MAX_ZOOM + 1):
        size = 2 * ORIGIN / (1 << z)
        last = (1 << z) - 1
        col = lambda x: min(max(int((x + ORIGIN) // size), 0), last)  # noqa: E731
        row = lambda y: min(max(int((ORIGIN - y) // size), 0), last)  # noqa: E731
        limits.append({"tileMatrix": str(z), "minTileRow": row(maxy), "maxTileRow": row(miny),
                       "minTileCol": col(minx), "maxTileCol": col(maxx)})
    return limits


def tile_template(request: Request) -> str:
    return f"{base_url(request)}/collections/{COLLECTION_ID}/tiles/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"


def tileset_doc(request: Request, index: ParcelIndex) -> dict:
    base = base_url(request)
    lon0, lat0, lon1, lat1 = lonlat_extent(index)
    return {
        "title": f"{TITLE_KO} · {TITLE_EN}: vector tiles",
        "description": (f"Layer `{PARCEL_LAYER}` (PNU, JIBUN, JIMOK, land_use) from zoom {MIN_PARCEL_ZOOM} to "
                        f"{MAX_ZOOM}; below zoom {MIN_PARCEL_ZOOM}, layer `{SUMMARY_LAYER}`: parcels counted per "
                        f"cell of a 16 × 16 grid per tile. Empty tiles answer 204 No Content."),
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": tile_matrix_set_limits(index),
        "boundingBox": {"lowerLeft": [lon0, lat0], "upperRight": [lon1, lat1], "crs": CRS84.uri},
        "centerPoint": {"coordinates": [(lon0 + lon1) / 2, (lat0 + lat1) / 2], "tileMatrix": str(MIN_PARCEL_ZOOM),
                        "crs": CRS84.uri},
        "layers": [
            {"id": PARCEL_LAYER, "title": "필지 · parcels", "dataType": "vector", "geometryDimension": 2,
             "minTileMatrix": str(MIN_PARCEL_ZOOM), "maxTileMatrix": str(MAX_ZOOM), "extent": EXTENT,
             "propertiesSchema": {"type": "object", "properties": {
                 "PNU": {"type": "string", "description": "필지고유번호, 19 digits"},
                 "JIBUN": {"type": "string", "description": "지번 with the 지목 code at its end"},
                 "JIMOK": {"type": "string", "description": "지목 code (land category), one character"},
                 "land_use": {"type": "string", "description": "land-use class of the 지목 (geodata/jimok_classes.toml)"}}}},
            {"id": SUMMARY_LAYER, "title": "필지 밀도 · parcel density", "dataType": "vector", "geometryDimension": 2,
             "minTileMatrix": "0", "maxTileMatrix": str(MIN_PARCEL_ZOOM - 1), "extent": EXTENT,
             "propertiesSchema": {"type": "object", "properties": {
                 "parcels": {"type": "integer", "description": "parcels whose centre lies in the cell"}}}},
        ],
        "links": [
            link(f"{base}/collections/{COLLECTION_ID}/tiles/{TMS_ID}", "self", JSON, "this tileset"),
            link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, JSON, "the WebMercatorQuad tile matrix set"),
            link(f"{base}/collections/{COLLECTION_ID}", "collection", JSON, "the collection"),
            {**link(tile_template(request), "item", MVT_MEDIA_TYPE, "Mapbox vector tiles"), "templated": True},
        ],
    }


def tilesets_doc(request: Request, index: ParcelIndex) -> dict:
    base = base_url(request)
    tileset = tileset_doc(request, index)
    return {"tilesets": [{"title": tileset["title"], "dataType": "vector", "crs": CRS_3857,
                          "tileMatrixSetURI": TMS_URI,
                          "links": [link(f"{base}/collections/{COLLECTION_ID}/tiles/{TMS_ID}", "self", JSON,
                                         "the WebMercatorQuad tileset"),
                                    link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, JSON,
                                         "the tile matrix set")]}],
            "links": [link(f"{base}/collections/{COLLECTION_ID}/tiles", "self", JSON, "these tilesets")]}
