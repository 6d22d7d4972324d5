"""Small Leaflet controls written for these maps: a box of HTML, place buttons and
the `window.kizoneMap` hook.

They are plain Leaflet (no jQuery, no Bootstrap), so the inlined Leaflet is all a
map needs. Each writes its JavaScript with `maps.page_text.add_script`, values as
`script_json`, never through a template. The hook names the map object and each
layer with the number of features drawn, so a browser test or a planner's own
script can check the map.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium

from maps.page_text import add_script, html_text, script_json

CONTROL_CSS = """
<style>
.kz-box { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 12px/1.35 "Noto Sans CJK KR", "Noto Sans KR",
  "Malgun Gothic", "Apple SD Gothic Neo", sans-serif; color: #222; max-width: 300px; }
.kz-box h4 { margin: 0 0 4px; font-size: 13px; }
.kz-box table { border-collapse: collapse; }
.kz-box td, .kz-box th { padding: 1px 5px; text-align: left; vertical-align: top; }
.kz-box td.num, .kz-box th.num { text-align: right; font-variant-numeric: tabular-nums; }
.kz-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  border: 2px solid; vertical-align: middle; }
.kz-jump button { display: block; width: 100%; margin: 2px 0; padding: 3px 8px; cursor: pointer;
  font: inherit; background: #fff; border: 1px solid #999; border-radius: 3px; text-align: left; }
.kz-jump button:hover { background: #eef4fb; }
.leaflet-tooltip { font: 12px/1.35 "Noto Sans CJK KR", "Noto Sans KR", sans-serif; }
.leaflet-tooltip table { max-width: 380px; }
.leaflet-tooltip td, .leaflet-tooltip th { white-space: normal !important; vertical-align: top; }
.leaflet-container { background: #dfe8ee; }
.leaflet-control-layers-expanded { max-width: 270px; font-size: 11px; line-height: 1.3;
  max-height: 45vh; overflow-y: auto; }
.leaflet-control-layers label { margin: 2px 0; }
.leaflet-control-layers-expanded span { white-space: normal; }
.kz-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 800;
  max-width: calc(100% - 660px); min-width: 180px; display: flex; align-items: center; gap: 8px;
  pointer-events: none; }
.kz-title h1 { margin: 0; font-size: 15px; line-height: 1.25; }
.kz-title small { display: block; font-weight: normal; color: #555; font-size: 11px; }
.kz-north { flex: none; width: 26px; height: 38px; }
.leaflet-tooltip.kz-label { background: rgba(255,255,255,0.78); border: 0; box-shadow: none; padding: 0 3px;
  font: 600 11px/1.2 "Noto Sans CJK KR", "Noto Sans KR", sans-serif; color: #1b1b1b; white-space: nowrap;
  text-shadow: 0 0 2px #fff; }
.leaflet-tooltip.kz-label::before { display: none; }
.leaflet-tooltip.kz-label.kz-hidden { visibility: hidden; }
/* A small map (a frame beside the report's tables, a phone): the boxes give the map room. */
@media (max-width: 900px) {
  .kz-title h1 { display: none; }
  .kz-title { min-width: 0; max-width: none; padding: 3px 5px; }
  .kz-box { max-width: 220px; font-size: 11px; }
  .leaflet-control-layers-expanded { max-width: 220px; max-height: 28vh; }
  .schematic-banner small { display: none; }
}
</style>
"""


# Room kept free around fitted data: the place buttons on the left, the layer switcher
# and the legend / summary box on the right.
PADDING_TOP_LEFT = (150, 20)
PADDING_BOTTOM_RIGHT = (310, 20)


class HtmlControl(folium.MacroElement):
    """A Leaflet control holding a piece of HTML (legend, summary table).

    The HTML is built in Python; any text from data in it must come through `html_text`."""

    def __init__(self, html: str, position: str = "bottomright", css_class: str = "kz-box"):
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class

    def render(self, **kwargs) -> None:
        add_script(self, f"""
(function () {{
  var ctl = L.control({{position: {script_json(self.position)}}});
  ctl.onAdd = function () {{
    var div = L.DomUtil.create('div', {script_json(self.css_class)});
    div.innerHTML = {script_json(self.html)};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }};
  ctl.addTo({self._parent.get_name()});
}})();
""")
        super().render(**kwargs)


@dataclass(frozen=True)
class Place:
    """A named extent a planner jumps to: [[south, west], [north, east]] in lon/lat degrees."""

    key: str
    name_ko: str
    name_en: str
    bounds: tuple[tuple[float, float], tuple[float, float]]


class JumpControl(folium.MacroElement):
    """One button per place; a click fits the map to the place."""

    def __init__(self, places: list[Place]):
        super().__init__()
        self._name = "JumpControl"
        self.fit_options = {"paddingTopLeft": list(PADDING_TOP_LEFT),
                            "paddingBottomRight": list(PADDING_BOTTOM_RIGHT)}
        self.places = [{"key": p.key, "label": f"{p.name_ko} {p.name_en}",
                        "bounds": [list(p.bounds[0]), list(p.bounds[1])]} for p in places]

    def render(self, **kwargs) -> None:
        add_script(self, f"""
(function () {{
  var map = {self._parent.get_name()};
  var places = {script_json(self.places)};
  var ctl = L.control({{position: 'topleft'}});
  ctl.onAdd = function () {{
    var div = L.DomUtil.create('div', 'kz-box kz-jump');
    div.innerHTML = '<b>바로 가기 · Go to</b>';
    places.forEach(function (p) {{
      var b = L.DomUtil.create('button', 'kz-jump-' + p.key, div);
      b.type = 'button';
      b.textContent = p.label;
      b.title = 'Fit the map to ' + p.label;
      L.DomEvent.on(b, 'click', function (e) {{
        L.DomEvent.stop(e);
        map.fitBounds(p.bounds, {script_json(self.fit_options)});
        // The address now names the place, so the view can be bookmarked or sent.
        history.replaceState(null, '', '#' + p.key);
      }});
    }});
    L.DomEvent.disableClickPropagation(div);
    return div;
  }};
  ctl.addTo(map);
}})();
""")
        super().render(**kwargs)


class FitData(folium.MacroElement):
    """Fit the view on opening: to the place the address names (`#gwangju`, `#jeonju`, `#all`)
    or else to the data, without the zoom animation folium's fit_bounds plays (a planner
    should see the final view at once)."""

    def __init__(self, bounds, places: list[Place] = (), padding_top_left=PADDING_TOP_LEFT,
                 padding_bottom_right=PADDING_BOTTOM_RIGHT):
        super().__init__()
        self._name = "FitData"
        self.bounds = [list(bounds[0]), list(bounds[1])]
        self.places = [{"key": p.key, "bounds": [list(p.bounds[0]), list(p.bounds[1])]} for p in places]
        self.options = {"paddingTopLeft": list(padding_top_left),
                        "paddingBottomRight": list(padding_bottom_right), "animate": False}

    def render(self, **kwargs) -> None:
        add_script(self, f"""
(function () {{
  var places = {script_json(self.places)};
  var hit = places.filter(function (p) {{ return '#' + p.key === location.hash; }})[0];
  {self._parent.get_name()}.fitBounds(hit ? hit.bounds : {script_json(self.bounds)}, {script_json(self.options)});
}})();
""")
        super().render(**kwargs)


class MapHook(folium.MacroElement):
    """`window.kizoneMap = {map, layers: {id: layer}, features: {id: n}}` after the map is built.

    Added last, so every layer variable it names exists when it runs.
    """

    def __init__(self, kind: str):
        super().__init__()
        self._name = "MapHook"
        self.kind = kind
        self.layer_vars: dict[str, str] = {}
        self.features: dict[str, int] = {}
        self.layers: dict[str, folium.MacroElement] = {}

    def register(self, key: str, layer: folium.MacroElement, n_features: int) -> None:
        self.layer_vars[key] = layer.get_name()
        self.features[key] = n_features
        self.layers[key] = layer

    def render(self, **kwargs) -> None:
        layers = ", ".join(f"{script_json(key)}: {var}" for key, var in self.layer_vars.items())
        add_script(self, f"""
window.kizoneMap = {{
  kind: {script_json(self.kind)},
  map: {self._parent.get_name()},
  layers: {{{layers}}},
  features: {script_json(self.features)}
}};
""")
        super().render(**kwargs)


def swatch(colour: str, fill_opacity: float = 0.35, dashed: bool = False) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    style = f"border-color:{colour};background:rgba({r},{g},{b},{fill_opacity})"
    if dashed:
        style += ";border-style:dashed"
    return f'<span class="kz-swatch" style="{style}"></span>'


def legend_html(title_ko: str, title_en: str, entries: list[tuple[str, str, str]]) -> str:
    """entries: (swatch html, Korean label, English label)."""
    rows = "".join(f"<tr><td>{sw}</td><td>{html_text(ko)}<br><small>{html_text(en)}</small></td></tr>"
                   for sw, ko, en in entries)
    return f"<h4>{html_text(title_ko)} · {html_text(title_en)}</h4><table>{rows}</table>"


# A north arrow of our own (the maps are Web Mercator: north is straight up everywhere on screen).
NORTH_ARROW_SVG = (
    '<svg class="kz-north" viewBox="0 0 26 38" role="img" aria-label="북 North">'
    '<polygon points="13,2 22,26 13,21" fill="#222"/><polygon points="13,2 4,26 13,21" fill="#fff" '
    'stroke="#222" stroke-width="1"/><text x="13" y="37" text-anchor="middle" '
    'font: bold 10px sans-serif">N 북</text></svg>')


class MapTitle(folium.MacroElement):
    """The map's title, centred at the top, with the north arrow beside it: where a reader of
    a printed or screenshotted map looks for both. The title is set as text (`textContent`)."""

    def __init__(self, title: str, subtitle: str = ""):
        super().__init__()
        self._name = "MapTitle"
        self.title, self.subtitle = title, subtitle

    def render(self, **kwargs) -> None:
        add_script(self, f"""
(function () {{
  var map = {self._parent.get_name()};
  var box = L.DomUtil.create('div', 'kz-box kz-title', map.getContainer());
  box.innerHTML = {script_json(NORTH_ARROW_SVG)};
  var h = L.DomUtil.create('h1', '', box);
  h.textContent = {script_json(self.title)};
  var sub = {script_json(self.subtitle)};
  if (sub) L.DomUtil.create('small', '', h).textContent = sub;
}})();
""")
        super().render(**kwargs)


@dataclass(frozen=True)
class Label:
    """A permanent label: where (lon/lat), what it says, and who wins a collision (higher first)."""

    lat: float
    lon: float
    text: str
    priority: float


class ZoneLabels(folium.MacroElement):
    """Permanent labels ("name_ko · 1.85 km²") in a layer of their own (switchable in the layer
    control), set as text (`textContent`). After every zoom or pan a label that would overlap one
    of higher priority is hidden, and so is one under the map's own boxes, so the map stays
    readable at every scale; zooming in shows more of them."""

    def __init__(self, labels: list[Label]):
        super().__init__()
        self._name = "ZoneLabels"
        ordered = sorted(labels, key=lambda lb: -lb.priority)
        self.labels = [{"lat": round(lb.lat, 6), "lon": round(lb.lon, 6), "text": lb.text} for lb in ordered]

    def render(self, **kwargs) -> None:
        add_script(self, f"""
(function () {{
  var map = {self._parent._parent.get_name()};
  var group = {self._parent.get_name()};
  var labels = {script_json(self.labels)}.map(function (l) {{
    var el = document.createElement('span');
    el.textContent = l.text;
    var t = L.tooltip({{permanent: true, direction: 'center', className: 'kz-label', interactive: false}})
      .setLatLng([l.lat, l.lon]).setContent(el);
    group.addLayer(t);
    return t;
  }});
  function declutter() {{
    // The map's own boxes (buttons, legend, title) count as taken: a label never hides under one.
    var kept = Array.prototype.map.call(map.getContainer().querySelectorAll('.leaflet-control, .kz-title'),
                                        function (e) {{ return e.getBoundingClientRect(); }});
    labels.forEach(function (t) {{
      var el = t.getElement();
      if (!el) return;
      L.DomUtil.removeClass(el, 'kz-hidden');
      var r = el.getBoundingClientRect();
      var clash = kept.some(function (k) {{
        return r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top;
      }});
      if (clash) L.DomUtil.addClass(el, 'kz-hidden'); else kept.push(r);
    }});
  }}
  map.on('zoomend moveend overlayadd resize', declutter);
  map.whenReady(declutter);
}})();
""")
        super().render(**kwargs)


def label_layer(labels: list[Label], name: str = "이름표 · Labels") -> folium.FeatureGroup:
    """A layer holding the labels, for the map and its layer control."""
    group = folium.FeatureGroup(name=f"{name} ({len(labels)})", overlay=True, show=True)
    ZoneLabels(labels).add_to(group)
    return group
