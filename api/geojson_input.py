"""Validation of uploaded GeoJSON drafts: every fault named by feature, in planning terms.

Uploads are GeoJSON as QGIS and ogr2ogr write them: positions are x, y (lon, lat; or easting,
northing when a `crs` member or the `crs` query parameter names a projected CRS such as
`zones.crs.METRIC` or EPSG:5179). A GIS officer
gets one 422 listing every faulty feature (index and id) and what is wrong with it: not
JSON, not a FeatureCollection, a Point where an area is needed, NaN/infinite or missing
coordinates, unclosed rings, self-intersections (with the GEOS reason and location),
latitude/longitude swapped, places outside Korea, no target claimed. The coordinate checks
are those of every uploaded area (geodata.geojson_in, which also reads the bytes and lists the
faulty features); this module adds the claim and words the faults for the draft report.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shapely.geometry.base import BaseGeometry

from api.ogc import CRS84, EPSG_4326, ServedCrs, parse_crs
from api.problems import Problem
from geodata.geojson_in import (
    FaultyFeatures, GeoInputFault, checked_area, collection_features, crs_member_name, load_json, read_features,
    to_metric,
)
from zones.crs import METRIC
from zones.drafts import Draft

TITLE = "Invalid GeoJSON draft"
# Where a draft report says more than the shared wording: drafts are allocations, and their CRS
# comes from the crs query parameter as often as from the body.
_DRAFT_WORDING = {
    "no_geometry": "has no geometry; a draft must be a Polygon or MultiPolygon",
    "wrong_geometry_type": "is a {type!s:.40}; a draft allocation must be an area (Polygon or MultiPolygon)",
    "metres_as_degrees": "coordinates like {x:g}, {y:g} look like metres; say which CRS with the crs parameter "
                         f"(e.g. crs={METRIC}) or send lon, lat",
    "not_a_feature": "is not a GeoJSON Feature object",
    "no_features": "the FeatureCollection has no features (need at least one draft polygon)",
}


def _entry(index: int | None, fid: Any, fault: GeoInputFault) -> dict[str, Any]:
    entry: dict[str, Any] = {"feature": index, "id": fid, "fault": fault.code, "detail": fault.worded(_DRAFT_WORDING)}
    if fault.location is not None:
        entry["location"] = fault.location
    return entry


def _who(entry: dict[str, Any]) -> str:
    if entry["feature"] is None:
        return "the upload"
    return f"feature #{entry['feature']}" + (f" (id {entry['id']!r})" if entry["id"] is not None else "")


def _refused(errors: list[dict[str, Any]], total: int) -> Problem:
    first = errors[0]
    more = f" (and {total - 1} more fault(s), see errors)" if total > 1 else ""
    detail = first["detail"] if first["feature"] is None else f"{_who(first)}: {first['detail']}"
    return Problem(422, TITLE, f"{detail}{more}", errors=errors, faulty_features=total,
                   errors_not_listed=total - len(errors))


def parse_drafts(body: bytes, crs_param: str | None, target_ids: set[str], layer_ids: set[str],
                 layers_holding: Callable[[str], list[str]] = lambda fid: [],
                 layer: str | None = None) -> list[Draft]:
    """Drafts in `zones.crs.METRIC`, or a Problem (400 bad crs, 422 bad GeoJSON) naming every faulty feature.

    A feature as the items endpoint serves it (an id, no `layer`) replaces the stored feature of
    `layer` (?layer=, /collections/{id}/check) or, without one, of the one layer that holds its
    id (`layers_holding`)."""
    try:
        doc = load_json(body, "the request body")
        features = collection_features(doc)
    except GeoInputFault as fault:
        raise _refused([_entry(None, None, fault)], 1) from None
    crs = _upload_crs(doc, crs_param)
    try:
        return read_features(features, lambda i, feat: _feature(i, feat, crs, target_ids, layer_ids,
                                                                  layers_holding, layer),
                             id_of=_member_id)
    except FaultyFeatures as faults:
        raise _refused([_entry(f.index, f.id, f.fault) for f in faults.listed], faults.total) from None


def _member_id(feat: Any) -> str | int | None:
    """A draft's own id (its `id` member); properties.id names the stored feature it replaces."""
    fid = feat.get("id") if isinstance(feat, dict) else None
    return fid if isinstance(fid, (str, int)) and not isinstance(fid, bool) else None


