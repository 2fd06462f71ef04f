"""CORS with the allow-list from the settings; a refused preflight answers in the same
problem+json shape as every other error."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from cnscd_api.core.errors import PROBLEM_MEDIA_TYPE, problem_document
from cnscd_api.core.i18n import Text, message, preferred_language

# What Starlette's refusal ("Disallowed CORS origin, method") names, as messages.
_FAILURES = {
    "origin": Text("cors_origin"),
    "method": Text("cors_method"),
    "headers": Text("cors_headers"),
}


class ProblemCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        language = preferred_language(request_headers.get("accept-language"))
        failed = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        reasons = [_FAILURES[name] for name in failed if name in _FAILURES]
        reason = ", ".join(reason.render(language) for reason in reasons) or "?"
        body = problem_document(
            status=400,
            code="cors_refused",
            detail=message("cors_refused", language, reason=reason),
            instance=None,
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers.pop("content-type", None)
        return Response(
            json.dumps(body), status_code=400, media_type=PROBLEM_MEDIA_TYPE, headers=headers
        )
