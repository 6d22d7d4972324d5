"""Scenarios over the API: create, describe, edit a layer, compare, promote, delete.

Writes need a bearer token (api.auth; the history records its name). A scenario's layer is
edited with the same body as a layer write; every read endpoint answers for a scenario with
`?scenario=ID` (api.scenario_view). Promoting writes the scenario into the base as one
transaction through the same write guard as a layer write.
"""
from __future__ import annotations

import json

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api import html
from api.auth import require_writer
from api.ogc import reject_unknown_params, wants_html
from api.ogc_models import problem_responses
from api.limits import upload_json
from api.problems import Problem
from api.report_formats import XLSX_MEDIA_TYPE
from api.routes.layer_writes import CRS_PARAMETER, WRITE_RESPONSES, _guard, _layer_id
from geodata.importers import from_geojson_obj
from geodata.layer_import import ImportOptions, prepare
from geodata.plan_compare import Comparison, PlanStateCache, compare_states, comparison_csv, comparison_xlsx
from geodata.provider import LayerProvider
from zones.crs import METRIC
from geodata.scenario_ops import edit_layer, promote
from geodata.scenarios import (BASE, create_scenario, delete_scenario, describe_scenario, get_scenario,
                               list_scenarios, scenario_revisions)

router = APIRouter(tags=["scenarios"])

_TOKEN = {401: {"description": "No bearer token"}, 403: {"description": "Wrong token, or writes are disabled"}}
_UNKNOWN = {**problem_responses(400, 404), 404: {"description": "Unknown scenario (problem+json names the known ones)"}}
SCENARIO_EXAMPLE = {"id": "theme-park-north", "title": "Theme park moved north",
                    "note": "auto theme park 300 m north, clear of the data centre"}


def _provider(request: Request) -> LayerProvider:
    return request.app.state.provider


def _summary(provider: LayerProvider, scenario: str) -> dict:
    view = provider.view(scenario)
    meta = view.scenario
    layers = {layer: {"features_put": len(e.puts), "ids_removed": len(e.deletes)} for layer, e in view.edits.items()}
    return {**meta.as_dict(), "layers": layers,
            "links": [{"href": f"/scenarios/{meta.id}/compare/{BASE}", "rel": "related", "title": "compare with base"},
                      {"href": f"/allocations?scenario={meta.id}", "rel": "related", "title": "allocation report"},
                      {"href": f"/maps/compare?a={BASE}&b={meta.id}", "rel": "related", "title": "diff map"}]}


@router.get("/scenarios", responses=problem_responses(400), summary="The scenarios kept in the store (the base is `base`)")
def scenarios(request: Request) -> Response:
    reject_unknown_params(request, {"f"})
    provider = _provider(request)
    items = [_summary(provider, s.id) for s in list_scenarios(provider.path)]
    if wants_html(request):
        rows = [{"id": html.Link(f"/scenarios/{html.path_segment(s['id'])}?f=html", s["id"]), "title": s["title"],
                 "by": s["created_by"], "created": s["created_utc"], "revision": s["revision"],
                 "promoted": s["promoted_utc"] or "",
                 "compare": html.Link(f"/scenarios/{html.path_segment(s['id'])}/compare/base?f=html", "vs base")}
                for s in items]
        return html.page("Scenarios · 시나리오",
                         html.table(rows, ["id", "title", "by", "created", "revision", "promoted", "compare"]))
    return JSONResponse({"base": BASE, "scenarios": items})


@router.post("/scenarios", status_code=201, responses={**problem_responses(400), **_TOKEN,
                                                       409: {"description": "The id is taken"},
                                                       422: {"description": "Bad id or empty title"}},
             summary="Create a scenario (no edits yet: it reads as the base)")
def create(request: Request, body: dict = Body(..., examples=[SCENARIO_EXAMPLE]),
           token_name: str = Depends(require_writer)) -> dict:
    provider = _provider(request)
    for key in ("id", "title"):
        if not isinstance(body.get(key), str):
            raise Problem(422, "Invalid scenario", f"the body needs {key!r} as a string", field=key)
    meta = create_scenario(provider.path, body["id"], body["title"], str(body.get("note") or ""), token_name)
    return _summary(provider, meta.id)


