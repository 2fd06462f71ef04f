"""The OpenAPI document: stable operation ids and problem+json everywhere.

FastAPI documents validation errors as ``HTTPValidationError`` in ``application/json``;
this API answers them as problem+json, so every 422 is rewritten to say so, and the
``Problem`` schema is added to the components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from cnscd_api.activities.schemas import ActivityBatchItem
from cnscd_api.core.errors import FieldError, Problem, problem_content

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def operation_id(route: APIRoute) -> str:
    """The endpoint function's name (``list_units``): readable and stable across releases."""
    return route.name


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["Problem"].pop("$defs", None)
    components["FieldError"] = FieldError.model_json_schema()
    # Models a body refers to without FastAPI seeing them (an offline batch's items are
    # parsed one by one, so that one bad item does not refuse the others).
    for model in (ActivityBatchItem,):
        schema_of = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema_of.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = schema_of
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Validation Error", "content": problem_content()}
    app.openapi_schema = schema
    return schema
