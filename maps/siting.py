"""The siting map: where one core infrastructure can go, and whether its planned site works.

Everything measured comes from `zones.siting`: the feasible region and each rule's
geometry (setback band, clearance buffer, adjacency reach, other planned sites) from
`feasible_region`, the pass/fail of each rule for the planned site, with its ko/en
message, from `evaluate_one`, and the planned site's area from the provider's columns.
Their Korean and English names come from `zones.siting.labels` and the rule kinds'
records. This module only reprojects those geometries to lon/lat for Leaflet, styles
them and lays out the table; it never measures an area or decides a rule.
"""
from __future__ import annotations

from collections.abc import Callable

import folium
import numpy as np
from shapely.geometry.base import BaseGeometry

from geodata.provider import LayerProvider
from maps.controls import HtmlControl, MapHook, Place, legend_html, swatch
from maps.data_layer import DataLayer
from maps.display import fmt_ha, fmt_km2, fmt_m2, fmt_pyeong
from maps.frame import (AREA_SOURCE_ROWS, NAME_ROWS, add_backgrounds, add_base_dongs, area_labels, bounds_of, finish, layer_label, new_map,
                        set_title, zone_properties)
from maps.page_text import html_text
from maps.render import render_html
from maps.styles import HIGHLIGHT, SITING_STYLES, VERDICT_COLOURS
from zones.crs import LON_LAT, METRIC, reproject
from zones.siting import FeasibleRegion, SiteCheck, SitingContext, evaluate_one, feasible_region, kind_of
from zones.siting.feasible import Constraint
from zones.siting.labels import ROLES, TERMS, term
from zones.units import all_units

# Where a facility selector points: facility id -> href of that facility's map.
LinkFor = Callable[[str], str]

# Room for the rule table (bottom left) and the switcher and legend (right) when fitting.
FIT_PADDING = ((400, 20), (300, 20))

# Drawn bottom to top: wide context first (the order of zones.siting.labels.ROLES), the answer
# (feasible region) and the site last.
ROLE_ORDER = ROLES

CONSTRAINT_TOOLTIP: list[tuple[str, str]] = [
    ("role_text", "구분 Layer"),
    ("rule", "규칙 Rule"),
    ("kind_text", "종류 Kind"),
    ("threshold_text", "기준 Threshold"),
    ("result_text", "계획 부지 Planned site"),
    ("source", "출처 Source"),
]
FEASIBLE_TOOLTIP: list[tuple[str, str]] = [
    ("role_text", "구분 Layer"),
    ("area_m2_text", "면적 Area"),
    ("area_km2_text", "제곱킬로미터 km²"),
    ("area_ha_text", "헥타르 ha"),
    ("area_pyeong_text", "평 pyeong"),
    ("parts_text", "조각 Parts"),
    ("width_text", "최대 폭 Largest width"),
    ("fits_text", "최소 규모 수용 Minimum fits"),
]
PLANNED_TOOLTIP: list[tuple[str, str]] = NAME_ROWS + [("verdict_text", "판정 Verdict")] + AREA_SOURCE_ROWS


def file_link(facility: str) -> str:
    """Where `kizone map` writes a facility's siting map, relative to the other maps."""
    return f"siting-{facility}.html"


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """`METRIC` -> lon/lat, for drawing only."""
    return reproject(geom, METRIC, LON_LAT)


def _verdict(passed: bool) -> tuple[str, str]:
    return ("적합", "passes") if passed else ("부적합", "fails")


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} {unit}" if unit == "m²" else f"{value:,.1f} {unit}"


def role_label(role: str) -> str:
    return term(role)


def _is_zone(c: Constraint) -> bool:
    return c.role == "allowed_zone"


def constraint_label(c: Constraint) -> tuple[str, str]:
    """(Korean, English) name of what a constraint geometry is, from its kind's term: an allowed
    zone also says whether it is a plan zone or legal dongs, as a reader must tell them apart."""
    return TERMS[c.term]


def constraint_style(c: Constraint) -> dict:
    return SITING_STYLES[c.term]


def layer_name(c: Constraint) -> str:
    ko, en = constraint_label(c)
    return f"{ko} · {en} ({c.rule})"


def legend_entry(c: Constraint, name_ko: str, name_en: str) -> tuple[str, str, str]:
    """A constraint's legend row; an allowed zone also says which zone or dongs it is."""
    ko, en = constraint_label(c)
    if _is_zone(c) and (name_ko or name_en):
        ko, en = f"{ko}: {name_ko or name_en}", f"{en}: {name_en or name_ko}"
    return _style_swatch(constraint_style(c)), ko, f"{en} ({c.rule})"


def constraint_properties(c: Constraint, check: SiteCheck | None, source: str, threshold: str) -> dict:
    result = next((r for r in check.rules if r.rule == c.rule), None) if check else None
    result_text = "–" if result is None else (
        f"{'통과' if result.passed else '위반'} · {'pass' if result.passed else 'FAIL'}: "
        f"{result.message_ko} / {result.message_en}")
    kind = kind_of(c.kind)
    ko, en = kind.label_ko, kind.label_en
    return {"id": f"{c.role}:{c.rule}", "role": c.role, "role_text": " · ".join(constraint_label(c)), "rule": c.rule,
            "kind_text": f"{ko} · {en}", "threshold_text": threshold, "result_text": result_text,
            "source": source}


