"""The maps as a person sees them: headless Chromium, network cut off, screenshots.

Skipped, with the reason, where Debian's chromium is not installed (`make test`
installs it when run as root).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from api.local_server import running_uvicorn

from cli.main import main as kizone
from maps.browser import file_url, find_chromium
from maps.styles import STATUS_COLOURS

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="headless Chromium not installed (Debian: apt-get install chromium; "
                                       "`make test` does it as root)")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def map_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("maps")
    assert kizone(["map", "--out", str(out)]) == 0
    return out


def assert_drawn_offline(result, kind: str) -> None:
    assert result.remote_requests == [], f"requests left the machine: {result.remote_requests}"
    assert result.errors == []
    state = result.state
    assert state["hook"] and state["kind"] == kind
    for key, layer in state["layers"].items():
        assert layer["onMap"], key
        assert layer["total"] == layer["expected"] > 0, key
        if key != "admin_dongs":  # fitted to the zones: every zone feature is on screen
            assert layer["drawn"] == layer["expected"], key
    assert state["layers"]["admin_dongs"]["drawn"] > 100
    assert state["canvases"] == 1 and state["svgPaths"] == 0  # canvas renderer
    assert state["paintedPixels"] > 20_000
    assert state["scale"] and state["layerControl"] >= len(state["layers"]) + 2
    assert result.screenshot.startswith(PNG_MAGIC) and len(result.screenshot) > 20_000


@pytest.mark.parametrize("kind", ["overview", "allocation"])
def test_map_file_renders_offline_with_every_polygon(browser, map_files, kind, tmp_path):
    result = browser.open(file_url(map_files / f"{kind}.html"))
    assert_drawn_offline(result, kind)
    assert result.requests == [file_url(map_files / f"{kind}.html")]  # the one file, nothing else
    text = "\n".join(result.state["controls"])
    assert "광주 Gwangju" in text and "전주 Jeonju" in text
    assert ("범례 · Legend" in text) if kind == "overview" else ("배분 점검 · Allocation check" in text)
    (tmp_path / f"{kind}.png").write_bytes(result.screenshot)


def test_place_buttons_fit_gwangju_and_jeonju(browser, map_files, provider):
    browser.open(file_url(map_files / "overview.html"), screenshot=False)
    start_zoom = browser.evaluate("kizoneMap.map.getZoom()")
    for key, layers in (("jeonju", ["jeonju_sites"]),
                        ("gwangju", ["fez_districts", "bitgreen_complex", "future_car_special_complex"])):
        browser.evaluate(f"document.querySelector('.kz-jump-{key}').click()")
        view = browser.evaluate("(() => { const b = kizoneMap.map.getBounds(); "
                                "return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), kizoneMap.map.getZoom()]; })()")
        s, w, n, e, zoom = view
        assert zoom > start_zoom
        for lid in layers:
            minx, miny, maxx, maxy = provider.layer(lid).wgs84.total_bounds
            assert s <= miny and w <= minx and n >= maxy and e >= maxx, (key, lid)
        other = provider.layer("fez_districts" if key == "jeonju" else "jeonju_sites").wgs84.total_bounds
        assert not (w <= other[0] <= e and s <= other[1] <= n), f"{key} view still shows the other city"


@pytest.mark.parametrize("kind", ["overview", "allocation"])
def test_address_names_the_place_the_map_opens_on(browser, map_files, provider, kind):
    url = file_url(map_files / f"{kind}.html")
    result = browser.open(url + "#jeonju", screenshot=False)
    assert result.errors == [] and result.remote_requests == []
    s, w, n, e = browser.evaluate("(() => { const b = kizoneMap.map.getBounds(); "
                                  "return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()")
    minx, miny, maxx, maxy = provider.layer("jeonju_sites").wgs84.total_bounds
    assert s <= miny and w <= minx and n >= maxy and e >= maxx
    gx, gy = provider.layer("fez_districts").wgs84.total_bounds[:2]
    assert not (w <= gx <= e and s <= gy <= n)
    # A click on a place button puts the place in the address.
    browser.evaluate("document.querySelector('.kz-jump-gwangju').click()")
    assert browser.evaluate("location.hash") == "#gwangju"


def test_allocation_statuses_are_coloured_in_the_browser(browser, provider, plan, tmp_path):
    from maps.allocation import allocation_html, report_for

    skewed = [dataclasses.replace(t, value=t.value * 2) if t.id == "fez_ai" else
              dataclasses.replace(t, value=t.value / 2) if t.id == "jeonju_carbon_complex" else t
              for t in plan]
    report = report_for(provider, skewed)
    page = tmp_path / "allocation.html"
    page.write_text(allocation_html(provider, skewed, report), encoding="utf-8")
    result = browser.open(file_url(page))
    assert_drawn_offline(result, "allocation")
    drawn = browser.evaluate("""(() => { const out = {};
        for (const [key, layer] of Object.entries(kizoneMap.layers)) {
            if (key === 'admin_dongs') continue;
            layer.eachLayer(l => { out[l.feature.properties.id] = [l.feature.properties.status, l.options.color]; });
        } return out; })()""")
    expected = {r.target_id: r.status for r in report.rows if r.status != "missing"}
    assert {k: v[0] for k, v in drawn.items()} == expected
    assert all(colour == STATUS_COLOURS[status] for status, colour in drawn.values())
    assert drawn["fez_ai"][0] == "under" and drawn["jeonju_carbon_complex"][0] == "over"
    assert drawn["fez_smart_energy_1"][0] == "ok"


def test_network_cut_is_real_and_a_cdn_reference_is_caught(browser, tmp_path):
    """The check above can fail: a page with a CDN script gets it recorded and not loaded."""
    page = tmp_path / "cdn.html"
    page.write_text('<html><body><script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">'
                    '</script><script>document.title = typeof L;</script></body></html>')
    result = browser.open(file_url(page), screenshot=False)
    assert result.remote_requests == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    assert browser.evaluate("document.title") == "undefined"  # Leaflet never arrived


@pytest.fixture(scope="module")
def server_url():
    with running_uvicorn() as url:
        yield url


@pytest.mark.parametrize("kind", ["overview", "allocation"])
def test_api_map_pages_render_in_the_browser_from_loopback_only(browser, server_url, kind):
    result = browser.open(f"{server_url}/maps/{kind}")
    assert_drawn_offline(result, kind)
    assert result.requests == [f"{server_url}/maps/{kind}"]
