"""One error family: every exception class of the tool derives from ZonesError, and api/ answers
each category with its status from one table."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import zones.errors as errors
from api.app import create_app
from api.problems import STATUS, Problem, status_of

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zones", "geodata", "api", "maps", "cli")
CATEGORIES = [c for c in vars(errors).values()
              if inspect.isclass(c) and c.__bases__[0] is errors.ZonesError]


def _own_exception_classes():
    for package in PACKAGES:
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                    yield cls


def test_every_exception_class_of_the_tool_is_in_the_family():
    outside = {f"{c.__module__}.{c.__name__}" for c in _own_exception_classes()
               if not issubclass(c, errors.ZonesError) and c is not Problem}
    assert outside == set()


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.__name__)
def test_every_category_has_one_status(category):
    assert category in STATUS and 400 <= status_of(category("x"))[0] < 600


def test_a_domain_error_from_a_route_is_answered_by_the_table():
    client = TestClient(create_app())
    resp = client.get("/siting/feasible/space_port")  # UnknownFacility, a NotFound raised in zones/
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["code"] == "unknown_facility" and "modular_factory" in body["known"]
