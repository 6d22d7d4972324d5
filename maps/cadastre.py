"""The cadastral map (연속지적도 지도): the imported parcels drawn from the server's vector tiles.

Millions of parcels cannot be put into one page as GeoJSON, so this page holds no parcel at all:
Leaflet.VectorGrid (installed at set-up time, inlined like Leaflet) fetches the MVT tiles of
`/collections/cadastre/tiles/WebMercatorQuad/{z}/{y}/{x}` from the same server, by a relative URL,
so the page works offline on the machine or network that serves it. From zoom 15 each parcel is
drawn coloured by the land-use class of its 지목, with its PNU and JIBUN on click; below it the
density grid shows where the parcels are. The legal dongs are drawn underneath as on every map.
"""
from __future__ import annotations

import folium
from branca.element import Element

from geodata.cadastre.vector_tiles import MAX_ZOOM, MIN_PARCEL_ZOOM, PARCEL_LAYER, SUMMARY_LAYER
from geodata.provider import LayerProvider
from maps.assets import vectorgrid_js
from maps.controls import HtmlControl, MapHook, legend_html, swatch
from maps.frame import add_backgrounds, add_base_dongs, finish, new_map, places, set_title
from maps.page_text import add_script, script_json

TILE_PATH = "collections/cadastre/tiles/WebMercatorQuad/{z}/{y}/{x}"
# Land-use classes of geodata/jimok_classes.toml, coloured as land-use plans usually are.
LAND_USE_COLOURS = {
    "residential": ("#f4c542", "주거 (대)", "residential (building site)"),
    "industrial": ("#9b59b6", "산업 (장·창)", "industrial (factory, warehouse)"),
    "transport": ("#7f7f7f", "교통 (도·철·차·주)", "transport"),
    "agricultural": ("#b7d77a", "농업 (전·답·과·목)", "agricultural"),
    "forest": ("#2e8b57", "임야", "forest"),
    "water": ("#5dade2", "수계", "water"),
    "public": ("#e67e22", "공공 (공·체·학…)", "public"),
    "other": ("#c0a080", "기타 (광·염·잡)", "other"),
}
DENSITY_COLOUR = "#2c3e50"  # a dark slate no land-use class uses


class ParcelTileLayer(folium.map.Layer):
    """The vector-tile overlay: `parcels` by land use, `parcel_density` shaded by count."""

    def __init__(self, url: str, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ParcelTileLayer"
        self.url = url

    def render(self, **kwargs) -> None:
        colours = {k: v[0] for k, v in LAND_USE_COLOURS.items()}
        add_script(self, f"""
if (L.DomEvent && !L.DomEvent.fakeStop) {{ L.DomEvent.fakeStop = L.DomEvent.stopPropagation; }}
var kzLandUse = {script_json(colours)};
var {self.get_name()} = L.vectorGrid.protobuf({script_json(self.url)}, {{
  rendererFactory: L.svg.tile, interactive: true, maxNativeZoom: {MAX_ZOOM}, maxZoom: {MAX_ZOOM},
  getFeatureId: function (f) {{ return f.properties.PNU; }},
  vectorTileLayerStyles: {{
    {script_json(PARCEL_LAYER)}: function (p) {{
      var c = kzLandUse[p.land_use] || '#999999';
      return {{weight: 0.6, color: '#555555', opacity: 0.9, fill: true, fillColor: c, fillOpacity: 0.55}};
    }},
    {script_json(SUMMARY_LAYER)}: function (p) {{
      var t = Math.min(1, Math.log(1 + p.parcels) / Math.log(1 + 4000));
      return {{weight: 0, fill: true, fillColor: {script_json(DENSITY_COLOUR)}, fillOpacity: 0.1 + 0.7 * t}};
    }}
  }}
}});
{self.get_name()}.on('click', function (e) {{
  var p = e.layer.properties || {{}};
  if (!p.PNU) return;
  L.popup().setLatLng(e.latlng).setContent(
    document.createTextNode('PNU ' + p.PNU + ' · 지번 ' + p.JIBUN + ' · 지목 ' + p.JIMOK + ' (' + p.land_use + ')')
  ).openOn({self._parent.get_name()});
}});
{self.get_name()}.addTo({self._parent.get_name()});
window.kizoneTiles = {self.get_name()};
""")
        super().render(**kwargs)


def build_cadastre_map(provider: LayerProvider, extent_lonlat: list[float], tile_url: str = TILE_PATH) -> folium.Map:
    """The map page; `extent_lonlat` (CRS84) is where it opens, `tile_url` the tiles' template,
    relative to the page by default."""
    m = new_map()
    set_title(m, "연속지적도 · Continuous cadastral map")
    m.get_root().header.add_child(Element(f"<script>{vectorgrid_js()}</script>"), name="vectorgrid_js_inline")
    hook = MapHook("cadastre")
    add_backgrounds(m)
    add_base_dongs(m, provider, hook)
    ParcelTileLayer(tile_url, f"필지 · Parcels (vector tiles; from zoom {MIN_PARCEL_ZOOM}, density below)").add_to(m)
    legend = [(swatch(colour, 0.55), ko, en) for colour, ko, en in LAND_USE_COLOURS.values()]
    legend.append((swatch(DENSITY_COLOUR, 0.5), f"필지 밀도 (줌 {MIN_PARCEL_ZOOM} 미만)",
                   f"parcel density (below zoom {MIN_PARCEL_ZOOM})"))
    HtmlControl(legend_html("지목별 토지이용", "Land use by 지목", legend), position="bottomright").add_to(m)
    lon0, lat0, lon1, lat1 = extent_lonlat
    return finish(m, hook, places(provider), ((lat0, lon0), (lat1, lon1)))