def feasible_properties(region: FeasibleRegion) -> dict:
    units = all_units(region.area_m2)
    needs = []
    if region.min_area_m2 is not None:
        needs.append(f"≥ {fmt_m2(region.min_area_m2)}")
    if region.min_width_m is not None:
        needs.append(f"폭 width ≥ {region.min_width_m:,.0f} m")
    fits = ("예 · yes" if region.fits else "아니오 · no") + (f" ({', '.join(needs)})" if needs else "")
    return {"id": "feasible_region", "role": "feasible_region", "role_text": role_label("feasible_region"),
            "area_m2_text": fmt_m2(units["m2"]), "area_km2_text": fmt_km2(units["km2"]),
            "area_ha_text": fmt_ha(units["ha"]),
            "area_pyeong_text": fmt_pyeong(units["pyeong"]), "parts_text": f"{region.parts}",
            "width_text": f"{region.largest_width_m:,.1f} m", "fits_text": fits}


def rules_table_html(name_ko: str, name_en: str, check: SiteCheck | None, region: FeasibleRegion) -> str:
    """The planned site's result per rule (messages from the siting evaluation) and the feasible area."""
    head = f"<h4>{html_text(name_ko)}<br><small>{html_text(name_en)}</small></h4>"
    if check is None:
        body = "<div>계획 부지 없음 · no planned site in the store</div>"
    else:
        ko, en = _verdict(check.passed)
        colour = VERDICT_COLOURS[check.passed]
        rows = "".join(
            f"<tr class='kz-rule kz-{'pass' if r.passed else 'fail'}' data-rule='{html_text(r.rule)}'>"
            f"<td style='color:{VERDICT_COLOURS[r.passed]}'><b>{'✔' if r.passed else '✘'}</b></td>"
            f"<td><b>{html_text(r.rule)}</b><br>{html_text(r.message_ko)}<br><small>{html_text(r.message_en)}</small></td></tr>"
            for r in check.rules)
        body = (f"<div>계획 부지 · Planned site: <b style='color:{colour}'>{ko} · {en}</b> "
                f"({sum(r.passed for r in check.rules)}/{len(check.rules)})</div>"
                f"<table class='kz-rules'>{rows}</table>")
    units = all_units(region.area_m2)
    fits = "최소 규모 수용 가능 · the minimum fits" if region.fits else "최소 규모 수용 불가 · the minimum does not fit"
    area = (f"<div style='margin-top:4px'>입지 가능 구역 · Feasible region: <b>{fmt_m2(units['m2'])}</b> "
            f"({fmt_ha(units['ha'])}, {fmt_pyeong(units['pyeong'])}), {region.parts} 조각 parts; {fits}</div>")
    note = ("<div style='margin-top:4px;color:#555'><small>규칙 값은 가정입니다 (source = assumption) · "
            "every rule value is an assumption</small></div>")
    return head + body + area + note


def selector_html(facilities: list[tuple[str, str, str]], current: str | None, link_for: LinkFor,
                  index_href: str | None) -> str:
    """A drop-down of the seven facilities; choosing one opens its map."""
    options = "".join(
        f"<option value='{html_text(link_for(fid))}'{' selected' if fid == current else ''}>"
        f"{html_text(ko)} · {html_text(en)}</option>" for fid, ko, en in facilities)
    index = f" <a href='{html_text(index_href)}'>목록 · list</a>" if index_href else ""
    return ("<b>입지 점검 · Siting</b>" + index +
            "<br><select class='kz-facility' onchange='if (this.value) location.href = this.value' "
            "style='max-width:270px;font:inherit'>" + options + "</select>")


