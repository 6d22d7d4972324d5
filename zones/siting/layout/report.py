"""A layout answer as plain data: the same dictionary for the API, the CLI's JSON and the map.

Geometries are passed through `geometry` (the caller's reprojection: lon/lat for GeoJSON,
the metric CRS as is), so this module stays free of any CRS choice.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from zones.siting.layout.solve import LayoutResult, Progress
from zones.units import all_units


def progress_dict(p: Progress | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"elapsed_s": p.elapsed_s, "incumbent": p.incumbent, "bound": p.bound, "gap": p.gap,
            "solutions": p.solutions, "rejected": p.rejected}


def summary(result: LayoutResult) -> dict[str, Any]:
    """Everything but the geometries."""
    return {
        "status": result.status, "objective": result.objective, "unit": result.unit, "value": result.value,
        "bound": result.bound, "gap": result.gap, "time_s": result.time_s,
        "first_passed_s": result.first_passed_s, "grid_m": result.cell,
        "checker": {"passed": result.passed, "layouts_found": result.solutions, "rejected": result.rejected,
                    "rejected_rules": [{"facility": f, "rule": r} for f, r in result.rejected_rules]},
        "checker_only_rules": result.checker_only,
        "explanation": None if result.explanation is None else result.explanation.as_dict(),
    }


def site_rows(result: LayoutResult) -> list[dict[str, Any]]:
    """One row per placed and fixed site with its verdict and rule results (geometry in 'geometry')."""
    checks = {c.facility: c for c in result.checks}
    rows = []
    for fid, geom in [*result.sites.items(), *result.fixed.items()]:
        check = checks.get(fid)
        placed = fid in result.sites
        x0, y0, x1, y1 = shapely.bounds(geom).tolist()
        rows.append({
            "id": fid, "facility": fid, "name_ko": check.name_ko if check else "", "name_en": check.name_en if check else "",
            "role": "placed" if placed else "fixed", "passed": None if check is None else check.passed,
            **{f"area_{u}": v for u, v in all_units(float(geom.area)).items()},
            "width_m": result.footprints.get(fid, (None, None))[0] if placed else None,
            "height_m": result.footprints.get(fid, (None, None))[1] if placed else None,
            "bounds_5186": [x0, y0, x1, y1],
            "rules": [] if check is None else [r.__dict__ for r in check.rules],
            "geometry": geom,
        })
    return rows


def result_dict(result: LayoutResult, geometry: Callable[[BaseGeometry], dict]) -> dict[str, Any]:
    """The summary and a GeoJSON FeatureCollection of the sites (`geometry` maps each one)."""
    features = []
    for row in site_rows(result):
        geom = row.pop("geometry")
        features.append({"type": "Feature", "id": row["id"], "geometry": geometry(geom), "properties": row})
    return {**summary(result), "sites": {"type": "FeatureCollection", "features": features}}
