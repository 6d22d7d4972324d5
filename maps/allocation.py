"""The allocation map: each plan target drawn in the colour of its status.

The statuses, planned and measured areas all come from the allocation report
(`zones.allocation.check_allocations`); this module only draws and formats them.
Targets whose parts are plan targets too (a whole complex and its phases) are
drawn as dashed outlines so their parts stay readable underneath.
"""
from __future__ import annotations

import folium
import numpy as np

from geodata.provider import LayerProvider
from maps.controls import HtmlControl, MapHook, label_layer, swatch
from maps.data_layer import DataLayer
from maps.display import fmt_km2, fmt_m2, fmt_pct, provenance_label
from maps.frame import (add_backgrounds, add_base_dongs, bounds_of, finish, layer_label, new_map, places, set_title,
                        zone_label)
from maps.page_text import html_text
from maps.render import render_html
from maps.styles import HIGHLIGHT, STATUS_COLOURS, STATUS_LABELS, status_style
from geodata.allocation_inputs import allocation_report
from zones.allocation import SCHEMATIC_BANNER, AllocationReport, AllocationRow, target_geometry
from zones.plan import PlanTarget

ALLOCATION_TOOLTIP: list[tuple[str, str]] = [
    ("name_ko", "목표"),
    ("name_en", "Target"),
    ("status_text", "판정 Status"),
    ("planned_text", "계획 Planned"),
    ("measured_text", "측정 Measured"),
    ("diff_text", "차이 Difference"),
    ("tolerance_text", "허용 Tolerance"),
    ("provenance_text", "근거 Rests on"),
    ("reason", "설명 Reason"),
    ("reason_ko", "설명"),
    ("source", "출처 Source"),
]


def report_for(provider: LayerProvider, plan: list[PlanTarget]) -> AllocationReport:
    """The same check as GET /allocations and `kizone report`."""
    return allocation_report(provider, plan)


def planned_text(target: PlanTarget, row: AllocationRow) -> str:
    """The figure in the source's own unit, with m² beside it (from the report row)."""
    return row.planned_text or target.planned_text


def measured_text(measured_m2: float | None) -> str:
    """m² as the report gives it, km² beside it for the glance."""
    if measured_m2 is None:
        return fmt_m2(None)
    return f"{fmt_m2(measured_m2)} ({fmt_km2(measured_m2 / 1e6)})"


def row_properties(target: PlanTarget, row: AllocationRow) -> dict:
    ko, en = STATUS_LABELS[row.status]
    diff = "–" if row.diff_m2 is None else f"{row.diff_m2:+,.0f} m² ({fmt_pct(row.diff_pct)})"
    return {
        "id": row.target_id, "name_ko": row.name_ko, "name_en": row.name_en,
        "status": row.status, "composite": bool(target.parts),
        "status_text": f"{ko} · {en}", "planned_text": planned_text(target, row),
        "measured_text": measured_text(row.measured_m2), "diff_text": diff,
        "tolerance_text": f"±{row.tolerance_pct:g} %", "reason": row.reason, "reason_ko": row.reason_ko,
        "provenance_text": provenance_label(row.provenance) + (" · sized to the plan figure 계획 면적에 맞춤"
                                                             if row.sized_to_plan else ""),
        "source": row.source,
    }


