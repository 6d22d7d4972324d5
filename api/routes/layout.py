"""Layout jobs: place the core infrastructures at once, in the background, and follow the search.

`POST /siting/layout` poses the problem and starts the search in a worker thread. A search of
at most `SYNC_SECONDS` is waited for and answered at once (200); a longer one answers 202 with
the job id straight away. `GET /siting/layout/{job}` gives the progress (best layout the checker
passed, bound, gap, layouts found and rejected) and, when the search has ended, the result: the
sites as GeoJSON (lon/lat) with the checker's verdicts, or the conflicting rules.
`DELETE /siting/layout/{job}` stops the search; the best layout found so far stays readable.
`/maps/layout?job=…` draws the result.

The number of searches running at once (ZONES_LAYOUT_JOBS, default 2: the solver uses two
threads each) and the time a search may take (ZONES_LAYOUT_MAX_SECONDS, default 300) are
bounded; a finished job is kept until `KEEP_FINISHED` newer ones have finished. Jobs live in
the server process that started them (`make serve` runs one).
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from geodata import env_settings
from geodata.layout_settings import layout_problem, load_settings

from geodata.geojson_in import load_json
from geodata.geojson_out import lonlat_geometry
from geodata.site_candidates import parse_body, parse_crs
from geodata.siting_rules import SitingService
from zones.crs import METRIC
from zones.errors import GeoInputFault, ZonesError
from zones.siting.layout.problem import DEFAULT_CELL_M, MAX_CELL_M, MIN_CELL_M, OBJECTIVES, LayoutInputError
from zones.siting.layout.report import progress_dict, result_dict

router = APIRouter(tags=["siting"])
map_router = APIRouter(tags=["maps"])  # its own router: one tag, so the docs list the map once
SYNC_SECONDS = 2.0
KEEP_FINISHED = 32

EXAMPLE = {"objective": "compact", "time_limit_s": 10, "grid_m": 5, "fix": {"certification_center": "planned"}}
# The body as the OpenAPI document states it; `_request` checks it (and what a schema cannot say:
# the time limit against ZONES_LAYOUT_MAX_SECONDS, the fixed sites' geometries).
REQUEST_SCHEMA = {
    "type": "object", "required": ["time_limit_s"], "additionalProperties": False,
    "properties": {
        "objective": {"type": "string", "enum": list(OBJECTIVES), "default": "compact"},
        "time_limit_s": {"type": "number", "exclusiveMinimum": 0,
                         "description": "seconds the search may take (at most ZONES_LAYOUT_MAX_SECONDS)"},
        "grid_m": {"type": "number", "minimum": MIN_CELL_M, "maximum": MAX_CELL_M, "default": DEFAULT_CELL_M},
        "facilities": {"type": "array", "items": {"type": "string"}},
        "fix": {"type": "object", "additionalProperties": {
            "oneOf": [{"type": "string", "enum": ["planned"]}, {"type": "object"}]}},
        "crs": {"type": ["string", "null"]},  # null: lon/lat, as when absent
    },
}


@dataclass
class Job:
    id: str
    request: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)
    status: str = "running"  # running | done | cancelled | failed
    progress: Any = None
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    thread: threading.Thread | None = None


class LayoutJobs:
    """The server's layout searches: a bounded number running, the finished ones kept for a while."""

    def __init__(self, max_running: int, max_seconds: float):
        self.max_running = max_running
        self.max_seconds = max_seconds
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def running(self) -> int:
        return sum(j.status == "running" for j in self.jobs.values())

    def start(self, request: dict[str, Any], work) -> Job:
        with self.lock:
            if self.running() >= self.max_running:
                raise Problem(429, "Too many layout searches",
                              f"{self.max_running} layout searches are running (ZONES_LAYOUT_JOBS); "
                              "wait for one to end or cancel one", headers={"Retry-After": "5"})
            job = Job(id=uuid.uuid4().hex[:12], request=request)
            self.jobs[job.id] = job
            self._forget_old()
        job.thread = threading.Thread(target=self._run, args=(job, work), name=f"layout-{job.id}", daemon=True)
        job.thread.start()
        return job

    def _run(self, job: Job, work) -> None:
        try:
            result = work(job)
            job.result = result
            job.status = "cancelled" if job.stop.is_set() else "done"
        except ZonesError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # a search that breaks is reported on its job, not lost in a thread
            job.error, job.status = f"{type(exc).__name__}: {exc}", "failed"
        finally:
            job.ended = time.time()

    def _forget_old(self) -> None:
        done = sorted((j for j in self.jobs.values() if j.status != "running"), key=lambda j: j.ended or 0)
        for j in done[:max(0, len(done) - KEEP_FINISHED)]:
            del self.jobs[j.id]

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise Problem(404, "Unknown layout job", f"no layout job {job_id!r} on this server "
                          "(jobs live in the server process that started them, finished ones for a while)")
        return job


