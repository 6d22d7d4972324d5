"""The allocation check on the embedded store: the path behind GET /allocations and `make report`."""
from __future__ import annotations

import statistics
import time

from bench.run import Row
from geodata import DEFAULT_STORE
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore
from geodata.allocation_inputs import allocation_inputs
from zones.allocation import check_allocations


def run() -> list[Row]:
    plan = load_plan()
    provider = LayerProvider(GeoPackageStore(DEFAULT_STORE))
    started = time.perf_counter()
    inputs = allocation_inputs(provider, plan)
    cold_ms = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        check_allocations(plan, inputs.layers, origins=inputs.origins, dongs=inputs.dongs)
        times.append((time.perf_counter() - t0) * 1000)
    return [
        Row("allocation", "load + reproject + measure layers (cold)", cold_ms, "ms"),
        Row("allocation", f"check {len(plan)} targets, median of 30", statistics.median(times), "ms"),
    ]
