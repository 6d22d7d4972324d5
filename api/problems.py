"""Errors as RFC 9457 problem details (application/problem+json).

GIS officers read these messages in QGIS logs and scripts, so every error says
what was wrong with the request in planning terms, never a stack trace.

Domain and data modules raise errors of one family (zones.errors); this module alone turns
their category into an HTTP status, in `STATUS`. A route raises `Problem` itself only where the
status depends on where the input came from (a query parameter or a path segment is a 400).
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.validation_wording import explain_validation
from zones.errors import Conflict, Gone, InvalidInput, NotFound, StorageFull, TooLarge, Unavailable, ZonesError

PROBLEM_JSON = "application/problem+json"
# Every category of the error family: its HTTP status and the title of its problem.
STATUS: dict[type[ZonesError], tuple[int, str]] = {
    InvalidInput: (422, "Invalid input"),
    NotFound: (404, "Not found"),
    Gone: (410, "Gone"),
    Conflict: (409, "Conflict"),
    TooLarge: (413, "Too large"),
    StorageFull: (507, "Storage full"),
    Unavailable: (503, "Unavailable"),
}

# Titles more precise than the category's, by the error's stable code.
TITLES = {"unknown_layer": "Unknown collection", "unknown_facility": "Unknown facility",
          "unknown_revision": "Unknown revision", "pruned_revision": "Revision no longer restorable",
          "invalid_layer_id": "Invalid collection id", "unreadable_file": "Unreadable or unusable file",
          "unusable_crs": "Unreadable or unusable file", "not_storable": "Layer not storable",
          "tile_out_of_range": "Tile out of range", "no_parcel_dataset": "No cadastral map imported"}


def status_of(exc: ZonesError) -> tuple[int, str]:
    """(status, title) of an error by its category (the nearest in its class's MRO); an uncategorised
    ZonesError is the server's fault."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "Internal error"


def _plain_facts(facts: dict) -> dict:
    """The facts a JSON reader can use: numbers, strings, booleans, and lists or dicts of them."""
    def plain(v):
        if isinstance(v, (str, int, float, bool)) or v is None:
            return True
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        return False
    return {k: v for k, v in facts.items() if plain(v) and k not in ("type", "title", "status", "detail", "instance")}


class Problem(Exception):
    """An error answer; `headers` are the HTTP headers its status calls for (WWW-Authenticate, Allow…)."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def problem_response(status: int, title: str, detail: str, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, request.url.path, exc.headers, **exc.extra)

    @app.exception_handler(ZonesError)
    async def _zones_error(request: Request, exc: ZonesError):
        status, title = status_of(exc)
        return problem_response(status, TITLES.get(exc.code, title), exc.detail, request.url.path,
                                code=exc.code, **_plain_facts(exc.facts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem_response(exc.status_code, title, str(exc.detail), request.url.path,
                                getattr(exc, "headers", None))  # e.g. Allow on a 405

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        status, detail, errors = explain_validation(request, exc)
        return problem_response(status, "Invalid request", detail, request.url.path, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return problem_response(500, "Internal error", f"the server failed on this request ({type(exc).__name__})", request.url.path)
