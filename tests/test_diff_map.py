"""The diff and compare maps: built from a real scenario and a real promote, drawn in headless
Chromium with the network cut off."""
from __future__ import annotations

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geodata import PLAN_FILE
from maps.browser import BrowserUnavailable, Chromium, file_url, find_chromium
from maps.page_budget import PAGE_BYTES
from tests.write_helpers import store_copy

AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A scenario moving the support complex 1.5 km east (<b> in a feature name), its compare
    map, then the promote and the diff map of the two revisions."""
    folder = tmp_path_factory.mktemp("diffmap")
    client = TestClient(create_app(Settings(store_path=store_copy(folder), plan_path=PLAN_FILE,
                                            write_tokens=(("alice", "s3cret"),))))
    store = client.app.state.provider.store
    layer = store.read("future_car_special_complex")
    moved = layer[layer["id"] == "fcsc_support"].copy()
    moved["geometry"] = moved.geometry.translate(1500, 0)
    moved["name_en"] = "<b onmouseover=alert(1)>support</b>"
    body = gpd.GeoDataFrame(moved, crs=layer.crs).to_crs(4326).to_json()
    assert client.post("/scenarios", json={"id": "east", "title": "east"}, headers=AUTH).status_code == 201
    assert client.put("/scenarios/east/collections/future_car_special_complex/items?merge=true",
                      content=body, headers=AUTH).status_code == 200
    out = {"compare": client.get("/maps/compare?a=base&b=east")}
    assert client.post("/scenarios/east/promote", headers=AUTH).status_code == 200
    out["diff"] = client.get("/maps/diff?layer=future_car_special_complex&from=0&to=1")
    paths = {}
    for kind, r in out.items():
        assert r.status_code == 200, r.text
        assert len(r.content) < PAGE_BYTES
        assert "<b onmouseover" not in r.text  # data reaches the page as inert text only
        paths[kind] = folder / f"{kind}.html"
        paths[kind].write_text(r.text, encoding="utf-8")
    return paths


def test_unknown_revision_or_scenario_is_a_404(tmp_path):
    client = TestClient(create_app(Settings(store_path=store_copy(tmp_path), plan_path=PLAN_FILE, write_tokens=())))
    assert client.get("/maps/compare?a=base&b=nope").status_code == 404
    assert client.get("/maps/diff?layer=fez_districts&from=0&to=1").status_code == 404


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed (Debian: apt-get install "
                                                    "chromium; `make test` does it as root)")
@pytest.mark.parametrize("kind", ["compare", "diff"])
def test_diff_map_draws_offline_with_a_toggle_and_the_changed_rows(pages, kind, tmp_path):
    try:
        browser = Chromium(width=1200, height=760)
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    with browser as b:
        result = b.open(file_url(pages[kind]))
        assert result.remote_requests == [] and result.errors == []
        state = result.state
        assert state["kind"] == kind
        layers = state["layers"]
        assert set(layers) == {"admin_dongs", "future_car_special_complex:a", "future_car_special_complex:b",
                               "future_car_special_complex:moves"}
        for key, layer in layers.items():
            assert layer["onMap"] and layer["total"] == layer["expected"] > 0, key
            if key != "admin_dongs":
                assert layer["drawn"] == layer["expected"], key
        text = "\n".join(state["controls"])
        assert "ok → misplaced" in text and "fcsc_support" in text and "passes → fails" in text
        b.evaluate("document.querySelector('.kz-show-a').click()")
        shown = b.evaluate("Object.fromEntries(Object.entries(kizoneMap.layers)"
                           ".map(([k, l]) => [k, kizoneMap.map.hasLayer(l)]))")
        assert shown["future_car_special_complex:a"] and not shown["future_car_special_complex:b"]
        assert not shown["future_car_special_complex:moves"]
        b.evaluate("document.querySelector('.kz-show-both').click()")
        assert b.evaluate("kizoneMap.map.hasLayer(kizoneMap.layers['future_car_special_complex:b'])")
        (tmp_path / f"{kind}.png").write_bytes(result.screenshot)
