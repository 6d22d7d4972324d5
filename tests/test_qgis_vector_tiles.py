"""The real QGIS (Debian's python3-qgis) loads the cadastral vector tiles as an XYZ vector-tile layer
from the real server, and draws the parcels it reads from them, by their 지목 attribute.

`make test` installs python3-qgis via tools/system-deps.sh when root; without it this test skips.
"""
from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from api.local_server import running_uvicorn
from geodata import DEFAULT_STORE
from geodata.cadastre import generate
from geodata.cadastre.importer import import_parcels
from zones.crs import METRIC, transformer

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).resolve().parent.parent / "tools" / "qgis_render_vector_tiles.py"  # run by the system python


def _qgis_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    done = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60)
    return done.returncode == 0


pytestmark = pytest.mark.skipif(not _qgis_available(),
                                reason="QGIS (Debian python3-qgis) is not installed; run tools/system-deps.sh as root")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qgis-tiles")
    lots = generate.lots(5000, "29", seed=21)
    store = folder / "store.gpkg"
    shutil.copy(DEFAULT_STORE, store)
    import_parcels([generate.write_zip(lots, folder / "in", "29", "202411")], store, progress_stream=io.StringIO())
    with running_uvicorn(env={**os.environ, "ZONES_STORE": str(store)}) as url:
        yield url, lots


def render(url: str, box: tuple[float, float, float, float], size: int = 256) -> dict:
    template = f"{url}/collections/cadastre/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    done = subprocess.run([SYSTEM_PYTHON, str(PROBE), template, *map(str, box), str(size)],
                          capture_output=True, text=True, timeout=180, env={**env, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qgis_draws_the_parcels_of_the_xyz_vector_tiles_by_their_jimok(served):
    url, lots = served
    # a building site (대) among other parcels: a 400 m square around it, drawn at about zoom 17
    k = int((lots["JIBUN"].str[-1] == "대").to_numpy().nonzero()[0][len(lots) // 10])
    x, y = lots.geometry.values[k].representative_point().coords[0]
    mx, my = transformer(METRIC, "EPSG:3857").transform(x, y)
    half = 200 / math.cos(math.radians(35.15))  # 200 m on the ground in web-mercator metres
    out = render(url, (mx - half, my - half, mx + half, my + half))
    assert out["valid"], out
    assert not out["errors"], out
    counts = out["counts"]
    assert counts["red"] > 50 and counts["blue"] > 50, counts  # both filters matched features: attributes read
    far = render(url, (14_000_000, 4_000_000, 14_000_400, 4_000_400))  # the sea off Japan: tiles answer 204
    assert far["valid"] and far["counts"]["red"] == far["counts"]["blue"] == 0
