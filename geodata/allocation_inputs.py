"""What the allocation check reads from the store: geometries, their provenance, the legal dongs.

One function for the CLI, the API, the maps and the exports, so every output checks the
same thing the same way.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from geodata.provider import LayerProvider
from zones.allocation import AllocationReport, LayerGeometries, check_allocations
from zones.plan import PlanTarget
from zones.provenance import FeatureOrigin, Origins

DONG_LAYER = "admin_dongs"


@dataclass(frozen=True)
class AllocationInputs:
    layers: LayerGeometries
    origins: Origins
    dongs: Mapping[str, BaseGeometry] | None


def plan_layers(provider: LayerProvider, plan: list[PlanTarget]) -> list[str]:
    """The stored layers the plan's targets measure."""
    return sorted({t.layer for t in plan} & set(provider.layer_ids()))


def origins_of(provider: LayerProvider, layer_ids: list[str]) -> dict[str, dict[str, FeatureOrigin]]:
    """layer -> feature -> provenance (and the figure a schematic feature was sized to, if recorded)."""
    out: dict[str, dict[str, FeatureOrigin]] = {}
    for lid in layer_ids:
        gdf = provider.layer(lid).metric
        prov = gdf["provenance"].astype(str) if "provenance" in gdf.columns else ["unrecorded"] * len(gdf)
        sized = gdf["gazetted_m2"] if "gazetted_m2" in gdf.columns else [None] * len(gdf)
        out[lid] = {fid: FeatureOrigin(p, None if s is None or s != s else float(s))
                    for fid, p, s in zip(gdf["id"], prov, sized)}
    return out


def allocation_inputs(provider: LayerProvider, plan: list[PlanTarget]) -> AllocationInputs:
    layers = plan_layers(provider, plan)
    dongs = provider.geometries([DONG_LAYER])[DONG_LAYER] if DONG_LAYER in provider.layer_ids() else None
    return AllocationInputs(provider.geometries(layers), origins_of(provider, layers), dongs)


def allocation_report(provider: LayerProvider, plan: list[PlanTarget]) -> AllocationReport:
    """The allocation check of the store against the plan: the one every output shows."""
    inputs = allocation_inputs(provider, plan)
    return check_allocations(plan, inputs.layers, origins=inputs.origins, dongs=inputs.dongs)
