"""The OpenAPI document: what every route gets without writing it.

FastAPI writes the operations; ``build_openapi`` then adds, for every operation:

- problem+json for every error (FastAPI documents validation errors as
  ``HTTPValidationError`` in ``application/json``), with the machine ``code`` values the
  operation may answer listed per status (``x-problem-codes`` and the description): the
  common ones of the status (``COMMON_CODES``) and those the route declares with
  ``problem_responses(…, codes=[…])``;
- ``413`` on every operation with a body (the request-size limit) and ``503`` on every
  operation that reads the database;
- the headers its responses send: ``X-Request-ID`` on every response,
  ``WWW-Authenticate`` on every 401, ``Retry-After`` on every 429 and 503, and ``ETag``
  on the success of every route that answers one versioned object (its response model
  has a ``version`` field; such routes call ``set_etag``);
- uploads as ``format: binary`` (what generators turn into a file parameter);
- links from what lists, creates or reads an object to what reads, changes or deletes
  it (``links``: the object's ``id`` as the path parameter, its ``ETag`` as
  ``If-Match`` where the answer carries one), which clients and stateful testers follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from cnscd_api.activities.schemas import ActivityBatchItem
from cnscd_api.core.errors import (
    COMMON_CODES,
    PROBLEM_CODES_KEY,
    FieldError,
    Problem,
    problem_content,
)
from cnscd_api.core.fields import TEXT_CLASS
from cnscd_api.core.idempotency import KEY_PATTERN
from cnscd_api.core.routing import FORM_BODY_KEY

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# Operations that answer without the database.
NO_DATABASE = {"healthz", "metrics"}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the `X-Request-ID` you sent (1–128 letters, digits "
        "and `._:-`), else a new one. Quote it when reporting a problem; logs carry it.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme to use: `Bearer` (with "
        '`error="invalid_token"` for a token that is no longer accepted), or `Basic` for '
        "a client that sent wrong client credentials.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "ETag": {
        "description": 'The version of the object (`"3"`): send it back as `If-Match` on '
        "`PATCH` or `DELETE` to change only the version you read (412 otherwise).",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the answer first given to an earlier request "
        "with the same `Idempotency-Key` and body: nothing was done again; `false` on an "
        "answer given for the first time.",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1–200 visible ASCII characters (a UUID is best). Makes a retry safe: a "
    "request repeated with the same key and body gets "
    "the first answer again (with `Idempotent-Replayed: true`) instead of a second effect; "
    "the same key with another body is 422 `idempotency_key_reused`; a duplicate sent while "
    "the first still runs waits for it (409 `idempotency_key_in_progress` after 10 s). Keys "
    "are the caller's own and kept 24 hours.",
    "schema": {"type": "string", "pattern": KEY_PATTERN.pattern},
}


def operation_id(route: APIRoute) -> str:
    """The endpoint function's name (``list_units``): readable and stable across releases."""
    return route.name


def _header(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/headers/{name}", "required": True}


def _answers_versioned_object(response_model: Any) -> bool:
    return (
        isinstance(response_model, type)
        and issubclass(response_model, BaseModel)
        and "version" in response_model.model_fields
    )


def _etag_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of the routes whose success answers one versioned object."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        response_model = getattr(route, "response_model", None)
        path = getattr(route, "path_format", None)
        if path and _answers_versioned_object(response_model):
            found.update((path, method.lower()) for method in getattr(route, "methods", ()))
    return found


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _problem(status: int, codes: list[str]) -> dict[str, Any]:
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{HTTPStatus(status).phrase}. Problem codes: {listed}.",
        "content": problem_content(),
        PROBLEM_CODES_KEY: codes,
    }


