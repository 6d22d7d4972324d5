"""The checks over the cadastral parcel dataset (`kizone import-parcels`): shares by 시군구 or complex
with the statutory ratios, the parcels of each plan target's zone, the PNU cross-check.

Served from the GeoParquet dataset beside the store when it exists (404 problem when it does not);
the numbers are those of `kizone parcels shares|zones|crosscheck` (the same documents). Computed in
this process, or on the Dask cluster at $ZONES_DASK_SCHEDULER when that is set. The Dask and
GeoParquet modules are imported on the first request, not when the server starts.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import nullcontext
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import get_plan, get_provider
from api.html import a, page
from api.html import table as html_table
from api.ogc import JSON, reject_unknown_params, wants_html
from api.ogc_models import problem_responses
from api.problems import Problem
from geodata.cadastre.dataset import dataset_root
from geodata.provider import LayerProvider
from geodata.zone_parcels import UnknownZone
from zones.plan import PlanTarget

router = APIRouter(tags=["parcels"])
FORMATS = ("json", "html", "csv")
CSV_TYPE = "text/csv; charset=utf-8"
HTML_ROWS = 1000  # a page shows this many rows of a table; the CSV and JSON hold them all
CONTENT = {"text/html": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}
TITLES = {"shares": "Parcel land use · 필지 토지이용", "zones": "Parcels of the plan's zones · 계획 구역의 필지",
          "crosscheck": "PNU dong cross-check · PNU 법정동 대조"}


def _compute(build: Callable[[Any], dict]) -> dict:
    """`build(client)` on the cluster at $ZONES_DASK_SCHEDULER, or in this process (client None)."""
    from geodata.cadastre.engine import SCHEDULER_ENV, dask_client

    address = os.environ.get(SCHEDULER_ENV)
    with (dask_client(address) if address else nullcontext(None)) as client:
        return build(client)


def _answer(request: Request, kind: str, doc: dict, f: str | None, table: str | None) -> Response:
    from geodata.cadastre.documents import TABLES, columns, document_csv, flat

    if f is not None and f not in FORMATS:
        raise Problem(400, "Unknown format", f"f={f!r}: use one of {', '.join(FORMATS)}", parameter="f")
    name = f or ("html" if wants_html(request) else "json")
    tables = [t for t in TABLES[kind] if t in doc]
    if table is not None and (name != "csv" or table not in tables):
        raise Problem(400, "Invalid table", f"table={table!r}: with f=csv, use one of {', '.join(tables)} "
                      "(JSON and HTML hold every table)", parameter="table")
    if name == "csv":
        table = table or tables[0]
        return Response("\ufeff" + document_csv(doc, table), media_type=CSV_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="parcels-{kind}-{table}.csv"'})
    if name == "json":
        from fastapi.responses import JSONResponse

        return JSONResponse(doc, media_type=JSON)
    params = {k: v for k, v in request.query_params.items() if k not in ("f", "table")}
    body = f"<p>{escape(doc['method'])}</p><p>" + " · ".join(
        [a(f"{request.url.path}?{urlencode({**params, 'f': 'json'})}", "JSON")]
        + [a(f"{request.url.path}?{urlencode({**params, 'f': 'csv', 'table': t})}", f"CSV: {t}") for t in tables]) + "</p>"
    for t in tables:
        rows = doc[t]
        body += f"<h2>{escape(t)}</h2>" + html_table([flat(r) for r in rows[:HTML_ROWS]], columns(doc, t))
        if len(rows) > HTML_ROWS:
            body += (f"<p>{len(rows) - HTML_ROWS:,} more rows: "
                     + a(f"{request.url.path}?{urlencode({**params, 'f': 'csv', 'table': t})}", f"CSV: {t}") + "</p>")
    return page(TITLES[kind], body)


@router.get("/parcels/shares", responses={**problem_responses(400, 404), 200: {"content": CONTENT}},
            summary="Land use (from the 지목) by 시군구, or by complex with the statutory ratios, over the parcel dataset",
            description="Planar areas of the cadastral parcels imported with `kizone import-parcels`, by 시군구 "
                        "(`by=sigungu`) or by complex of geodata/statutory.toml (`by=complex`: a parcel belongs to "
                        "the complex holding its inner point; the statutory rows are in `statutory`). The numbers of "
                        "`kizone parcels shares`. `f=json|html|csv`, `table=rows|statutory` for the CSV.")
def parcel_shares(request: Request, by: str = Query("sigungu", description="sigungu or complex"),
                  f: str | None = Query(None, description="json (default), html or csv"),
                  table: str | None = Query(None, description="the CSV's table: rows (default) or statutory"),
                  provider: LayerProvider = Depends(get_provider), plan: list[PlanTarget] = Depends(get_plan)) -> Response:
    from geodata.cadastre.documents import SHARES_BY, shares_document

    reject_unknown_params(request, {"by", "f", "table"})
    if by not in SHARES_BY:
        raise Problem(400, "Invalid parameter", f"by={by!r}: use one of {', '.join(SHARES_BY)}", parameter="by")
    root = dataset_root(request.app.state.settings.store_path)
    return _answer(request, "shares", _compute(lambda c: shares_document(root, by, provider, plan, c)), f, table)


@router.get("/parcels/zones", responses={**problem_responses(400, 404), 200: {"content": CONTENT}},
            summary="The parcels of each plan target's zone with the exact area of each inside it",
            description="Over the parcel dataset: parcels wholly inside a zone count whole, parcels crossing its "
                        "boundary with the exact planar area of their part inside (the kernel of "
                        "`/collections/{id}/zone-summary`). `target` (comma-separated ids) picks plan "
                        "targets; default every target with a zone. The numbers of `kizone parcels zones`. "
                        "`table=parcels|zones|missing` for the CSV.")
def parcel_zones(request: Request, target: str | None = Query(None, description="plan target ids, comma-separated, "
                                                                                 "e.g. fez_ai,bitgreen_total"),
                 f: str | None = Query(None, description="json (default), html or csv"),
                 table: str | None = Query(None, description="the CSV's table: parcels (default), zones or missing"),
                 provider: LayerProvider = Depends(get_provider), plan: list[PlanTarget] = Depends(get_plan)) -> Response:
    from geodata.cadastre.documents import zones_document

    reject_unknown_params(request, {"target", "f", "table"})
    ids = [i for i in (target or "").split(",") if i]
    root = dataset_root(request.app.state.settings.store_path)
    try:
        doc = _compute(lambda c: zones_document(root, provider, plan, ids, c))
    except UnknownZone as exc:
        raise Problem(400, "Invalid target", exc.detail, parameter="target") from None
    return _answer(request, "zones", doc, f, table)


@router.get("/parcels/crosscheck", responses={**problem_responses(400, 404), 200: {"content": CONTENT}},
            summary="Parcels lying outside the legal dong their PNU names",
            description="Each parcel's representative point against the legal-dong polygons; the numbers of "
                        "`kizone parcels crosscheck`.")
def parcel_crosscheck(request: Request, f: str | None = Query(None, description="json (default), html or csv"),
                      table: str | None = Query(None, description="the CSV's table: disagreements")) -> Response:
    from geodata.cadastre.documents import crosscheck_document

    reject_unknown_params(request, {"f", "table"})
    root = dataset_root(request.app.state.settings.store_path)
    return _answer(request, "crosscheck", _compute(lambda c: crosscheck_document(root, c)), f, table)
