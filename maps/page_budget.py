"""Every map page stays under its size budget: a layer too large is simplified for display,
or left out with a note on the map.

A map page is one self-contained file (Leaflet inlined) that a planner opens from a USB
stick or over a slow link, so it has a budget: `PAGE_BYTES` (2 MB). The layers' GeoJSON may
use `DATA_BYTES` of it; Leaflet, its CSS and the controls take the rest (about 0.2 MB).
An imported layer of a million vertices would otherwise make a 26 MB page.

How the budget is shared: layers are taken smallest first, and each may use an equal share
of what the smaller ones left, so small layers are always drawn exactly as stored and only
the large ones give up detail.

How a layer over its share is simplified: topology-preserving, by coverage simplification
when its polygons tile (shared edges stay shared: no gaps or slivers between neighbours),
otherwise polygon by polygon with `preserve_topology` (no polygon collapses or crosses
itself). The tolerance is one screen pixel (`pixel_degrees`) at the finest zoom level at
which the layer fits its share: at that zoom and any coarser one, the simplified outline
cannot be told from the stored one. The coarsest zoom allowed is the one that shows the
whole layer on a 1,000-pixel map (`opening_zoom`): a layer that fits only at a coarser
tolerance would look wrong already on the opening view, so it is left out instead. Either
way the layer switcher and a note on the map say so. Areas never come from drawn geometry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from maps.data_layer import DataLayer
from maps.page_text import html_text

PAGE_BYTES = 2_000_000
DATA_BYTES = 1_700_000
MAX_ZOOM = 19  # finer than any zoom Leaflet shows here: drawn as stored
VIEW_PIXELS = 1000  # the width of the map a layer's whole extent must fit at its opening zoom
LATITUDE = 35.5  # the zones lie between 35° and 36° N: where a pixel's size in metres is told
METRES_PER_DEGREE = 111_320.0  # one degree of longitude at the equator


def pixel_degrees(zoom: int) -> float:
    """Width of one screen pixel in degrees of longitude at a Web Mercator zoom level.

    >>> round(pixel_metres(15), 2)  # at the latitude of the zones
    3.89
    """
    return 360.0 / (256 * 2 ** zoom)


def pixel_metres(zoom: int, latitude: float = LATITUDE) -> float:
    """The same pixel in metres on the ground (east-west) at `latitude`."""
    return pixel_degrees(zoom) * METRES_PER_DEGREE * math.cos(math.radians(latitude))


def opening_zoom(bounds: tuple[float, float, float, float]) -> int:
    """The zoom at which the extent (minx, miny, maxx, maxy in degrees) fits VIEW_PIXELS.

    >>> opening_zoom((126.7, 35.0, 127.1, 35.3))  # Gwangju: about 0.4°
    11
    """
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-9)
    return max(0, min(MAX_ZOOM, math.floor(math.log2(360.0 * VIEW_PIXELS / (256 * span)))))


def simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Topology-preserving simplification; a polygon that would vanish is kept as it is."""
    if len(geoms) > 1 and bool(shapely.coverage_is_valid(geoms)):
        out = shapely.coverage_simplify(geoms, tolerance)
    else:
        out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    gone = shapely.is_empty(out) | shapely.is_missing(out)
    out[gone] = geoms[gone]
    return out


@dataclass(frozen=True)
class Fitted:
    """What was done to one layer: simplified at `zoom` (tolerance one pixel there), or left out."""

    layer: DataLayer
    zoom: int | None  # None: left out
    vertices: int

    def note(self) -> str:
        if self.zoom is None:
            return (f"{self.layer.layer_name}: 생략 · not drawn, {self.vertices:,} vertices are too many for this "
                    "page (the API and the GeoPackage hold it whole)")
        return (f"{self.layer.layer_name}: 표시용 단순화 · simplified for display, tolerance "
                f"{pixel_metres(self.zoom):,.1f} m "
                f"(one pixel at zoom {self.zoom})")


def fit_layers(layers: list[DataLayer], budget: int = DATA_BYTES) -> list[Fitted]:
    """Simplify or leave out layers until their data fits `budget` bytes; what was done, per layer."""
    sizes = {id(layer): layer.encoded_bytes() for layer in layers}
    if sum(sizes.values()) <= budget:
        return []
    done = []
    remaining = budget
    ordered = sorted(layers, key=lambda layer: sizes[id(layer)])
    for i, layer in enumerate(ordered):
        share = remaining // (len(ordered) - i)
        if sizes[id(layer)] > share:
            done.append(_fit(layer, share))
        remaining -= layer.encoded_bytes()
    return done


def _fit(layer: DataLayer, share: int) -> Fitted:
    geoms = layer.geoms
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    finest, coarsest = MAX_ZOOM, opening_zoom(tuple(shapely.total_bounds(geoms)))
    best = None
    while coarsest <= finest:  # the finest zoom whose one-pixel simplification fits the share
        zoom = (coarsest + finest) // 2
        layer.draw(simplify(geoms, pixel_degrees(zoom)))
        if layer.encoded_bytes() <= share:
            best, coarsest = zoom, zoom + 1
        else:
            finest = zoom - 1
    if best is None:
        layer.draw(geoms[:0])
    else:
        layer.draw(simplify(geoms, pixel_degrees(best)))
    fitted = Fitted(layer, best, vertices)
    layer.layer_name += (" – 생략 · not drawn (too large)" if best is None
                         else f" – 단순화 · simplified (zoom {best})")
    return fitted


def notes_html(fitted: list[Fitted]) -> str:
    """The note shown on the map when a layer was simplified or left out."""
    items = "".join(f"<li>{f.note()}</li>" for f in fitted)
    return (f"<b>{html_text('표시 용량 · Page size')}</b><ul style='margin:2px 0 0 14px;padding:0'>{items}</ul>"
            f"<small>{html_text(f'a map page stays under {PAGE_BYTES / 1e6:.0f} MB')}</small>")
