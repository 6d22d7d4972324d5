"""Validation of uploaded GeoJSON drafts: every fault named by feature, in planning terms.

Uploads are GeoJSON as QGIS and ogr2ogr write them: positions are x, y (lon, lat; or easting,
northing when a `crs` member or the `crs` query parameter names EPSG:5186/5179). A GIS officer
gets one 422 listing every faulty feature (index and id) and what is wrong with it: not
JSON, not a FeatureCollection, a Point where an area is needed, NaN/infinite or missing
coordinates, unclosed rings, self-intersections (with the GEOS reason and location),
latitude/longitude swapped, places outside Korea, no target claimed. The coordinate checks
are those of every uploaded area (geodata.geojson_in); this module adds the claim, collects
the faults of every feature and words them for the draft report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from api.ogc import CRS84, EPSG_4326, ServedCrs, parse_crs
from api.problems import Problem
from geodata.geojson_in import GeoInputFault, checked_area, crs_member_name, to_metric
from zones.drafts import Draft

MAX_REPORTED = 50
# Where a draft report says more than the shared wording: drafts are allocations, and their CRS
# comes from the crs query parameter as often as from the body.
_DRAFT_WORDING = {
    "no_geometry": "has no geometry; a draft must be a Polygon or MultiPolygon",
    "wrong_geometry_type": "is a {type!s:.40}; a draft allocation must be an area (Polygon or MultiPolygon)",
    "metres_as_degrees": "coordinates like {x:g}, {y:g} look like metres; say which CRS with the crs parameter "
                         "(e.g. crs=EPSG:5186) or send lon, lat",
}


@dataclass
class Faults:
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, index: int | None, fid: Any, fault: str, detail: str, location: list[float] | None = None) -> None:
        entry: dict[str, Any] = {"feature": index, "id": fid, "fault": fault, "detail": detail}
        if location is not None:
            entry["location"] = location
        self.errors.append(entry)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more fault(s), see errors)" if len(self.errors) > 1 else ""
        raise Problem(422, "Invalid GeoJSON draft", f"{_who(first)}: {first['detail']}{more}",
                      errors=self.errors[:MAX_REPORTED])


def _who(entry: dict[str, Any]) -> str:
    if entry["feature"] is None:
        return "the upload"
    return f"feature #{entry['feature']}" + (f" (id {entry['id']!r})" if entry["id"] is not None else "")


def parse_drafts(body: bytes, crs_param: str | None, target_ids: set[str], layer_ids: set[str]) -> list[Draft]:
    """Drafts in EPSG:5186, or a Problem (400 bad crs, 422 bad GeoJSON) naming every fault."""
    doc = _load_json(body)
    faults = Faults()
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        faults.add(None, None, "not_a_feature_collection",
                   f"expected a GeoJSON FeatureCollection, got {str(kind)[:40]!r}")
        faults.raise_if_any()
    crs = _upload_crs(doc, crs_param)
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        faults.add(None, None, "no_features", "the FeatureCollection has no features (need at least one draft polygon)")
        faults.raise_if_any()
    drafts = []
    for i, feat in enumerate(features):
        draft = _feature(i, feat, crs, faults, target_ids, layer_ids)
        if draft is not None:
            drafts.append(draft)
        if len(faults.errors) >= MAX_REPORTED:
            break
    faults.raise_if_any()
    return drafts


def _load_json(body: bytes) -> Any:
    if not body.strip():
        raise Problem(422, "Invalid GeoJSON draft", "the request body is empty; send a GeoJSON FeatureCollection",
                      errors=[{"feature": None, "id": None, "fault": "invalid_json", "detail": "empty body"}])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(422, "Invalid GeoJSON draft", f"the body is not UTF-8 text (byte {exc.start})",
                      errors=[{"feature": None, "id": None, "fault": "invalid_json", "detail": "not UTF-8"}]) from None
    try:
        # NaN/Infinity literals are accepted here so they can be reported as coordinate faults.
        return json.loads(text, parse_constant=float)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise Problem(422, "Invalid GeoJSON draft", f"the body is not valid JSON{where}: {msg}",
                      errors=[{"feature": None, "id": None, "fault": "invalid_json", "detail": f"{msg}{where}"}]) from None


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


def _feature(i: int, feat: Any, crs: ServedCrs, faults: Faults, target_ids: set[str], layer_ids: set[str]) -> Draft | None:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        faults.add(i, None, "not_a_feature", "is not a GeoJSON Feature object")
        return None
    fid = feat.get("id")
    fid = fid if isinstance(fid, (str, int)) and not isinstance(fid, bool) else None
    n_before = len(faults.errors)
    claim = _claim(i, fid, feat.get("properties"), faults, target_ids, layer_ids)
    geometry = _geometry(i, fid, feat.get("geometry"), crs, faults)
    if geometry is None or claim is None or len(faults.errors) > n_before:
        return None
    target_id, layer, feature_id = claim
    return Draft(index=i, geometry=geometry, target_id=target_id, layer=layer, feature_id=feature_id)


def _claim(i, fid, props, faults: Faults, target_ids: set[str], layer_ids: set[str]):
    if not isinstance(props, dict):
        props = {}
    target = props.get("target_id")
    if target is not None:
        if not isinstance(target, str) or target not in target_ids:
            faults.add(i, fid, "unknown_target", f"target_id {target!r} is not a plan target; see GET /plan for the ids")
            return None
        return target, None, None
    layer, ident = props.get("layer"), props.get("id")
    if layer is None and ident is None:
        faults.add(i, fid, "no_claim", "claims nothing: set properties.target_id (see GET /plan), "
                   "or properties.layer and properties.id of the feature it replaces")
        return None
    if not isinstance(layer, str) or layer not in layer_ids:
        faults.add(i, fid, "unknown_layer", f"layer {layer!r} is not a collection; known: {', '.join(sorted(layer_ids))}")
        return None
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or str(ident) == "":
        faults.add(i, fid, "no_claim", f"properties.id must name the feature of {layer} this draft replaces")
        return None
    return None, layer, str(ident)


def _geometry(i, fid, geom, crs: ServedCrs, faults: Faults) -> BaseGeometry | None:
    try:
        return to_metric(checked_area(geom, crs.epsg, crs.label), crs.epsg)
    except GeoInputFault as fault:
        faults.add(i, fid, fault.code, fault.worded(_DRAFT_WORDING), fault.location)
        return None
