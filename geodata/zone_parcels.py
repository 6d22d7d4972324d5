"""Zones named by reference, and the parcels of a stored layer inside them, for the API and kizone.

A zone reference is `<layer>:<feature id>` (any zone feature, e.g. `fez_districts:fez_ai`) or
`plan:<target id>` (the union of a plan target's features, e.g. `plan:fez_total`). The parcel
layer is read as flat arrays (geodata.layer_arrays: boxes, rings, areas, ids, use) once per store
state, so a warm query costs one box test over the layer and one compiled clip of the candidates.
"""
from __future__ import annotations

import numpy as np
from shapely.geometry.base import BaseGeometry

from geodata.layer_arrays import LayerArrays
from geodata.provider import LayerSource
from zones.allocation import target_geometry
from zones.errors import InvalidInput, NotFound
from zones.plan import PlanTarget
from zones.zone_parcels import ZoneParcels, parcels_in_zone, zone_summary

PLAN_PREFIX = "plan"


class UnknownZone(NotFound):
    """A zone reference naming a layer, feature or plan target that is not there."""

    default_code = "unknown_zone"


class BadZoneReference(InvalidInput):
    default_code = "invalid_zone"


def zone_geometry(provider: LayerSource, plan: list[PlanTarget], ref: str) -> BaseGeometry:
    """The geometry (in `zones.crs.METRIC`) a zone reference names."""
    layer, sep, key = (ref or "").partition(":")
    if not sep or not layer or not key:
        raise BadZoneReference(f"zone {ref!r}: give it as <layer>:<feature id> (e.g. fez_districts:fez_ai) or "
                               f"{PLAN_PREFIX}:<target id> (e.g. {PLAN_PREFIX}:fez_total)", zone=ref)
    if layer == PLAN_PREFIX:
        target = next((t for t in plan if t.id == key), None)
        if target is None:
            raise UnknownZone(f"zone {ref!r}: no plan target {key!r}", zone=ref)
        if target.layer not in provider.layer_ids():
            raise UnknownZone(f"zone {ref!r}: the target's layer {target.layer!r} is not in the store", zone=ref)
        metric = provider.layer(target.layer).metric
        geom, missing = target_geometry(target, {target.layer: dict(zip(metric["id"], metric.geometry))})
        if geom is None:
            raise UnknownZone(f"zone {ref!r}: none of the target's features ({', '.join(missing)}) is in layer "
                              f"{target.layer!r}", zone=ref)
        return geom
    if layer not in provider.layer_ids():
        raise UnknownZone(f"zone {ref!r}: no layer {layer!r}; known layers: {', '.join(provider.layer_ids())}",
                          zone=ref)
    metric = provider.layer(layer).metric
    hit = np.flatnonzero(metric["id"].to_numpy() == key)
    if not len(hit):
        raise UnknownZone(f"zone {ref!r}: no feature {key!r} in layer {layer!r}", zone=ref)
    return metric.geometry.values[hit[0]]


def parcels_of_zone(provider: LayerSource, plan: list[PlanTarget], ref: str,
                    layer: str = "parcels", columns: list[str] | None = None
                    ) -> tuple[BaseGeometry, ZoneParcels, LayerArrays]:
    """(zone geometry, the parcels of `layer` in it, the parcel layer's arrays with `columns`)."""
    zone = zone_geometry(provider, plan, ref)
    arrays = provider.arrays(layer, columns or [])
    return zone, find_in_zone(zone, arrays), arrays


def find_in_zone(zone: BaseGeometry, arrays: LayerArrays) -> ZoneParcels:
    """`parcels_in_zone` on a layer's arrays (geodata.layer_arrays)."""
    return parcels_in_zone(zone, arrays.rings, arrays.bounds, arrays.area_m2)


def zone_report(provider: LayerSource, plan: list[PlanTarget], ref: str, layer: str = "parcels") -> dict:
    """The summary the API (`/collections/{layer}/zone-summary`) and `kizone parcels zone` give."""
    zone, found, arrays = parcels_of_zone(provider, plan, ref, layer, ["use"])
    codes, names = arrays.codes("use") if "use" in arrays.columns else (np.zeros(len(arrays), np.int64), [""])
    return zone_summary(ref, zone, found, arrays.ids, codes, names, arrays.area_m2, layer)
