"""Draft allocations: check proposed polygons against the plan without storing them.

A draft polygon either claims a plan target (`target_id`) or replaces a stored feature
(`layer` + `id`). Drafts are laid over the stored layers: a draft replaces the stored feature
with the same layer and id, everything else stays as stored, and the ordinary allocation
check runs on the result, so overlaps and overhangs against the stored neighbours show up.

A target measured from one feature is drafted by replacing that feature, so targets built
on it (the whole the district belongs to) see the draft too. A target measured from several
features (a whole drawn in one piece) is drafted as its own geometry: its parts keep their
stored features and are checked against the drafted whole. Several drafts for the same
target or feature are unioned.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

import shapely
from shapely.geometry.base import BaseGeometry

from zones.allocation import AllocationReport, LayerGeometries, check_allocations
from zones.plan import PlanTarget
from zones.provenance import FeatureOrigin, Origins

DRAFT_LAYER = "(draft)"


@dataclass(frozen=True)
class Draft:
    index: int  # position in the uploaded collection, for messages
    geometry: BaseGeometry  # in zones.crs.METRIC
    target_id: str | None = None
    layer: str | None = None
    feature_id: str | None = None


@dataclass(frozen=True)
class DraftCheck:
    report: AllocationReport
    drafted: frozenset[str]  # targets whose measured geometry includes a draft


def check_drafts(plan: list[PlanTarget], layers: LayerGeometries, drafts: list[Draft], *,
                 origins: Origins | None = None, dongs: Mapping[str, BaseGeometry] | None = None) -> DraftCheck:
    """The allocation check of the stored layers with the drafts laid over them; drafted rows rest on `draft`."""
    by_id = {t.id: t for t in plan}
    feature_drafts: dict[tuple[str, str], list[BaseGeometry]] = defaultdict(list)
    whole_drafts: dict[str, list[BaseGeometry]] = defaultdict(list)
    for d in drafts:
        if d.target_id is not None:
            t = by_id[d.target_id]
            if len(t.features) == 1:
                feature_drafts[(t.layer, t.features[0])].append(d.geometry)
            else:
                whole_drafts[t.id].append(d.geometry)
        else:
            feature_drafts[(d.layer, d.feature_id)].append(d.geometry)

    merged: dict[str, dict[str, BaseGeometry]] = {name: dict(feats) for name, feats in layers.items()}
    for (layer, fid), geoms in feature_drafts.items():
        merged.setdefault(layer, {})[fid] = shapely.union_all(geoms)
    merged[DRAFT_LAYER] = {tid: shapely.union_all(geoms) for tid, geoms in whole_drafts.items()}

    merged_origins: dict[str, dict[str, FeatureOrigin]] | None = None
    if origins is not None:
        merged_origins = {name: dict(feats) for name, feats in origins.items()}
        for layer, fid in feature_drafts:
            merged_origins.setdefault(layer, {})[fid] = FeatureOrigin("draft")
        merged_origins[DRAFT_LAYER] = {tid: FeatureOrigin("draft") for tid in whole_drafts}
    checked_plan = [replace(t, layer=DRAFT_LAYER, features=(t.id,)) if t.id in whole_drafts else t for t in plan]
    report = check_allocations(checked_plan, merged, origins=merged_origins, dongs=dongs)
    rows = tuple(replace(row, layer=by_id[row.target_id].layer, features=by_id[row.target_id].features)
                 if row.target_id in whole_drafts else row for row in report.rows)
    drafted = {t.id for t in plan if t.id in whole_drafts or any((t.layer, f) in feature_drafts for f in t.features)}
    return DraftCheck(AllocationReport(rows=rows), frozenset(drafted))



def layers_needed(plan: list[PlanTarget], drafts: list[Draft]) -> set[str]:
    """The stored layers a draft check reads: every layer the plan or a draft refers to."""
    return {t.layer for t in plan} | {d.layer for d in drafts if d.layer}
