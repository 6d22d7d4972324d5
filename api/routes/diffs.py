"""What changed in a layer between two revisions: per feature, in total, and in the plan."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api import html
from geodata.geojson_out import feature_collection
from api.ogc import GEOJSON, reject_unknown_params, wants_html
from api.ogc_models import problem_responses
from api.problems import Problem
from api.routes.layer_writes import _layer_id
from geodata.diff_impact import RevisionDiff, revision_diff
from geodata.layer_diff import changes_frame
from zones.crs import LON_LAT

router = APIRouter(tags=["writes"])


def diff_html(result: RevisionDiff) -> Response:
    d = result.diff
    counts = [{"class": k, "features": v} for k, v in d.summary.counts.items()]
    s = d.summary
    totals = [{"property": "unchanged features", "value": s.unchanged},
              {"property": "area added (m²)", "value": s.area_added_m2},
              {"property": "area removed (m²)", "value": s.area_removed_m2},
              {"property": "net area change (m²)", "value": s.area_change_m2}]
    feats = [c.as_dict() for c in d.changes]
    rows = [dict(r.as_dict(), difference=r.difference,
                 status=f"{r.status_a} → {r.status_b}" if r.status_changed else r.status_a) for r in result.rows]
    body = (html.table(counts, ["class", "features"]) + html.table(totals, ["property", "value"])
            + "<h2>Features · 객체</h2>"
            + html.table(feats, ["id", "change", "id_before", "area_before_m2", "area_after_m2", "shift_m",
                                 "direction", "changed_attributes"])
            + "<h2>Allocation rows · 배분 행</h2>"
            + html.table(rows, ["kind", "id", "name_ko", "name_en", "unit", "a", "b", "difference", "status"])
            + "".join(f"<p>{html.escape(n)}</p>" for n in result.notes))
    return html.page(f"{d.layer}: {d.before} → {d.after}", body)


@router.get("/collections/{collection_id}/revisions/{r1}/diff/{r2}",
            responses={**problem_responses(400, 404, 410), 404: {"description": "Unknown collection or revision"},
                       410: {"description": "A revision's content was dropped by the retention limit"}},
            summary="What changed between two revisions: each feature added, removed, modified, reshaped or moved "
                    "(distance, direction), areas, and the allocation rows it changes; f=json, geojson or html")
async def diff(request: Request, collection_id: str, r1: int, r2: int,
               f: str | None = Query(None, description="json (default), geojson (changed features, lon/lat, "
                                                       "class in `change`) or html")) -> Response:
    reject_unknown_params(request, {"f"})
    if f not in (None, "json", "geojson", "html"):
        raise Problem(400, "Invalid format", f"f={f!r}: use json, geojson or html", parameter="f")
    layer = _layer_id(collection_id)
    state = request.app.state
    result = await run_in_threadpool(revision_diff, state.provider, state.plan, state.siting.rules, layer, r1, r2,
                                     impact=f != "geojson")
    if f == "geojson":
        fc = feature_collection(changes_frame(result.diff).to_crs(LON_LAT))
        fc.update({"layer": layer, "from": result.diff.before, "to": result.diff.after,
                   "summary": result.diff.summary.as_dict()})
        return JSONResponse(fc, media_type=GEOJSON)
    if wants_html(request):
        return diff_html(result)
    return JSONResponse(result.as_dict())
