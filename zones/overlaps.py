"""Overlaps between targets the plan does not relate.

Two targets may overlap when the plan says one contains the other (through `parts`
or `within`, at any depth), or when one lies `within` a whole and the other is one
of that whole's parts (the parts tile the whole, so anything in it overlaps some
part). Parts of the same whole are checked by the whole (zones.wholes). Any other
overlap is counted twice by whoever adds the targets up: a fault, with its m².
"""
from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import shapely
from shapely.geometry.base import BaseGeometry

from zones.findings import Finding, is_noise
from zones.messages import m2
from zones.plan import PlanTarget


def _edges(targets: list[PlanTarget]) -> dict[str, list[tuple[str, bool]]]:
    """child -> [(parent, via a `parts` edge)]."""
    up: dict[str, list[tuple[str, bool]]] = {t.id: [] for t in targets}
    for t in targets:
        for p in t.parts:
            up[p].append((t.id, True))
        if t.within:
            up[t.id].append((t.within, False))
    return up


def _routes(tid: str, up: Mapping[str, list[tuple[str, bool]]]) -> dict[str, set[str | None]]:
    """ancestor -> the parts of that ancestor through which `tid` descends (None: through `within`)."""
    out: dict[str, set[str | None]] = {}
    todo = [(tid, parent, is_part) for parent, is_part in up[tid]]
    while todo:
        child, parent, is_part = todo.pop()
        entry = child if is_part else None
        if entry in out.setdefault(parent, set()):
            continue
        out[parent].add(entry)
        todo += [(parent, grand, gp) for grand, gp in up[parent]]
    return out


def related(a: str, b: str, routes: Mapping[str, dict[str, set[str | None]]]) -> bool:
    """True when the plan explains an overlap of `a` and `b` (or leaves it to the whole's check)."""
    ra, rb = routes[a], routes[b]
    if a in rb or b in ra:
        return True  # one contains the other
    for anc in ra.keys() & rb.keys():
        via_part_a, via_part_b = ra[anc] - {None}, rb[anc] - {None}
        if (ra[anc] == {None} and via_part_b) or (rb[anc] == {None} and via_part_a):
            return True  # one lies within the whole, the other in one of its parts
        if a in via_part_a and b in via_part_b:
            return True  # two parts of the same whole: the whole reports their overlap
    return False


def unrelated_overlaps(targets: list[PlanTarget], geoms: Mapping[str, BaseGeometry | None]) -> list[Finding]:
    """Overlaps above digitising noise that the plan does not explain, in plan order.

    The part of an overlap of A and B that lies where a target inside A (or A itself) and
    a target inside B (or B itself) may overlap by the plan, or in a target inside both,
    is explained; the rest is the finding's area.
    """
    up = _edges(targets)
    routes = {t.id: _routes(t.id, up) for t in targets}
    inside = {t.id: {t.id} | {d for d in routes if t.id in routes[d]} for t in targets}
    out = []
    measured = [t for t in targets if geoms.get(t.id) is not None]
    for ta, tb in combinations(measured, 2):
        if (ta.layer, ta.features) == (tb.layer, tb.features) or related(ta.id, tb.id, routes):
            continue
        ga, gb = geoms[ta.id], geoms[tb.id]
        if not ga.intersects(gb):
            continue
        overlap = ga.intersection(gb)
        explained = [geoms[x].intersection(geoms[y]) for x in inside[ta.id] for y in inside[tb.id]
                     if (x, y) != (ta.id, tb.id) and geoms.get(x) is not None and geoms.get(y) is not None
                     and (x == y or related(x, y, routes))]
        area = overlap.difference(shapely.union_all(explained)).area if explained else overlap.area
        if is_noise(area, ga, gb):
            continue
        out.append(Finding(
            "unrelated_overlap", ta.id, tb.id, area,
            f"{ta.id} and {tb.id} overlap by {m2(area)}, and the plan does not say one contains the other",
            f"{ta.id}와 {tb.id}가 {m2(area)} 겹침 (계획상 포함 관계가 아님)"))
    return out
