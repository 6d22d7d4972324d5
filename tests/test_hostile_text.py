"""Text from data never runs as script: the HTML views and every map, in headless Chromium.

Hostile values go in through the real write path (PUT with a token to a uvicorn serving a copy
of the store), and through the plan and siting-rules files the server reads. Each page is then
opened, every polygon hovered (a real mouse sweep and a hover on each feature) and clicked,
and the page is checked for any effect of the payloads: a global they set, a changed title, a
CSS variable, an element with an event handler or a `javascript:` URL. Each value must also be
shown literally: escaped, neither run nor dropped.
"""
from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from api.local_server import running_uvicorn
from cli.main import main as kizone
from geodata import PLAN_FILE
from geodata.siting_rules import SITING_RULES_FILE, load_rules
from maps.browser import file_url, find_chromium
from tests.write_helpers import store_copy

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="headless Chromium not installed (Debian: apt-get install chromium; "
                                       "`make test` does it as root)")

TOKEN = "hostile-test-token"
PROBE_LAYER = "survey_notes"
# Each payload, if it ever runs, sets top.kzPwned (or the title, or a CSS variable on the root).
PAYLOADS = [
    "<a href=x><img src=x onerror=\"document.title='PWNED'\">",                 # the reported one
    '" onmouseover="top.kzPwned=1" autofocus onfocus="top.kzPwned=1" x="',     # breaks a "…" attribute
    "' onmouseover='top.kzPwned=1' autofocus onfocus='top.kzPwned=1' x='",     # breaks a '…' attribute
    "<script>top.kzPwned=1</script>",                                           # a script tag
    "<img src=x onerror=top.kzPwned=1>",                                        # an image that fails
    "javascript:top.kzPwned=1",                                                 # a URL that runs if linked
    "<svg onload=top.kzPwned=1>",                                               # SVG
    "&lt;img src=x onerror=top.kzPwned=1&gt; &amp; 한국 & Co",                   # entity-encoded, and a plain &
    "</script><script>top.kzPwned=1</script><!--",                              # ends a script block
    "{{ 7*7 }} {% raw %} ${top.kzPwned=1} #{7*7}",                             # template syntax
    "<iframe srcdoc=\"&lt;img src=x onerror=top.kzPwned=1&gt;\"></iframe>",      # a frame with its own page
    "<style>:root{--kz-pwned:1}</style><b style=\"--kz-pwned:1\">",             # a style sheet
    "\\u003cimg src=x onerror=top.kzPwned=1\\u003e \u2028\u2029 끝",             # \u escapes as text, line separators
    "<details open ontoggle=top.kzPwned=1>",                                    # fires with no interaction
    "--><img src=x onerror=top.kzPwned=1>",                                     # ends an HTML comment
]

# Any trace of a payload in the page; `handlers` lists elements carrying on* attributes that the
# page itself does not have (the siting map's facility drop-down has one).
PROBE_JS = r"""
(() => {
  const handlers = [], scripts = [];
  document.querySelectorAll('*').forEach(el => {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name) && !(a.name === 'onchange' && el.matches('select.kz-facility')))
        handlers.push(el.tagName + ' ' + a.name);
      if (/^\s*javascript:/i.test(a.value)) scripts.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
  });
  return {pwned: window.kzPwned !== undefined, title: document.title,
          css: getComputedStyle(document.documentElement).getPropertyValue('--kz-pwned'),
          handlers: handlers, scripts: scripts,
          injected: document.querySelectorAll('iframe:not(.kz-report-map), details, svg[onload], img[src="x"], ' +
          'input[onfocus]').length};
})()
"""

# Hover and click every feature of every layer the map registers (the same events the canvas
# renderer fires under the mouse); return the text each tooltip and popup showed, by layer.
HOVER_JS = r"""
(() => {
  const k = window.kizoneMap, out = {};
  if (!k) return out;
  const shown = (overlay) => overlay && overlay.isOpen() && overlay.getElement() ? overlay.getElement().textContent : null;
  for (const [key, group] of Object.entries(k.layers)) {
    out[key] = [];
    group.eachLayer(l => {
      const at = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
      const e = {latlng: at, layerPoint: k.map.latLngToLayerPoint(at), containerPoint: k.map.latLngToContainerPoint(at)};
      l.fire('mouseover', e, true);
      const tip = shown(group.getTooltip()) ?? shown(l.getTooltip && l.getTooltip());
      l.fire('click', e, true);
      const pop = shown(group.getPopup()) ?? shown(l.getPopup && l.getPopup());
      l.fire('mouseout', e, true);
      k.map.closePopup();
      out[key].push({props: l.feature ? l.feature.properties : {}, tooltip: tip, popup: pop});
    });
  }
  return out;
})()
"""


