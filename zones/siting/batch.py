"""One batch of candidate sites, taken apart once for every rule that needs it.

Each rule kernel (triangle clipping in zones/siting/clip.py, segment distances
in zones/siting/distance.py, widths in zones/siting/width.py) works on flat
vertex arrays. Extracting them from the geometries costs more than most rules'
arithmetic, so it happens once per batch, not once per rule. Every cached value
is computed exactly as the rule would have computed it, so results do not
depend on which rule asked first.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely

from zones.siting.clip import Rings, is_polygonal, rings_of
from zones.siting.distance import edge_offsets, ring_edges


@dataclass
class Batch:
    """Metric candidate geometries with their area, rings and edges, computed on demand."""
    geoms: np.ndarray

    def __len__(self) -> int:
        return len(self.geoms)

    @cached_property
    def area(self) -> np.ndarray:
        return shapely.area(self.geoms)

    @cached_property
    def types(self) -> np.ndarray:
        """shapely.get_type_id of each candidate (-1 for None)."""
        return shapely.get_type_id(self.geoms)

    @cached_property
    def holes(self) -> np.ndarray:
        """Number of interior rings of each candidate (0 for anything but a polygon)."""
        return shapely.get_num_interior_rings(self.geoms)

    @cached_property
    def empty(self) -> np.ndarray:
        """Candidates without a vertex (from the rings when all are polygonal: nothing to ask GEOS)."""
        if self.all_polygonal:
            return np.diff(self.rings.ring_off[self.rings.geom_ring_off]) == 0
        return shapely.is_empty(self.geoms)

    @cached_property
    def polygonal(self) -> np.ndarray:
        return is_polygonal(self.geoms, self.types)

    @cached_property
    def all_polygonal(self) -> bool:
        return bool(self.polygonal.all())

    @cached_property
    def rings(self) -> Rings:
        """Every ring of every candidate (all must be polygonal: callers check `all_polygonal`)."""
        return rings_of(self.geoms, self.types, self.holes)

    @cached_property
    def bounds(self) -> np.ndarray:
        """(n, 4) bounding box of each candidate (NaN when empty)."""
        return shapely.bounds(self.geoms)

    def rings_at(self, idx: np.ndarray) -> Rings:
        """The rings of the (polygonal) candidates `idx`, increasing."""
        if self.all_polygonal:
            return self.rings.take(idx)
        return rings_of(self.geoms[idx])

    @cached_property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(a, b, edge_of, n): every edge of every candidate, for the distance kernels."""
        if self.all_polygonal:
            return (*self.rings.edges(), len(self.geoms))
        return (*ring_edges(self.geoms), len(self.geoms))

    @cached_property
    def edge_off(self) -> np.ndarray:
        """(n + 1,) offsets: candidate i's edges are edges[edge_off[i]:edge_off[i + 1]]."""
        if self.all_polygonal:  # one edge per ring vertex
            return self.rings.ring_off[self.rings.geom_ring_off]
        return edge_offsets(self.edges[2], len(self.geoms))
