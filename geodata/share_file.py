"""Reading the `[[share]]` entries of plan.toml into validated ShareTarget objects."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geodata import PLAN_FILE
from geodata.plan_file import read_entries
from zones.shares import ShareError, ShareTarget, validate_shares

_REQUIRED = ("id", "group", "name_ko", "name_en", "layer", "uses", "share_pct", "tolerance_pct", "source")


def load_shares(path: Path = PLAN_FILE) -> list[ShareTarget]:
    shares = read_entries(path, "share", _REQUIRED, lambda e: ShareTarget(**dict(e, uses=tuple(e["uses"]))), ShareError)
    validate_shares(shares)
    return shares


def parcel_records(provider, shares: list[ShareTarget]) -> dict[str, pd.DataFrame]:
    """layer -> parcel table (`use`, the filter fields, planar EPSG:5186 `area_m2`) for the layers
    the shares use: columns of the loaded layer, nothing copied row by row."""
    out = {}
    ids = set(provider.layer_ids())
    for layer in sorted({s.layer for s in shares} & ids):
        needed = ["use", *sorted({s.filter_field for s in shares if s.layer == layer and s.filter_field})]
        metric = provider.layer(layer, columns=needed).metric
        out[layer] = pd.DataFrame({c: metric[c] for c in [*needed, "area_m2"] if c in metric.columns})
    return out