def build_siting(provider: LayerProvider, ctx: SitingContext, facility: str, link_for: LinkFor = file_link,
                 index_href: str | None = None) -> folium.Map:
    """The map of one facility; UnknownFacility for an id the rules do not know."""
    fac = ctx.rules.facility(facility)
    region = feasible_region(ctx, facility)
    planned = ctx.planned.get(facility)
    check = evaluate_one(ctx, facility, planned) if planned is not None else None
    m = new_map()
    set_title(m, f"{fac.name_ko} · {fac.name_en} – 입지 점검 Siting")
    m.get_root().header.add_child(folium.Element(SITING_CSS), name="kz_siting_css")
    hook = MapHook("siting")
    add_backgrounds(m)
    add_base_dongs(m, provider, hook)
    boxes: list[np.ndarray] = []
    legend: list[tuple[str, str, str]] = []
    rules = {r.id: r for r in fac.rules}
    bound = {b.rule.id: b for b in ctx.facility_rules(facility)}
    constraints = sorted(region.constraints, key=lambda c: ROLE_ORDER.index(c.role))
    for c in constraints:
        geom = to_lonlat(c.geometry)
        if geom.is_empty:
            continue
        rule = rules[c.rule]
        props = constraint_properties(c, check, rule.source + (f" ({rule.basis})" if rule.basis else ""),
                                      _num(rule.threshold, rule.unit))
        style = constraint_style(c)
        layer = DataLayer([geom], [props], layer_label(layer_name(c)), style,
                          CONSTRAINT_TOOLTIP, highlight=HIGHLIGHT)
        layer.add_to(m)
        hook.register(f"{c.role}:{c.rule}", layer, 1)
        legend.append(legend_entry(c, bound[c.rule].name_ko, bound[c.rule].name_en))
        boxes.append(np.asarray(geom.bounds))
    if not region.geometry.is_empty:
        geom = to_lonlat(region.geometry)
        layer = DataLayer([geom], [feasible_properties(region)],
                          layer_label(f"{role_label('feasible_region')} ({fmt_ha(all_units(region.area_m2)['ha'])})"),
                          SITING_STYLES["feasible_region"], FEASIBLE_TOOLTIP, highlight=HIGHLIGHT)
        layer.add_to(m)
        hook.register("feasible_region", layer, 1)
        boxes.append(np.asarray(geom.bounds))
    legend.append((_swatch("feasible_region"), TERMS["feasible_region"][0],
                   TERMS["feasible_region"][1] + ("" if not region.geometry.is_empty else " (none)")))
    if planned is not None:
        gdf = provider.layer(ctx.rules.facilities_layer).wgs84
        rows = gdf[gdf["id"] == facility]
        props = zone_properties(rows)[0]
        props.update(area_labels(rows.iloc[0]))
        ko, en = _verdict(check.passed)
        props.update({"role": "planned_site", "passed": check.passed, "verdict_text": f"{ko} · {en}"})
        style = {**SITING_STYLES["planned_site"], "color": VERDICT_COLOURS[check.passed]}
        layer = DataLayer(rows.geometry.values, [props],
                          layer_label(f"{role_label('planned_site')}: {ko} · {en}"), style, PLANNED_TOOLTIP,
                          highlight=HIGHLIGHT)
        layer.add_to(m)
        hook.register("planned_site", layer, 1)
        legend.append((swatch(style["color"], 0.1), TERMS["planned_site"][0], f"{TERMS['planned_site'][1]} ({en})"))
        boxes.append(rows.total_bounds)
    choices = [(f.id, f.name_ko, f.name_en) for f in ctx.rules.facilities.values()]
    HtmlControl(selector_html(choices, facility, link_for, index_href), position="topleft").add_to(m)
    HtmlControl(rules_table_html(fac.name_ko, fac.name_en, check, region), position="bottomleft",
                css_class="kz-box kz-siting-table").add_to(m)
    HtmlControl(legend_html("범례", "Legend", legend), position="bottomright").add_to(m)
    fit = bounds_of(boxes)
    place_list = [Place("site", "계획 부지", "Planned site", bounds_of([rows.total_bounds]))] if planned is not None else []
    if fit is not None:
        place_list.append(Place("all", "전체", "All rule layers", fit))
    return finish(m, hook, place_list, fit, padding=FIT_PADDING)


def _swatch(role: str) -> str:
    return _style_swatch(SITING_STYLES[role])


def _style_swatch(s: dict) -> str:
    return swatch(s["color"], s.get("fillOpacity", 0.3), dashed="dashArray" in s)


def siting_html(provider: LayerProvider, ctx: SitingContext, facility: str, link_for: LinkFor = file_link,
                index_href: str | None = None) -> str:
    return render_html(build_siting(provider, ctx, facility, link_for, index_href))


# The rule table takes the height the place buttons and the scale bar leave (about 600 px on a
# 1400×900 screen: the whole table of every facility), scrolls beyond that, and shows a shadow
# at an edge with more rows behind it (CSS only: background-attachment local vs scroll).
SITING_CSS = """
<style>
.kz-siting-table { width: 430px; max-width: calc(100vw - 360px); max-height: calc(100vh - 290px);
  overflow-y: auto; overscroll-behavior: contain; font-size: 11.5px; line-height: 1.3;
  background: linear-gradient(#fff 30%, rgba(255,255,255,0)) top / 100% 24px no-repeat local,
    linear-gradient(rgba(255,255,255,0), #fff 70%) bottom / 100% 24px no-repeat local,
    radial-gradient(farthest-side at 50% 0, rgba(0,0,0,.22), rgba(0,0,0,0)) top / 100% 8px no-repeat scroll,
    radial-gradient(farthest-side at 50% 100%, rgba(0,0,0,.22), rgba(0,0,0,0)) bottom / 100% 8px no-repeat scroll,
    rgba(255,255,255,0.96); }
.kz-siting-table h4 { margin-bottom: 2px; }
.kz-siting-table td { border-top: 1px solid #e4e4e4; padding: 1px 4px; }
.kz-siting-table small { font-size: 10.5px; color: #444; }
</style>
"""
