"""Reading the `[[share]]` entries of plan.toml into validated ShareTarget objects."""
from __future__ import annotations

import tomllib
from pathlib import Path

from geodata import PLAN_FILE
from zones.shares import ShareError, ShareTarget, validate_shares

_REQUIRED = ("id", "group", "name_ko", "name_en", "layer", "uses", "share_pct", "tolerance_pct", "source")


def load_shares(path: Path = PLAN_FILE) -> list[ShareTarget]:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ShareError(f"{path.name}: {exc}") from None
    out = []
    for i, entry in enumerate(raw.get("share", []), start=1):
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise ShareError(f"{path.name}: share #{i} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        entry = dict(entry, uses=tuple(entry["uses"]))
        try:
            out.append(ShareTarget(**entry))
        except TypeError as exc:
            raise ShareError(f"{path.name}: share {entry['id']!r}: {exc}") from None
    validate_shares(out)
    return out


def parcel_records(provider, shares: list[ShareTarget]) -> dict[str, list[dict]]:
    """layer -> parcel rows (attributes + planar EPSG:5186 `area_m2`) for the layers the shares use."""
    out = {}
    ids = set(provider.layer_ids())
    for layer in sorted({s.layer for s in shares} & ids):
        metric = provider.layer(layer).metric
        out[layer] = metric.drop(columns=metric.geometry.name).to_dict(orient="records")
    return out
