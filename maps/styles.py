"""Colours and line styles of the maps, in one place so the legend and the layers agree.

Zone colours are distinct hues (ColorBrewer-like, readable by most colour-blind
readers next to each other); the legal dongs are a thin grey outline so they read
as a base map, never as a planning zone. Allocation statuses use green / red /
blue / grey: over and under must never be told apart by red vs green alone.
"""
from __future__ import annotations

from itertools import cycle

ZONE_COLOURS: dict[str, str] = {
    "fez_districts": "#1f78b4",
    "bitgreen_complex": "#33a02c",
    "future_car_special_complex": "#ff7f00",
    "core_infrastructure": "#e31a1c",
    "jeonju_sites": "#6a3d9a",
}
# For layers imported by a user that the catalogue does not know.
_SPARE = ["#b15928", "#a6cee3", "#fb9a99", "#cab2d6", "#b2df8a", "#fdbf6f"]

BASE_STYLE = {"color": "#7a7a7a", "weight": 0.7, "opacity": 0.9, "fill": True,
              "fillColor": "#f4f1ea", "fillOpacity": 0.35}

STATUS_COLOURS: dict[str, str] = {
    "ok": "#1a9641",
    "over": "#d7191c",
    "under": "#2c7bb6",
    "misplaced": "#e66101",
    "missing": "#7f7f7f",
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "ok": ("적정", "ok: within tolerance"),
    "over": ("초과", "over: larger than planned"),
    "under": ("미달", "under: smaller than planned"),
    "misplaced": ("위치 벗어남", "misplaced: outside its legal dongs"),
    "missing": ("누락", "missing: no feature, or no place published"),
}

HIGHLIGHT = {"weight": 3, "fillOpacity": 0.6}


def zone_colours(layer_ids: list[str]) -> dict[str, str]:
    """A colour per zone layer; known layers keep theirs, others take spare ones."""
    spare = cycle(_SPARE)
    return {lid: ZONE_COLOURS.get(lid) or next(spare) for lid in layer_ids}


def zone_style(colour: str) -> dict:
    return {"color": colour, "weight": 2, "opacity": 1.0, "fillColor": colour, "fillOpacity": 0.35}


def status_style(status: str, composite: bool) -> dict:
    """Whole targets (with parts) are dashed outlines so their parts show through."""
    colour = STATUS_COLOURS[status]
    if composite:
        return {"color": colour, "weight": 3, "dashArray": "8 5", "opacity": 1.0,
                "fillColor": colour, "fillOpacity": 0.04}
    return {"color": colour, "weight": 1.5, "opacity": 1.0, "fillColor": colour, "fillOpacity": 0.45}

# The siting map: one style per siting term (zones.siting.labels.TERMS, which also names them),
# so the legend, the layer switcher and the map agree. The feasible region is the answer (solid
# green); what cuts it is warm (setback, clearance) or grey (other planned sites); adjacency reach
# is a dashed blue outline; the two kinds of allowed zone differ in hue and line.
SITING_STYLES: dict[str, dict] = {
    "allowed_zone": {"color": "#ff7f00", "weight": 2, "opacity": 1.0, "dashArray": "6 4",
                     "fillColor": "#ff7f00", "fillOpacity": 0.05},
    "setback_band": {"color": "#fdae61", "weight": 0.5, "opacity": 0.9, "fillColor": "#fdae61", "fillOpacity": 0.55},
    "adjacency_reach": {"color": "#2c7bb6", "weight": 2, "opacity": 1.0, "dashArray": "4 4",
                        "fillColor": "#2c7bb6", "fillOpacity": 0.08},
    "clearance_buffer": {"color": "#d7191c", "weight": 1.5, "opacity": 1.0, "dashArray": "6 3",
                         "fillColor": "#d7191c", "fillOpacity": 0.22},
    "allowed_dongs": {"color": "#542788", "weight": 2, "opacity": 1.0, "dashArray": "2 5",
                      "fillColor": "#542788", "fillOpacity": 0.04},
    "other_sites": {"color": "#404040", "weight": 1, "opacity": 1.0, "fillColor": "#636363", "fillOpacity": 0.6},
    "feasible_region": {"color": "#1a9641", "weight": 1.5, "opacity": 1.0, "fillColor": "#1a9641", "fillOpacity": 0.45},
    "planned_site": {"color": "#222222", "weight": 3.5, "opacity": 1.0, "fillColor": "#ffffff", "fillOpacity": 0.1},
}
# Verdict of the planned site: dark green passes, magenta fails (not told apart by red/green alone:
# the table also marks each rule ✔ / ✘).
VERDICT_COLOURS: dict[bool, str] = {True: "#006d2c", False: "#c51b8a"}
