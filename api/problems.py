"""Errors as RFC 9457 problem details (application/problem+json).

GIS officers read these messages in QGIS logs and scripts, so every error says
what was wrong with the request in planning terms, never a stack trace.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.validation_wording import explain_validation
from geodata.store import UnknownLayer
from zones.errors import Conflict, Gone, InvalidInput, NotFound, StorageFull, TooLarge, ZonesError

PROBLEM_JSON = "application/problem+json"
# The one table from an error category (zones.errors) to its HTTP status and title.
CATEGORY_STATUS: tuple[tuple[type[ZonesError], int, str], ...] = (
    (InvalidInput, 422, "Invalid input"),
    (NotFound, 404, "Not found"),
    (Gone, 410, "Gone"),
    (Conflict, 409, "Conflict"),
    (TooLarge, 413, "Too large"),
    (StorageFull, 507, "Insufficient storage"),
)


def category_status(exc: ZonesError) -> tuple[int, str]:
    """(status, title) of a refusal by its category; an uncategorised one is the server's fault."""
    return next(((status, title) for cls, status, title in CATEGORY_STATUS if isinstance(exc, cls)),
                (500, "Internal error"))


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

    @app.exception_handler(UnknownLayer)
    async def _unknown_layer(request: Request, exc: UnknownLayer):
        return problem_response(404, "Unknown collection", str(exc), request.url.path)

    @app.exception_handler(ZonesError)
    async def _zones_error(request: Request, exc: ZonesError):
        status, title = category_status(exc)
        return problem_response(status, title, exc.detail, request.url.path, code=exc.code, **exc.facts)

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
