"""A GeoJSON layer whose tooltips show feature properties as text.

folium's `GeoJson` + `GeoJsonTooltip` writes each property into the tooltip as HTML and
passes the data through a second Jinja pass (see `maps.page_text`), so a feature named
`<img onerror=…>` runs its script under the mouse. This layer is the same Leaflet
`L.geoJson`, written by us: the data is embedded with `script_json`, and the tooltip is a
table whose cells are filled with `textContent`. It is a folium `Layer`, so the layer
switcher lists it and `show` works as for any layer.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium

from maps.page_text import Verbatim, add_script, script_json

# One function per page: a property/label table whose every cell is set as text.
DETAILS_JS = """
function kzDetails(rows, props) {
  var table = document.createElement('table');
  rows.forEach(function (row) {
    var tr = table.insertRow(), th = document.createElement('th'), td = document.createElement('td');
    var value = props[row[0]];
    th.textContent = row[1];
    td.textContent = value === null || value === undefined ? '' : String(value);
    tr.appendChild(th);
    tr.appendChild(td);
  });
  return table;
}
"""

StyleFor = Callable[[Mapping[str, Any]], dict]


class DataLayer(folium.map.Layer):
    """`fc` (a FeatureCollection) drawn with `style` (one dict, or a function of the
    properties), `highlight` under the mouse, and a tooltip of `fields` ((property, label)
    pairs) that shows each value as text."""

    def __init__(self, fc: dict, name: str, style: dict | StyleFor, fields: Sequence[tuple[str, str]] = (),
                 highlight: dict | None = None, smooth_factor: float | None = None,
                 overlay: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "DataLayer"
        styles: list[dict] = []
        features = []
        for feature in fc["features"]:
            s = style(feature["properties"]) if callable(style) else style
            if s not in styles:
                styles.append(s)
            features.append({**feature, "kz_style": styles.index(s)})
        self.data = {"type": "FeatureCollection", "features": features}
        self.styles = styles or [style if isinstance(style, dict) else {}]
        self.fields = [list(f) for f in fields]
        self.highlight = highlight
        self.options = {"smoothFactor": smooth_factor} if smooth_factor is not None else {}

    def style_for(self, feature: dict) -> dict:
        """The style a feature of `data` is drawn with."""
        return self.styles[feature["kz_style"]]

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(Verbatim(DETAILS_JS), name="kz_details")  # once per page
        name = self.get_name()
        add_script(self, f"""
var {name} = L.geoJson(null, Object.assign({script_json(self.options)}, {{
  style: function (f) {{ return {name}_styles[f.kz_style]; }},
  onEachFeature: function (f, l) {{
    var highlight = {script_json(self.highlight)};
    if (highlight) l.on({{mouseover: function (e) {{ e.target.setStyle(highlight); }},
                         mouseout: function (e) {{ {name}.resetStyle(e.target); }}}});
  }}
}}));
var {name}_styles = {script_json(self.styles)};
{name}.addData({script_json(self.data)});
(function (rows) {{
  if (rows.length) {name}.bindTooltip(function (l) {{ return kzDetails(rows, l.feature.properties); }}, {{sticky: true}});
}})({script_json(self.fields)});
""")
        super().render(**kwargs)  # folium.map.Layer: adds it to the map when `show`

