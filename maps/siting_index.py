"""The list of the seven core infrastructures, each linked to its siting map.

What a planner sees before picking a facility: whether its planned site passes
(and which rules fail) and how much room the rules leave, all from
`zones.siting` (`check_planned`, `feasible_region`). A plain HTML page, no script.
"""
from __future__ import annotations

from collections.abc import Callable

from maps.controls import CONTROL_CSS
from maps.display import fmt_ha, fmt_m2
from maps.page_text import html_text
from maps.styles import VERDICT_COLOURS
from zones.siting import SitingContext, check_planned, feasible_region
from zones.units import all_units


def siting_index_html(ctx: SitingContext, link_for: Callable[[str], str], overview_href: str | None = None) -> str:
    checks = {c.facility: c for c in check_planned(ctx)}
    rows = []
    for fac in ctx.rules.facilities.values():
        region = feasible_region(ctx, fac.id)
        check = checks.get(fac.id)
        if check is None:
            verdict = "계획 부지 없음 · no planned site"
        else:
            failed = ", ".join(r.rule for r in check.failed_rules)
            verdict = (f"<b style='color:{VERDICT_COLOURS[check.passed]}'>"
                       f"{'적합 · passes' if check.passed else '부적합 · fails'}</b>"
                       + (f"<br><small>{html_text(failed)}</small>" if failed else ""))
        fits = "예 · yes" if region.fits else "아니오 · no"
        rows.append(
            f"<tr class='kz-facility-row' data-facility='{html_text(fac.id)}'>"
            f"<td><a href='{html_text(link_for(fac.id))}'>{html_text(fac.name_ko)}<br><small>{html_text(fac.name_en)}</small></a></td>"
            f"<td>{verdict}</td><td class='num'>{fmt_m2(region.area_m2)}<br><small>{fmt_ha(all_units(region.area_m2)['ha'])}</small></td>"
            f"<td>{fits}</td></tr>")
    back = f"<p><a href='{html_text(overview_href)}'>전체 지도 · Overview map</a></p>" if overview_href else ""
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>입지 점검 · Siting – kr-industrial-zones</title>{CONTROL_CSS}
<style>body {{ margin: 24px; background: #f5f7f9; }} .kz-box {{ max-width: 900px; }}
.kz-box td, .kz-box th {{ padding: 6px 10px; border-top: 1px solid #e4e4e4; }}</style></head>
<body><div class="kz-box"><h4>7대 핵심 인프라 입지 점검 · Siting of the seven core infrastructures</h4>
<table><tr><th>시설 Facility</th><th>계획 부지 Planned site</th><th class="num">입지 가능 구역 Feasible region</th>
<th>최소 규모 수용 Minimum fits</th></tr>{''.join(rows)}</table>
<p><small>규칙 값은 가정입니다 (source = assumption) · every rule value is an assumption
(geodata/siting_rules.toml)</small></p>{back}</div></body></html>
"""