def _binary_uploads(node: Any) -> None:
    """``contentMediaType: application/octet-stream`` (OpenAPI 3.1's spelling of a file)
    becomes ``format: binary``, which generators read as a file."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType"):
            node.pop("contentMediaType")
            node["format"] = "binary"
        for value in node.values():
            _binary_uploads(value)
    elif isinstance(node, list):
        for value in node:
            _binary_uploads(value)


def _complete_operation(
    path: str, method: str, operation: dict[str, Any], etags: set[tuple[str, str]]
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault("413", {})
    if method == "post":
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        responses.setdefault("409", {PROBLEM_CODES_KEY: []})
        responses["409"].setdefault(PROBLEM_CODES_KEY, []).append("idempotency_key_in_progress")
        responses.setdefault("422", {PROBLEM_CODES_KEY: []})
        responses["422"].setdefault(PROBLEM_CODES_KEY, []).append("idempotency_key_reused")
    if operation.get("operationId") not in NO_DATABASE:
        responses.setdefault("503", {})
    for key, response in list(responses.items()):
        status = int(key) if key.isdigit() else None
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = _header("X-Request-ID")
        if status is None:
            continue
        if status >= 400:
            own = response.get(PROBLEM_CODES_KEY, [])
            # Without a bearer token to check, a 401 has only the route's own codes.
            common = () if status == 401 and not operation.get("security") else None
            codes = sorted({*(COMMON_CODES.get(status, ()) if common is None else common), *own})
            responses[key] = {**_problem(status, codes), "headers": headers}
        if status == 401:
            headers["WWW-Authenticate"] = _header("WWW-Authenticate")
        if status in (429, 503):
            headers["Retry-After"] = _header("Retry-After")
        if 200 <= status < 300 and (path, method) in etags:
            headers["ETag"] = _header("ETag")
        if 200 <= status < 300 and method == "post":
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
    operation["responses"] = dict(sorted(responses.items()))


def _complete_form_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    extra = operation.pop(FORM_BODY_KEY, None)
    if extra is None:
        return
    for media in operation.get("requestBody", {}).get("content", {}).values():
        reference = media.get("schema", {}).get("$ref", "")
        schemas[reference.rsplit("/", 1)[-1]].update(extra)


def _schema_has_id(schemas: dict[str, Any], response: dict[str, Any]) -> bool:
    reference = (
        response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    )
    target = schemas.get(reference.rsplit("/", 1)[-1], {})
    return "id" in target.get("properties", {})


def _lists_items(schemas: dict[str, Any], response: dict[str, Any]) -> bool:
    """A page of objects with ids (``{"items": [{"id": …}, …], …}``)."""
    reference = (
        response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    )
    items = schemas.get(reference.rsplit("/", 1)[-1], {}).get("properties", {}).get("items", {})
    item_reference = items.get("items", {}).get("$ref", "")
    return _schema_has_id(
        schemas, {"content": {"application/json": {"schema": {"$ref": item_reference}}}}
    )


def _link(operation: dict[str, Any], parameter: str, source: str, etag: bool) -> dict[str, Any]:
    parameters = {parameter: source}
    takes_if_match = any(
        p.get("name") == "If-Match" and p.get("in") == "header"
        for p in operation.get("parameters", [])
    )
    if etag and takes_if_match:
        parameters["header.If-Match"] = "$response.header.ETag"
    return {"operationId": operation["operationId"], "parameters": parameters}


def _add_links(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Links from a collection's ``GET`` (its first item) and ``POST`` (what it created) to
    the item's ``GET``/``PATCH``/``DELETE``, from the item's ``GET`` to its ``PATCH`` and
    ``DELETE``, and from its ``PATCH`` to its ``GET``."""
    for path, item in paths.items():
        for item_path, operations in paths.items():
            parameter = item_path.removeprefix(path + "/")
            if not (
                item_path.startswith(path + "/{")
                and parameter.endswith("}")
                and "/" not in parameter
            ):
                continue
            parameter = parameter.strip("{}")
            listed = item.get("get", {}).get("responses", {}).get("200")
            if listed is not None and _lists_items(schemas, listed):
                links = {
                    operations[method]["operationId"]: _link(
                        operations[method], parameter, "$response.body#/items/0/id", False
                    )
                    for method in ("get", "patch", "delete")
                    if method in operations
                }
                if links:
                    listed["links"] = links
            created = item.get("post", {}).get("responses", {}).get("201")
            if created is not None and _schema_has_id(schemas, created):
                etag = "ETag" in created.get("headers", {})
                created["links"] = {
                    operations[method]["operationId"]: _link(
                        operations[method], parameter, "$response.body#/id", etag
                    )
                    for method in ("get", "patch", "delete")
                    if method in operations
                }
            for source, targets in (("get", ("patch", "delete")), ("patch", ("get",))):
                answered = operations.get(source, {}).get("responses", {}).get("200")
                if answered is None:
                    continue
                etag = "ETag" in answered.get("headers", {})
                links = {
                    operations[method]["operationId"]: _link(
                        operations[method], parameter, f"$request.path.{parameter}", etag
                    )
                    for method in targets
                    if method in operations
                }
                if links:
                    answered["links"] = links


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
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    schemas["FieldError"] = FieldError.model_json_schema()
    # Models a body refers to without FastAPI seeing them (an offline batch's items are
    # parsed one by one, so that one bad item does not refuse the others).
    for model in (ActivityBatchItem,):
        schema_of = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema_of.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema_of
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["headers"] = HEADERS
    etags = _etag_operations(app)
    for path, method, operation in _operations(schema):
        _complete_operation(path, method, operation, etags)
        _complete_form_body(operation, schemas)
    _binary_uploads(schemas)
    _add_links(schema.get("paths", {}), schemas)
    app.openapi_schema = schema
    return schema


def render_openapi(document: dict[str, Any]) -> str:
    """The document as committed and served: keys sorted, Vietnamese readable, characters
    that a reader would not see (those the text rule's patterns name) as JSON escapes."""
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    return _INVISIBLE.sub(lambda found: json.dumps(found.group())[1:-1], text) + "\n"


# What the text rule refuses, as JSON escapes in the file (JSON already escapes control
# characters, and the document's own line breaks must stay).
_INVISIBLE = re.compile("[" + TEXT_CLASS.replace(r"\u0000-\u001F", "") + "]")
