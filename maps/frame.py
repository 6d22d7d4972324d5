"""What every map shares: the Leaflet map itself, the offline background, the
legal-dong base layer, the place buttons, the layer switcher and the fit to data."""
from __future__ import annotations

from collections.abc import Sequence
from html import unescape

import folium
import numpy as np

from geodata.provider import LayerProvider
from shapely.geometry.base import BaseGeometry

from maps.controls import CONTROL_CSS, FitData, HtmlControl, JumpControl, Label, MapHook, MapTitle, Place
from maps.data_layer import DataLayer
from maps.display import (BASE_SIMPLIFY_DEG, fmt_ha, fmt_km2, fmt_m2, fmt_pyeong,
                          provenance_label, simplify_for_display)
from maps.page_budget import fit_layers, notes_html
from maps.page_text import html_text
from maps.styles import BASE_STYLE

BASE_LAYER_ID = "admin_dongs"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# The jump buttons: which zone layers make up each place. Gwangju's planning zones
# reach into 함평군 (Bitgreen phase 2), which is why a place is its zones, not a city boundary.
REGIONS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("gwangju", "광주", "Gwangju", ("fez_districts", "bitgreen_complex",
                                     "future_car_special_complex", "core_infrastructure")),
    ("jeonju", "전주", "Jeonju", ("jeonju_sites",)),
]

# Tooltip rows: property -> label; both languages on every label.
NAME_ROWS: list[tuple[str, str]] = [("name_ko", "이름"), ("name_en", "Name")]
# The area in every unit a planner reads, then where the figure comes from.
AREA_SOURCE_ROWS: list[tuple[str, str]] = [
    ("area_m2_text", "면적 Area"),
    ("area_km2_text", "제곱킬로미터 km²"),
    ("area_ha_text", "헥타르 ha"),
    ("area_pyeong_text", "평 pyeong"),
    ("provenance_text", "구분 Provenance"),
    ("source", "출처 Source"),
]
TOOLTIP_FIELDS: list[tuple[str, str]] = NAME_ROWS + AREA_SOURCE_ROWS

Bounds = tuple[tuple[float, float], tuple[float, float]]


def new_map() -> folium.Map:
    """Canvas renderer (SVG lags past ~2,000 polygons) and no tiles by default."""
    m = folium.Map(location=[35.5, 126.9], zoom_start=9, tiles=None, prefer_canvas=True,
                   control_scale=True, zoom_snap=0.25)
    m.get_root().header.add_child(folium.Element(CONTROL_CSS), name="kz_css")
    # An inline (empty) icon, so the browser does not ask a server for /favicon.ico.
    m.get_root().header.add_child(folium.Element('<link rel="icon" href="data:,">'), name="kz_icon")
    set_title(m, "kr-industrial-zones")
    return m


def set_title(m: folium.Map, text: str) -> None:
    """The page title (folium writes it into <title> as it is, so it is escaped here)."""
    m.get_root().title = html_text(text)


def layer_label(text: str) -> str:
    """A layer's name in the layer switcher, which Leaflet writes as HTML."""
    return html_text(text)


def add_backgrounds(m: folium.Map) -> None:
    """Base layers: an empty offline background (default) and OpenStreetMap (online, optional)."""
    folium.FeatureGroup(name="배경 없음 · No background (offline)", overlay=False, show=True).add_to(m)
    folium.TileLayer(OSM_URL, name="OpenStreetMap (online)", attr="© OpenStreetMap contributors",
                     overlay=False, show=False, max_zoom=19).add_to(m)


def area_labels(row) -> dict[str, str]:
    return {"area_m2_text": fmt_m2(row["area_m2"]), "area_km2_text": fmt_km2(row["area_km2"]),
            "area_ha_text": fmt_ha(row["area_ha"]), "area_pyeong_text": fmt_pyeong(row["area_pyeong"])}