def install(app: FastAPI) -> None:
    """Serve the layout routes; the bounds are read now, so a bad value stops the start-up."""
    app.state.layout_jobs = LayoutJobs(env_settings.whole_number("ZONES_LAYOUT_JOBS", 2, "searches"),
                                       env_settings.positive_number("ZONES_LAYOUT_MAX_SECONDS", 300.0,
                                                                    "a number of seconds"))
    load_settings()  # a bad settings file stops the start, naming the entry
    app.include_router(router)
    app.include_router(map_router)


def _jobs(request: Request) -> LayoutJobs:
    return request.app.state.layout_jobs


def _request(body: Any, jobs: LayoutJobs, service: SitingService) -> dict[str, Any]:
    """The request's parts, checked: what a job needs to pose the problem."""
    if not isinstance(body, dict):
        raise Problem(422, "Invalid layout request", "the body must be a JSON object")
    unknown = sorted(set(body) - {"objective", "time_limit_s", "facilities", "fix", "crs", "grid_m"})
    if unknown:
        raise Problem(422, "Invalid layout request", f"unknown member {unknown[0]!r}; expected objective, "
                      "time_limit_s, facilities, fix, crs, grid_m")
    objective = body.get("objective", "compact")
    if objective not in OBJECTIVES:
        raise Problem(422, "Invalid layout request", f"objective must be one of {', '.join(OBJECTIVES)}",
                      known=list(OBJECTIVES))
    if "time_limit_s" not in body:
        raise Problem(422, "Invalid layout request", "time_limit_s is required: say how long the search may take "
                      f"(seconds, at most {jobs.max_seconds:g})")
    limit = body["time_limit_s"]
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit <= jobs.max_seconds:
        raise Problem(422, "Invalid layout request",
                      f"time_limit_s must be a number of seconds > 0 and ≤ {jobs.max_seconds:g} (ZONES_LAYOUT_MAX_SECONDS)")
    grid = body.get("grid_m", DEFAULT_CELL_M)
    if isinstance(grid, bool) or not isinstance(grid, (int, float)):
        raise Problem(422, "Invalid layout request", "grid_m must be a number of metres")
    facilities = body.get("facilities")
    if facilities is not None and not (isinstance(facilities, list) and all(isinstance(f, str) for f in facilities)):
        raise Problem(422, "Invalid layout request", "facilities must be a list of facility ids")
    fix = body.get("fix", {})
    if not isinstance(fix, dict):
        raise Problem(422, "Invalid layout request", 'fix must map facility ids to "planned" or a GeoJSON geometry')
    if "crs" in body:  # judged even when no fixed site uses it: a malformed crs is refused, not ignored
        try:
            parse_crs(body["crs"])
        except GeoInputFault as exc:
            raise LayoutInputError(f"crs: {exc.detail}", code=exc.code) from None
    fixed: dict[str, Any] = {}
    for fid, site in fix.items():
        if site == "planned":
            fixed[fid] = "planned"
            continue
        try:
            candidates, _ = parse_body({"facility": fid, "geometry": site, **({"crs": body["crs"]} if "crs" in body else {})})
        except GeoInputFault as exc:
            raise LayoutInputError(f"fix {fid}: {exc.detail}", code=exc.code, facility=fid) from None
        fixed[fid] = candidates[0].geometry
    return {"objective": objective, "time_limit_s": float(limit), "grid_m": float(grid),
            "facilities": facilities, "fixed": fixed}