def _upload_crs(doc: dict, crs_param: str | None) -> ServedCrs:
    member = doc.get("crs")
    named = None if member is None else crs_member_name(member)
    if member is not None and named is None:
        raise Problem(400, "Unsupported CRS", 'the "crs" member must look like {"type": "name", "properties": '
                      '{"name": "urn:ogc:def:crs:EPSG::5186"}}', parameter="crs")
    from_member = parse_crs(named, "crs member") if named else None
    from_param = parse_crs(crs_param, "crs") if crs_param else None
    if from_member and from_param and from_member.epsg != from_param.epsg and {from_member, from_param} != {CRS84, EPSG_4326}:
        raise Problem(400, "Conflicting CRS", f"the body says {from_member.label}, the crs parameter says {from_param.label}",
                      parameter="crs")
    return from_param or from_member or CRS84


def _feature(i: int, feat: Any, crs: ServedCrs, target_ids: set[str], layer_ids: set[str],
             layers_holding: Callable[[str], list[str]], default_layer: str | None) -> Draft:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise GeoInputFault("not_a_feature", "is not a GeoJSON Feature")
    props = feat.get("properties") if isinstance(feat.get("properties"), dict) else {}
    if props.get("target_id") is None and props.get("layer") is None:
        ident = props.get("id")
        if ident is not None:
            props = {**props, "id": ident, "layer": default_layer or _layer_holding(str(ident), layers_holding)}
    target_id, layer, feature_id = _claim(props, target_ids, layer_ids)
    geometry = _geometry(feat.get("geometry"), crs)
    return Draft(index=i, geometry=geometry, target_id=target_id, layer=layer, feature_id=feature_id)


def _claim(props: Any, target_ids: set[str], layer_ids: set[str]) -> tuple[str | None, str | None, str | None]:
    if not isinstance(props, dict):
        props = {}
    target = props.get("target_id")
    if target is not None:
        if not isinstance(target, str) or target not in target_ids:
            raise GeoInputFault("unknown_target", f"target_id {str(target)[:60]!r} is not a plan target; see GET /plan "
                                "for the ids")
        return target, None, None
    layer, ident = props.get("layer"), props.get("id")
    if layer is None and ident is None:
        raise GeoInputFault("no_claim", "claims nothing: set properties.target_id (see GET /plan), "
                            "or properties.layer and properties.id of the feature it replaces")
    if not isinstance(layer, str) or layer not in layer_ids:
        raise GeoInputFault("unknown_layer", f"layer {str(layer)[:60]!r} is not a collection; known: "
                            f"{', '.join(sorted(layer_ids))}")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or str(ident) == "":
        raise GeoInputFault("no_claim", f"properties.id must name the feature of {layer} this draft replaces")
    return None, layer, str(ident)


def _layer_holding(ident: str, layers_holding: Callable[[str], list[str]]) -> str:
    """The one layer whose features include `ident`, for a feature sent back as it was read."""
    layers = layers_holding(ident)
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise GeoInputFault("unknown_feature", f"no layer holds a feature {ident[:60]!r}; say which layer it "
                            "replaces with properties.layer, ?layer= or POST /collections/{layer}/check")
    raise GeoInputFault("ambiguous_feature", f"feature id {ident[:60]!r} is in layers {', '.join(layers)}: say which "
                        "with ?layer=, properties.layer or POST /collections/{layer}/check")


def _geometry(geom: Any, crs: ServedCrs) -> BaseGeometry:
    return to_metric(checked_area(geom, crs.epsg, crs.label), crs.epsg)
