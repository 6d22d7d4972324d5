"""The diff map: what changed between two versions of the store, in one offline page.

Both versions are drawn over the legal dongs: A (the earlier revision, or the first
scenario) dashed, B solid, each feature in the colour of its class (added, removed,
modified, reshaped, moved); a moved feature gets an arrow from where it was to where it is.
Buttons switch between A, B and both. A panel lists the allocation rows, shares, statutory
rows and siting verdicts whose status or findings changed. Everything drawn comes from the
diff (geodata.layer_diff) and the comparison (geodata.plan_compare); the map measures nothing.
"""
from __future__ import annotations

import math

import folium
import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.layer_diff import LayerDiff
from geodata.plan_compare import ComparedRow
from geodata.provider import LayerSource
from maps.controls import HtmlControl, MapHook, legend_html, swatch
from maps.data_layer import DataLayer
from maps.display import fmt_m2
from maps.frame import add_backgrounds, add_base_dongs, bounds_of, finish, layer_label, new_map, places, set_title
from maps.page_text import add_script, html_text, script_json
from maps.render import render_html
from zones.crs import LON_LAT, METRIC

CLASS_COLOURS = {"added": "#1a9641", "removed": "#d7191c", "modified": "#7b3294", "reshaped": "#fdae61",
                 "moved": "#2c7bb6"}
CLASS_LABELS = {"added": ("추가", "added"), "removed": ("삭제", "removed"), "modified": ("속성 변경", "attributes changed"),
                "reshaped": ("형상 변경", "reshaped"), "moved": ("이동", "moved")}
TOOLTIP = [("id", "ID"), ("change_text", "변경 Change"), ("side_text", "판 Version"), ("area_text", "면적 Area"),
           ("shift_text", "이동 Shift"), ("attributes", "속성 Attributes")]


def _to_lonlat(geoms: list[BaseGeometry]) -> np.ndarray:
    return np.asarray(gpd.GeoSeries(geoms, crs=METRIC).to_crs(LON_LAT).values, dtype=object)


def _props(change, side: str, label: str) -> dict:
    ko, en = CLASS_LABELS[change.change]
    area = change.area_before_m2 if side == "a" else change.area_after_m2
    shift = (f"{change.shift_m:,.1f} m {change.direction} ({change.bearing_deg:.0f}°)"
             if change.change == "moved" else "")
    return {"id": change.id + (f" (was {change.id_before})" if change.id_before else ""), "change": change.change,
            "change_text": f"{ko} · {en}", "side_text": label, "area_text": fmt_m2(area), "shift_text": shift,
            "attributes": ", ".join(change.changed_attributes)}


