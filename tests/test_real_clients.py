"""Real OGC API clients against the real server: GDAL's OAPIF driver (what QGIS builds on).

Needs `ogrinfo` (Debian gdal-bin; `make test` installs it via tools/system-deps.sh when root).
"""
import shutil
import subprocess

import pytest

from api.local_server import running_uvicorn

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None,
                                reason="ogrinfo (Debian gdal-bin) is not installed; run tools/system-deps.sh as root")


@pytest.fixture(scope="module")
def oapif():
    with running_uvicorn() as url:
        yield "OAPIF:" + url


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
