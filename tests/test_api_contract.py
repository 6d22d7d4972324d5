"""Property-based contract test: the app against its own OpenAPI document (schemathesis).

Bounded (a few hundred generated requests in all, through the ASGI app, no network). For
every operation: never a 5xx, status codes, content types, headers and bodies as documented.
"""
from hypothesis import HealthCheck, settings
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from api.app import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_keeps_its_documented_contract(case):
    case.call_and_validate()
