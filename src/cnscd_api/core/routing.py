"""Routing rules every router shares: ids are UUIDs at routing, and a 405 names what the
path does allow.

Every feature router is an ``APIRouter(route_class=ContractRoute)``. ``ContractRoute``
constrains each path parameter named ``id`` or ``…_id`` with the ``uuid`` convertor, so
``PATCH /members/export`` finds the ``/members/export`` route (405, ``Allow: GET``)
instead of parsing ``export`` as a member id, and ``/units/not-a-uuid`` is a 404 like
any path that does not exist. A parameter that is not a UUID names its own convertor
(``{client_id:client_ref}``); a test checks that no path parameter is left unconstrained.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Scope

API_PREFIX = "/api/v1"  # every route of the API (not /healthz, /readyz, /docs)

FORM_BODY_KEY = "x-form-body"


def form_body(example: dict[str, Any], **schema_extra: Any) -> dict[str, Any]:
    """``openapi_extra=`` of a route whose body is a form (its fields are ``Form()`` or
    ``File()`` parameters, so no model of ours holds its schema): the body's example and
    what else its schema states (``allOf`` rules across fields). A binary field's example
    is a file name."""
    return {FORM_BODY_KEY: {"examples": [example], **schema_extra}}


_BARE_ID = re.compile(r"\{((?:[a-z_]+_)?id)\}")


def constrain_ids(path: str) -> str:
    """``/units/{unit_id}`` → ``/units/{unit_id:uuid}``; parameters that already name a
    convertor are left as they are."""
    return _BARE_ID.sub(r"{\1:uuid}", path)


class ContractRoute(APIRoute):
    """An ``APIRoute`` whose id path parameters match only UUIDs."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(constrain_ids(path), endpoint, **kwargs)


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route accepts at the path of ``scope``, sorted (for ``Allow``)."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    methods: set[str] = set()
    for route in iter_route_contexts(list(routes)):
        regex = getattr(route, "path_regex", None)
        route_methods = getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods.update(route_methods)
    return sorted(methods)
