from __future__ import annotations

import pytest

from geodata import DEFAULT_STORE
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.scratch import clean_stale
from geodata.store import GeoPackageStore


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
