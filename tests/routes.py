"""Every route the app serves, with its dependency tree, whatever FastAPI version nests
included routers or flattens them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    name: str
    dependant: Any  # fastapi.dependencies.models.Dependant, or None for plain routes
    response_model: Any = None


def iter_routes(app: FastAPI) -> Iterator[RouteInfo]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                yield RouteInfo(
                    context.path_format,
                    frozenset(context.methods),
                    context.name,
                    context.dependant,
                    context.response_model,
                )
        elif isinstance(route, APIRoute):
            yield RouteInfo(
                route.path_format,
                frozenset(route.methods or ()),
                route.name,
                route.dependant,
                route.response_model,
            )
        elif isinstance(route, Route):
            yield RouteInfo(route.path, frozenset(route.methods or ()), route.name, None)
        elif isinstance(route, Mount):
            yield RouteInfo(route.path, frozenset(), str(route.name), None)
        else:
            raise AssertionError(f"unknown kind of route: {route!r}")


def depends_on(dependant: Any, target: Callable[..., Any]) -> bool:
    if dependant is None:
        return False
    if dependant.call is target:
        return True
    return any(depends_on(child, target) for child in dependant.dependencies)
