"""Reading the `[[share]]` entries of plan.toml into validated ShareTarget objects."""
from __future__ import annotations

from pathlib import Path

from geodata import PLAN_FILE
from geodata.plan_file import read_entries
from zones.shares import ShareError, ShareTarget, validate_shares

_REQUIRED = ("id", "group", "name_ko", "name_en", "layer", "uses", "share_pct", "tolerance_pct", "source")


def load_shares(path: Path = PLAN_FILE) -> list[ShareTarget]:
    shares = read_entries(path, "share", _REQUIRED, lambda e: ShareTarget(**dict(e, uses=tuple(e["uses"]))), ShareError)
    validate_shares(shares)
    return shares


def parcel_records(provider, shares: list[ShareTarget]) -> dict[str, list[dict]]:
    """layer -> parcel rows (attributes + `area_m2`, planar in `zones.crs.METRIC`) for the layers the shares use."""
    out = {}
    ids = set(provider.layer_ids())
    for layer in sorted({s.layer for s in shares} & ids):
        metric = provider.layer(layer).metric
        out[layer] = metric.drop(columns=metric.geometry.name).to_dict(orient="records")
    return out
