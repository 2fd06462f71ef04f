"""The outermost layer of every request: id, timing, metrics, access log, size limits,
security headers, last-resort 500.

A pure ASGI middleware (no BaseHTTPMiddleware) so that streaming responses pass through
untouched and the request id is set before anything else runs.

Size limits: a multipart upload may reach ``MAX_UPLOAD_BYTES`` (the 10 MB a file may have,
plus room for the form around it), any other body (JSON, forms) ``MAX_BODY_BYTES`` (1 MB).
A larger body is refused with 413 at once when ``Content-Length`` says so, else as soon as
it grows past the limit, without reading the rest.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cnscd_api.core.errors import PROBLEM_MEDIA_TYPE, problem_document
from cnscd_api.core.i18n import message, preferred_language
from cnscd_api.core.metrics import Metrics
from cnscd_api.core.request_context import reset_request_id, set_request_id
from cnscd_api.core.routing import API_PREFIX

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
_API_PATHS = f"{API_PREFIX}/"
MB = 1024 * 1024
# JSON and form bodies. A batch of 500 usual activity reports is a fifth of this; one
# whose reports carry long descriptions is split by its sender.
MAX_BODY_BYTES = 1 * MB
# Multipart uploads: the largest file a route accepts (10 MB member imports) and its form.
MAX_UPLOAD_BYTES = 10 * MB + 64 * 1024
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = logging.getLogger("cnscd_api.access")


class BodyTooLarge(Exception):
    """The request body grew past its limit while it was being read."""


def body_limit(headers: Headers) -> int:
    """The most bytes a request with these headers may send."""
    content_type = headers.get("content-type", "").lower()
    return MAX_UPLOAD_BYTES if content_type.startswith("multipart/form-data") else MAX_BODY_BYTES


def security_headers(path: str, hsts_seconds: int) -> tuple[tuple[bytes, bytes], ...]:
    """Headers added to every answer (unless the route set its own).

    ``nosniff`` on everything; ``no-store`` on the API, whose every answer is for its
    caller alone (tokens, personal data, their scope's lists) and must not stay in a
    browser's or a proxy's cache; HSTS when configured (behind TLS)."""
    return _security_headers(path.startswith(_API_PATHS), hsts_seconds)


@functools.cache
def _security_headers(api: bool, hsts_seconds: int) -> tuple[tuple[bytes, bytes], ...]:
    added = [(b"x-content-type-options", b"nosniff")]
    if api:
        added.append((b"cache-control", b"no-store"))
    if hsts_seconds > 0:
        added.append((b"strict-transport-security", f"max-age={hsts_seconds}".encode()))
    return tuple(added)


def _request_id(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER)
    if given and _VALID_REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's full template (``/api/v1/units/{unit_id}``), or ``unmatched``.

    FastAPI releases that keep included routers nested record the full template in the
    effective route context; older ones put a flattened route in ``scope["route"]``.
    """
    context: Any = (scope.get("fastapi") or {}).get("effective_route_context")
    route: Any = scope.get("route")
    template = getattr(context, "path_format", None) or getattr(route, "path_format", None)
    return str(template or "unmatched")


def _hsts_seconds(scope: Scope) -> int:
    # Read per request from the application's settings (set once at start in production).
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return int(getattr(settings, "hsts_seconds", 0) or 0)


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _request_id(headers)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        limit = body_limit(headers)
        extra_headers = security_headers(scope.get("path", ""), _hsts_seconds(scope))

        too_large = False
        replaced = False

        async def forward(msg: Message) -> None:
            nonlocal status, response_started
            if msg["type"] == "http.response.start":
                status = msg["status"]
                response_started = True
                own = [(k, v) for k, v in msg.get("headers", []) if k.lower() != _REQUEST_ID_KEY]
                present = {k.lower() for k, _ in own}
                msg["headers"] = [
                    *own,
                    *[(k, v) for k, v in extra_headers if k not in present],
                    (_REQUEST_ID_KEY, request_id.encode()),
                ]
            await send(msg)

        async def send_with_id(msg: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if too_large and msg["type"] == "http.response.start" and not response_started:
                # The body outgrew the limit and the app answered about a broken body
                # instead (it reads bodies itself): answer 413 in its place.
                replaced = True
                await self._send_problem(scope, headers, forward, 413, "payload_too_large", limit)
                return
            await forward(msg)

        try:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                status = 413
                await self._send_problem(
                    scope, headers, send_with_id, 413, "payload_too_large", limit
                )
                return
            received = 0

            async def counted_receive() -> Message:
                # Bodies sent without Content-Length (chunked) are counted as they arrive.
                nonlocal received, too_large
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        too_large = True
                        raise BodyTooLarge
                return message

            await self.app(scope, counted_receive, send_with_id)
        except BodyTooLarge:
            status = 413
            if not response_started:
                await self._send_problem(
                    scope, headers, send_with_id, 413, "payload_too_large", limit
                )
        except Exception:
            logger.exception(
                "unhandled error", extra={"method": scope["method"], "route": route_template(scope)}
            )
            status = 500
            if not response_started:
                await self._send_problem(scope, headers, send_with_id, 500, "internal_error", limit)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            reset_request_id(token)

    @staticmethod
    async def _send_problem(
        scope: Scope, headers: Headers, send: Send, status: int, code: str, limit: int
    ) -> None:
        language = preferred_language(headers.get("accept-language"))
        detail = message(code, language, limit_mb=limit // MB)
        body = json.dumps(
            problem_document(status=status, code=code, detail=detail, instance=scope.get("path"))
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
