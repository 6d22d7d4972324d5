"""HTTP methods answered the way RFC 9110 says: HEAD wherever GET works, OPTIONS and every 405
with the true `Allow` list of the resource.

The routes declare GET, POST or PUT. For a path, the allowed methods are those of every route
that matches it (a path such as /collections/{id}/items has a GET route and a PUT route, and a
405 raised by one of them knows only its own). They are found by asking each route whether it
matches the path with a given method (Starlette's public `matches`), so nothing here depends on
how the routes are registered. A path declared read-only (`declare_read_only`: a collection served
from elsewhere than the store, whose path a general route with write methods also matches) is
answered GET, HEAD and OPTIONS only.
"""
from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The methods a route may declare; HEAD and OPTIONS are answered here for every resource.
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STATIC_METHODS = {"GET", "HEAD"}  # what a mounted static directory (the docs assets) serves


def declare_read_only(app, path: str) -> None:
    """Only GET (HEAD, OPTIONS) on exactly `path`, whatever other routes match it."""
    app.state.read_only_paths = frozenset({*getattr(app.state, "read_only_paths", ()), path})


def allowed_methods(app, scope: Scope) -> set[str]:
    """The methods the app answers on `scope`'s path (HEAD and OPTIONS included); empty for an
    unknown path."""
    allowed: set[str] = set()
    read_only = scope.get("path") in getattr(app.state, "read_only_paths", ())
    routes = app.router.routes
    for method in ROUTE_METHODS:
        probe = {**scope, "method": method}
        for route in routes:
            match, _ = route.matches(probe)
            if match is Match.FULL:
                allowed |= STATIC_METHODS if isinstance(route, Mount) else {method}
                break
    if read_only:
        allowed &= {"GET"}
    if allowed:
        allowed |= {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
    return allowed


def allow_header(methods: set[str]) -> str:
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return ", ".join(m for m in order if m in methods)


class MethodSemantics:
    """HEAD runs the GET route and sends its headers without the body; OPTIONS answers 204 with
    `Allow`; a 405 from any route carries the `Allow` of the whole resource."""

    def __init__(self, app: ASGIApp, routes_of):
        self.app = app
        self.routes_of = routes_of  # the FastAPI app whose routes decide (this middleware wraps it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allowed = allowed_methods(self.routes_of, scope)
            if allowed:
                headers = {"Allow": allow_header(allowed)}
                await Response(status_code=204, headers=headers)(scope, receive, send)
                return
        elif method == "HEAD":
            allowed = allowed_methods(self.routes_of, scope)
            if "GET" in allowed:
                await self.app({**scope, "method": "GET"}, receive, _without_body(send))
                return
        await self.app(scope, receive, self._fix_405(scope, send))

    def _fix_405(self, scope: Scope, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = allowed_methods(self.routes_of, scope)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", allow_header(allowed).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)
        return wrapped


def _without_body(send: Send) -> Send:
    """The GET answer's status and headers (Content-Length included) with no body bytes."""
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)
    return wrapped
