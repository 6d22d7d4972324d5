"""Start the real uvicorn server on a free loopback port and read /collections."""
import json
import urllib.request

import pytest

from api.local_server import running_uvicorn


@pytest.fixture(scope="module")
def server_url():
    with running_uvicorn() as url:
        yield url


def test_real_server_serves_collections(server_url):
    with urllib.request.urlopen(server_url + "/collections", timeout=10) as resp:
        assert resp.status == 200
        body = json.load(resp)
    assert "fez_districts" in [c["id"] for c in body["collections"]]
