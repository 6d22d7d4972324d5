"""Real OGC API clients against the real server: GDAL's OAPIF driver (what QGIS builds on).

Needs `ogrinfo` (Debian gdal-bin; `make test` installs it via tools/system-deps.sh when root).
"""
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None,
                                reason="ogrinfo (Debian gdal-bin) is not installed; run tools/system-deps.sh as root")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oapif():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("uvicorn did not start")
                time.sleep(0.2)
        yield "OAPIF:" + url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ogrinfo(*args: str) -> str:
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_lists_every_collection(oapif):
    out = ogrinfo(oapif)
    for layer in ("fez_districts", "bitgreen_complex", "future_car_special_complex", "core_infrastructure",
                  "jeonju_sites", "admin_dongs"):
        assert f": {layer} (" in out


def test_gdal_reads_count_and_extent_in_the_right_place(oapif):
    out = ogrinfo("-so", oapif, "fez_districts")
    assert "Feature Count: 4" in out
    extent = out.split("Extent: (", 1)[1].split("\n", 1)[0]
    (x0, y0), (x1, y1) = [tuple(float(v) for v in part.strip(" ()").split(",")) for part in extent.split(" - ")]
    assert 126.6 < x0 < x1 < 127.0 and 35.0 < y0 < y1 < 35.3  # Gwangju, lon/lat as GDAL reports it


def test_gdal_pages_through_all_305_legal_dongs(oapif):
    out = ogrinfo("-q", "-al", oapif, "admin_dongs")
    assert out.count("OGRFeature(admin_dongs)") == 305


def test_gdal_spatial_filter_becomes_a_bbox_query(oapif):
    out = ogrinfo("-q", "-spat", "126.84", "35.22", "126.86", "35.24", oapif, "fez_districts")
    assert out.count("OGRFeature(fez_districts)") == 1 and "id (String) = fez_ai" in out
