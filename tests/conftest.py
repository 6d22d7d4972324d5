from __future__ import annotations

import pytest

from geodata import DEFAULT_STORE
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.scratch import clean_stale
from geodata.store import GeoPackageStore
from maps.browser import BrowserUnavailable, Chromium


@pytest.fixture(scope="session", autouse=True)
def no_scratch_left():
    """Tests kill writes on purpose; their scratch folders go when the session ends, as they
    would at the next start of the server (geodata.scratch)."""
    yield
    clean_stale()


@pytest.fixture(scope="session")
def provider() -> LayerProvider:
    return LayerProvider(GeoPackageStore(DEFAULT_STORE))


@pytest.fixture(scope="session")
def plan():
    return load_plan()


@pytest.fixture(scope="module")
def browser(request):
    """One headless Chromium per test module, sized by the module's `BROWSER_SIZE` (default
    1200×760); the module's tests skip, saying why, where Chromium cannot start."""
    width, height = getattr(request.module, "BROWSER_SIZE", (1200, 760))
    try:
        with Chromium(width=width, height=height) as b:
            yield b
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
