"""The HTTP connection protocol the server runs: uvicorn's httptools protocol with read deadlines.

uvicorn only times out a connection that sits idle *between* requests (`timeout_keep_alive`).
A client that sends half its headers, a chunked body with no last chunk, or fewer body bytes
than its Content-Length says, holds a connection (and, for a body, a request task and its
buffer) for as long as it likes; a few hundred such clients take the server's connections.
An ASGI middleware cannot help with headers (the application is called only once they are
complete), so the deadlines live here, where the bytes arrive:

- headers: the request line and all headers must arrive within `ZONES_READ_TIMEOUT_S` seconds
  of the request's first byte (of the connection, for its first request); trickling one byte at
  a time does not extend it. Headers above MAX_HEADER_BYTES are refused (431).
- body: at most `ZONES_READ_TIMEOUT_S` seconds may pass without a body byte, and after the first
  such interval the body must average MIN_BODY_BYTES_PER_S (a 200 MB upload at 1 KiB/s would
  take 2 days; any real link is faster). Time the application itself is not reading (the body
  is buffered up to uvicorn's flow-control limit) does not count against the client.

A request that misses a deadline gets `408 Request Timeout` (problem+json, when no answer has
started yet) and its connection is closed; the application sees a disconnect. Other
connections are not affected.

Select it with `--http api.server_protocol:ReadTimeoutProtocol` (as `python -m api.serve`,
`make serve` and api.local_server do).
"""
from __future__ import annotations

import asyncio
import json
import logging

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.settings import read_timeout_s

MIN_BODY_BYTES_PER_S = 1024
MAX_HEADER_BYTES = 64 * 1024  # request line and headers; browsers and GIS clients send < 8 KiB

log = logging.getLogger("uvicorn.error")
_timeout: float | None = None


def configured_timeout() -> float:
    """ZONES_READ_TIMEOUT_S, read once per server process (every connection asks)."""
    global _timeout
    if _timeout is None:
        _timeout = read_timeout_s()
    return _timeout


class ReadTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read_timeout = configured_timeout()
        self._timer: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "headers" while a request's head is arriving, "body" while its body is
        self._header_bytes = 0
        self._body_start = self._body_last = 0.0
        self._body_bytes = 0
        self._refused = False  # answered and closing: the parser's remaining callbacks are ignored

    # --- connection and parser events -------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_headers()  # a connection that never sends a byte is a request that never arrives

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase != "headers":
            self._start_headers()
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count_header_bytes(len(name) + len(value) + 4)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        super().on_headers_complete()
        now = self.loop.time()
        self._phase, self._body_start, self._body_last, self._body_bytes = "body", now, now, 0
        self._arm(self.read_timeout)

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        super().on_body(body)
        self._body_bytes += len(body)
        self._body_last = self.loop.time()

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._phase = None
        self._disarm()

    # --- deadlines --------------------------------------------------------------------------

    def _start_headers(self) -> None:
        self._phase = "headers"
        self._arm(self.read_timeout)

    def _count_header_bytes(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self._refuse(431, "Request header fields too large",
                         f"the request line and headers exceed {MAX_HEADER_BYTES:,} bytes")

    def _arm(self, delay: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(max(delay, 0.0), self._on_deadline)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_deadline(self) -> None:
        self._timer = None
        if self.transport is None or self.transport.is_closing() or self._phase is None:
            return
        if self._phase == "body":
            now = self.loop.time()
            if self.flow.read_paused:  # the application has not read what it has; not the client's fault
                self._body_last = now
                self._body_start = now - self._body_bytes / MIN_BODY_BYTES_PER_S
                self._arm(self.read_timeout)
                return
            deadline = min(self._body_last + self.read_timeout,
                           self._body_start + self.read_timeout + self._body_bytes / MIN_BODY_BYTES_PER_S)
            if now < deadline:
                self._arm(deadline - now)
                return
            what = (f"the request body stalled: no byte for {self.read_timeout:g} s, or slower than "
                    f"{MIN_BODY_BYTES_PER_S:,} bytes/s")
        else:
            what = f"the request line and headers did not arrive within {self.read_timeout:g} s"
        log.warning("%s - closing a slow request: %s", _peer(self.client), what)
        self._refuse(408, "Request timeout", f"{what} (ZONES_READ_TIMEOUT_S); the connection is closed")

    def _refuse(self, status: int, title: str, detail: str) -> None:
        """Answer `status` when no answer has started on this connection, then close it."""
        self._disarm()
        self._phase, self._refused = None, True
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete and cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application's receive() gets http.disconnect, its send() is dropped
            cycle.message_event.set()
        if not answering:
            body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
            self.transport.write(b"".join([
                STATUS_LINE[status], b"content-type: application/problem+json\r\n",
                b"content-length: ", str(len(body)).encode(), b"\r\n", b"connection: close\r\n\r\n", body]))
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "-"
