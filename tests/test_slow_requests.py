"""Slow and incomplete requests are dropped after ZONES_READ_TIMEOUT_S, against the real server
(`python -m api.serve`, as `make serve` runs it), with raw sockets; the server keeps serving
everyone else meanwhile."""
from __future__ import annotations

import os
import socket
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from api.local_server import running_uvicorn
from tests.write_helpers import store_copy

TIMEOUT_S = 1.5
GRACE_S = 6.0  # how long past the timeout we wait before calling the connection "held open"
DRAFT = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"target_id": "fez_ai"}, '
         b'"geometry": {"type": "Polygon", "coordinates": [[[126.70, 35.20], [126.71, 35.20], [126.71, 35.21], '
         b'[126.70, 35.21], [126.70, 35.20]]]}}]}')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = store_copy(tmp_path_factory.mktemp("slow"))  # writes are enabled: never the embedded store
    env = {**os.environ, "ZONES_READ_TIMEOUT_S": str(TIMEOUT_S), "ZONES_WRITE_TOKENS": "gis:s3cret",
           "ZONES_STORE": str(store)}
    with running_uvicorn(env=env) as url:
        parts = urlsplit(url)
        yield url, (parts.hostname, parts.port)


def _open(address) -> socket.socket:
    sock = socket.create_connection(address, timeout=5)
    sock.settimeout(TIMEOUT_S + GRACE_S)
    return sock


def _wait_for_close(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took;
    fails when the connection is still open after the timeout plus grace."""
    start = time.monotonic()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except socket.timeout:
        pytest.fail(f"the server held the connection open for {time.monotonic() - start:.1f} s")
    except ConnectionResetError:
        pass
    return received, time.monotonic() - start


def _healthy(url: str) -> None:
    with urllib.request.urlopen(url + "/health", timeout=5) as resp:
        assert resp.status == 200


STALLS = {
    "nothing sent": b"",
    "half-sent headers": b"GET /collections HTTP/1.1\r\nHost: x\r\nAccept: appl",
    "chunked body with no end": (b"POST /allocations/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n10\r\n" + DRAFT[:16] + b"\r\n"),
    "short body": (b"POST /allocations/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: " + str(len(DRAFT)).encode() + b"\r\n\r\n" + DRAFT[:40]),
    # with its token: an anonymous upload is refused from its headers alone, before any body byte
    "short upload body": (b"PUT /collections/parcels/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Authorization: Bearer s3cret\r\nContent-Length: 100000\r\n\r\n{\"type\""),
}


@pytest.mark.parametrize("name", list(STALLS))
def test_a_stalled_request_is_dropped_and_others_are_served(server, name):
    url, address = server
    sock = _open(address)
    try:
        sock.sendall(STALLS[name])
        _healthy(url)  # served while the stalled one waits
        received, took = _wait_for_close(sock)
    finally:
        sock.close()
    assert took >= TIMEOUT_S * 0.5  # not dropped for being slow by some other rule
    if received:
        assert received.startswith(b"HTTP/1.1 408 "), received[:200]
        assert b"ZONES_READ_TIMEOUT_S" in received
    _healthy(url)


def test_headers_trickled_a_byte_at_a_time_do_not_extend_the_deadline(server):
    url, address = server
    sock = _open(address)
    request = b"GET /collections HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200
    start = time.monotonic()
    try:
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if time.monotonic() - start > TIMEOUT_S + GRACE_S:
                pytest.fail("the server kept accepting a trickled header past its deadline")
            time.sleep(0.05)
        received, _ = _wait_for_close(sock)
    finally:
        sock.close()
    assert time.monotonic() - start < TIMEOUT_S + GRACE_S
    assert received.startswith(b"HTTP/1.1 408 ")
    _healthy(url)


def test_a_slow_but_steady_body_and_prompt_requests_are_not_cut(server):
    url, address = server
    sock = _open(address)
    body = DRAFT + b" " * 4000  # JSON may end in white space
    head = (b"POST /allocations/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    try:
        sock.sendall(head)
        for i in range(0, len(body), 512):  # gaps well under the timeout, ~1.9 KiB/s on average
            time.sleep(TIMEOUT_S / 4)
            sock.sendall(body[i:i + 512])
        received, _ = _wait_for_close(sock)
    finally:
        sock.close()
    assert received.startswith(b"HTTP/1.1 200 "), received[:300]


def test_oversized_headers_are_refused(server):
    url, address = server
    sock = _open(address)
    try:
        sock.sendall(b"GET /collections HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(100):
                sock.sendall(b"X-Pad: " + b"a" * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        received, took = _wait_for_close(sock)
    finally:
        sock.close()
    assert received.startswith(b"HTTP/1.1 431 ") and took < TIMEOUT_S
    _healthy(url)
