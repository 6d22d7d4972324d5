"""The overview map: every layer of the store over the real legal dongs."""
from __future__ import annotations

import folium

from geodata.provider import LayerProvider
from maps.controls import HtmlControl, MapHook, label_layer, legend_html, swatch
from maps.data_layer import DataLayer
from maps.frame import (BASE_LAYER_ID, TOOLTIP_FIELDS, add_backgrounds, add_base_dongs, bounds_of, finish,
                        layer_label, new_map, places, set_title, zone_label, zone_properties)
from maps.page_text import html_text
from maps.render import render_html
from maps.styles import BASE_STYLE, HIGHLIGHT, zone_colours, zone_style


def build_overview(provider: LayerProvider, siting_href: str | None = None) -> folium.Map:
    """`siting_href`: where the siting maps of the core infrastructures are, linked from the legend."""
    m = new_map()
    set_title(m, "산업단지 개요 · Industrial zones overview")
    hook = MapHook("overview")
    add_backgrounds(m)
    add_base_dongs(m, provider, hook)
    zone_ids = [lid for lid in provider.layer_ids() if lid != BASE_LAYER_ID]
    colours = zone_colours(zone_ids)
    legend = []
    boxes = []
    labels = []
    for layer_id in zone_ids:
        data = provider.layer(layer_id)
        gdf = data.wgs84
        title_ko, title_en = (data.info.title_ko, data.info.title_en) if data.info else (layer_id, layer_id)
        style = zone_style(colours[layer_id])
        layer = DataLayer(gdf.geometry.values, zone_properties(gdf),
                          layer_label(f"{title_ko} · {title_en} ({len(gdf)})"), style, TOOLTIP_FIELDS,
                          highlight=HIGHLIGHT, smooth_factor=0.5)
        layer.add_to(m)
        hook.register(layer_id, layer, len(gdf))
        legend.append((swatch(colours[layer_id]), title_ko, title_en))
        labels += [zone_label(_s(r["name_ko"]), _s(r["name_en"]), r["area_km2"], g)
                   for (_i, r), g in zip(gdf.iterrows(), gdf.geometry.values) if g is not None and not g.is_empty]
        if len(gdf):
            boxes.append(gdf.total_bounds)
    label_layer(labels).add_to(m)
    if BASE_LAYER_ID in provider.layer_ids():
        legend.append((swatch(BASE_STYLE["color"], 0.15), "법정동 경계 (실제)", "Legal dongs (real boundaries)"))
    note = ('<div style="margin-top:4px;color:#555"><small>구역 경계는 도식입니다 (provenance = schematic) · '
            'Zone outlines are schematic unless marked surveyed</small></div>')
    if siting_href:
        note += (f'<div style="margin-top:4px"><a class="kz-siting-link" href="{html_text(siting_href)}">'
                 '7대 핵심 인프라 입지 점검 · Siting maps of the core infrastructures</a></div>')
    HtmlControl(legend_html("범례", "Legend", legend) + note, position="bottomright").add_to(m)
    return finish(m, hook, places(provider), bounds_of(boxes))


def overview_html(provider: LayerProvider, siting_href: str | None = None) -> str:
    return render_html(build_overview(provider, siting_href))


def _s(value) -> str:
    return value if isinstance(value, str) else ""
