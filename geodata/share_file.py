"""Reading the `[[share]]` entries of plan.toml into validated ShareTarget objects."""
from __future__ import annotations

from pathlib import Path

from geodata import PLAN_FILE
from geodata.plan_file import read_entries
from zones.shares import ShareError, ShareReport, ShareTarget, share_report, validate_shares

_REQUIRED = ("id", "group", "name_ko", "name_en", "layer", "uses", "share_pct", "tolerance_pct", "source")


def load_shares(path: Path = PLAN_FILE) -> list[ShareTarget]:
    shares = read_entries(path, "share", _REQUIRED, lambda e: ShareTarget(**dict(e, uses=tuple(e["uses"]))), ShareError)
    validate_shares(shares)
    return shares


def share_keys(layer: str, path: Path = PLAN_FILE) -> list[list[str]]:
    """The column lists the share check groups `layer` by: its filter field (if any), then `use`.

    >>> share_keys("parcels")
    [['zone', 'use']]
    >>> share_keys("fez_districts")
    []
    """
    keys: list[list[str]] = []
    for t in load_shares(path):
        key = [t.filter_field, "use"] if t.filter_field else ["use"]
        if t.layer == layer and key not in keys:
            keys.append(key)
    return keys


def shares_of_store(provider, shares: list[ShareTarget]) -> ShareReport:
    """The share check on the layers' arrays (geodata.layer_arrays: no geometry is kept): use and
    filter columns are factorised once per layer and store generation (LayerArrays.codes), so a
    request sums with one `np.bincount` per group."""
    import numpy as np

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


def shares_of_gpkg(path: Path, shares: list[ShareTarget]) -> ShareReport:
    """The same check straight on the GeoPackage file, for one run from the terminal: the groups
    that read one layer through one filter column are summed in one scan over the areas stored
    at write time (geodata.stored_areas), so no geometry is read unless a feature was edited
    elsewhere since."""
    from geodata.stored_areas import area_sums

    values: dict[tuple[str, str], set[str]] = {}
    for t in shares:
        values.setdefault((t.layer, t.filter_field), set()).add(t.filter_value)
    sums = {(layer, field): area_sums(path, layer, [field, "use"] if field else ["use"],
                                      (field, sorted(wanted)) if field else None)
            for (layer, field), wanted in values.items()}

    def areas_of(t: ShareTarget) -> dict[str, float]:
        found = sums[(t.layer, t.filter_field)] or {}
        if t.filter_field:
            return {use: a for (value, use), a in found.items() if value == t.filter_value}
        return {use: a for (use,), a in found.items()}

    return share_report(shares, areas_of)
