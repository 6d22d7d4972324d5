"""One batch of candidate sites, taken apart once for every rule that needs it.

Each rule kernel (triangle clipping in zones/siting/clip.py, vertex-to-edge
distances in zones/siting/distance.py) works on flat vertex arrays, and each
zone rule starts from the same exact predicates. Extracting the coordinates
costs about as much as one rule's arithmetic, so doing it once per batch (not
once per rule) and remembering the predicates per zone removes a large share of
a batch's time. Every cached value is computed exactly as the rule would have
computed it, so results do not depend on which rule asked first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.clip import Rings, is_polygonal, rings_of
from zones.siting.distance import ring_edges


@dataclass
class Batch:
    """Metric candidate geometries with their area, rings and per-zone predicates, computed on demand."""
    geoms: np.ndarray
    _covers: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.geoms)

    @cached_property
    def area(self) -> np.ndarray:
        return shapely.area(self.geoms)

    @cached_property
    def polygonal(self) -> np.ndarray:
        return is_polygonal(self.geoms)

    @cached_property
    def all_polygonal(self) -> bool:
        return bool(self.polygonal.all())

    @cached_property
    def rings(self) -> Rings:
        """Every ring of every candidate (all must be polygonal: callers check `all_polygonal`)."""
        return rings_of(self.geoms)

    @cached_property
    def bounds(self) -> np.ndarray:
        """(n, 4) bounding box of each candidate (NaN when empty), as shapely.bounds."""
        return self.rings.bounds() if self.all_polygonal else shapely.bounds(self.geoms)

    def covers(self, zone: BaseGeometry, inner: tuple[BaseGeometry, ...] = ()) -> np.ndarray:
        """shapely.covers(zone, geoms), once per zone per batch.

        `inner` are zones known (exactly, at bind time) to lie inside `zone`: a candidate one of
        them covers is covered by `zone` too, so only the others are tested.
        """
        key = id(zone)
        if key not in self._covers:
            known = np.zeros(len(self.geoms), bool)
            for z in inner:
                if id(z) in self._covers:
                    known |= self._covers[id(z)]
            out = known.copy()
            rest = np.flatnonzero(~known)
            if len(rest) == len(out):
                out = shapely.covers(zone, self.geoms)
            elif len(rest):
                out[rest] = shapely.covers(zone, self.geoms[rest])
            self._covers[key] = out
        return self._covers[key]

    def rings_at(self, idx: np.ndarray) -> Rings:
        """The rings of the (polygonal) candidates `idx`, increasing."""
        if self.all_polygonal:
            return self.rings.take(idx)
        return rings_of(self.geoms[idx])

    def edges_at(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(a, b, edge_of, n): every edge of the candidates `idx` (all if None), for distance kernels."""
        if idx is None:
            idx = np.arange(len(self.geoms))
        if self.all_polygonal:
            return (*self.rings.take(idx).edges(), len(idx))
        return (*ring_edges(self.geoms[idx]), len(idx))

    def intersects(self, zone: BaseGeometry, idx: np.ndarray) -> np.ndarray:
        """shapely.intersects(zone, geoms[idx])."""
        return shapely.intersects(zone, self.geoms[idx]) if len(idx) else np.zeros(0, bool)
