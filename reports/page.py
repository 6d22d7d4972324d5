"""The allocation report as one HTML page: the tables, the findings, the statutory table and
the allocation map beside them.

The same page is served by `GET /allocations?f=html` (the live map in an iframe) and printed
to PDF (the map as a still picture: a print has no pan or zoom, and a picture prints the
same on every printer). No scripts and no external assets. Every data text is escaped.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from typing import Any

from maps.styles import STATUS_COLOURS, STATUS_LABELS
from reports.records import ALLOCATION_COLUMNS, ReportDocument, cell_text

TITLE_KO, TITLE_EN = "배분 점검 보고서", "Allocation report"
STATUTORY_COLOURS = {**STATUS_COLOURS, "no data": STATUS_COLOURS["missing"]}
STATUTORY_LABELS = {"ok": "적합", "over": "초과", "under": "미달", "no data": "자료 없음"}
_KIND = {c.key: c.kind for c in ALLOCATION_COLUMNS}

_STYLE = """
body{font:13px/1.4 "Noto Sans CJK KR","Noto Sans KR","Malgun Gothic","Apple SD Gothic Neo",sans-serif;
  margin:1rem;color:#222}
h1{font-size:1.4rem;margin:.3rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .3rem}
nav a,.downloads a{margin-right:1rem}.meta{color:#555}
.banner{border-left:5px solid #e66101;background:#fff4ea;padding:.4rem .7rem;margin:.6rem 0}
.counts span{display:inline-block;margin:.2rem .6rem .2rem 0;padding:.1rem .5rem;border-radius:3px;
  border:1px solid #bbb}
.layout{display:grid;grid-template-columns:minmax(0,1.3fr) minmax(420px,1fr);gap:1rem;align-items:start}
.map{position:sticky;top:.5rem}.map iframe{width:100%;height:88vh;border:1px solid #bbb}
.map img{width:100%;border:1px solid #bbb}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;
  white-space:nowrap}
tr.reasons td{border-top:none;color:#444;font-size:12px;background:#fafafa}
.status{font-weight:600;white-space:nowrap}.status i{display:inline-block;width:.7em;height:.7em;
  margin-right:.3em;border-radius:2px}
small{color:#555}.fault{color:#b30000;font-weight:600}.note{color:#555}
@page{size:A4 landscape;margin:10mm}
@media print{nav,.downloads{display:none}body{margin:0;font-size:10.5px}
  .layout{display:block}.map{position:static;break-before:page}.map iframe{display:none}
  tr{break-inside:avoid}h2{break-after:avoid}tr.reasons td{font-size:9.5px}}
"""


def status_cell(status: str, colours: dict[str, str], label_ko: str) -> str:
    colour = colours.get(status, "#7f7f7f")
    return (f'<td class="status" data-status="{escape(status, quote=True)}"><i style="background:{colour}"></i>'
            f"{escape(label_ko)} <small>{escape(status)}</small></td>")


def allocation_table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("<tr><th>목표 · Target</th><th class=num>계획 m²<br><small>planned</small></th>"
            "<th class=num>계획 (출처 단위)<br><small>as published</small></th>"
            "<th class=num>측정 m²<br><small>measured</small></th><th class=num>차이 m²<br><small>diff</small></th>"
            "<th class=num>차이 %<br><small>diff</small></th><th class=num>허용 ±%<br><small>tolerance</small></th>"
            "<th>판정<br><small>status</small></th><th>근거<br><small>rests on</small></th></tr>")
    body = []
    for r in rows:
        num = lambda key: f"<td class=num>{escape(cell_text(r[key], _KIND[key]))}</td>"  # noqa: E731
        rests = escape(r["provenance"]) + (" <small>(sized · 계획 면적에 맞춤)</small>" if r["sized_to_plan"] else "")
        body.append(
            f'<tr class="target" data-target="{escape(r["target_id"], quote=True)}">'
            f'<td><b>{escape(r["name_ko"])}</b> · {escape(r["name_en"])}<br><small>{escape(r["target_id"])}</small></td>'
            + num("planned_m2") + f'<td class=num>{escape(r["planned_text"].split(" (")[0])}</td>'
            + num("measured_m2") + num("diff_m2") + num("diff_pct") + f'<td class=num>±{r["tolerance_pct"]:g}</td>'
            + status_cell(r["status"], STATUS_COLOURS, STATUS_LABELS[r["status"]][0])
            + f"<td>{rests}</td></tr>"
            f'<tr class="reasons"><td colspan=9>{escape(r["reason_ko"])}<br><small>{escape(r["reason"])}</small>'
            f'<br><small>출처 source: {escape(r["source"])}</small></td></tr>')
    return f'<table class="allocation">{head}{"".join(body)}</table>'


def findings_table(findings: Sequence[dict[str, Any]]) -> str:
    if not findings:
        return "<p>발견 사항 없음 · no findings</p>"
    rows = "".join(
        f'<tr class="finding"><td>{escape(f["target_id"])}</td><td>{escape(f["kind"])}</td>'
        f'<td class="{escape(f["severity"], quote=True)}">{escape(f["severity"])}</td>'
        f'<td class=num>{escape(cell_text(f["area_m2"], "m2"))}</td>'
        f'<td>{escape(f["message_ko"])}<br><small>{escape(f["message"])}</small></td></tr>' for f in findings)
    return ("<table class=findings><tr><th>목표 · Target</th><th>종류 · Kind</th><th>심각도 · Severity</th>"
            f"<th class=num>면적 m² · Area</th><th>발견 사항 · Finding</th></tr>{rows}</table>")


def statutory_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "<p>법정 기준 없음 · no statutory rules for these complexes</p>"
    body = "".join(
        f'<tr class="statutory"><td><b>{escape(r["complex_name_ko"])}</b> · {escape(r["complex_name_en"])}</td>'
        f'<td>{escape(r["name_ko"])}<br><small>{escape(r["name_en"])}</small></td><td>{escape(r["required"])}</td>'
        f'<td class=num>{escape(_measured(r))}</td>'
        + status_cell(r["status"], STATUTORY_COLOURS, STATUTORY_LABELS.get(r["status"], r["status"]))
        + f'<td class=num>{r["parcels"]}</td><td>{escape(r["reason_ko"])}<br><small>{escape(r["reason"])}</small>'
        f'<br><small>출처 source: {escape(r["source"])}</small></td></tr>' for r in rows)
    return ("<table class=statutory><tr><th>단지 · Complex</th><th>기준 · Rule</th><th>요구 · Required</th>"
            "<th class=num>측정 · Measured</th><th>판정 · Status</th><th class=num>필지 · Parcels</th>"
            f"<th>사유 · Reason</th></tr>{body}</table>")


def _measured(row: dict[str, Any]) -> str:
    return "–" if row["measured"] is None else f"{row['measured']:.1f} {row['unit']}"


def banner_html(doc: ReportDocument) -> str:
    if doc.banner is None:
        return ""
    en, ko = doc.banner
    return f'<div class="banner schematic-banner"><b>{escape(ko)}</b><br><small>{escape(en)}</small></div>'


def counts_html(doc: ReportDocument) -> str:
    chips = "".join(
        f'<span data-status="{escape(s, quote=True)}" style="border-color:{STATUS_COLOURS[s]}">'
        f"{escape(STATUS_LABELS[s][0])} {escape(s)}: <b>{n}</b></span>" for s, n in doc.counts.items())
    return f'<div class="counts">{chips}</div>'


def map_html(map_src: str | None, map_png: bytes | None) -> str:
    title = "배분 지도 · Allocation map"
    if map_src is not None:
        return (f'<aside class="map"><iframe class="kz-report-map" src="{escape(map_src, quote=True)}" '
                f'title="{title}" loading="lazy">'
                f"</iframe></aside>")
    if map_png is not None:
        data = base64.b64encode(map_png).decode("ascii")
        return (f'<aside class="map"><h2>{title}</h2><img alt="{title}" src="data:image/png;base64,{data}">'
                "<p><small>인쇄용 정지 화면 · a still of the interactive map (GET /maps/allocation, "
                "kizone map) as it opens</small></p></aside>")
    return (f'<aside class="map"><h2>{title}</h2><p>지도는 GET /maps/allocation 또는 kizone map · the map is at '
            "GET /maps/allocation or written by kizone map</p></aside>")


def report_page(doc: ReportDocument, *, map_src: str | None = None, map_png: bytes | None = None,
                nav: Sequence[tuple[str, str]] = (), downloads: Sequence[tuple[str, str]] = (),
                generated: str = "") -> str:
    """The whole page; `nav` and `downloads` are (href, label) pairs, `map_src` the live map's address."""
    links = lambda pairs: " ".join(  # noqa: E731
        f'<a href="{escape(h, quote=True)}">{escape(label)}</a>' for h, label in pairs)
    meta = [doc.crs_note] + ([f"저장소 store: {doc.store}"] if doc.store else []) + (
        [f"작성 generated: {generated}"] if generated else [])
    tables = (f"<h2>계획 목표 · Plan targets ({len(doc.allocation)})</h2>{allocation_table(doc.allocation)}"
              f"<h2>발견 사항 · Findings ({len(doc.findings)})</h2>{findings_table(doc.findings)}"
              f"<h2>법정 기준 · Statutory checks ({len(doc.statutory)})</h2>{statutory_table(doc.statutory)}")
    return (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{TITLE_KO} · {TITLE_EN}</title>'
        f'<link rel="icon" href="data:,"><style>{_STYLE}</style></head><body>'
        + (f"<nav>{links(nav)}</nav>" if nav else "")
        + f"<h1>{TITLE_KO} · {TITLE_EN}</h1>"
        + f'<p class="meta">{" · ".join(escape(m) for m in meta)}</p>'
        + (f'<p class="downloads">내려받기 · Download: {links(downloads)}</p>' if downloads else "")
        + banner_html(doc) + counts_html(doc)
        + f'<div class="layout"><section class="tables">{tables}</section>{map_html(map_src, map_png)}</div>'
        + "</body></html>")