def summary_html(report: AllocationReport) -> str:
    """Counts per status (the legend too) and the targets that need a look."""
    counts = report.counts()
    rows = "".join(
        f"<tr><td>{swatch(STATUS_COLOURS[s], 0.45)}{html_text(STATUS_LABELS[s][0])} "
        f"<small>{html_text(STATUS_LABELS[s][1])}</small></td><td class='num'><b>{counts[s]}</b></td></tr>"
        for s in STATUS_COLOURS)
    attention = [r for r in report.rows if r.status not in ("ok", "missing")]
    missing = [r for r in report.rows if r.status == "missing"]
    if attention:
        items = "".join(
            f"<tr><td>{swatch(STATUS_COLOURS[r.status], 0.45)}{html_text(r.name_ko)}</td>"
            f"<td class='num'>{html_text(fmt_pct(r.diff_pct))}</td></tr>" for r in attention[:8])
        more = f"<tr><td colspan=2><small>… +{len(attention) - 8}</small></td></tr>" if len(attention) > 8 else ""
        detail = f"<div style='margin-top:4px'><b>확인 필요 · Needs a look</b><table>{items}{more}</table></div>"
    else:
        measured = len(report.rows) - len(missing)
        detail = (f"<div style='margin-top:4px'>측정한 목표 모두 허용 범위 안 · "
                  f"all {measured} measured targets within tolerance</div>")
    if missing:
        names = "".join(f"<tr><td>{swatch(STATUS_COLOURS['missing'], 0.45)}{html_text(r.name_ko)}</td></tr>"
                        for r in missing[:8])
        detail += f"<div style='margin-top:4px'><b>그리지 않음 · Not drawn</b><table>{names}</table></div>"
    composite = (f"<div style='margin-top:4px'><small>{swatch('#555555', 0.0, dashed=True)}"
                 f"점선: 하위 구역을 포함하는 전체 · dashed: a whole made of parts</small></div>")
    return (f"<h4>배분 점검 · Allocation check</h4><table><tr><th>판정 Status</th>"
            f"<th class='num'>목표 Targets</th></tr>{rows}</table>{detail}{composite}")


def schematic_banner_html() -> str:
    """The warning a reader sees first: these outlines are drawn, not surveyed."""
    en, ko = SCHEMATIC_BANNER
    return (f"<div class='schematic-banner' style='max-width:420px;border-left:4px solid #e66101;"
            f"padding-left:6px'><b>{html_text(ko)}</b><br><small>{html_text(en)}</small></div>")


def build_allocation(provider: LayerProvider, plan: list[PlanTarget],
                     report: AllocationReport | None = None) -> folium.Map:
    report = report or report_for(provider, plan)
    targets = {t.id: t for t in plan}
    present = provider.layer_ids()
    m = new_map()
    set_title(m, "배분 점검 · Allocation check")
    hook = MapHook("allocation")
    add_backgrounds(m)
    add_base_dongs(m, provider, hook)
    wgs84 = {}
    for lid in present:
        gdf = provider.layer(lid).wgs84
        wgs84[lid] = dict(zip(gdf["id"], gdf.geometry))
    boxes = []
    labels = []
    layer_order = [lid for lid in present if any(r.layer == lid for r in report.rows)]
    for layer_id in layer_order:
        rows = [r for r in report.rows if r.layer == layer_id and r.status != "missing"]
        # Largest first, so smaller targets are drawn on top and stay hoverable.
        rows.sort(key=lambda r: -r.planned_m2)
        geoms, props = [], []
        for row in rows:
            target = targets[row.target_id]
            geom, _missing = target_geometry(target, wgs84)  # display outline only: no area taken here
            if geom is None or geom.is_empty:
                continue
            geoms.append(geom)
            props.append(row_properties(target, row))
            boxes.append(geom.bounds)
            labels.append(zone_label(row.name_ko, row.name_en, row.measured_m2 / 1e6, geom))
        if not geoms:
            continue
        info = provider.layer(layer_id).info
        title = f"{info.title_ko} · {info.title_en}" if info else layer_id
        layer = DataLayer(geoms, props, layer_label(f"{title} (목표 {len(geoms)} targets)"),
                          lambda p: status_style(p["status"], p["composite"]), ALLOCATION_TOOLTIP,
                          highlight=HIGHLIGHT)
        layer.add_to(m)
        hook.register(layer_id, layer, len(geoms))
    label_layer(labels).add_to(m)
    HtmlControl(summary_html(report), position="bottomright").add_to(m)
    if report.any_schematic:
        HtmlControl(schematic_banner_html(), position="topleft").add_to(m)
    return finish(m, hook, places(provider), bounds_of([np.asarray(b) for b in boxes]),
                  subtitle="계획 대비 측정 면적 · measured against the plan")


def allocation_html(provider: LayerProvider, plan: list[PlanTarget],
                    report: AllocationReport | None = None) -> str:
    return render_html(build_allocation(provider, plan, report))
