"""The store as a scenario sees it: the base layers with the scenario's edits laid over them.

Every reader (items, the allocation check, shares, statutory rows, siting, maps) reads
layers through a provider. `LayerProvider.layer` answers for the scenario being viewed
(`viewing`, a context variable set per request by the API and per command by `kizone`), so a
reader needs no scenario code of its own: the same check runs on the base or on a scenario.

A scenario view builds a layer once per state of the store: the base layer's rows with the
edited ones replaced in place, the removed ones dropped and the added ones appended; only
the edited rows are measured and reprojected again.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import geopandas as gpd
import pandas as pd

from geodata.provider import LayerData, LayerProvider, LayerSource
from geodata.scenarios import BASE, LayerEdits, Scenario, scenario_state
from zones.area import area_columns
from zones.crs import METRIC

_VIEWED: ContextVar[str | None] = ContextVar("kizone_viewed_scenario", default=None)


def viewed_scenario() -> str | None:
    """The scenario the current request or command reads (None: the base)."""
    return _VIEWED.get()


@contextmanager
def viewing(scenario: str | None) -> Iterator[None]:
    """Read every layer as scenario `scenario` has it inside the block (None or "base": the store)."""
    token = _VIEWED.set(None if scenario in (None, BASE) else scenario)
    try:
        yield
    finally:
        _VIEWED.reset(token)


def set_viewed(scenario: str | None) -> None:
    """For an ASGI request: its own context ends with it."""
    _VIEWED.set(None if scenario in (None, BASE) else scenario)


def apply_edits(base: LayerData, edits: LayerEdits) -> LayerData:
    """`base` with `edits` laid over it: replaced features keep their place, added ones come last."""
    metric = base.metric
    puts = edits.puts
    put_ids = [str(i) for i in puts["id"]]
    position = {fid: i for i, fid in enumerate(metric["id"])}
    order_of_puts = [position.get(fid, len(metric) + k) for k, fid in enumerate(put_ids)]
    keep = ~metric["id"].isin(set(put_ids) | set(edits.deletes)).to_numpy()
    new = puts.to_crs(METRIC).reset_index(drop=True)
    for name, values in area_columns(new.geometry.values).items():
        new[name] = values
    order = pd.Series([*[i for i, k in enumerate(keep) if k], *order_of_puts])
    both = pd.concat([metric[keep].reset_index(drop=True), new], ignore_index=True)
    both = both.iloc[order.argsort(kind="stable").to_numpy()].reset_index(drop=True)
    out = gpd.GeoDataFrame(both, geometry=metric.geometry.name, crs=metric.crs)
    out = out[[*metric.columns, *[c for c in new.columns if c not in metric.columns]]]
    return LayerData(info=base.info, metric=out, generation=base.generation)


class ScenarioView(LayerSource):
    """The store with one scenario's edits laid over it, as of one state of the store."""

    def __init__(self, provider: LayerProvider, scenario: Scenario, edits: dict[str, LayerEdits]):
        self.provider = provider
        self.scenario = scenario
        self.name = scenario.id
        self.edits = edits
        self.path = provider.path
        self.store = provider.store
        self._lock = threading.Lock()
        self._layers: dict[str, tuple[int, LayerData]] = {}

    def layer_ids(self) -> list[str]:
        return self.provider.layer_ids()

    def layer(self, layer_id: str, columns: list[str] | None = None) -> LayerData:
        """The scenario's layer (whole: `columns` narrows only the base's reads elsewhere)."""
        base = self.provider.base_layer(layer_id)
        edits = self.edits.get(layer_id)
        if edits is None:
            return base
        with self._lock:
            hit = self._layers.get(layer_id)
        if hit is not None and hit[0] == base.serial:
            return hit[1]
        data = apply_edits(base, edits)
        with self._lock:
            self._layers[layer_id] = (base.serial, data)
        return data


def scenario_view(provider: LayerProvider, scenario: str) -> ScenarioView:
    meta, edits = scenario_state(provider.path, scenario)
    return ScenarioView(provider, meta, edits)
