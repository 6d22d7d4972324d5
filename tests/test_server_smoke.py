"""Start the real uvicorn server on a free loopback port and read /collections."""
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"uvicorn exited: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        else:
            pytest.fail("uvicorn did not answer within 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_real_server_serves_collections(server_url):
    with urllib.request.urlopen(server_url + "/collections", timeout=10) as resp:
        assert resp.status == 200
        body = json.load(resp)
    assert "fez_districts" in [c["id"] for c in body["collections"]]
