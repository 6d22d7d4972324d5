"""What changed between two versions of a layer, feature by feature, in planning terms.

Each feature that differs falls in one class:

- `added` / `removed`: its id is only in the newer / older version;
- `modified`: same geometry, other attributes (or the same geometry under another id);
- `reshaped`: another geometry;
- `moved`: the same shape displaced as a whole: the distance (m) and the grid bearing
  (degrees clockwise from grid north in EPSG:5186, and the compass point) of the shift.

Geometries closer than `SAME_M` vertex by vertex are the same: a feature read from the API
(lon/lat rounded to ~1 mm) and written back is not a change. A feature whose geometry
and attributes both changed is classed by its geometry and lists its changed attributes.

>>> import shapely
>>> a = shapely.box(0, 0, 10, 10)
>>> compare_geometries(a, shapely.affinity.translate(a, 30, 40))
('moved', 50.0, 36.87)
>>> compare_geometries(a, shapely.box(0, 0, 10, 12))[0]
'reshaped'
>>> compare_geometries(a, shapely.box(0.004, 0, 10.004, 10))
('same', 0.0, None)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

ChangeClass = Literal["added", "removed", "modified", "reshaped", "moved"]
CLASSES: tuple[ChangeClass, ...] = ("added", "removed", "modified", "reshaped", "moved")
SAME_M = 0.01  # two outlines closer than 1 cm vertex by vertex are one outline
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _rings(geom: BaseGeometry) -> list[np.ndarray]:
    """Every ring of the normalised geometry (orientation fixed), without its closing vertex."""
    out = []
    for part in shapely.get_parts(shapely.normalize(geom)):
        for ring in [part.exterior, *part.interiors] if part.geom_type == "Polygon" else []:
            out.append(np.asarray(ring.coords)[:-1, :2])
    return out


def _match(a: list[np.ndarray], b: list[np.ndarray], shift: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each ring of `a` with the ring of `b` it becomes after `shift`, `b`'s vertices rotated to
    start at the one that lands on `a`'s first (rounding can make a ring start elsewhere)."""
    free = list(range(len(b)))
    pairs = []
    for ra in a:
        options = [j for j in free if len(b[j]) == len(ra)]
        if not options:
            return None
        j = min(options, key=lambda k: float(np.hypot(*(b[k].mean(axis=0) - shift - ra.mean(axis=0)))))
        free.remove(j)
        rb = b[j]
        start = int(np.argmin(np.hypot(*(rb - shift - ra[0]).T)))
        pairs.append((ra, np.roll(rb, -start, axis=0)))
    return pairs


def compare_geometries(before: BaseGeometry, after: BaseGeometry,
                       tolerance_m: float = SAME_M) -> tuple[str, float, float | None]:
    """('same' | 'moved' | 'reshaped', shift in m, grid bearing in degrees or None).

    Both outlines are normalised (ring orientation fixed) and their rings paired; the same
    vertices, each displaced by one vector within `tolerance_m`, are a move by that vector."""
    if shapely.get_type_id(before) != shapely.get_type_id(after):
        return "reshaped", 0.0, None
    a, b = _rings(before), _rings(after)
    if len(a) != len(b) or not a or sorted(map(len, a)) != sorted(map(len, b)):
        return "reshaped", 0.0, None
    guess = np.vstack(b).mean(axis=0) - np.vstack(a).mean(axis=0)
    pairs = _match(a, b, guess)
    if pairs is None:
        return "reshaped", 0.0, None
    delta = np.vstack([rb - ra for ra, rb in pairs])
    shift = delta.mean(axis=0)
    if np.abs(delta - shift).max() > tolerance_m:
        return "reshaped", 0.0, None
    distance = float(math.hypot(*shift))
    if distance <= tolerance_m:
        return "same", 0.0, None
    return "moved", round(distance, 3), round(bearing(*shift), 2)


