"""The layout map: the proposed sites of a layout over each facility's feasible region.

Each facility's feasible region is drawn as it is with the other sites where the layout puts
them, so a proposed site is seen inside the room the rules leave it.

Everything drawn comes from `zones.siting`: the sites and the checker's verdict per rule from the
layout result (zones/siting/layout), each facility's feasible region from `feasible_region`.
This module reprojects, styles and lays out the table; it measures nothing.
"""
from __future__ import annotations

from html import escape

import folium
import numpy as np

from geodata.provider import LayerProvider
from maps.controls import HtmlControl, MapHook, Place, legend_html, swatch
from maps.display import feature_collection, fmt_m2
from maps.frame import add_backgrounds, add_base_dongs, bounds_of, finish, new_map
from maps.render import render_html
from maps.siting import to_lonlat
from maps.styles import HIGHLIGHT, SITING_STYLES, VERDICT_COLOURS
from zones.siting import SitingContext, feasible_region
from zones.siting.labels import TERMS
from zones.siting.layout.solve import LayoutResult

FIXED_COLOUR = "#555555"
SITE_TOOLTIP = [("name", "이름 Name"), ("role_text", "구분 Role"), ("size_text", "크기 Size"),
                ("area_text", "면적 Area"), ("verdict_text", "판정 Verdict"), ("failed_text", "위반 규칙 Failed rules")]
LAYOUT_CSS = """
<style>
.kz-layout-table { max-width: 420px; max-height: 56vh; overflow-y: auto; }
.kz-layout-table td { border-top: 1px solid #e4e4e4; vertical-align: top; }
</style>
"""


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else ("적합 · passes" if passed else "부적합 · fails")


def summary_html(result: LayoutResult) -> str:
    """The search's numbers: status, objective, bound, gap, time, checker counts."""
    unit = result.unit
    value = "–" if result.value is None else f"{result.value:,.0f} {unit}"
    bound = "–" if result.bound is None else f"{result.bound:,.0f} {unit}"
    gap = "–" if result.gap is None else f"{100 * result.gap:.2f} %"
    return (f"<div>상태 Status: <b>{escape(result.status)}</b> · 목표 Objective: <b>{escape(result.objective)}</b> "
            f"{escape(value)}<br>한계 Bound {escape(bound)} · 격차 Gap {escape(gap)} · {result.time_s:.1f} s · "
            f"격자 grid {result.cell:g} m<br>검증 Checker: 배치 {result.solutions} layouts, "
            f"거부 rejected {result.rejected}</div>")


def table_html(result: LayoutResult) -> str:
    """One row per site with the checker's verdict and failed rules; the conflict when infeasible."""
    checks = {c.facility: c for c in result.checks}
    rows = []
    for fid in [*result.sites, *result.fixed]:
        c = checks.get(fid)
        if c is None:
            continue
        role = "배치 placed" if fid in result.sites else "고정 fixed"
        failed = ", ".join(r.rule for r in c.failed_rules)
        rows.append(f"<tr class='kz-site kz-{'pass' if c.passed else 'fail'}' data-facility='{escape(fid)}'>"
                    f"<td style='color:{VERDICT_COLOURS[c.passed]}'><b>{'✔' if c.passed else '✘'}</b></td>"
                    f"<td><b>{escape(c.name_ko)}</b><br><small>{escape(c.name_en)} · {escape(role)}</small>"
                    f"{'<br><small>' + escape(failed) + '</small>' if failed else ''}</td>"
                    f"<td>{sum(r.passed for r in c.rules)}/{len(c.rules)}</td></tr>")
    body = f"<table class='kz-rules'>{''.join(rows)}</table>" if rows else ""
    if result.explanation is not None and result.explanation.rules:
        items = "".join(f"<li class='kz-conflict'>{escape(c.message_ko)}<br><small>{escape(c.message_en)}</small></li>"
                        for c in result.explanation.rules)
        body += f"<div><b>충돌 규칙 · Rules in conflict</b><ul>{items}</ul></div>"
    note = ("<div style='margin-top:4px;color:#555'><small>모든 배치는 입지 점검기로 재검증됨 · every layout is "
            "re-checked by the siting checker; 규칙 값은 가정 · rule values are assumptions</small></div>")
    return "<h4>배치안 · Layout</h4>" + summary_html(result) + body + note


