"""Writing layers: replace a layer's features, upload a file, list and restore revisions.

Every write needs a bearer token (api.auth) and is one transaction in the
store (geodata.gpkg_tx): readers see the old layer or the new one, a failed
write changes nothing. Every accepted write answers with the new revision
number and the validation report; a refused one with a 422 carrying the same
report, so the GIS officer sees what to fix.
"""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.auth import require_writer
from api.deps import get_provider
from api.limits import upload_json
from api.problems import Problem
from geodata.disk_full import is_disk_full, storage_full
from geodata.importers import ImportProblem
from geodata.korean_crs import CrsProblem
from geodata.gpkg_write import WriteProblem
from geodata.layer_import import ImportOptions, ImportResult, import_file, import_geojson
from geodata.provider import LayerProvider
from geodata.revisions import PrunedRevision, UnknownRevision
from geodata.scratch import scratch_dir
from geodata.write_guard import Dependents, WriteGuard
from geodata.store import InvalidLayerId, UnknownLayer, check_layer_id
from zones.crs import METRIC

router = APIRouter(tags=["writes"])
# How a request gives the source CRS, for the import report and its messages (the CLI's --crs is the default)
CRS_PARAMETER = {"crs_from": "the request's crs parameter", "crs_hint": "?crs={code}"}
CRS_FORM_FIELD = {"crs_from": "the upload's crs field", "crs_hint": "the form field crs={code}"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

WRITE_RESPONSES = {
    200: {"description": "Stored as a new revision; the body has the revision and the validation report",
          "content": {"application/json": {"example": {
              "layer": "parcels", "revision": 3, "accepted": True,
              "report": {"feature_count": 40, "validation": {"errors": 0, "warnings": 1}},
              "summary": "IMPORTED: layer parcels is now revision 3 (40 features, ...)"}}}},
    400: {"description": "Malformed request (e.g. a broken multipart body)"},
    401: {"description": "No bearer token"},
    403: {"description": "Wrong token, or writes are disabled on this server"},
    413: {"description": "Body or file over the configured limit, or a zip that would unpack past "
                         "ZONES_MAX_UNZIPPED_MB / ZONES_MAX_ZIP_RATIO / ZONES_MAX_ZIP_MEMBERS"},
    409: {"description": "Refused: the new content lacks feature ids that plan targets or siting rules refer to "
                         "(the problem names them); store unchanged"},
    422: {"description": "Refused (no CRS, not polygons, --strict errors, unreadable file); store unchanged; "
                         "the problem carries the report"},
}


def _layer_id(collection_id: str) -> str:
    try:
        return check_layer_id(collection_id)
    except InvalidLayerId as exc:
        raise Problem(400, "Invalid collection id", str(exc)) from None


def _answer(result: ImportResult) -> dict:
    if not result.accepted:
        raise Problem(422, "Import refused", "; ".join(result.refused_because) + " (the store is unchanged)",
                      report=result.report, summary=result.summary)
    return {"layer": result.revision.layer, "revision": result.revision.revision, "accepted": True,
            "report": result.report, "summary": result.summary}


def _guard(request: Request) -> WriteGuard:
    """What a write must not break: the plan targets and siting rules this server was started with."""
    state = request.app.state
    return Dependents(tuple(state.plan), state.siting.rules).guard(state.provider)


def _run(fn, *args, **kwargs) -> ImportResult:
    try:
        return fn(*args, **kwargs)
    except (ImportProblem, CrsProblem) as exc:
        raise Problem(422, "Unreadable or unusable file", str(exc)) from None
    except WriteProblem as exc:
        raise Problem(422, "Layer not storable", f"{exc} (the store is unchanged)") from None
    except InvalidLayerId as exc:
        raise Problem(400, "Invalid collection id", str(exc)) from None


@router.put("/collections/{collection_id}/items", responses=WRITE_RESPONSES,
            summary="Replace a layer's features with a GeoJSON FeatureCollection (new revision)",
            openapi_extra={"requestBody": {"required": True, "content": {"application/geo+json": {"example": {
                "type": "FeatureCollection", "features": [{
                    "type": "Feature", "properties": {"id": "p1", "use": "support"},
                    "geometry": {"type": "Polygon", "coordinates": [[[126.69, 35.15], [126.70, 35.15],
                                                                     [126.70, 35.16], [126.69, 35.15]]]}}]}}}}})
async def replace_items(request: Request, collection_id: str,
                        strict: bool = Query(False, description="refuse on any validation error"),
                        crs: str | None = Query(None, description=f"CRS of the coordinates when not lon/lat, e.g. {METRIC}"),
                        token_name: str = Depends(require_writer)) -> dict:
    layer = _layer_id(collection_id)
    obj = await upload_json(request)
    store = request.app.state.provider.store
    opts = ImportOptions(layer=layer, crs=crs, strict=strict, token_name=token_name, guard=_guard(request),
                         **CRS_PARAMETER)
    return _answer(await run_in_threadpool(_run, import_geojson, store, obj, opts, "PUT body"))


@router.post("/collections/{collection_id}/import", responses=WRITE_RESPONSES,
             summary="Upload a zipped Shapefile, a GeoPackage or a GeoJSON file as the layer's new revision")
async def import_upload(request: Request, collection_id: str,
                        file: UploadFile = File(..., description=".zip (Shapefile), .shp, .gpkg or .geojson"),
                        crs: str | None = Form(None, description="CRS when the file has none, e.g. EPSG:5174"),
                        encoding: str | None = Form(None, description="Shapefile attribute encoding: utf-8, cp949, euc-kr"),
                        strict: bool = Form(False, description="refuse on any validation error"),
                        source_layer: str | None = Form(None, description="layer of a multi-layer GeoPackage"),
                        token_name: str = Depends(require_writer)) -> dict:
    layer = _layer_id(collection_id)
    limit = request.app.state.settings.max_upload_bytes
    name = _SAFE_NAME.sub("_", Path(file.filename or "upload").name) or "upload"
    with scratch_dir("upload") as tmp:
        path = tmp / name
        size = 0
        try:
            with open(path, "wb") as fh:
                while chunk := await file.read(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, "File too large", f"the file exceeds the limit of {limit // (1024 * 1024)} "
                                                             f"MB (ZONES_MAX_UPLOAD_MB)")
                    fh.write(chunk)
        except OSError as exc:
            if is_disk_full(exc):
                raise storage_full("the uploaded file (in the temporary folder)") from None
            raise
        store = request.app.state.provider.store
        opts = ImportOptions(layer=layer, crs=crs or None, encoding=encoding or None, strict=strict,
                             source_layer=source_layer or None, token_name=token_name,
                             zip_limits=request.app.state.settings.zip_limits, guard=_guard(request),
                             **CRS_FORM_FIELD)
        result = await run_in_threadpool(_run, import_file, store, path, opts, name)
    return _answer(result)


@router.get("/collections/{collection_id}/revisions",
            summary="Revision history of a layer (every record; `restorable` marks the ones whose content is kept)",
            responses={200: {"content": {"application/json": {"example": {
                "layer": "parcels", "keep_revisions": 50, "oldest_restorable": 1, "revisions": [
                    {"revision": 1, "created_utc": "2026-01-05T09:00:00.000000Z", "token_name": "gis-office",
                     "source_file": "parcels.zip!parcels.shp", "feature_count": 40, "checksum": "aab03f…",
                     "action": "import", "note": "", "data_pruned_utc": None, "restorable": True}]}}}},
                       404: {"description": "Unknown collection"}})
def revisions(collection_id: str, provider: LayerProvider = Depends(get_provider)) -> dict:
    try:
        layer = check_layer_id(collection_id)
    except InvalidLayerId:  # a read: a name no layer can have is simply not there
        raise UnknownLayer(collection_id, provider.layer_ids()) from None
    revs = provider.store.revisions(layer)
    if not revs and layer not in provider.layer_ids():
        raise UnknownLayer(layer, provider.layer_ids())
    restorable = [r.revision for r in revs if r.restorable]
    return {"layer": layer, "keep_revisions": provider.store.keep_revisions,
            "oldest_restorable": min(restorable) if restorable else None,
            "revisions": [r.as_dict() for r in revs]}


@router.post("/collections/{collection_id}/revisions/{revision}/restore",
             responses={**WRITE_RESPONSES, 404: {"description": "No such revision"},
                        410: {"description": "The revision's content was dropped by the retention limit "
                                             "(ZONES_KEEP_REVISIONS); the problem names the oldest restorable one"}},
             summary="Make an earlier revision current again (recorded as a new revision)")
def restore(request: Request, collection_id: str, revision: int, provider: LayerProvider = Depends(get_provider),
            token_name: str = Depends(require_writer)) -> dict:
    layer = _layer_id(collection_id)
    try:
        rev = provider.store.restore(layer, revision, token_name=token_name, guard=_guard(request))
    except UnknownRevision as exc:
        raise Problem(404, "Unknown revision", str(exc)) from None
    except PrunedRevision as exc:
        raise Problem(410, "Revision no longer restorable", str(exc), oldest_restorable=exc.oldest_restorable,
                      restorable=exc.restorable) from None
    return {"layer": layer, "revision": rev.revision, "restored": revision, "record": rev.as_dict(),
            "pruned_revisions": provider.store.pruned_by(rev)}
