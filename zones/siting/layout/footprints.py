"""The footprints a facility may take in a layout: rectangles sized from its rules.

A facility's size rules (minimum area, minimum width, maximum area) give a family of
rectangles on the grid: for each of a few aspect ratios, the short side is the minimum
width (or the side that gives the minimum area at that ratio, when larger) and the long
side the least that reaches the minimum area, both rounded up to whole cells; each in both
orientations. A rectangle's largest inscribed circle is its short side, so every member
meets the width rule exactly as the checker measures it. Members over the maximum area are
dropped. L-shapes are not offered: they would fit round the corners of irregular zones, at the
cost of a model several times larger.

>>> [(f.w, f.h) for f in family(5.0, min_area=2500.0, min_width=40.0)]
[(10, 10), (9, 12), (12, 9), (8, 13), (13, 8)]
>>> family(5.0, min_area=None, min_width=None)
Traceback (most recent call last):
...
zones.siting.layout.footprints.NoSize: a facility needs a minimum area or a minimum width to be given a footprint
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from zones.errors import InvalidInput

ASPECTS = (1.0, 1.5, 2.0, 3.0)  # long side / short side of the rectangles offered


class NoSize(InvalidInput):
    """A facility whose rules give no size to draw a footprint from."""

    default_code = "layout_no_size"


@dataclass(frozen=True)
class Footprint:
    """A rectangle of w × h cells."""
    w: int
    h: int

    def area_m2(self, cell: float) -> float:
        return self.w * self.h * cell * cell

    def width_m(self, cell: float) -> float:
        return min(self.w, self.h) * cell


def family(cell: float, min_area: float | None, min_width: float | None, max_area: float | None = None,
           aspects: tuple[float, ...] = ASPECTS) -> list[Footprint]:
    """Rectangles for a facility with these size rules (None: no such rule), narrowest last."""
    if min_area is None and min_width is None:
        raise NoSize("a facility needs a minimum area or a minimum width to be given a footprint")
    out: list[Footprint] = []
    for r in aspects:
        short = max(min_width or 0.0, math.sqrt(min_area / r) if min_area else 0.0)
        sc = max(1, _cells(short, cell))
        if min_area:
            lc = max(sc, _cells(min_area / (sc * cell), cell))
        else:
            lc = max(sc, _cells(short * r, cell))
        for f in (Footprint(sc, lc), Footprint(lc, sc)):
            if f not in out and (max_area is None or f.area_m2(cell) <= max_area + 1e-6):
                out.append(f)
    return out


def _cells(metres: float, cell: float) -> int:
    """Whole cells needed to span `metres` (exact multiples are not rounded up by noise)."""
    return math.ceil(metres / cell - 1e-9)
