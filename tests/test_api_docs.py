"""The interactive docs (/docs, /redoc) load everything from this server: they work offline."""
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def asset_urls(html: str) -> list[str]:
    """Every src/href in the page and every URL given to the Swagger UI / ReDoc scripts."""
    return re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html) + re.findall(r"url:\s*'([^']+)'", html)


@pytest.mark.parametrize("page, kinds", [("/docs", ("js", "css", "png")), ("/redoc", ("js", "png"))])
def test_docs_page_loads_its_scripts_and_styles_from_this_server(client, page, kinds):
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"""(?:src|href)\s*=\s*["']https?://""", html), "an asset from another host"
    assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
    assert "fastapi.tiangolo.com" not in html
    urls = asset_urls(html)
    assets = [u for u in urls if u.rsplit(".", 1)[-1] in ("js", "css", "png")]
    assert {u.rsplit(".", 1)[-1] for u in assets} == set(kinds)
    for url in assets:
        got = client.get(url)
        assert got.status_code == 200, url
        assert len(got.content) > 1000, url
    assert "/openapi.json" in urls or "/openapi.json" in html
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_swagger_ui_bundle_renders_openapi_3_1():
    """FastAPI writes OpenAPI 3.1, which Swagger UI reads from version 5 on."""
    from api.docs_ui import assets_dir
    bundle = (assets_dir() / "swagger-ui-bundle.js").read_text(encoding="utf-8", errors="replace")
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert version and int(version.group(1)) >= 5


@pytest.fixture(scope="module")
def served_browser():
    """A real uvicorn on loopback and headless Chromium that records any request leaving it."""
    from api.local_server import running_uvicorn
    from maps.browser import BrowserUnavailable, Chromium, find_chromium
    if find_chromium() is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    try:
        with running_uvicorn() as url, Chromium(width=1200, height=760) as browser:
            yield url, browser
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


def _unblocked_remote_requests(browser) -> list[str]:
    """Requests to other hosts since the page was opened that the browser did not block itself
    (a Content-Security-Policy block means nothing left the machine)."""
    from maps.browser import is_local
    browser.evaluate("1")  # flush pending events
    events = list(browser._events)
    blocked = {e["params"]["requestId"] for e in events
               if e["method"] == "Network.loadingFailed" and e["params"].get("blockedReason") == "csp"}
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
            and not is_local(e["params"]["request"]["url"]) and e["params"]["requestId"] not in blocked]


@pytest.mark.parametrize("page, operation_selector", [
    ("/docs", ".opblock"),                                   # Swagger UI
    ("/redoc", '[data-section-id^="operation/"]'),           # ReDoc
])
def test_docs_draw_every_operation_in_a_browser_with_the_network_cut(served_browser, page, operation_selector):
    """The page must render the API from this server alone, not a blank screen, and nothing it
    asks for may leave the machine (ReDoc's attribution logo points at a CDN: the page's
    Content-Security-Policy stops it in the browser)."""
    url, browser = served_browser
    operations = sum(len(methods) for methods in create_app().openapi()["paths"].values())
    count = f"document.querySelectorAll({operation_selector!r}).length"
    result = browser.open(f"{url}{page}", screenshot=False)
    browser._wait_for(f"{count} > 0")
    assert browser.evaluate(count) == operations > 20
    assert "Korean industrial zones" in browser.evaluate("document.body.innerText")
    browser.evaluate("new Promise(r => setTimeout(() => r(true), 500))", await_promise=True)  # late requests
    assert _unblocked_remote_requests(browser) == []
    assert [e for e in result.errors if "ERR_BLOCKED_BY_CSP" not in e and e != "load failed: "] == []


def test_docs_pages_forbid_other_hosts(client):
    from api.docs_ui import OFFLINE_CSP
    for page in ("/docs", "/redoc"):
        policy = client.get(page).headers["content-security-policy"]
        assert policy == OFFLINE_CSP and "default-src 'self'" in policy and "http" not in policy
