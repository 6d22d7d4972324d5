"""What a layer write must not break: the plan targets and siting rules that read it by feature id.

The plan measures targets by the ids of their features (geodata/plan.toml) and the siting rules
bind to zones, dongs and sites by id (geodata/siting_rules.toml). A write that drops one of
those ids would be committed and then fail every reader of them (the siting checks, their maps,
the allocation rows). The guard binds the plan's references and the siting rules to the layer
as the write proposes it, with every other layer as stored, inside the write's transaction (the
write lock is held, so no other write can change those layers meanwhile), and refuses the write
with a `Conflict` naming what would break. A reference that is already dangling before the
write is not the write's doing and does not block it (a store being repaired layer by layer).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd

from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.siting_rules import layer_features, load_rules, referenced_layers
from zones.crs import METRIC
from zones.errors import Conflict
from zones.plan import PlanTarget
from zones.siting import BindError, RuleSet, bind


@dataclass(frozen=True)
class Dependents:
    """The plan targets and the siting rules whose references a write is checked against."""
    plan: tuple[PlanTarget, ...]
    rules: RuleSet | None

    @classmethod
    def load(cls, plan_path: Path, rules_path: Path) -> "Dependents":
        """The plan and the rules the server reads (ZONES_PLAN, ZONES_SITING_RULES), for the CLI."""
        return cls(tuple(load_plan(plan_path)), load_rules(rules_path)[0])

    def guard(self, provider: LayerProvider) -> "WriteGuard":
        return WriteGuard(self, provider)


@dataclass(frozen=True)
class WriteGuard:
    """Called by the store inside a write's transaction with the layer as it would be stored."""
    dependents: Dependents
    provider: LayerProvider

    def __call__(self, layer: str, proposed: gpd.GeoDataFrame) -> None:
        targets = self._plan_breaks(layer, proposed)
        rules = self._siting_breaks(layer, proposed)
        if not targets and not rules:
            return
        broken = ([f"plan target{'s' * (len(targets) > 1)} {', '.join(targets)}"] if targets else []) \
            + ([f"siting rule{'s' * (len(rules) > 1)} {'; '.join(rules)}"] if rules else [])
        raise Conflict(f"the write to layer {layer!r} would break {'; and '.join(broken)}; nothing was changed. "
                       f"Keep the feature ids these read, or change the plan or the siting rules first",
                       code="layer_in_use", layer=layer, plan_targets=targets, siting_rules=rules)

    def _plan_breaks(self, layer: str, proposed: gpd.GeoDataFrame) -> list[str]:
        if not any(target.layer == layer for target in self.dependents.plan):
            return []  # a layer no target measures (parcels): its ids are neither listed nor read back
        ids = _ids(proposed)
        stored = set(self._stored_ids(layer))
        out = []
        for target in self.dependents.plan:
            if target.layer != layer:
                continue
            lost = [f for f in target.features if f not in ids and f in stored]
            if lost:
                out.append(f"{target.id} (needs {', '.join(lost)})")
        return out

    def _siting_breaks(self, layer: str, proposed: gpd.GeoDataFrame) -> list[str]:
        rules = self.dependents.rules
        if rules is None or layer not in referenced_layers(rules):
            return []
        # The feature maps of every layer the rules read, built once; each facility is bound on
        # its own so that every broken facility is named, not just the first.
        features_after = layer_features(_Proposed(self.provider, layer, proposed), referenced_layers(rules))
        out = []
        for fid, facility in rules.facilities.items():
            one = dataclasses.replace(rules, facilities={fid: facility})
            try:
                bind(one, features_after)
            except BindError as exc:
                if self._binds_now(one):
                    out.append(f"{exc.facility}/{exc.rule_id} ({str(exc).split(': ', 1)[-1]})")
        return out

    def _binds_now(self, rules: RuleSet) -> bool:
        try:
            bind(rules, layer_features(self.provider, referenced_layers(rules)))
        except BindError:
            return False
        return True

    def _stored_ids(self, layer: str) -> list[str]:
        if layer not in self.provider.layer_ids():
            return []
        return list(self.provider.layer(layer).metric["id"])


def _ids(gdf: gpd.GeoDataFrame) -> list[str]:
    """Feature ids as readers see them (geodata.provider: the `id` column, else 1..n)."""
    if "id" in gdf.columns:
        return [str(v) for v in gdf["id"]]
    return [str(i + 1) for i in range(len(gdf))]


class _Proposed:
    """The store as it would read after the write: `layer` replaced by `gdf`, the rest as stored."""

    def __init__(self, provider: LayerProvider, layer: str, gdf: gpd.GeoDataFrame):
        self.provider = provider
        self.name = layer
        metric = gdf.to_crs(METRIC).copy()
        metric["id"] = _ids(gdf)
        self.data = SimpleNamespace(metric=metric)

    def layer_ids(self) -> list[str]:
        return sorted({*self.provider.layer_ids(), self.name})

    def layer(self, layer: str):
        return self.data if layer == self.name else self.provider.layer(layer)
