"""Editing and promoting scenarios: the same from the API and from `kizone`.

An edit takes a layer's new content (a whole FeatureCollection, as a layer write takes it,
or only some features with `merge`), compares it with the base layer (geodata.layer_diff)
and stores the difference as the scenario's edits of that layer: a feature sent back as it
was read is no edit. The write guard (geodata.write_guard) judges the layer as the scenario
would have it, with the scenario's other layers, inside the transaction.

Promoting writes every layer the scenario edits into the base, each as a new revision, and
marks the scenario promoted, in one transaction through the same guard.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geodata.layer_diff import DERIVED_COLUMNS, LayerDiff, diff_frames
from geodata.provider import LayerProvider
from geodata.revisions import Revision
from geodata.scenarios import LayerEdits, ScenarioRevision, promote_scenario, write_edits
from geodata.store import UnknownLayer
from geodata.views import ScenarioView
from geodata.write_guard import Dependents
from zones.crs import METRIC
from zones.errors import InvalidInput


@dataclass(frozen=True)
class EditResult:
    scenario: str
    layer: str
    revision: ScenarioRevision
    diff: LayerDiff  # the layer in the scenario against the base

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "layer": self.layer, "revision": self.revision.revision,
                "edits": {"replaced": self.revision.replaced, "added": self.revision.added,
                          "removed": self.revision.removed},
                "summary": self.diff.summary.as_dict(),
                "features": [c.as_dict() for c in self.diff.changes]}


def stored_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer without the columns readers derive from the geometry (areas)."""
    return gdf.drop(columns=[c for c in DERIVED_COLUMNS if c in gdf.columns])


def _merged(current: gpd.GeoDataFrame, sent: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`current` with the features of `sent` replacing those with the same id, the others appended."""
    sent_ids = set(sent["id"].astype(str))
    replaced = current["id"].astype(str).isin(sent_ids).to_numpy()
    at = {fid: i for i, fid in enumerate(current["id"].astype(str))}
    rows = pd.concat([current[~replaced], sent], ignore_index=True)
    order = [i for i, r in enumerate(replaced) if not r] + [at.get(fid, len(current) + k)
                                                           for k, fid in enumerate(sent["id"].astype(str))]
    rows = rows.iloc[pd.Series(order).argsort(kind="stable").to_numpy()].reset_index(drop=True)
    return gpd.GeoDataFrame(rows, geometry=current.geometry.name, crs=METRIC)


def edits_of(diff: LayerDiff) -> LayerEdits:
    """The edits that turn the base into the diff's newer side."""
    puts = [c for c in diff.changes if c.change != "removed"]
    deletes = [c.id for c in diff.changes if c.change == "removed"] + [c.id_before for c in puts if c.id_before]
    frame = pd.DataFrame.from_records([dict(c.properties_after or {}, id=c.id) for c in puts]) if puts else \
        pd.DataFrame({"id": pd.Series(dtype=object)})
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([c.geometry_after for c in puts], index=frame.index,
                                                         crs=METRIC), crs=METRIC)
    return LayerEdits(gdf, tuple(deletes))


def edit_layer(provider: LayerProvider, scenario: str, layer: str, content: gpd.GeoDataFrame, *, merge: bool,
               token_name: str, dependents: Dependents | None, note: str = "") -> EditResult:
    """Set the scenario's version of `layer` to `content` (metric, with `id`), or with `merge`
    lay `content` over the scenario's current version; stored as the difference from the base."""
    if layer not in provider.layer_ids():
        raise UnknownLayer(layer, provider.layer_ids())
    view = provider.view(scenario)
    assert isinstance(view, ScenarioView)
    base = stored_columns(provider.base_layer(layer).metric)
    sent = stored_columns(content.to_crs(METRIC))
    sent["id"] = sent["id"].astype(str)
    if sent["id"].duplicated().any():
        dup = sorted(set(sent["id"][sent["id"].duplicated()]))[:5]
        raise InvalidInput(f"feature ids repeat in the edit of layer {layer!r} ({', '.join(dup)}): a scenario edits "
                           f"features by id", code="duplicate_ids", layer=layer)
    new = _merged(stored_columns(view.layer(layer).metric), sent) if merge else sent
    diff = diff_frames(layer, base, new, "base", scenario)
    edits = edits_of(diff)
    counts = (sum(c.change in ("modified", "reshaped", "moved") for c in diff.changes),
              sum(c.change == "added" for c in diff.changes), sum(c.change == "removed" for c in diff.changes))
    guard = None
    if dependents is not None:
        write_guard = dependents.guard(view)
        guard = lambda: write_guard(layer, new)  # noqa: E731
    revision = write_edits(provider.path, scenario, layer, edits, token_name=token_name, counts=counts,
                           guard=guard, note=note or ("merge" if merge else "layer replaced"))
    return EditResult(scenario, layer, revision, diff)


def promote(provider: LayerProvider, scenario: str, *, token_name: str,
            dependents: Dependents | None) -> dict[str, Revision]:
    """Write the scenario's layers into the base as new revisions, in one transaction."""
    view = provider.view(scenario)
    assert isinstance(view, ScenarioView)
    if not view.edits:
        raise InvalidInput(f"scenario {scenario!r} edits no layer: there is nothing to promote",
                           code="nothing_to_promote", scenario=scenario)
    generation = provider.store.generation()
    layers = {layer: stored_columns(view.layer(layer).metric) for layer in view.edits}
    if any(provider.base_layer(layer).generation != generation for layer in layers):
        generation = -1  # the base moved while the layers were read: refused below, nothing written
    guard = None
    if dependents is not None:
        write_guard = dependents.guard(view)

        def guard() -> None:
            for layer, gdf in layers.items():
                write_guard(layer, gdf)
    return promote_scenario(provider.path, scenario, layers, token_name=token_name,
                            keep_revisions=provider.store.keep_revisions, expected_generation=generation,
                            guard=guard)
