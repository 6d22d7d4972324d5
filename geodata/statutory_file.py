"""Reading the statutory rules (statutory.toml) and running them on the store's parcels."""
from __future__ import annotations

import tomllib
from pathlib import Path

from geodata import DATA_DIR
from geodata.allocation_inputs import allocation_inputs
from geodata.provider import LayerProvider
from zones.allocation import target_geometry
from zones.errors import InvalidInput
from zones.plan import PlanTarget
from zones.statutory import Band, Complex, Parcel, StatutoryRow, StatutoryRule, check_statutory

STATUTORY_FILE = DATA_DIR / "statutory.toml"
PARCEL_LAYER = "parcels"


def load_statutory(path: Path = STATUTORY_FILE) -> tuple[list[str], list[StatutoryRule]]:
    """(complex target ids, rules); a malformed file is refused naming the rule."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    rules = []
    for i, entry in enumerate(raw.get("rule", []), start=1):
        entry = dict(entry)
        try:
            entry["uses"] = tuple(entry["uses"])
            entry["of_uses"] = tuple(entry.get("of_uses", ()))
            entry["bands"] = tuple(Band(**b) for b in entry.get("bands", ()))
            rules.append(StatutoryRule(**entry))
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"{path.name}: rule #{i} ({entry.get('id', '?')}): {exc}",
                               code="invalid_statutory_rule") from None
    return list(raw.get("complexes", [])), rules


def statutory_complexes(provider: LayerProvider, plan: list[PlanTarget],
                        path: Path = STATUTORY_FILE) -> tuple[list[Complex], list[StatutoryRule]]:
    """(the complexes the file lists, with their geometries from the store; the rules)."""
    ids, rules = load_statutory(path)
    by_id = {t.id: t for t in plan}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InvalidInput(f"{path.name}: complexes {unknown} are not plan targets", code="invalid_statutory_rule")
    layers = allocation_inputs(provider, plan).layers
    complexes = [Complex(t.id, t.name_ko, t.name_en, t.planned_m2, target_geometry(t, layers)[0])
                 for t in (by_id[i] for i in ids)]
    return complexes, rules


def statutory_report(provider: LayerProvider, plan: list[PlanTarget],
                     path: Path = STATUTORY_FILE) -> tuple[StatutoryRow, ...]:
    """The statutory table of the store: each listed complex against each rule."""
    complexes, rules = statutory_complexes(provider, plan, path)
    parcels: list[Parcel] = []
    if PARCEL_LAYER in provider.layer_ids():
        gdf = provider.layer(PARCEL_LAYER).metric
        if "use" in gdf.columns:
            parcels = [Parcel(str(u), g) for u, g in zip(gdf["use"], gdf.geometry) if g is not None and not g.is_empty]
    return check_statutory(rules, complexes, parcels)