@router.post("/siting/layout", summary="Place the core infrastructures at once (a layout job)",
             status_code=202, responses={200: {"description": "A short search (≤ 2 s), answered with its result"},
                                         202: {"description": "The job started; follow it at Location"},
                                         404: {"description": "Unknown facility"},
                                         422: {"description": "Bad request, or a problem that cannot be posed"},
                                         429: {"description": "Too many layout searches running"}},
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/json": {
                                                "schema": REQUEST_SCHEMA, "example": EXAMPLE}}}})
async def start_layout(request: Request) -> JSONResponse:
    """Body: `time_limit_s` (required), `objective` (compact | land | spacing), `grid_m` (default 5),
    `facilities` (to place; default all not fixed), `fix` ({facility: "planned" or a GeoJSON
    geometry, lon/lat unless `crs` names a metric system}). Facilities not placed keep their
    stored sites. Every layout is re-checked by the siting checker before it is returned."""
    data = await request.body()  # read here; parsed, posed and (for a short search) waited for off the loop
    return await run_in_threadpool(_start_layout, request, data)


def _start_layout(request: Request, data: bytes) -> JSONResponse:
    body = load_json(data, "the request body")  # the one JSON gate: a body it cannot read is a 422
    jobs, service = _jobs(request), request.app.state.siting
    req = _request(body, jobs, service)
    # posed now: a request that cannot be posed is refused (the error family's status), not a failed job
    problem = layout_problem(service, place=req["facilities"], fixed=req["fixed"], cell=req["grid_m"])

    def work(job: Job):
        from zones.siting.layout.solve import solve

        def progress(p):
            job.progress = p
        return solve(problem, req["objective"], time_limit_s=req["time_limit_s"], on_progress=progress, stop=job.stop)

    job = jobs.start({k: v for k, v in req.items() if k != "fixed"} | {"fix": sorted(req["fixed"])}, work)
    location = f"/siting/layout/{job.id}"
    if req["time_limit_s"] <= SYNC_SECONDS:
        job.thread.join()
        return JSONResponse(_job_body(job), status_code=200, headers={"Location": location})
    return JSONResponse(_job_body(job), status_code=202, headers={"Location": location})


def _job_body(job: Job) -> dict[str, Any]:
    out: dict[str, Any] = {"job": job.id, "status": job.status, "request": job.request,
                           "progress": progress_dict(job.progress),
                           "links": [{"rel": "self", "href": f"/siting/layout/{job.id}"},
                                     {"rel": "map", "href": f"/maps/layout?job={job.id}", "type": "text/html"}]}
    if job.error:
        out["error"] = job.error
    if job.result is not None:
        out["result"] = result_dict(job.result, lonlat_geometry)
        out["result"]["note"] = f"geometries lon/lat (WGS84); bounds_5186 and areas in {METRIC}"
    return out


NO_JOB = {404: {"description": "No such layout job on this server"}}


@router.get("/siting/layout/{job_id}", summary="A layout job: its progress, and its result once ended", responses=NO_JOB)
def get_layout(request: Request, job_id: str) -> dict[str, Any]:
    return _job_body(_jobs(request).get(job_id))


@router.delete("/siting/layout/{job_id}", summary="Stop a layout job (the best layout so far stays readable)",
               status_code=202, responses={200: {"description": "The job had already ended"}, **NO_JOB})
def cancel_layout(request: Request, job_id: str) -> JSONResponse:
    job = _jobs(request).get(job_id)
    if job.status != "running":
        return JSONResponse(_job_body(job), status_code=200)
    job.stop.set()
    return JSONResponse(_job_body(job) | {"status": "cancelling"}, status_code=202)


@map_router.get("/maps/layout", response_class=HTMLResponse,
                responses={**NO_JOB, 400: {"description": "No job given"},
                           409: {"description": "The job has not ended yet"}},
                summary="Map of a layout job: the proposed sites over the feasible regions, with the rule table")
def layout_map(request: Request, job: str) -> HTMLResponse:
    from maps.layout import layout_html

    found = _jobs(request).get(job)
    if found.result is None:
        raise Problem(409, "Layout not ready", f"layout job {job} is {found.status}; the map exists once it has ended",
                      status_value=found.status)
    return HTMLResponse(layout_html(request.app.state.provider, request.app.state.siting.context(), found.result))
