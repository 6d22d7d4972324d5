"""Korean and English names of the siting terms a map, a legend or the API shows.

One table for the geometries of a siting answer: the feasible region, the
planned site, and what each rule kind adds to the region (a rule kind names its
term in its record, zones/siting/registry.py; a kind's own name is in its record
too). maps/ takes its legend and layer names from here and only adds styles.

The sites that a new facility must not overlap are the other facilities'
planned sites, not built facilities: the term says so.

>>> TERMS["other_sites"]
('다른 계획 시설', 'Other planned sites')
>>> ROLES[-1], TERMS[ROLES[0]]
('existing_facility', ('허용 구역', 'Allowed zone'))
"""
from __future__ import annotations

TERMS: dict[str, tuple[str, str]] = {
    "feasible_region": ("입지 가능 구역", "Feasible region"),
    "planned_site": ("계획 부지", "Planned site"),
    "allowed_zone": ("허용 구역", "Allowed zone"),
    "allowed_dongs": ("허용 법정동 구역", "Allowed legal-dong zone"),
    "setback_band": ("경계 이격 띠", "Setback band"),
    "clearance_buffer": ("이격 완충구역", "Clearance buffer"),
    "adjacency_reach": ("근접 범위", "Adjacency reach"),
    "other_sites": ("다른 계획 시설", "Other planned sites"),
}

# What a rule's region geometry is, as the API's `role` and the maps' drawing order (bottom to
# top: wide context first). Stable identifiers of the published API: a role keeps its name
# when its wording changes ("existing_facility" is worded "other planned sites").
ROLES: tuple[str, ...] = ("allowed_zone", "setback_band", "adjacency_reach", "clearance_buffer", "existing_facility")


def term(key: str) -> str:
    """'Korean · English' for a legend or a layer switcher.

    >>> term("feasible_region")
    '입지 가능 구역 · Feasible region'
    """
    ko, en = TERMS[key]
    return f"{ko} · {en}"