@router.get("/scenarios/{scenario}", responses=_UNKNOWN, summary="One scenario: who made it, its edits, its history")
def scenario(request: Request, scenario: str) -> Response:
    reject_unknown_params(request, {"f"})
    provider = _provider(request)
    doc = {**_summary(provider, scenario),
           "revisions": [r.__dict__ for r in scenario_revisions(provider.path, scenario)]}
    if wants_html(request):
        info = [{"property": k, "value": doc[k]} for k in ("id", "title", "note", "created_by", "created_utc",
                                                            "revision", "promoted_utc", "promoted_by")]
        layers = [{"layer": k, **v} for k, v in doc["layers"].items()]
        body = (html.table(info, ["property", "value"]) + "<h2>Edits · 편집</h2>"
                + html.table(layers, ["layer", "features_put", "ids_removed"]) + "<h2>History · 이력</h2>"
                + html.table(doc["revisions"], ["revision", "created_utc", "token_name", "action", "layer", "note",
                                                "replaced", "added", "removed"])
                + "<p>" + html.a(f"/scenarios/{html.path_segment(scenario)}/compare/base?f=html", "Compare with base")
                + " · " + html.a(f"/maps/compare?a=base&b={html.path_segment(scenario)}", "Diff map") + "</p>")
        return html.page(f"Scenario {scenario}", body)
    return JSONResponse(doc)


@router.put("/scenarios/{scenario}", responses={**_TOKEN, **_UNKNOWN},
            summary="Change a scenario's title or note")
def describe(request: Request, scenario: str, body: dict = Body(..., examples=[{"note": "checked with the park office"}]),
             token_name: str = Depends(require_writer)) -> dict:
    title, note = body.get("title"), body.get("note")
    if (title is not None and not isinstance(title, str)) or (note is not None and not isinstance(note, str)):
        raise Problem(422, "Invalid scenario", "title and note must be strings")
    describe_scenario(_provider(request).path, scenario, title=title, note=note, token_name=token_name)
    return _summary(_provider(request), scenario)


@router.delete("/scenarios/{scenario}", responses={**_TOKEN, **_UNKNOWN},
               summary="Delete a scenario and its history; no base layer is touched")
def delete(request: Request, scenario: str, token_name: str = Depends(require_writer)) -> dict:
    meta = delete_scenario(_provider(request).path, scenario)
    return {"deleted": meta.id, "title": meta.title, "by": token_name}


@router.put("/scenarios/{scenario}/collections/{collection_id}/items",
            responses={**WRITE_RESPONSES, **_UNKNOWN},
            summary="Set a scenario's version of a layer (the body of a layer write; ?merge=true: only these features)")
async def edit(request: Request, scenario: str, collection_id: str,
               strict: bool = Query(False, description="refuse on any validation error"),
               crs: str | None = Query(None, description=f"CRS of the coordinates when not lon/lat, e.g. {METRIC}"),
               merge: bool = Query(False, description="lay the features over the scenario's layer (replace by id, "
                                                      "add the others) instead of replacing the layer"),
               token_name: str = Depends(require_writer)) -> dict:
    layer = _layer_id(collection_id)
    provider = _provider(request)
    get_scenario(provider.path, scenario)  # 404 before the body is read
    obj = await upload_json(request)
    opts = ImportOptions(layer=layer, crs=crs, strict=strict, token_name=token_name, **CRS_PARAMETER)
    guard = _guard(request)

    def run() -> dict:
        gdf, report, refused = prepare(from_geojson_obj(obj, "PUT body"), opts)
        if refused:
            raise Problem(422, "Edit refused", "; ".join(refused) + " (the scenario is unchanged)", report=report)
        result = edit_layer(provider, scenario, layer, gdf, merge=merge, token_name=token_name,
                            dependents=guard.dependents)
        return {**result.as_dict(), "report": report}
    return await run_in_threadpool(run)


