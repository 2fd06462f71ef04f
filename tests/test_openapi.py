"""The committed OpenAPI document is the app's, and it documents problem+json errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cnscd_api.openapi import render_openapi

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


def test_every_path_parameter_is_constrained_at_routing(app: FastAPI) -> None:
    """No path parameter takes any segment: ids are UUIDs (or name their convertor)."""
    from fastapi.routing import iter_route_contexts
    from starlette.convertors import StringConvertor

    loose = [
        f"{route.path_format} {name}"
        for route in iter_route_contexts(app.routes)
        for name, convertor in (getattr(route, "param_convertors", None) or {}).items()
        if isinstance(convertor, StringConvertor)
    ]
    assert loose == []


def test_responses_declare_the_headers_they_send(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    get_team = paths["/api/v1/teams/{team_id}"]["get"]["responses"]
    assert set(get_team["200"]["headers"]) == {"ETag", "X-Request-ID"}
    assert set(get_team["401"]["headers"]) == {"WWW-Authenticate", "X-Request-ID"}
    assert "Retry-After" in get_team["503"]["headers"]
    token = paths["/api/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
    assert "too_many_failed_logins" in token["429"]["x-problem-codes"]
    assert "ETag" not in paths["/api/v1/teams"]["get"]["responses"]["200"]["headers"]
    create_member = paths["/api/v1/members"]["post"]["responses"]
    assert {"leader_exists", "conflict"} <= set(create_member["409"]["x-problem-codes"])


def test_uploads_are_binary_and_downloads_are_bytes(app: FastAPI) -> None:
    schema = app.openapi()
    upload = schema["components"]["schemas"]["Body_import_members"]["properties"]["file"]
    assert upload == {**upload, "type": "string", "format": "binary"}
    assert "contentMediaType" not in upload
    export = schema["paths"]["/api/v1/members/export"]["get"]["responses"]["200"]["content"]
    assert all(media["schema"]["format"] == "binary" for media in export.values())
    assert "application/octet-stream" in export


def test_every_operation_is_described(app: FastAPI) -> None:
    undescribed = [
        operation["operationId"]
        for item in app.openapi()["paths"].values()
        for operation in item.values()
        if not operation.get("description") or not operation.get("summary")
    ]
    assert undescribed == []


def test_the_served_document_is_the_committed_file(app: FastAPI, client: TestClient) -> None:
    """`GET /openapi.json` answers the committed file byte for byte (the order of media
    types decides what a generated client reads: octet-stream first, bytes), and the
    app's own document says the same."""
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    assert served.content == COMMITTED.read_bytes()
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == app.openapi()
    export = served.json()["paths"]["/api/v1/members/export"]["get"]["responses"]["200"]
    assert next(iter(export["content"])) == "application/octet-stream"


def _conditionals(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "if" in node:
            yield node
        for value in node.values():
            yield from _conditionals(value)
    elif isinstance(node, list):
        for value in node:
            yield from _conditionals(value)


def test_conditional_schemas_name_their_cases_without_clashing_types(app: FastAPI) -> None:
    """Documentation tools show an `if`/`then`/`else` as two cases named by the titles of
    the `if` and the `else` ("case 1 / case 2" without them), and merge each branch into
    the schema: a branch restating a field's type (`string` for a UUID-or-null) is an
    "Incompatible types in allOf" warning."""
    found = list(_conditionals(app.openapi()))
    assert len(found) >= 2  # users and the token form
    for conditional in found:
        assert conditional["if"].get("title"), conditional
        assert conditional.get("else", {}).get("title"), conditional
        for branch in ("if", "then", "else"):
            for name, field in conditional.get(branch, {}).get("properties", {}).items():
                assert "type" not in field, (branch, name, field)
