"""Zones named by reference, and the parcels of a stored layer inside them, for the API and kizone.

A zone reference is `<layer>:<feature id>` (any zone feature, e.g. `fez_districts:fez_ai`) or
`plan:<target id>` (the union of a plan target's features, e.g. `plan:fez_total`). The parcel
layer's spatial index is built once per store generation (it lives with the loaded layer), so a
warm query costs one prepared predicate and the intersections of the crossing parcels.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.provider import LayerData, LayerProvider
from zones.allocation import target_geometry
from zones.errors import InvalidInput, NotFound
from zones.plan import PlanTarget
from zones.zone_parcels import ZoneParcels, first_vertices, parcels_in_zone, zone_summary

PLAN_PREFIX = "plan"


class UnknownZone(NotFound):
    """A zone reference naming a layer, feature or plan target that is not there."""

    default_code = "unknown_zone"


class BadZoneReference(InvalidInput):
    default_code = "invalid_zone"


def zone_geometry(provider: LayerProvider, plan: list[PlanTarget], ref: str) -> BaseGeometry:
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


def parcel_index(data: LayerData) -> shapely.STRtree:
    """The STR-tree over a loaded layer's geometries, built once per loaded layer."""
    return data.once("strtree", lambda: shapely.STRtree(np.asarray(data.metric.geometry.values)))


def parcels_of_zone(provider: LayerProvider, plan: list[PlanTarget], ref: str,
                    layer: str = "parcels") -> tuple[BaseGeometry, ZoneParcels, LayerData]:
    """(zone geometry, the parcels of `layer` in it, the loaded parcel layer)."""
    zone = zone_geometry(provider, plan, ref)
    data = provider.layer(layer)
    return zone, find_in_zone(zone, data), data


def find_in_zone(zone: BaseGeometry, data: LayerData) -> ZoneParcels:
    """`parcels_in_zone` with the layer's index and first vertices made once per loaded layer."""
    geoms = np.asarray(data.metric.geometry.values)
    return parcels_in_zone(zone, geoms, parcel_index(data), data.metric["area_m2"].to_numpy(),
                           data.once("first_vertices", lambda: first_vertices(geoms)))


def zone_report(provider: LayerProvider, plan: list[PlanTarget], ref: str, layer: str = "parcels") -> dict:
    """The summary the API (`/collections/{layer}/zone-summary`) and `kizone parcels zone` give."""
    zone, found, data = parcels_of_zone(provider, plan, ref, layer)
    metric = data.metric
    codes, names = data.codes("use") if "use" in metric.columns else (np.zeros(len(metric), np.int64), [""])
    return zone_summary(ref, zone, found, metric["id"].to_numpy(dtype=object), codes, names,
                        metric["area_m2"].to_numpy(), layer)
