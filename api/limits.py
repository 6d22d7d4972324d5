"""Request body size limit (413), enforced before any route parses the body.

Checks the declared Content-Length first, then counts the bytes actually received, so a
client that lies about the length or streams a chunked body cannot get past the limit.
The body is buffered (it is at most the limit) and replayed to the application.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response
from geodata.geojson_in import load_json


def is_layer_upload(method: str, path: str) -> bool:
    """Authenticated layer writes (import, replace) carry whole surveyed layers: a larger limit."""
    parts = path.strip("/").split("/")
    return len(parts) == 3 and parts[0] == "collections" and (
        parts[2] == "import" or (parts[2] == "items" and method == "PUT"))


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None):
        self.app = app
        self.default_max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        upload = is_layer_upload(scope["method"], scope["path"])
        max_bytes = self.upload_max_bytes if upload else self.default_max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._reject(scope, send, 400, "Invalid Content-Length", "Content-Length is not a number")
                return
            if length > max_bytes:
                await self._too_large(scope, send, f"declared {length:,} bytes", max_bytes)
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await self._too_large(scope, send, f"more than {max_bytes:,} bytes received", max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send, what: str, max_bytes: int) -> None:
        await self._reject(scope, send, 413, "Request body too large",
                           f"the upload is too large ({what}); the limit is {max_bytes:,} bytes "
                           + ("(ZONES_MAX_UPLOAD_MB). Import the layer in parts or raise the limit."
                              if max_bytes == self.upload_max_bytes and max_bytes != self.default_max_bytes
                              else "(ZONES_MAX_BODY_BYTES). Split the drafts or simplify the polygons."))

    @staticmethod
    async def _reject(scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
        response = problem_response(status, title, detail, scope.get("path"))
        await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


async def upload_json(request: Request) -> Any:
    """The JSON body of a layer write, read up to ZONES_MAX_UPLOAD_MB and parsed by the one JSON gate
    in the thread pool (up to hundreds of MB of JSON must not stall the event loop)."""
    limit = request.app.state.settings.max_upload_bytes
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise Problem(413, "Body too large", f"the body exceeds the limit of {limit // (1024 * 1024)} MB "
                                                 f"(ZONES_MAX_UPLOAD_MB)")
    return await run_in_threadpool(load_json, bytes(body), "the request body")  # a GeoInputFault is a 422