def bearing(dx: float, dy: float) -> float:
    """Degrees clockwise from (grid) north of a shift east `dx`, north `dy`.

    >>> bearing(0, 5), bearing(5, 0), bearing(-1, -1)
    (0.0, 90.0, 225.0)
    """
    return math.degrees(math.atan2(dx, dy)) % 360.0


def compass(degrees: float) -> str:
    """The nearest of the eight compass points.

    >>> compass(10), compass(44), compass(300)
    ('N', 'NE', 'NW')
    """
    return COMPASS[int(((degrees + 22.5) % 360) // 45)]


def shape_key(geom: BaseGeometry | None) -> tuple | None:
    """What two outlines that differ by a translation share (type, ring sizes, area to 1 m²):
    a removed and an added feature with the same key are then compared vertex by vertex."""
    if geom is None or geom.is_empty:
        return None
    return (shapely.get_type_id(geom), tuple(sorted(map(len, _rings(geom)))), round(geom.area))


def changed_attributes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names of the attributes whose value differs (a missing attribute counts as null)."""
    names = list(dict.fromkeys([*before, *after]))
    return [n for n in names if _plain(before.get(n)) != _plain(after.get(n))]


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return value


@dataclass(frozen=True)
class FeatureChange:
    id: str
    change: ChangeClass
    area_before_m2: float | None
    area_after_m2: float | None
    geometry_before: BaseGeometry | None = field(repr=False, compare=False)
    geometry_after: BaseGeometry | None = field(repr=False, compare=False)
    properties_before: dict | None = field(default=None, repr=False, compare=False)
    properties_after: dict | None = field(default=None, repr=False, compare=False)
    id_before: str | None = None  # when paired under another id
    shift_m: float | None = None  # moved: distance
    bearing_deg: float | None = None  # moved: grid bearing
    changed_attributes: tuple[str, ...] = ()

    @property
    def area_change_m2(self) -> float:
        return (self.area_after_m2 or 0.0) - (self.area_before_m2 or 0.0)

    @property
    def direction(self) -> str | None:
        return None if self.bearing_deg is None else compass(self.bearing_deg)

    def as_dict(self) -> dict:
        return {"id": self.id, "change": self.change, "id_before": self.id_before,
                "area_before_m2": self.area_before_m2, "area_after_m2": self.area_after_m2,
                "area_change_m2": self.area_change_m2, "shift_m": self.shift_m,
                "bearing_deg": self.bearing_deg, "direction": self.direction,
                "changed_attributes": list(self.changed_attributes)}


@dataclass(frozen=True)
class DiffSummary:
    counts: dict[str, int]
    unchanged: int
    area_added_m2: float  # area of the added features
    area_removed_m2: float  # area of the removed features
    area_change_m2: float  # net change of the layer's area over all changed features

    def as_dict(self) -> dict:
        return {"counts": self.counts, "unchanged": self.unchanged, "area_added_m2": self.area_added_m2,
                "area_removed_m2": self.area_removed_m2, "area_change_m2": self.area_change_m2}


def summarise(changes: list[FeatureChange], unchanged: int) -> DiffSummary:
    counts = {c: 0 for c in CLASSES}
    for ch in changes:
        counts[ch.change] += 1
    return DiffSummary(
        counts=counts, unchanged=unchanged,
        area_added_m2=float(sum(c.area_after_m2 or 0.0 for c in changes if c.change == "added")),
        area_removed_m2=float(sum(c.area_before_m2 or 0.0 for c in changes if c.change == "removed")),
        area_change_m2=float(sum(c.area_change_m2 for c in changes)))


@dataclass(frozen=True)
class Side:
    """Features of one version that the index could not match with the other: ids, metric
    geometries, attributes (same order)."""
    ids: list[str]
    geoms: np.ndarray
    props: list[dict]
    # 64-bit hashes of the normalised geometries, when known: equal hashes need no vertex comparison
    geom_hashes: np.ndarray | None = None


def _area(g: BaseGeometry | None) -> float | None:
    return None if g is None or g.is_empty else float(g.area)


def classify(before: Side, after: Side, tolerance_m: float = SAME_M) -> list[FeatureChange]:
    """Class every feature of `before` and `after`, which hold the features whose fingerprints
    differ: ids on both sides are compared, then the ids left over are paired, first by equal
    geometry (an id changed: `modified`), then by equal shape (`moved` under another id); the rest
    is `removed` / `added`."""
    out: list[FeatureChange] = []
    b_at = {fid: i for i, fid in enumerate(before.ids)}
    a_at = {fid: i for i, fid in enumerate(after.ids)}
    for fid, j in a_at.items():
        i = b_at.get(fid)
        if i is None:
            continue
        change = _pair(fid, None, before, i, after, j, tolerance_m)
        if change is not None:
            out.append(change)
    gone = [i for fid, i in b_at.items() if fid not in a_at]
    new = [j for fid, j in a_at.items() if fid not in b_at]
    out += _pair_leftovers(before, gone, after, new, tolerance_m)
    return out


def _pair(fid: str, fid_before: str | None, before: Side, i: int, after: Side, j: int,
          tolerance_m: float) -> FeatureChange | None:
    ga, gb = before.geoms[i], after.geoms[j]
    attrs = changed_attributes(before.props[i], after.props[j])
    if fid_before is None:
        attrs = [a for a in attrs if a != "id"]
    kind, shift, heading = ("same", 0.0, None)
    same_hash = (before.geom_hashes is not None and after.geom_hashes is not None
                 and before.geom_hashes[i] == after.geom_hashes[j] != 0)
    if same_hash:
        pass
    elif ga is None or gb is None or ga.is_empty or gb.is_empty:
        kind = "same" if (ga is None or ga.is_empty) == (gb is None or gb.is_empty) else "reshaped"
    else:
        kind, shift, heading = compare_geometries(ga, gb, tolerance_m)
    if kind == "same":
        if not attrs and fid_before is None:
            return None
        kind = "modified"
    return FeatureChange(fid, kind, _area(ga), _area(gb), ga, gb, before.props[i], after.props[j],
                         id_before=fid_before, shift_m=shift if kind == "moved" else None,
                         bearing_deg=heading if kind == "moved" else None, changed_attributes=tuple(attrs))


def _pair_leftovers(before: Side, gone: list[int], after: Side, new: list[int],
                    tolerance_m: float) -> list[FeatureChange]:
    """A removed and an added feature with the same outline, or the same shape moved, are one
    feature under a new id (`modified` or `moved`, with `id_before`) when the pairing is
    unambiguous: no other removed or added feature has that shape. Among a thousand identical
    parcels nothing is paired: which went where cannot be told."""
    out: list[FeatureChange] = []
    olds: dict[Any, list[int]] = {}
    news: dict[Any, list[int]] = {}
    for i in gone:
        olds.setdefault(shape_key(before.geoms[i]), []).append(i)
    for j in new:
        news.setdefault(shape_key(after.geoms[j]), []).append(j)
    paired_old: set[int] = set()
    paired_new: set[int] = set()
    for key, js in news.items():
        candidates = olds.get(key, [])
        if key is None or len(candidates) != 1 or len(js) != 1:
            continue
        i, j = candidates[0], js[0]
        if compare_geometries(before.geoms[i], after.geoms[j], tolerance_m)[0] == "reshaped":
            continue
        paired_old.add(i)
        paired_new.add(j)
        out.append(_pair(after.ids[j], before.ids[i], before, i, after, j, tolerance_m))
    for i in gone:
        if i not in paired_old:
            out.append(FeatureChange(before.ids[i], "removed", _area(before.geoms[i]), None, before.geoms[i], None,
                                     before.props[i], None))
    for j in new:
        if j not in paired_new:
            out.append(FeatureChange(after.ids[j], "added", None, _area(after.geoms[j]), None, after.geoms[j],
                                     None, after.props[j]))
    return out