def build_layout(provider: LayerProvider, ctx: SitingContext, result: LayoutResult) -> folium.Map:
    m = new_map()
    m.get_root().title = "7대 핵심 인프라 배치안 · Layout of the core infrastructures"
    m.get_root().header.add_child(folium.Element(LAYOUT_CSS), name="kz_layout_css")
    hook = MapHook("layout")
    add_backgrounds(m)
    add_base_dongs(m, provider, hook)
    boxes: list[np.ndarray] = []
    checks = {c.facility: c for c in result.checks}
    style = SITING_STYLES["feasible_region"]
    around = result.layout_ctx or ctx  # each region with the other sites where the layout puts them
    for fid in result.sites:
        region = feasible_region(around, fid)
        if region.geometry.is_empty:
            continue
        geom = to_lonlat(region.geometry)
        name = escape(f"{TERMS['feasible_region'][0]} · {region.name_ko}")
        props = _escaped({"name": f"{region.name_ko} · {region.name_en}", "role_text": " · ".join(TERMS["feasible_region"]),
                          "area_text": fmt_m2(region.area_m2), "size_text": "", "verdict_text": "", "failed_text": ""})
        layer = folium.GeoJson(feature_collection([geom], [props]), name=name, overlay=True, show=True,
                               style_function=lambda _f, s=style: s, tooltip=_tooltip())
        layer.add_to(m)
        hook.register(f"feasible:{fid}", layer, 1)
    for fid, geom in [*result.sites.items(), *result.fixed.items()]:
        c = checks.get(fid)
        placed = fid in result.sites
        colour = VERDICT_COLOURS[c.passed] if (placed and c is not None) else FIXED_COLOUR
        w, h = result.footprints.get(fid, (None, None))
        props = {"name": f"{c.name_ko} · {c.name_en}" if c else fid,
                 "role_text": "배치 · placed" if placed else "고정 · fixed",
                 "size_text": f"{w:,.0f} × {h:,.0f} m" if w else "",
                 "area_text": fmt_m2(float(geom.area)), "verdict_text": _verdict(c.passed if c else None),
                 "failed_text": ", ".join(r.rule for r in c.failed_rules) if c else ""}
        label = escape(f"{'배치' if placed else '고정'} · {props['name']}")
        props = _escaped(props)
        s = {"color": colour, "weight": 3 if placed else 2, "fillColor": colour,
             "fillOpacity": 0.35 if placed else 0.1, **({} if placed else {"dashArray": "4 4"})}
        lonlat = to_lonlat(geom)
        layer = folium.GeoJson(feature_collection([lonlat], [props]), name=label,
                               overlay=True, show=True, style_function=lambda _f, s=s: s,
                               highlight_function=lambda _f: HIGHLIGHT, tooltip=_tooltip())
        layer.add_to(m)
        hook.register(f"site:{fid}", layer, 1)
        boxes.append(np.asarray(lonlat.bounds))
    legend = [(swatch(style["color"], style.get("fillOpacity", 0.3)), *TERMS["feasible_region"]),
              (swatch(VERDICT_COLOURS[True]), "배치 부지 (적합)", "Placed site (passes)"),
              (swatch(VERDICT_COLOURS[False]), "배치 부지 (부적합)", "Placed site (fails)"),
              (swatch(FIXED_COLOUR, 0.1, dashed=True), "고정 부지", "Fixed site")]
    HtmlControl(table_html(result), position="bottomleft", css_class="kz-box kz-layout-table").add_to(m)
    HtmlControl(legend_html("범례", "Legend", legend), position="bottomright").add_to(m)
    fit = bounds_of(boxes)
    place_list = [Place("all", "배치안", "Layout", fit)] if fit is not None else []
    return finish(m, hook, place_list, fit, padding=((440, 20), (300, 20)))


def _escaped(props: dict) -> dict:
    """Tooltips and the layer switcher insert text as HTML: every data text is escaped first."""
    return {k: escape(v) if isinstance(v, str) else v for k, v in props.items()}


def _tooltip() -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=[f for f, _ in SITE_TOOLTIP], aliases=[a for _, a in SITE_TOOLTIP],
                                 sticky=True, localize=False)


def layout_html(provider: LayerProvider, ctx: SitingContext, result: LayoutResult) -> str:
    return render_html(build_layout(provider, ctx, result))
