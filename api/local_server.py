"""Run the real uvicorn server on a free loopback port, for smoke tests, real clients and benchmarks.

These checks must exercise the server a GIS officer starts with `make serve` (`python -m
api.serve`: uvicorn with the read-timeout protocol), not an in-process app, so they share one
way to start it, wait for /health and stop it.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_uvicorn(extra_args: Sequence[str] = (), env: dict[str, str] | None = None,
                    timeout_s: float = 30.0) -> Iterator[str]:
    """Yield the base URL of a uvicorn serving `api.app:app`; raise RuntimeError if it never answers."""
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            stdout=subprocess.DEVNULL, stderr=errors, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, errors, timeout_s)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen, errors, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            return
        except OSError:
            if proc.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"uvicorn exited: {errors.read().decode(errors='replace')[-2000:]}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer within {timeout_s:.0f} s") from None
            time.sleep(0.2)
