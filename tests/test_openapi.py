"""The committed OpenAPI document is the app's, and it documents problem+json errors."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from cnscd_api.cli import render_openapi

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app(app: FastAPI) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_openapi(app.openapi()), (
        "openapi/openapi.json is out of date: run `make openapi` and commit it"
    )


def test_operation_ids_are_readable_and_unique(app: FastAPI) -> None:
    ids = [
        operation["operationId"]
        for path_item in app.openapi()["paths"].values()
        for operation in path_item.values()
    ]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z_]*", operation_id) for operation_id in ids), ids
    assert {"list_units", "get_unit", "list_unit_children", "healthz", "readyz"} <= set(ids)


def test_validation_errors_are_documented_as_problems(app: FastAPI) -> None:
    schema = app.openapi()
    unprocessable = schema["paths"]["/api/v1/units"]["get"]["responses"]["422"]
    assert list(unprocessable["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]
