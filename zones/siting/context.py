"""Rules bound to the geometries they refer to, ready for fast evaluation.

Binding resolves every layer/feature reference once (unions, prepared
geometries, STRtrees of boundary segments and targets), so checking a site, or
a hundred thousand, touches no file and rebuilds no index. All geometries are
metric (`zones.crs.METRIC`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.clip import Triangles
from zones.siting.distance import Segments
from zones.siting.errors import RuleError
from zones.siting.registry import kind_of
from zones.siting.rules import Rule, RuleSet


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
    # Filled by the kind's `bind` with what its `measure` needs (zones/siting/kinds/).
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
    data: dict[str, Any] = field(default_factory=dict)  # a kind's own bound data that no field above fits


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
    bound = {fid: [kind_of(r.kind).bind(r, rules, layers) for r in fac.rules] for fid, fac in rules.facilities.items()}
    return SitingContext(rules=rules, bound=bound, planned=planned)


# Helpers for the kinds' `bind` (zones/siting/kinds/): resolving references, building the indexes.

def features(rule: Rule, layers: LayerFeatures, layer: str, ids: list[str] | None, key: str) -> dict[str, FeatureRef]:
    """Features `ids` of `layer` (all of them for None); BindError names the first missing one."""
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


def names(feats: Mapping[str, FeatureRef]) -> tuple[str, str]:
    """Korean and English names of `feats`, comma-separated (the id where a name is missing)."""
    return (", ".join(f.name_ko or i for i, f in feats.items()), ", ".join(f.name_en or i for i, f in feats.items()))


def polygon_union(feats: Mapping[str, FeatureRef]) -> BaseGeometry:
    return shapely.union_all([shapely.make_valid(f.geometry) for f in feats.values()])


def boundary_segments(geom: BaseGeometry) -> np.ndarray:
    """The boundary of `geom` as two-point lines, so an STRtree can find the nearest one fast."""
    out = []
    for line in shapely.get_parts(shapely.boundary(geom)):
        xy = shapely.get_coordinates(line)
        if len(xy) >= 2:
            out.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return np.concatenate(out) if out else np.empty(0, dtype=object)


def zone_rule(rule: Rule, feats: Mapping[str, FeatureRef]) -> BoundRule:
    """A rule about one zone, the union of `feats`: prepared for predicates, with an unprepared
    copy for overlays, named after the features."""
    b = BoundRule(rule=rule)
    b.zone = polygon_union(feats)
    b.name_ko, b.name_en = names(feats)
    b.zone_overlay = shapely.from_wkb(shapely.to_wkb(b.zone))
    shapely.prepare(b.zone)
    return b


def target_rule(rule: Rule, feats: Mapping[str, FeatureRef]) -> BoundRule:
    """A rule about separate targets (facilities, features): each kept, indexed and named."""
    b = BoundRule(rule=rule)
    b.target_ids = tuple(feats)
    b.targets = np.empty(len(feats), dtype=object)
    b.targets[:] = [shapely.make_valid(f.geometry) for f in feats.values()]
    b.tree = shapely.STRtree(b.targets)
    b.target_bounds = shapely.bounds(b.targets).reshape(-1, 4)
    b.name_ko, b.name_en = names(feats)
    b.target_names_ko = tuple(f.name_ko or i for i, f in feats.items())
    b.target_names_en = tuple(f.name_en or i for i, f in feats.items())
    return b


def refers_to_nothing(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    """`bind` of a kind that measures the site alone (its area, its width): nothing to resolve."""
    return BoundRule(rule=rule)
