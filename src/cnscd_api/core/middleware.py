"""The outermost layer of every request: id, timing, metrics, access log, last-resort 500.

A pure ASGI middleware (no BaseHTTPMiddleware) so that streaming responses pass through
untouched and the request id is set before anything else runs.
"""

from __future__ import annotations

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

REQUEST_ID_HEADER = "x-request-id"
# Above the largest upload any route accepts (10 MB imports); refused before parsing.
MAX_REQUEST_BYTES = 11 * 1024 * 1024
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = logging.getLogger("cnscd_api.access")


class BodyTooLarge(Exception):
    """The request body grew past MAX_REQUEST_BYTES while it was being read."""


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

        too_large = False
        replaced = False

        async def forward(msg: Message) -> None:
            nonlocal status, response_started
            if msg["type"] == "http.response.start":
                status = msg["status"]
                response_started = True
                msg.setdefault("headers", [])
                msg["headers"] = [
                    *[(k, v) for k, v in msg["headers"] if k.lower() != REQUEST_ID_HEADER.encode()],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
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
                await self._send_problem(scope, headers, forward, 413, "payload_too_large")
                return
            await forward(msg)

        try:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
                status = 413
                await self._send_problem(scope, headers, send_with_id, 413, "payload_too_large")
                return
            received = 0

            async def counted_receive() -> Message:
                # Bodies sent without Content-Length (chunked) are counted as they arrive.
                nonlocal received, too_large
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > MAX_REQUEST_BYTES:
                        too_large = True
                        raise BodyTooLarge
                return message

            await self.app(scope, counted_receive, send_with_id)
        except BodyTooLarge:
            status = 413
            if not response_started:
                await self._send_problem(scope, headers, send_with_id, 413, "payload_too_large")
        except Exception:
            logger.exception(
                "unhandled error", extra={"method": scope["method"], "route": route_template(scope)}
            )
            status = 500
            if not response_started:
                await self._send_problem(scope, headers, send_with_id, 500, "internal_error")
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
        scope: Scope, headers: Headers, send: Send, status: int, code: str
    ) -> None:
        language = preferred_language(headers.get("accept-language"))
        detail = message(code, language, limit_mb=MAX_REQUEST_BYTES // (1024 * 1024))
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
