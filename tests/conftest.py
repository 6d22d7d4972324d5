from __future__ import annotations

import pytest

from geodata import DEFAULT_STORE
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.store import GeoPackageStore


@pytest.fixture(scope="session")
def provider() -> LayerProvider:
    return LayerProvider(GeoPackageStore(DEFAULT_STORE))


@pytest.fixture(scope="session")
def plan():
    return load_plan()
