"""POST bodies that must be JSON are refused (415) under any other Content-Type.

A page on another site can make a browser POST here without asking first ("simple" requests:
text/plain, form encodings, or no Content-Type at all), and the browser sends it with no CORS
check. Every POST route whose OpenAPI request body is JSON therefore accepts only a JSON media
type (application/json, application/geo+json or any application/*+json; parameters such as
charset are fine), which no simple request can carry. (An empty body is left to the route,
which refuses it as empty.) The routes are found in the app's own
OpenAPI document, so a new JSON endpoint is covered without being listed here.
"""
from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response

JSON_TYPES = ("application/json", "application/geo+json")
ACCEPTED = ", ".join(JSON_TYPES)


def is_json_media_type(value: str) -> bool:
    """True for application/json, application/geo+json and application/<anything>+json,
    whatever parameters follow (charset=utf-8 …)."""
    media = value.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def json_post_paths(openapi: dict) -> list[re.Pattern]:
    """Path patterns of the POST operations whose request body is JSON only."""
    out = []
    for path, operations in openapi.get("paths", {}).items():
        content = ((operations.get("post") or {}).get("requestBody") or {}).get("content") or {}
        if content and all(is_json_media_type(media) for media in content):
            out.append(re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"))
    return out


class JsonBodiesOnly:
    def __init__(self, app: ASGIApp, openapi_of):
        self.app = app
        self.openapi_of = openapi_of  # the FastAPI app: its OpenAPI document names the JSON routes
        self._paths: list[re.Pattern] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self._is_json_route(scope["path"]):
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if _has_body(headers) and not is_json_media_type(content_type):
                sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
                response = problem_response(
                    415, "Unsupported media type",
                    f"this endpoint reads a JSON body and got {sent}; send it as {ACCEPTED}",
                    scope.get("path"), headers={"Accept-Post": ACCEPTED}, accepted=list(JSON_TYPES))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _is_json_route(self, path: str) -> bool:
        if self._paths is None:
            self._paths = json_post_paths(self.openapi_of.openapi())
        return any(p.match(path) for p in self._paths)


def _has_body(headers: dict[bytes, bytes]) -> bool:
    """Whether the request carries body bytes. An empty body does nothing whatever its type, and
    the route answers it with the same 422 ("the body is empty") on every JSON endpoint."""
    if b"transfer-encoding" in headers:
        return True
    return headers.get(b"content-length", b"0").strip() not in (b"0", b"")