def _hostile_toml(source: Path, target: Path, keys: tuple[str, ...]) -> Path:
    """A copy of a TOML file whose string values under `keys` are payloads, in turn."""
    pattern = re.compile(rf'^({"|".join(keys)}) = "(?:[^"\\]|\\.)*"\s*$', re.M)
    count = iter(range(10**6))
    text = pattern.sub(lambda m: f"{m.group(1)} = {json.dumps(PAYLOADS[next(count) % len(PAYLOADS)])}",
                       source.read_text(encoding="utf-8"))
    assert next(count) > len(PAYLOADS), "the file has fewer hostile values than payloads"
    target.write_text(text, encoding="utf-8")
    return target


def probe_id(i: int) -> str:
    """Payloads as feature ids: every one, made unique (ids with '/' are paths, so none here)."""
    return f"{PAYLOADS[i].replace('/', '')} {i}"


def _probe_layer() -> dict:
    """One small square per payload in 광산구, each with payloads in every text property."""
    n = len(PAYLOADS)
    feats = []
    for i in range(n):
        x, y = 126.70 + (i % 5) * 0.01, 35.10 + (i // 5) * 0.01
        ring = [[x, y], [x + 0.006, y], [x + 0.006, y + 0.006], [x, y + 0.006], [x, y]]
        props = {"id": probe_id(i), "name_ko": PAYLOADS[i], "name_en": PAYLOADS[(i + 1) % n],
                 "source": PAYLOADS[(i + 2) % n], "provenance": PAYLOADS[(i + 3) % n],
                 "note": PAYLOADS[(i + 4) % n]}
        feats.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": feats}


def _renamed(url: str, layer: str) -> dict:
    """The layer as served, same geometry and ids, with payloads as names and sources."""
    with urllib.request.urlopen(f"{url}/collections/{layer}/items?limit=10000") as r:
        fc = json.load(r)
    feats = []
    for i, f in enumerate(fc["features"]):
        p = f["properties"]
        props = {"id": p["id"], "name_ko": PAYLOADS[i % len(PAYLOADS)],
                 "name_en": PAYLOADS[(i + 1) % len(PAYLOADS)], "source": PAYLOADS[(i + 2) % len(PAYLOADS)],
                 "provenance": p["provenance"]}
        feats.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    return {"type": "FeatureCollection", "features": feats}


def _put(url: str, layer: str, fc: dict) -> None:
    req = urllib.request.Request(f"{url}/collections/{layer}/items", data=json.dumps(fc).encode(), method="PUT",
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/geo+json"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200, r.read()


HOSTILE_LAYERS = ("fez_districts", "future_car_special_complex", "core_infrastructure")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(server url, store path, plan path, rules path): a served store holding the payloads."""
    tmp = tmp_path_factory.mktemp("hostile")
    store = store_copy(tmp)
    plan = _hostile_toml(PLAN_FILE, tmp / "plan.toml", ("name_ko", "name_en", "source"))
    rules = _hostile_toml(SITING_RULES_FILE, tmp / "siting_rules.toml", ("name_ko", "name_en", "source", "basis"))
    env = {**os.environ, "ZONES_STORE": str(store), "ZONES_WRITE_TOKENS": f"probe:{TOKEN}",
           "ZONES_PLAN": str(plan), "ZONES_SITING_RULES": str(rules)}
    with running_uvicorn(env=env) as url:
        for layer in HOSTILE_LAYERS:
            _put(url, layer, _renamed(url, layer))
        _put(url, PROBE_LAYER, _probe_layer())
        yield url, store, plan, rules


def as_title(text: str) -> str:
    """What document.title gives for a <title> holding `text`: ASCII whitespace collapsed."""
    return re.sub(r"[ \t\n\f\r]+", " ", text).strip(" ")


def assert_nothing_ran(browser, where: str) -> None:
    state = browser.evaluate(PROBE_JS)
    assert not state["pwned"], f"{where}: a payload ran (top.kzPwned set)"
    assert state["title"] != "PWNED", f"{where}: a payload changed the title"
    assert state["css"].strip() == "", f"{where}: a payload's style sheet applies"
    assert state["handlers"] == [], f"{where}: injected event handlers {state['handlers'][:5]}"
    assert state["scripts"] == [], f"{where}: javascript: URLs {state['scripts'][:5]}"
    assert state["injected"] == 0, f"{where}: {state['injected']} injected element(s)"


# Page coordinates of the centre of each zone feature in view (the legal dongs left out: many).
TARGETS_JS = r"""
(() => {
  const k = window.kizoneMap, out = [], size = k.map.getSize(), box = k.map.getContainer().getBoundingClientRect();
  for (const [key, group] of Object.entries(k.layers)) {
    if (key === 'admin_dongs') continue;
    group.eachLayer(l => {
      const p = k.map.latLngToContainerPoint(l.getBounds().getCenter());
      if (p.x > 2 && p.y > 2 && p.x < size.x - 2 && p.y < size.y - 2) out.push([box.left + p.x, box.top + p.y]);
    });
  }
  return out;
})()
"""


def hover_with_the_mouse(browser, limit: int = 40) -> list[str]:
    """Move the real (CDP) mouse onto zone features; the text of each tooltip it opened."""
    texts = []
    for x, y in browser.evaluate(TARGETS_JS)[:limit]:
        browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        texts.append(browser.evaluate("Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                                      ".map(t => t.textContent).join(' ')"))
    return [t for t in texts if t]


def hover_every_feature(browser, where: str) -> dict:
    shown = browser.evaluate(HOVER_JS)
    assert shown, f"{where}: no layer registered"
    for layer, feats in shown.items():
        for f in feats:
            assert f["tooltip"] is not None, f"{where}: {layer} {f['props'].get('id')} showed no tooltip"
    return shown


def assert_literal(shown: dict, layer: str, fields: tuple[str, ...], where: str) -> int:
    """Each hovered feature's tooltip shows these properties exactly as stored."""
    checked = 0
    for f in shown[layer]:
        for field in fields:
            value = f["props"].get(field)
            if value:
                assert value in f["tooltip"], f"{where}: {layer} tooltip does not show {field}={value!r}: {f['tooltip']!r}"
                checked += 1
    return checked


def open_map(browser, url: str, where: str) -> dict:
    result = browser.open(url, screenshot=False)
    assert result.remote_requests == []
    assert_nothing_ran(browser, where + " (opened)")
    assert browser.evaluate("window.kizoneMap !== undefined"), f"{where}: the map's script broke: {result.errors}"
    assert hover_with_the_mouse(browser), f"{where}: the mouse opened no tooltip"
    shown = hover_every_feature(browser, where)
    assert_nothing_ran(browser, where + " (hovered and clicked)")
    assert result.errors == [] and browser.evaluate("window.kzPwned") is None
    return shown


# ------------------------------------------------------------------------------------ HTML views

def test_items_page_escapes_every_value_and_links_ids_percent_encoded(browser, hostile):
    url = hostile[0]
    page = f"{url}/collections/{PROBE_LAYER}/items?f=html&limit=100"
    browser.open(page, screenshot=False)
    assert_nothing_ran(browser, page)
    text = browser.evaluate("document.body.textContent")
    for p in PAYLOADS:
        assert p in text, f"not shown literally: {p!r}"
    links = browser.evaluate(f"""Array.from(document.querySelectorAll('a'))
        .filter(a => a.pathname.startsWith('/collections/{PROBE_LAYER}/items/'))
        .map(a => [a.textContent, a.getAttribute('href')])""")
    assert sorted(t for t, _ in links) == sorted(probe_id(i) for i in range(len(PAYLOADS)))
    for shown, href in links:
        path = urlsplit(href).path
        assert path == f"/collections/{PROBE_LAYER}/items/" + quote(shown, safe=""), href
        assert unquote(path.rsplit("/", 1)[1]) == shown
        with urllib.request.urlopen(f"{url}{path}?f=json") as r:
            assert json.load(r)["id"] == shown  # the link leads to its feature


@pytest.mark.parametrize("i", range(len(PAYLOADS)))
def test_feature_page_escapes_every_property_and_the_title(browser, hostile, i):
    url = hostile[0]
    page = f"{url}/collections/{PROBE_LAYER}/items/{quote(probe_id(i), safe='')}?f=html"
    browser.open(page, screenshot=False)
    assert_nothing_ran(browser, page)
    cells = dict(browser.evaluate("Array.from(document.querySelectorAll('tr')).map(r => "
                                  "Array.from(r.cells).map(c => c.textContent)).filter(r => r.length === 2)"))
    props = _probe_layer()["features"][i]["properties"]
    for key in ("id", "name_ko", "name_en", "source", "provenance", "note"):
        assert cells[key] == props[key], key
    expected = f"{props['name_ko']} · {props['name_en']} ({PROBE_LAYER} / {props['id']})"
    assert browser.evaluate("document.title") == as_title(expected)
    assert browser.evaluate("document.querySelector('h1').textContent") == expected


@pytest.mark.parametrize("path", ["/", "/collections", f"/collections/{PROBE_LAYER}", "/collections/fez_districts/items",
                                  "/conformance", "/collections/fez_districts/items/fez_ai", "/allocations"])
def test_other_pages_run_nothing(browser, hostile, path):
    page = f"{hostile[0]}{path}?f=html"
    browser.open(page, screenshot=False)
    assert_nothing_ran(browser, page)


# ------------------------------------------------------------------------------------ maps

def test_overview_map_shows_hostile_names_as_text(browser, hostile):
    shown = open_map(browser, f"{hostile[0]}/maps/overview", "/maps/overview")
    fields = ("name_ko", "name_en", "source")
    assert assert_literal(shown, PROBE_LAYER, fields, "overview") == 3 * len(PAYLOADS)
    for layer in HOSTILE_LAYERS:
        assert assert_literal(shown, layer, fields, "overview") >= 3 * len(shown[layer])
    for f in shown[PROBE_LAYER]:  # an unknown provenance is shown as given
        assert f["props"]["provenance_text"] in f["tooltip"]
    legend = browser.evaluate("document.querySelector('.leaflet-control-layers').textContent")
    assert PROBE_LAYER in legend


def test_allocation_map_shows_hostile_plan_names_as_text(browser, hostile):
    shown = open_map(browser, f"{hostile[0]}/maps/allocation", "/maps/allocation")
    checked = sum(assert_literal(shown, layer, ("name_ko", "name_en", "source"), "allocation")
                  for layer in shown if layer != "admin_dongs")
    assert checked > 3 * 10
    summary = browser.evaluate("Array.from(document.querySelectorAll('.kz-box')).map(e => e.textContent).join(' ')")
    assert "Allocation check" in summary


def test_siting_maps_show_hostile_names_as_text(browser, hostile):
    url, rules = hostile[0], hostile[3]
    browser.open(f"{url}/maps/siting", screenshot=False)
    assert_nothing_ran(browser, "/maps/siting")
    facilities = browser.evaluate("Array.from(document.querySelectorAll('tr.kz-facility-row')).map(r => r.dataset.facility)")
    text = browser.evaluate("document.body.textContent")
    assert sum(p in text for p in PAYLOADS) >= 7  # the facilities' names, as text
    assert len(facilities) == 7
    for facility in facilities:
        where = f"/maps/siting?facility={facility}"
        shown = open_map(browser, f"{url}/maps/siting?facility={facility}", where)
        planned = shown.get("planned_site", [])
        assert assert_literal(shown, "planned_site", ("name_ko", "name_en", "source"), where) == 3 * len(planned)
        rule_layers = [k for k in shown if ":" in k]  # role:rule, one feature each
        assert rule_layers and all(assert_literal(shown, k, ("source",), where) == 1 for k in rule_layers)
        panel = browser.evaluate("Array.from(document.querySelectorAll('.kz-box')).map(e => e.textContent).join(' ')")
        assert any(p in panel for p in PAYLOADS), f"{where}: the names are not in the panel"
        fac = load_rules(rules)[0].facility(facility)
        assert browser.evaluate("document.title") == as_title(f"{fac.name_ko} · {fac.name_en} – 입지 점검 Siting")


def test_offline_map_files_run_nothing(browser, hostile, tmp_path, monkeypatch):
    _url, store, plan, rules = hostile
    monkeypatch.setenv("ZONES_SITING_RULES", str(rules))
    out = tmp_path / "maps"
    assert kizone(["map", "--store", str(store), "--plan", str(plan), "--out", str(out)]) == 0
    files = sorted(out.glob("*.html"))
    assert len(files) >= 3 + 7
    for page in files:
        if page.name == "siting.html":
            browser.open(file_url(page), screenshot=False)
            assert_nothing_ran(browser, page.name)
            continue
        shown = open_map(browser, file_url(page), page.name)
        if page.name == "overview.html":
            assert assert_literal(shown, PROBE_LAYER, ("name_ko", "name_en", "source"), page.name) == 3 * len(PAYLOADS)


def test_the_checks_catch_a_payload_that_runs(browser, tmp_path):
    """The probe is no formality: each payload, put where it runs (the place a careless page
    would put it), is caught."""
    def where_it_runs(p: str) -> str:
        if p.startswith("javascript:"):
            return f'<a href="{p}">x</a>'
        if p.startswith(("'", '"')):
            return f"<input value={p[0]}{p}{p[0]}>"
        if p.startswith("-->"):
            return f"<!-- {p}"
        if p.startswith("</script>"):
            return f"<script>var s = '{p}';</script>"
        if "${" in p:
            return f"<script>`{p}`</script>"  # a template literal built from the text
        if "\\u003c" in p:  # decoded once more as JSON, then written as HTML
            return f"<div id=d>{p}</div><script>d.innerHTML = JSON.parse('\"' + d.textContent + '\"')</script>"
        if p.startswith("&lt;"):  # entities decoded, then written as HTML
            return f"<div id=d>{p}</div><script>d.innerHTML = d.textContent</script>"
        return f"<div>{p}</div>"

    page = tmp_path / "raw.html"
    for p in PAYLOADS:
        page.write_text(f"<!doctype html><html><head><title>t</title></head><body>{where_it_runs(p)}</body></html>",
                        encoding="utf-8")
        browser.open(file_url(page), screenshot=False)
        with pytest.raises(AssertionError):
            assert_nothing_ran(browser, p)
