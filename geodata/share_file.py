"""Reading the `[[share]]` entries of plan.toml into validated ShareTarget objects."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from geodata import PLAN_FILE
from geodata.plan_file import read_entries
from zones.shares import ShareError, ShareReport, ShareTarget, share_report, validate_shares

_REQUIRED = ("id", "group", "name_ko", "name_en", "layer", "uses", "share_pct", "tolerance_pct", "source")


def load_shares(path: Path = PLAN_FILE) -> list[ShareTarget]:
    shares = read_entries(path, "share", _REQUIRED, lambda e: ShareTarget(**dict(e, uses=tuple(e["uses"]))), ShareError)
    validate_shares(shares)
    return shares


def shares_of_store(provider, shares: list[ShareTarget]) -> ShareReport:
    """The share check on the layers' arrays (geodata.layer_arrays: no geometry is kept): use and
    filter columns are factorised once per layer and store generation (LayerArrays.codes), so a
    request sums with one `np.bincount` per group."""
    ids = set(provider.layer_ids())

    def areas_of(t: ShareTarget) -> dict[str, float]:
        if t.layer not in ids:
            return {}
        needed = ["use"] + ([t.filter_field] if t.filter_field else [])
        data = provider.arrays(t.layer, needed)
        if any(c not in data.columns for c in needed):
            return {}
        use, names = data.codes("use")
        area = data.area_m2
        if t.filter_field:
            zone, zone_names = data.codes(t.filter_field)
            keep = zone == (zone_names.index(t.filter_value) if t.filter_value in zone_names else -2)
            use, area = use[keep], area[keep]
        sums = np.bincount(use, weights=area, minlength=len(names))
        counts = np.bincount(use, minlength=len(names))
        return {n: float(a) for n, a, c in zip(names, sums, counts) if c}

    return share_report(shares, areas_of)
