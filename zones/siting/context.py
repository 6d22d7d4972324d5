"""Rules bound to the geometries they refer to, ready for fast evaluation.

Binding resolves every layer/feature reference once (unions, prepared
geometries, STRtrees of boundary segments and targets), so checking a site, or
a hundred thousand, touches no file and rebuilds no index. All geometries are
metric (EPSG:5186).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.clip import Triangles, triangulate
from zones.siting.distance import Segments, segments_of
from zones.siting.rules import Rule, RuleError, RuleSet


@dataclass(frozen=True)
class FeatureRef:
    geometry: BaseGeometry
    name_ko: str
    name_en: str


LayerFeatures = Mapping[str, Mapping[str, FeatureRef]]  # layer -> feature id -> feature


class BindError(RuleError):
    """A rule whose layer or feature is missing from the store."""

    def __init__(self, message: str, facility: str, rule_id: str, key: str | None):
        super().__init__(message, key)
        self.facility = facility
        self.rule_id = rule_id


@dataclass
class BoundRule:
    rule: Rule
    name_ko: str = ""  # what the rule refers to, for messages
    name_en: str = ""
    zone: BaseGeometry | None = None  # within / in_dongs / setback (prepared, for predicates)
    zone_overlay: BaseGeometry | None = None  # an unprepared copy: overlays run ~35 % faster on it
    boundary_tree: shapely.STRtree | None = None  # setback: the zone's boundary segments
    segments: Segments | None = None  # setback: the zone boundary; clearance / adjacency: the targets' edges
    target_ids: tuple[str, ...] = ()
    target_names_ko: tuple[str, ...] = ()
    target_names_en: tuple[str, ...] = ()
    targets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    tree: shapely.STRtree | None = None  # clearance / adjacency / no_overlap
    target_bounds: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))  # (targets, 4) boxes
    # within / in_dongs: the zone; no_overlap: the targets (owner = target index), cut into
    # triangles so overlap areas need no GEOS overlay (zones/siting/clip.py); None: use GEOS.
    pieces: Triangles | None = None


@dataclass
class SitingContext:
    rules: RuleSet
    bound: dict[str, list[BoundRule]]
    planned: dict[str, BaseGeometry]  # the stored site of each facility, when present

    def facility_rules(self, facility: str) -> list[BoundRule]:
        self.rules.facility(facility)  # raises UnknownFacility
        return self.bound[facility]


def bind(rules: RuleSet, layers: LayerFeatures) -> SitingContext:
    """Resolve every rule's references against `layers`; BindError names the first dangling one."""
    fac_layer = layers.get(rules.facilities_layer, {})
    planned = {fid: ref.geometry for fid, ref in fac_layer.items() if fid in rules.facilities}
    bound = {fid: [_bind_rule(r, rules, layers) for r in fac.rules] for fid, fac in rules.facilities.items()}
    return SitingContext(rules=rules, bound=bound, planned=planned)


def _features(rule: Rule, layers: LayerFeatures, layer: str, ids: list[str] | None, key: str) -> dict[str, FeatureRef]:
    if layer not in layers:
        raise BindError(f"rule {rule.id!r} of {rule.facility!r}: no layer {layer!r} in the store; "
                        f"known layers: {', '.join(layers)}", rule.facility, rule.id, "layer")
    feats = layers[layer]
    if ids is None:
        return dict(feats)
    missing = [i for i in ids if i not in feats]
    if missing:
        raise BindError(f"rule {rule.id!r} of {rule.facility!r}: no feature {missing[0]!r} in layer {layer!r}",
                        rule.facility, rule.id, key)
    return {i: feats[i] for i in ids}


def _names(feats: Mapping[str, FeatureRef]) -> tuple[str, str]:
    return (", ".join(f.name_ko or i for i, f in feats.items()), ", ".join(f.name_en or i for i, f in feats.items()))


def _polygon_union(feats: Mapping[str, FeatureRef]) -> BaseGeometry:
    return shapely.union_all([shapely.make_valid(f.geometry) for f in feats.values()])


def boundary_segments(geom: BaseGeometry) -> np.ndarray:
    """The boundary of `geom` as two-point lines, so an STRtree can find the nearest one fast."""
    out = []
    for line in shapely.get_parts(shapely.boundary(geom)):
        xy = shapely.get_coordinates(line)
        if len(xy) >= 2:
            out.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return np.concatenate(out) if out else np.empty(0, dtype=object)


def _bind_rule(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    p = rule.params
    b = BoundRule(rule=rule)
    if rule.kind in ("within", "setback"):
        feats = _features(rule, layers, p["layer"], p["features"], "features")
        b.zone = _polygon_union(feats)
        b.name_ko, b.name_en = _names(feats)
    elif rule.kind == "in_dongs":
        feats = _features(rule, layers, p["layer"], p["dongs"], "dongs")
        b.zone = _polygon_union(feats)
        b.name_ko, b.name_en = _names(feats)
    elif rule.kind in ("clearance", "adjacency"):
        if p["facilities"]:
            feats = _features(rule, layers, rules.facilities_layer, p["facilities"], "facilities")
        else:
            feats = _features(rule, layers, p["layer"], p["features"] or None, "features")
        _set_targets(b, feats)
        b.segments = segments_of(b.targets)
    elif rule.kind == "no_overlap":
        layer = p["layer"] or rules.facilities_layer
        feats = {i: f for i, f in _features(rule, layers, layer, None, "layer").items() if i != rule.facility}
        _set_targets(b, feats)
    if b.zone is not None:
        b.zone_overlay = shapely.from_wkb(shapely.to_wkb(b.zone))
        shapely.prepare(b.zone)
        if rule.kind == "setback":
            b.boundary_tree = shapely.STRtree(boundary_segments(b.zone))
            b.segments = segments_of(b.zone_overlay)
        else:
            b.pieces = triangulate(b.zone_overlay)
    if rule.kind == "no_overlap":
        b.pieces = triangulate(b.targets)
    return b


def _set_targets(b: BoundRule, feats: Mapping[str, FeatureRef]) -> None:
    b.target_ids = tuple(feats)
    b.targets = np.empty(len(feats), dtype=object)
    b.targets[:] = [shapely.make_valid(f.geometry) for f in feats.values()]
    b.tree = shapely.STRtree(b.targets)
    b.target_bounds = shapely.bounds(b.targets).reshape(-1, 4)
    b.name_ko, b.name_en = _names(feats)
    b.target_names_ko = tuple(f.name_ko or i for i, f in feats.items())
    b.target_names_en = tuple(f.name_en or i for i, f in feats.items())
