"""Bearer-token check for every request that writes to the store.

Tokens come from the server's configuration (ZONES_WRITE_TOKENS); with none
configured the server is read-only. Tokens are compared in constant time and
the revision history records the token's name, never the token.
"""
from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response

ENABLE_HINT = ("set ZONES_WRITE_TOKENS=name:secret (comma-separate several) in the server's environment, "
               "restart it, and send the header 'Authorization: Bearer secret'")


def require_writer(request: Request) -> str:
    """The name of the token the request carries; 401/403 problem otherwise."""
    return writer_name(request.app.state.settings.write_tokens, request.headers.get("authorization", ""))


def writer_name(tokens: tuple[tuple[str, str], ...], header: str) -> str:
    """The name of the configured token `header` ("Bearer <token>") carries; a 401/403 Problem otherwise."""
    if not tokens:
        raise Problem(403, "Writes disabled", f"this server is read-only: no write token is configured; to enable writes {ENABLE_HINT}")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Problem(401, "Token required", "writing needs a bearer token: send the header 'Authorization: Bearer <token>'",
                      headers={"WWW-Authenticate": 'Bearer realm="kizone"'})
    given_b = given.strip().encode("utf-8")
    match = None
    for name, token in tokens:  # compare with every token so timing reveals nothing
        if hmac.compare_digest(given_b, token.encode("utf-8")):
            match = name
    if match is None:
        raise Problem(403, "Wrong token", "the bearer token is not one this server accepts for writes")
    return match


class WriteGate:
    """ASGI middleware: a request to a route that needs a write token is answered 401/403 from its
    headers alone, before any byte of its body is read.

    FastAPI reads (and a multipart upload spools) the whole body before it runs a route's
    dependencies, and the body-size limit buffers it before that, so without this gate an
    anonymous client could make the server take in ZONES_MAX_UPLOAD_MB per request before being
    refused. It guards those of `routes` that depend on `require_writer`; it sits outside the
    body-size limit. The test suite checks, on a real server, that every operation documenting
    a 401 answers it before the body is sent."""

    def __init__(self, app: ASGIApp, routes: list):
        self.app = app
        self.guarded = [r for r in routes if isinstance(r, APIRoute) and needs_token(r.dependant)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(r.matches(scope)[0] is Match.FULL for r in self.guarded):
            headers = Headers(scope=scope)
            try:
                writer_name(scope["app"].state.settings.write_tokens, headers.get("authorization", ""))
            except Problem as refusal:
                response = problem_response(refusal.status, refusal.title, refusal.detail, scope.get("path"),
                                            refusal.headers)
                response.headers["Connection"] = "close"  # the unread body must not be taken for a request
                await response(scope, _unread_body, send)
                return
        await self.app(scope, receive, send)


def needs_token(dependant: Dependant) -> bool:
    return any(d.call is require_writer or needs_token(d) for d in dependant.dependencies)


async def _unread_body() -> Message:
    return {"type": "http.disconnect"}
