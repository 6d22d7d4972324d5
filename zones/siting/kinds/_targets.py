"""What the two distance-to-target kinds (clearance, adjacency) share: targets, the nearest one."""
from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from zones.siting.batch import Batch
from zones.siting.clip import box_pairs
from zones.siting.context import BoundRule, LayerFeatures, features, target_rule
from zones.siting.distance import MAX_SEGMENTS, contained_pairs, edge_min_distances, segments_of
from zones.siting.errors import RuleError
from zones.siting.arrays import no_target
from zones.siting.registry import BUFFER_QUAD_SEGS, Param, positive
from zones.siting.rules import Rule, RuleSet

PARAMS = (Param("distance_m", float, unit="m", check=positive), Param("facilities", list, []),
          Param("layer", str, None), Param("features", list, []))


def validate_targets(kind: str):
    """`validate` of a kind that names its targets: other facilities, or a layer (and features)."""
    def validate(rule_id: str, p: dict[str, Any], facility: str, facility_ids: set[str]) -> None:
        if bool(p["facilities"]) == bool(p["layer"]):
            raise RuleError(f"rule {rule_id!r} ({kind}): give either facilities = [...] or layer = \"...\" "
                            "(with optional features), not both or neither", "facilities")
        if facility in p["facilities"]:
            raise RuleError(f"rule {rule_id!r}: a facility cannot keep {kind} to itself", "facilities")
        unknown = [f for f in p["facilities"] if f not in facility_ids]
        if unknown:
            raise RuleError(f"rule {rule_id!r}: unknown facility {unknown[0]!r} in facilities", "facilities")
        if p["features"] and not p["layer"]:
            raise RuleError(f"rule {rule_id!r}: features needs a layer", "features")
    return validate


def bind_targets(rule: Rule, rules: RuleSet, layers: LayerFeatures) -> BoundRule:
    p = rule.params
    if p["facilities"]:
        feats = features(rule, layers, rules.facilities_layer, p["facilities"], "facilities")
    else:
        feats = features(rule, layers, p["layer"], p["features"] or None, "features")
    b = target_rule(rule, feats)
    b.segments = segments_of(b.targets)
    return b


def nearest(b: BoundRule, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the nearest target and its index.

    Boundary-to-boundary distances (zones/siting/distance.py) are exact except where one
    geometry lies inside the other: only pairs whose boxes meet can, and a vertex of each settles
    it. Candidates without edges (points) go to the GEOS nearest query.
    """
    g = batch.geoms
    dist = np.full(len(g), np.inf)
    which = no_target(len(g))
    if not len(b.targets):
        return dist, which
    slow = np.arange(len(g))
    if b.segments is not None and len(b.segments) <= MAX_SEGMENTS:
        a, e_b, edge_of, n = batch.edges
        per_target = edge_min_distances(a, e_b, edge_of, n, b.segments, len(b.targets))
        src, tgt = box_pairs(batch.bounds, b.target_bounds, b.tree)  # envelopes that meet
        d = per_target[src, tgt]
        apart = np.isfinite(d) & (d > 0)
        src, tgt = src[apart], tgt[apart]
        _, cand_in, target_in = contained_pairs(a, e_b, edge_of, b.segments, batch.polygonal, src, tgt,
                                                batch.edge_off)
        hit = cand_in | target_in
        per_target[src[hit], tgt[hit]] = 0.0
        which = np.argmin(per_target, axis=1)
        dist = per_target[np.arange(len(g)), which]
        slow = np.flatnonzero(np.isinf(dist))
        which[slow] = -1
    if len(slow):
        (src, tgt), d = b.tree.query_nearest(g[slow], return_distance=True, all_matches=False)
        dist[slow[src]] = d
        which[slow[src]] = tgt
    return dist, which


def targets_buffer(b: BoundRule) -> shapely.Geometry | None:
    """The targets grown by the rule's distance (None without targets)."""
    if not len(b.targets):
        return None
    return shapely.buffer(shapely.union_all(b.targets), b.rule.threshold, quad_segs=BUFFER_QUAD_SEGS)