@router.post("/scenarios/{scenario}/promote", responses={**WRITE_RESPONSES, **_UNKNOWN},
             summary="Write a scenario's edits into the base, each edited layer as a new revision, in one transaction")
def promote_route(request: Request, scenario: str, token_name: str = Depends(require_writer)) -> dict:
    provider = _provider(request)
    revisions = promote(provider, scenario, token_name=token_name, dependents=_guard(request).dependents)
    return {"scenario": scenario, "promoted": True,
            "revisions": {layer: rev.as_dict() for layer, rev in revisions.items()}}


def _compare_cache(request: Request):
    """Comparisons kept under the store's stamp: any write (to the base or a scenario) drops them."""
    state = request.app.state
    cache = getattr(state, "compare_cache", None)
    if cache is None:
        cache = state.compare_cache = state.provider.cache()
    return cache


def comparison(request: Request, a: str, b: str) -> Comparison:
    """A against B (either may be `base`), from plan states cached per version of the store."""
    return _compare_cache(request).get(("compare", a, b), lambda: _compare(request, a, b))


def _compare(request: Request, a: str, b: str) -> Comparison:
    state = request.app.state
    provider: LayerProvider = state.provider
    cache = getattr(state, "plan_states", None)
    if cache is None:
        cache = state.plan_states = PlanStateCache()
    rules = state.siting.rules
    va, vb = provider.view(a), provider.view(b)
    layers = sorted({*getattr(va, "edits", {}), *getattr(vb, "edits", {})})
    sa = cache.get(va, a, state.plan, rules, state.settings.plan_path)
    sb = cache.get(vb, b, state.plan, rules, state.settings.plan_path)
    return compare_states(sa, sb, va, vb, rules, layers)


def comparison_html(cmp: Comparison) -> Response:
    def fmt(v):
        return "–" if v is None else v

    sections = []
    for kind, title in (("target", "Plan targets · 계획 목표"), ("share", "Land-use shares · 용도 비율"),
                        ("statutory", "Statutory rows · 법정 기준"), ("siting", "Siting · 입지")):
        rows = [dict(r.as_dict(), a=fmt(r.value_a), b=fmt(r.value_b),
                     difference=fmt(r.difference), status=f"{r.status_a} → {r.status_b}" if r.status_changed
                     else r.status_a, faults="; ".join(r.faults_b) if r.faults_changed else "")
                for r in cmp.rows if r.kind == kind]
        sections.append(f"<h2>{html.escape(title)}</h2>" + html.table(
            rows, ["id", "name_ko", "name_en", "unit", "a", "b", "difference", "status", "faults"]))
    feats = [dict(c.as_dict(), layer=d.layer) for d in cmp.layers for c in d.changes]
    sections.append("<h2>Features that differ · 달라진 객체</h2>" + html.table(
        feats, ["layer", "id", "change", "area_before_m2", "area_after_m2", "shift_m", "direction",
                "changed_attributes"]))
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in cmp.notes)
    return html.page(f"{cmp.a} vs {cmp.b}", notes + "".join(sections))


@router.get("/scenarios/{a}/compare/{b}", responses=_UNKNOWN,
            summary="Two scenarios side by side (either may be `base`): plan targets, shares, statutory rows, siting, "
                    "and the features that differ; f=json, html, csv or xlsx")
def compare(request: Request, a: str, b: str,
            f: str | None = Query(None, description="json (default), html, csv or xlsx")) -> Response:
    reject_unknown_params(request, {"f"})
    if f not in (None, "json", "html", "csv", "xlsx"):
        raise Problem(400, "Invalid format", f"f={f!r}: use json, html, csv or xlsx", parameter="f")
    cmp = comparison(request, a, b)
    if f == "xlsx":
        return Response(comparison_xlsx(cmp), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="compare-{a}-{b}.xlsx"'})
    if f == "csv":
        return Response(comparison_csv(cmp), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="compare-{a}-{b}.csv"'})
    if wants_html(request):
        return comparison_html(cmp)
    body = _compare_cache(request).get(("compare-json", a, b), lambda: json.dumps(cmp.as_dict()).encode())
    return Response(body, media_type="application/json")


__all__ = ["router", "comparison"]
