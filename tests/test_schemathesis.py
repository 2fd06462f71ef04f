"""Property-based tests over every operation of the schema, in process."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@pytest.fixture
def api_schema(app: FastAPI, admin_client: TestClient) -> schemathesis.BaseSchema:
    """The app's schema, called as the province admin of Kon Tum."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    authorization = str(admin_client.headers["Authorization"])

    @loaded.auth()
    class ProvinceAdmin:
        def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
            return authorization

        def set(
            self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers["Authorization"] = data

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
