"""No route is reachable without authentication unless it is meant to be public."""

from __future__ import annotations

from fastapi import FastAPI

from cnscd_api.auth.dependencies import current_principal
from tests.routes import depends_on, iter_routes

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/static-offline-docs",
    "/dashboard",
    "/static-offline-docs/redoc.standalone.js",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
}


def test_every_non_public_route_requires_authentication(app: FastAPI) -> None:
    routes = list(iter_routes(app))
    assert len(routes) > 20
    unauthenticated = sorted(
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if route.path not in PUBLIC and not depends_on(route.dependant, current_principal)
    )
    assert unauthenticated == []


def test_public_routes_are_exactly_the_listed_ones(app: FastAPI) -> None:
    public = {
        route.path
        for route in iter_routes(app)
        if not depends_on(route.dependant, current_principal)
    }
    assert public == PUBLIC


def test_permissions_document_is_current() -> None:
    from pathlib import Path

    from tests.permissions_doc import render

    document = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
    assert document.read_text(encoding="utf-8") == render(), (
        "docs/permissions.md is out of date: python -m tests.permissions_doc > docs/permissions.md"
    )
