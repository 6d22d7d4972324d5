"""A revision diff with what it does to the plan: every allocation row the layer feeds, and
every share, statutory row or siting verdict it changes, at the older and the newer revision.

The store is read with the layer at each revision and every other layer as it is
(geodata.views.LayerOverride). The layer at a revision is built from the live layer and the
diff between the newest revision and that one, so a million-parcel layer is not read twice;
when the live layer is not the newest revision (edited outside this tool), the revision's
content is read whole.
"""
from __future__ import annotations

from dataclasses import dataclass

from geodata.catalog import load_catalog
from geodata.layer_diff import LayerDiff, diff_revisions
from geodata.plan_compare import ComparedRow, compare_states, plan_state
from geodata.provider import LayerData, LayerProvider, LayerSource, layer_data
from geodata.revisions import read_revision_data
from geodata.scenario_ops import edits_of
from geodata.store import UnknownLayer
from geodata.views import apply_edits
from zones.plan import PlanTarget
from zones.siting import RuleSet


class LayerOverride(LayerSource):
    """The store as `provider` reads it, with one layer replaced."""

    def __init__(self, provider: LayerProvider, layer: str, data: LayerData, label: str):
        self.provider = provider
        self.name = label
        self.path = provider.path
        self.store = provider.store
        self._layer, self._data = layer, data

    def layer_ids(self) -> list[str]:
        return self.provider.layer_ids()

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        return self._data if layer_id == self._layer else self.provider.base_layer(layer_id, columns)


def layer_at(provider: LayerProvider, layer: str, revision: int) -> LayerData:
    """The layer as it was at `revision`, as readers see it (ids, areas, lon/lat copy)."""
    history = provider.store.revisions(layer)
    live = provider.base_layer(layer)
    newest = history[-1] if history else None
    if newest is not None and provider.store.checksum(layer) == newest.checksum:
        if revision == newest.revision:
            return live
        return apply_edits(live, edits_of(diff_revisions(provider.path, layer, newest.revision, revision)))
    return layer_data(load_catalog().get(layer), read_revision_data(provider.path, layer, revision))


@dataclass(frozen=True)
class RevisionDiff:
    diff: LayerDiff
    rows: list[ComparedRow]  # rows the layer feeds, and any other row that changed
    notes: list[str]

    def as_dict(self) -> dict:
        return {**self.diff.as_dict(), "allocation_changes": [r.as_dict() for r in self.rows], "notes": self.notes}


def revision_diff(provider: LayerProvider, plan: list[PlanTarget], rules: RuleSet | None, layer: str, r1: int,
                  r2: int, *, impact: bool = True) -> RevisionDiff:
    if not provider.store.revisions(layer) and layer not in provider.layer_ids():
        raise UnknownLayer(layer, provider.layer_ids())
    diff = diff_revisions(provider.path, layer, r1, r2)
    if not impact or layer not in provider.layer_ids():
        return RevisionDiff(diff, [], [] if impact else ["allocation rows not computed"])
    before = LayerOverride(provider, layer, layer_at(provider, layer, r1), diff.before)
    after = LayerOverride(provider, layer, layer_at(provider, layer, r2), diff.after)
    comparison = compare_states(plan_state(before, diff.before, plan, rules),
                                plan_state(after, diff.after, plan, rules), before, after, rules, [])
    fed = {t.id for t in plan if t.layer == layer}
    rows = [r for r in comparison.rows if r.changed or (r.kind == "target" and r.id in fed)]
    return RevisionDiff(diff, rows, comparison.notes)