def _arrow(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """A line from the old centre to the new one with a head at the new end (EPSG:5186)."""
    p, q = a.centroid, b.centroid
    dx, dy = q.x - p.x, q.y - p.y
    length = math.hypot(dx, dy)
    head = min(max(length * 0.2, 5.0), 200.0)
    ux, uy = dx / length, dy / length
    left = (q.x - head * ux - head * 0.5 * uy, q.y - head * uy + head * 0.5 * ux)
    right = (q.x - head * ux + head * 0.5 * uy, q.y - head * uy - head * 0.5 * ux)
    return shapely.MultiLineString([[(p.x, p.y), (q.x, q.y)], [left, (q.x, q.y), right]])


class ToggleControl(folium.MacroElement):
    """Buttons that show version A, version B or both (the layers named by their map variables)."""

    def __init__(self, a_label: str, b_label: str, a_layers: list, b_layers: list):
        super().__init__()
        self._name = "ToggleControl"
        self.labels = {"a": f"A: {a_label}", "b": f"B: {b_label}", "both": "A + B"}
        self.a_layers, self.b_layers = a_layers, b_layers

    def render(self, **kwargs) -> None:
        a = ", ".join(layer.get_name() for layer in self.a_layers)
        b = ", ".join(layer.get_name() for layer in self.b_layers)
        add_script(self, f"""
(function () {{
  var map = {self._parent.get_name()};
  var sides = {{a: [{a}], b: [{b}]}};
  var labels = {script_json(self.labels)};
  function show(which) {{
    ['a', 'b'].forEach(function (s) {{
      sides[s].forEach(function (l) {{
        if (which === s || which === 'both') {{ if (!map.hasLayer(l)) map.addLayer(l); }}
        else if (map.hasLayer(l)) map.removeLayer(l);
      }});
    }});
    window.kizoneMap && (window.kizoneMap.showing = which);
  }}
  var ctl = L.control({{position: 'topleft'}});
  ctl.onAdd = function () {{
    var div = L.DomUtil.create('div', 'kz-box kz-jump kz-toggle');
    var title = L.DomUtil.create('b', '', div);
    title.textContent = '판 전환 · Show';
    ['a', 'b', 'both'].forEach(function (key) {{
      var btn = L.DomUtil.create('button', 'kz-show-' + key, div);
      btn.type = 'button';
      btn.textContent = labels[key];
      L.DomEvent.on(btn, 'click', function (e) {{ L.DomEvent.stop(e); show(key); }});
    }});
    L.DomEvent.disableClickPropagation(div);
    return div;
  }};
  ctl.addTo(map);
  window.kzShowSide = show;
}})();
""")
        super().render(**kwargs)


def _short(faults: list[str], limit: int = 90) -> str:
    """The first new finding, cut to a line (the compare table and JSON give them whole)."""
    if not faults:
        return ""
    text = faults[0] if len(faults[0]) <= limit else faults[0][:limit - 1] + "…"
    return text + (f" (+{len(faults) - 1})" if len(faults) > 1 else "")


def changed_rows_html(rows: list[ComparedRow], a_label: str, b_label: str) -> str:
    changed = [r for r in rows if r.status_changed or r.faults_changed]
    if not changed:
        body = (f"<div>{html_text('상태가 바뀐 행 없음 · no status changed')}</div>")
    else:
        items = "".join(
            f"<tr><td>{html_text(r.kind)}</td><td>{html_text(r.name_ko)}<br><small>{html_text(r.id)}</small></td>"
            f"<td>{html_text(r.status_a)} → <b>{html_text(r.status_b)}</b>"
            + (f"<br><small>{html_text(_short(sorted(set(r.faults_b) - set(r.faults_a))))}</small>"
               if r.faults_changed else "") + "</td></tr>"
            for r in changed[:12])
        more = f"<tr><td colspan=3><small>… +{len(changed) - 12}</small></td></tr>" if len(changed) > 12 else ""
        body = f"<div style='max-height:30vh;overflow-y:auto'><table>{items}{more}</table></div>"
    return (f"<h4>{html_text('상태가 바뀐 행 · Rows whose status changed')}</h4>"
            f"<div><small>A: {html_text(a_label)} · B: {html_text(b_label)}</small></div>{body}")


def build_diff_map(source: LayerSource, diffs: list[LayerDiff], rows: list[ComparedRow], a_label: str,
                   b_label: str, kind: str = "diff") -> folium.Map:
    m = new_map()
    set_title(m, f"{a_label} → {b_label}")
    hook = MapHook(kind)
    add_backgrounds(m)
    add_base_dongs(m, source, hook)
    a_layers, b_layers, boxes = [], [], []
    for d in diffs:
        for side, label in (("a", a_label), ("b", b_label)):
            picked = [c for c in d.changes if (c.geometry_before if side == "a" else c.geometry_after) is not None]
            if not picked:
                continue
            geoms = _to_lonlat([c.geometry_before if side == "a" else c.geometry_after for c in picked])
            props = [_props(c, side, label) for c in picked]
            dashed = side == "a"
            layer = DataLayer(
                geoms, props, layer_label(f"{d.layer} · {'A' if dashed else 'B'}: {label} ({len(picked)})"),
                lambda p, dashed=dashed: {"color": CLASS_COLOURS[p["change"]], "weight": 2 if dashed else 2.5,
                                          "dashArray": "6 4" if dashed else None,
                                          "fillColor": CLASS_COLOURS[p["change"]],
                                          "fillOpacity": 0.08 if dashed else 0.35},
                TOOLTIP, highlight={"weight": 4})
            layer.add_to(m)
            hook.register(f"{d.layer}:{side}", layer, len(picked))
            (a_layers if dashed else b_layers).append(layer)
            boxes.append(shapely.total_bounds(geoms))
        moves = [c for c in d.changes if c.change == "moved"]
        if moves:
            arrows = _to_lonlat([_arrow(c.geometry_before, c.geometry_after) for c in moves])
            layer = DataLayer(arrows, [_props(c, "b", b_label) for c in moves],
                              layer_label(f"{d.layer} · 이동 화살표 · moves ({len(moves)})"),
                              {"color": CLASS_COLOURS["moved"], "weight": 2.5}, TOOLTIP)
            layer.add_to(m)
            hook.register(f"{d.layer}:moves", layer, len(moves))
            b_layers.append(layer)
    legend = legend_html("변경", "Change", [(swatch(CLASS_COLOURS[k]), *CLASS_LABELS[k]) for k in CLASS_COLOURS]
                         + [(swatch("#555555", 0.0, dashed=True), "A (점선)", f"A, dashed: {a_label}"),
                            (swatch("#555555", 0.35), "B", f"B, solid: {b_label}")])
    HtmlControl(legend + changed_rows_html(rows, a_label, b_label), position="bottomright").add_to(m)
    if a_layers or b_layers:
        ToggleControl(a_label, b_label, a_layers, b_layers).add_to(m)
    fit = bounds_of(boxes) if boxes else None
    return finish(m, hook, places(source), fit, padding=((150, 20), (420, 20)))


def diff_map_html(source: LayerSource, diffs: list[LayerDiff], rows: list[ComparedRow], a_label: str,
                  b_label: str, kind: str = "diff") -> str:
    return render_html(build_diff_map(source, diffs, rows, a_label, b_label, kind))
