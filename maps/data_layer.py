"""A GeoJSON layer whose tooltips show feature properties as text.

folium's `GeoJson` + `GeoJsonTooltip` writes each property into the tooltip as HTML and
passes the data through a second Jinja pass (see `maps.page_text`), so a feature named
`<img onerror=…>` runs its script under the mouse. This layer is the same Leaflet
`L.geoJson`, written by us: the data is embedded with `script_json`, and the tooltip is a
table whose cells are filled with `textContent`. It is a folium `Layer`, so the layer
switcher lists it and `show` works as for any layer.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import folium
import numpy as np
from shapely.geometry.base import BaseGeometry

from maps.display import feature_collection
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
    """Features (`geoms` in lon/lat, one `props` mapping each) drawn with `style` (one dict,
    or a function of the properties), `highlight` under the mouse, and a tooltip of
    `fields` ((property, label) pairs) that shows each value as text.

    What is drawn may be less detailed than what is stored: `maps.page_budget` can
    simplify a layer for display or leave it out, so a page stays within its size."""

    def __init__(self, geoms: Iterable[BaseGeometry], props: Iterable[Mapping[str, Any]], name: str,
                 style: dict | StyleFor, fields: Sequence[tuple[str, str]] = (), highlight: dict | None = None,
                 smooth_factor: float | None = None, overlay: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "DataLayer"
        self.geoms = np.asarray(list(geoms), dtype=object)
        self.props = [dict(p) for p in props]
        self.styles: list[dict] = []
        self.style_index = []
        for p in self.props:
            s = style(p) if callable(style) else style
            if s not in self.styles:
                self.styles.append(s)
            self.style_index.append(self.styles.index(s))
        self.fields = [list(f) for f in fields]
        self.highlight = highlight
        self.options = {"smoothFactor": smooth_factor} if smooth_factor is not None else {}
        self.drawn = self.geoms  # what the page shows: the geometry, or a simplified copy
        self._data: dict | None = None

    @property
    def data(self) -> dict:
        """The FeatureCollection the page draws (coordinates rounded for display)."""
        if self._data is None:
            fc = feature_collection(self.drawn, self.props)
            for feature, k in zip(fc["features"], self.style_index):
                feature["kz_style"] = k
            self._data = fc
        return self._data

    def encoded_bytes(self) -> int:
        """Size of the layer's data in the page."""
        return len(script_json(self.data).encode("utf-8"))

    def draw(self, geoms: np.ndarray) -> None:
        """Show `geoms` (a display copy of the layer's geometry, same order) instead."""
        self.drawn = geoms
        self._data = None

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
var {name}_styles = {script_json(self.styles or [{}])};
{name}.addData({script_json(self.data)});
(function (rows) {{
  if (rows.length) {name}.bindTooltip(function (l) {{ return kzDetails(rows, l.feature.properties); }}, {{sticky: true}});
}})({script_json(self.fields)});
""")
        super().render(**kwargs)  # folium.map.Layer: adds it to the map when `show`
