"""The reference dashboard: static files served at ``/dashboard/``, which read the
public API from the browser like any other client (no server-side rendering, no build
step: plain ES modules, a style sheet and SVG drawn by the scripts).

The pages are public (they hold no data; every figure is fetched with the user's own
token) and carry a strict Content-Security-Policy: scripts, styles, images and API calls
from this origin only, no inline script or style, no framing.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DASHBOARD_PATH = "/dashboard"
STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
# Every file answer, 304s included. ``no-cache``: the browser keeps the
# files but asks each time (a 304 while unchanged), so a new release is picked up at once.
DASHBOARD_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class DashboardFiles(StaticFiles):
    """The dashboard's files, each answer with the headers above."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(DASHBOARD_HEADERS)
        return response


def dashboard_files() -> DashboardFiles:
    return DashboardFiles(directory=STATIC_DIR, html=True)
