"""Area of a geometry: planar in the metric CRS (`zones.crs.METRIC`), cross-checked with the geodesic area.

Planar area in a conformal projection is what surveyors and cadastral data use;
the geodesic area on the GRS80 ellipsoid is independent of any projection. Both
are reported so a reader can see the projection did not distort the figure.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from zones.crs import LON_LAT, METRIC, reproject, same_crs
from zones.units import PYEONG_M2, all_units

GRS80 = Geod(ellps="GRS80")
METRIC_CRS_NAME = METRIC  # kept for the modules that import it from here


@dataclass(frozen=True)
class AreaMeasure:
    """One measured area with the method behind it, so no number travels without its CRS."""

    planar_m2: float
    geodesic_m2: float
    crs: str = METRIC_CRS_NAME
    method: str = f"planar {METRIC}; geodesic GRS80 cross-check"

    @property
    def m2(self) -> float:
        return self.planar_m2

    @property
    def ha(self) -> float:
        return self.planar_m2 / 10_000.0

    @property
    def km2(self) -> float:
        return self.planar_m2 / 1_000_000.0

    @property
    def pyeong(self) -> float:
        return all_units(self.planar_m2)["pyeong"]

    @property
    def planar_vs_geodesic_pct(self) -> float:
        if self.geodesic_m2 == 0:
            return 0.0
        return (self.planar_m2 - self.geodesic_m2) / self.geodesic_m2 * 100.0


def to_metric(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """`geom` (in `crs`) reprojected to the metric CRS (`METRIC`)."""
    return reproject(geom, crs, METRIC)


def to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """`geom` (in `crs`) reprojected to lon/lat."""
    return reproject(geom, crs, LON_LAT)


def geodesic_area_m2(geom_lonlat: BaseGeometry) -> float:
    """Ellipsoidal area of a lon/lat geometry; orientation-independent."""
    if geom_lonlat.is_empty:
        return 0.0
    area, _ = GRS80.geometry_area_perimeter(geom_lonlat)
    return abs(area)


def measure(geom: BaseGeometry, crs: str = METRIC_CRS_NAME) -> AreaMeasure:
    """Planar (in `METRIC`) and geodesic area of one geometry given in `crs`."""
    metric = to_metric(geom, crs)
    lonlat = to_wgs84(geom, crs)
    return AreaMeasure(planar_m2=float(metric.area), geodesic_m2=_geodesic_sum(lonlat))


def planar_areas_m2(geoms_metric: np.ndarray) -> np.ndarray:
    """Vectorised planar areas of geometries already in the metric CRS (`METRIC`).

    Parameters
    ----------
    geoms_metric : array-like of shapely geometries
        In metres (`METRIC`).

    Returns
    -------
    ndarray of float
        m²; holes subtract, parts add, lines and points and empty geometries are 0, None is NaN.

    Examples
    --------
    >>> square = shapely.box(0, 0, 100, 100)
    >>> planar_areas_m2([square.difference(shapely.box(10, 10, 20, 20)),
    ...                  shapely.MultiPolygon([square, shapely.box(200, 0, 210, 10)]),
    ...                  shapely.Polygon(), shapely.LineString([(0, 0), (1, 1)]), None]).tolist()
    [9900.0, 10100.0, 0.0, 0.0, nan]
    """
    return shapely.area(np.asarray(geoms_metric, dtype=object))


def _geodesic_sum(geom: BaseGeometry) -> float:
    # pyproj sums polygon parts itself but counts holes with sign only when the
    # rings are oriented; normalising to shapely's orient() makes holes subtract.
    if geom.is_empty:
        return 0.0
    parts = getattr(geom, "geoms", [geom])
    total = 0.0
    for part in parts:
        if part.geom_type == "Polygon":
            total += GRS80.geometry_area_perimeter(shapely.geometry.polygon.orient(part, 1.0))[0]
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            total += _geodesic_sum(part)
    return abs(total)


def area_columns(geoms_metric: np.ndarray, crs: str = METRIC_CRS_NAME) -> dict[str, np.ndarray]:
    """Per-feature areas in every unit plus the geodesic cross-check, for tables and tooltips.

    Planar areas are vectorised; the geodesic area needs one pyproj call per
    feature, which is fine for plan layers (tens to thousands of features).
    """
    geoms = np.asarray(geoms_metric, dtype=object)
    planar = planar_areas_m2(geoms) if same_crs(crs, METRIC) else np.array(
        [to_metric(g, crs).area for g in geoms], dtype=float)
    geodesic = np.array([_geodesic_sum(to_wgs84(g, crs)) if g is not None else np.nan for g in geoms], dtype=float)
    return {
        "area_m2": planar,
        "area_ha": planar / 10_000.0,
        "area_km2": planar / 1_000_000.0,
        "area_pyeong": planar / PYEONG_M2,
        "area_geodesic_m2": geodesic,
    }
