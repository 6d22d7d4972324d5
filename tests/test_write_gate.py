"""A write without a valid token is refused from its headers, before the server reads its body.

Against the real uvicorn server: the client announces a body of 150 MiB and sends none; the
answer must come at once. Every operation the OpenAPI document says can answer 401 is tried, so
a new write route is covered as soon as it documents its token."""
from __future__ import annotations

import json
import os
import re
import socket
import urllib.error
import urllib.request

import pytest

from api.local_server import running_uvicorn
from tests.write_helpers import store_copy

ANNOUNCED = 150 * 1024 * 1024
PATH_VALUES = {"collection_id": "parcels", "revision": "1", "scenario": "north"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = store_copy(tmp_path_factory.mktemp("gate"))
    env = dict(os.environ, ZONES_STORE=str(store), ZONES_WRITE_TOKENS="alice:s3cret")
    with running_uvicorn(env=env) as url:
        yield url


def _token_operations(url: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(url + "/openapi.json", timeout=10) as resp:
        doc = json.load(resp)
    ops = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            if "401" in op.get("responses", {}):
                ops.append((method.upper(), re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)))
    return ops


def _headers_only(url: str, method: str, path: str, authorization: str | None) -> bytes:
    """The server's first bytes after a request head announcing ANNOUNCED bytes of body, none sent."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/geo+json",
                f"Content-Length: {ANNOUNCED}"] + ([f"Authorization: {authorization}"] if authorization else [])
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        s.settimeout(5)
        try:
            return s.recv(4096)
        except socket.timeout:
            return b"(no answer within 5 s: the server waits for the body)"


def test_every_token_route_refuses_before_reading_the_body(server):
    ops = _token_operations(server)
    assert {("PUT", "/collections/parcels/items"), ("POST", "/collections/parcels/import"),
            ("POST", "/collections/parcels/revisions/1/restore")} <= set(ops)
    for method, path in ops:
        missing = _headers_only(server, method, path, None)
        assert missing.startswith(b"HTTP/1.1 401"), (method, path, missing[:80])
        assert b"www-authenticate: bearer" in missing.lower()
        wrong = _headers_only(server, method, path, "Bearer nope")
        assert wrong.startswith(b"HTTP/1.1 403"), (method, path, wrong[:80])
        assert b"application/problem+json" in wrong


def test_a_good_token_still_reaches_the_route(server):
    body = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    req = urllib.request.Request(server + "/collections/parcels/items", data=body, method="PUT",
                                 headers={"Authorization": "Bearer s3cret", "Content-Type": "application/geo+json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=30)
    assert caught.value.code == 422  # read and judged (no features), not refused at the gate