def zone_label(name_ko: str, name_en: str, km2: float | None, geom_lonlat: BaseGeometry) -> Label:
    """"빛그린 1단계 · 1.85 km²" at a point inside the outline (display only: the area is given,
    never measured here); larger zones win where labels collide."""
    point = geom_lonlat.representative_point()
    name = name_ko or name_en
    text = name if km2 is None else f"{name} · {fmt_km2(km2)}"
    return Label(point.y, point.x, text, km2 or 0.0)


def zone_properties(gdf) -> list[dict]:
    """The tooltip properties of each feature, areas taken from the provider's columns."""
    out = []
    for _, row in gdf.iterrows():
        props = {"id": str(row["id"]), "name_ko": _text(row.get("name_ko")),
                 "name_en": _text(row.get("name_en")),
                 "provenance_text": provenance_label(row.get("provenance")),
                 "source": _text(row.get("source"))}
        props.update(area_labels(row))
        out.append(props)
    return out


def add_base_dongs(m: folium.Map, provider: LayerProvider, hook: MapHook) -> DataLayer | None:
    """The real legal dongs, simplified for display only, as a light overlay under the zones."""
    if BASE_LAYER_ID not in provider.layer_ids():
        return None
    data = provider.layer(BASE_LAYER_ID)
    gdf = data.wgs84
    title = (f"{data.info.title_ko} · {data.info.title_en}" if data.info else BASE_LAYER_ID)
    layer = DataLayer(simplify_for_display(gdf.geometry.values, BASE_SIMPLIFY_DEG), zone_properties(gdf), layer_label(f"{title} ({len(gdf)})"), BASE_STYLE, TOOLTIP_FIELDS,
                      highlight={"weight": 2, "color": "#444"}, smooth_factor=1.0)
    layer.add_to(m)
    hook.register(BASE_LAYER_ID, layer, len(gdf))
    return layer


def bounds_of(totals: Sequence[np.ndarray]) -> Bounds | None:
    """Union of [minx, miny, maxx, maxy] boxes as Leaflet [[south, west], [north, east]]."""
    boxes = [b for b in totals if b is not None and np.all(np.isfinite(b))]
    if not boxes:
        return None
    arr = np.vstack(boxes)
    return ((float(arr[:, 1].min()), float(arr[:, 0].min())), (float(arr[:, 3].max()), float(arr[:, 2].max())))


def places(provider: LayerProvider) -> list[Place]:
    """Gwangju and Jeonju (from the zone layers present), and everything."""
    present = set(provider.layer_ids())
    out = []
    for key, ko, en, layer_ids in REGIONS:
        b = bounds_of([provider.layer(lid).wgs84.total_bounds for lid in layer_ids if lid in present])
        if b is not None:
            out.append(Place(key, ko, en, b))
    all_b = bounds_of([provider.layer(lid).wgs84.total_bounds for lid in present if lid != BASE_LAYER_ID])
    if all_b is not None:
        out.append(Place("all", "전체", "All zones", all_b))
    return out


def finish(m: folium.Map, hook: MapHook, place_list: list[Place], fit: Bounds | None,
           padding: tuple[tuple[int, int], tuple[int, int]] | None = None, subtitle: str = "") -> folium.Map:
    """Layers fitted to the page budget, title and north arrow (the page title), place buttons,
    layer switcher, fit to data and the hook, in the order Leaflet needs.
    `padding` (top-left, bottom-right, in px) keeps the data clear of a map's own boxes."""
    fitted = fit_layers([c for c in m._children.values() if isinstance(c, DataLayer)])
    if fitted:
        HtmlControl(notes_html(fitted), position="bottomleft", css_class="kz-box kz-page-note").add_to(m)
        for key, layer in hook.layers.items():
            if isinstance(layer, DataLayer):
                hook.features[key] = len(layer.data["features"])
    # The page title is stored escaped (set_title); the map's title shows it as text again.
    MapTitle(unescape(m.get_root().title), subtitle).add_to(m)
    jump = JumpControl(place_list)
    if padding is not None:
        jump.fit_options = {"paddingTopLeft": list(padding[0]), "paddingBottomRight": list(padding[1])}
    if place_list:
        jump.add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    if fit is not None:
        FitData(fit, place_list, *(padding or ())).add_to(m)
    hook.add_to(m)
    return m


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)
