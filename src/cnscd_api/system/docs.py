"""The contract and its documentation pages, served with nothing from the internet.

``/openapi.json`` is the committed ``openapi/openapi.json`` byte for byte: the app's
document rendered as ``cnscd openapi`` writes it (keys sorted), so that a client generated
from the served document is the one generated from the committed file (a test holds them
equal). Generators read the order of media types: with the keys sorted, a file's
``application/octet-stream`` comes first and clients read bytes.

``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) load their scripts, styles and icon from
this server (the copies fastapi-offline ships). Swagger UI's online validator badge is
switched off: it would load an image from validator.swagger.io, sending it the document's
address. ReDoc has no option for the logo of its "API docs by Redocly" footer, which it
loads from cdn.redoc.ly: its bundle is served with that image replaced by an empty inline
one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/static-offline-docs"
ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
REDOC_BUNDLE = "redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# A transparent 1×1 GIF: the footer keeps its layout and loads nothing.
EMPTY_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
SWAGGER_PARAMETERS = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    "validatorUrl": None,
}

router = APIRouter(include_in_schema=False)


def served_document(app: FastAPI) -> bytes:
    """The document as committed, rendered once per app."""
    cached: bytes | None = getattr(app.state, "openapi_document", None)
    if cached is None:
        cached = app.state.render_openapi(app.openapi()).encode()
        app.state.openapi_document = cached
    return cached


@functools.cache
def redoc_bundle() -> bytes:
    """ReDoc's script without its one load from the internet."""
    script = (ASSETS / REDOC_BUNDLE).read_text(encoding="utf-8")
    if REDOC_LOGO not in script:
        # Another ReDoc: its footer may load something else; the docs test says what.
        raise RuntimeError(f"{REDOC_BUNDLE} no longer names {REDOC_LOGO}")
    return script.replace(REDOC_LOGO, EMPTY_IMAGE).encode()


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@router.get(OPENAPI_PATH)
def openapi_document(request: Request) -> Response:
    return Response(served_document(request.app), media_type="application/json")


@router.get(SWAGGER_PATH)
def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{OPENAPI_PATH}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )


@router.get(OAUTH2_REDIRECT_PATH)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_PATH)
def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{OPENAPI_PATH}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_PATH}/{REDOC_BUNDLE}",
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        with_google_fonts=False,
    )


@router.get(f"{ASSETS_PATH}/{REDOC_BUNDLE}")
def redoc_script() -> Response:
    return Response(redoc_bundle(), media_type="text/javascript")


def install_docs(app: FastAPI, render: Callable[[dict[str, Any]], str]) -> None:
    """The routes above, then the other assets (the patched bundle's route comes first);
    ``render`` writes the document as it is committed (the app's assembly gives it)."""
    app.state.render_openapi = render
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="static-offline-docs")
