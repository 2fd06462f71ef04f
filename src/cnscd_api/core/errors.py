"""Typed errors and their one rendering: RFC 9457 ``application/problem+json``.

Services raise ``NotFound``, ``Forbidden``, ``Conflict`` …; each carries a stable ``code``
that clients can switch on. ``install_error_handlers`` renders them, request validation
errors (with a field-level ``errors`` list) and any unexpected exception (a plain 500
without internals) in the same shape, in English or Vietnamese.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, PrivateAttr
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from cnscd_api.core.fields import PATTERN_MESSAGES
from cnscd_api.core.i18n import (
    Language,
    Localised,
    Text,
    ValidationText,
    message,
    preferred_language,
    shown,
)
from cnscd_api.core.request_context import current_request_id
from cnscd_api.core.routing import allowed_methods

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="Where the error is, e.g. `query.limit` or `body.name`.")
    code: str = Field(description="Machine-readable error type, e.g. `missing`, `uuid_parsing`.")
    message: str
    row: int | None = Field(
        default=None, description="Spreadsheet row (imports; the header is row 1)."
    )
    column: str | None = Field(default=None, description="Spreadsheet column header (imports).")

    # What ``message`` says, to be rendered in the caller's language by the error handler.
    _text: Localised | None = PrivateAttr(default=None)

    @classmethod
    def of(
        cls,
        field: str,
        code: str,
        text: Localised | None = None,
        *,
        row: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> FieldError:
        """A field error whose message is ``text``, by default the message ``code`` of
        ``core.i18n.MESSAGES`` with ``params``; services never pick the language."""
        localised = text if text is not None else Text(code, **params)
        error = cls(field=field, code=code, message=localised.render("en"), row=row, column=column)
        error._text = localised
        return error

    def in_language(self, language: Language) -> FieldError:
        if self._text is None or language == "en":
            return self
        return self.model_copy(update={"message": self._text.render(language)})


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="A URI reference naming the problem type.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine code; switch on this, not on `detail`.")
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Base of the typed errors. ``params`` fill the message template of ``code``.

    ``keep_changes`` asks the request's transaction to commit what was written before
    the error (a failed-login counter, an audit row of a denial) instead of rolling back.
    """

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
        errors: list[FieldError] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or type(self).code
        self.params = params
        self.headers = headers
        self.keep_changes = keep_changes
        self.errors = errors
        super().__init__(self.code)


class NotFound(ProblemError):
    status, code = 404, "not_found"


class Unauthorized(ProblemError):
    status, code = 401, "not_authenticated"


class Forbidden(ProblemError):
    status, code = 403, "forbidden"


class Conflict(ProblemError):
    status, code = 409, "conflict"


class PreconditionFailed(ProblemError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(ProblemError):
    status, code = 413, "payload_too_large"


class Unprocessable(ProblemError):
    status, code = 422, "validation_failed"

    @classmethod
    def at(cls, field: str, code: str, **params: Any) -> Unprocessable:
        """A rule across fields, blaming ``field`` (``body.team_id``): the problem's code
        is ``code``, and ``errors`` names the field with the same message."""
        return cls(code, errors=[FieldError.of(field, code, **params)], **params)


class TooManyRequests(ProblemError):
    status, code = 429, "too_many_requests"


class ServiceUnavailable(ProblemError):
    status, code = 503, "service_unavailable"


def problem_document(
    *,
    status: int,
    code: str,
    detail: str,
    instance: str | None,
    errors: list[FieldError] | None = None,
) -> dict[str, Any]:
    problem = Problem(
        type=f"/problems/{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        instance=instance,
        request_id=current_request_id(),
        errors=errors,
    )
    return problem.model_dump(exclude_none=True)


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_document(
            status=status, code=code, detail=detail, instance=request.url.path, errors=errors
        ),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _language(request: Request) -> Language:
    return preferred_language(request.headers.get("accept-language"))


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location)


def validation_text(error: Mapping[str, Any]) -> Localised:
    """What a pydantic error says: the message code our own validators put in its
    context, a pattern's own message, or pydantic's wording of its type."""
    error_type = str(error.get("type", "value_error"))
    context = dict(error.get("ctx") or {})
    code = context.get("message_code")
    if isinstance(code, str):
        return Text(code, **dict(context.get("params") or {}))
    pattern = context.get("pattern")
    if error_type == "string_pattern_mismatch" and isinstance(pattern, str):
        pattern_code = PATTERN_MESSAGES.get(pattern)
        if pattern_code is not None:
            return Text(pattern_code, value=shown(error.get("input", "")))
    return ValidationText(error_type, str(error.get("msg", "")), context)


def _location(error: Mapping[str, Any], body: Any) -> tuple[int | str, ...]:
    """Where an error is, as the client wrote it; a rule across fields names the field
    it blames (``at``)."""
    location = _as_sent(tuple(error.get("loc", ())), body)
    at = (error.get("ctx") or {}).get("at")
    return (*location, at) if isinstance(at, str) else location


def _as_sent(location: tuple[int | str, ...], body: Any) -> tuple[int | str, ...]:
    """``location`` without the tags pydantic inserts for a discriminated union's member
    (``operations.0.rename.name`` is ``operations.0.name`` in what was sent): a part that
    is not a key of the object sent there, anywhere but last (a missing field is last)."""
    if not location or location[0] != "body" or body is None:
        return location
    kept: list[int | str] = [location[0]]
    node = body
    for index, part in enumerate(location[1:], start=1):
        last = index == len(location) - 1
        if isinstance(node, dict) and isinstance(part, str) and part not in node and not last:
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(kept)


def field_errors(errors: Iterable[Mapping[str, Any]], body: Any = None) -> list[FieldError]:
    """Field errors of pydantic's (or FastAPI's) validation errors, language-agnostic;
    with the request's ``body``, located as the client wrote it."""
    return [
        FieldError.of(
            _field_path(_location(error, body)),
            str(error.get("type", "value_error")),
            validation_text(error),
        )
        for error in errors
    ]


def _problem(request: Request, exc: ProblemError) -> JSONResponse:
    language = _language(request)
    detail = message(exc.code, language, **exc.params)
    headers = dict(exc.headers or {})
    if exc.status == 503:
        headers.setdefault("Retry-After", "1")
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        detail=detail,
        headers=headers,
        errors=[error.in_language(language) for error in exc.errors]
        if exc.errors is not None
        else None,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = _language(request)
    errors = [error.in_language(language) for error in field_errors(exc.errors(), exc.body)]
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        detail=message("validation_failed", language),
        errors=errors,
    )


_HTTP_CODES = {404: "route_not_found", 405: "method_not_allowed", 422: "malformed_body"}


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400:
        # FastAPI answers 400 when it cannot even decode the body; to clients that is
        # invalid input like any other, so it is a 422 with its own code.
        status = 422
    code = _HTTP_CODES.get(status, "http_error")
    detail = message(code, _language(request), method=request.method)
    headers = dict(exc.headers or {})
    if status == 405:
        # The route that answered knows only its own methods; the path may have others.
        allowed = allowed_methods(request.app.routes, request.scope)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return problem_response(request, status=status, code=code, detail=detail, headers=headers)


def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness or reference rule the database enforced after our own checks (two
    # requests racing): a conflict with the current state, not a server error.
    detail = message("conflict", _language(request))
    return problem_response(request, status=409, code="conflict", detail=detail)


def _data(request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot store (e.g. a NUL character in text).
    detail = message("invalid_value", _language(request))
    return problem_response(request, status=422, code="invalid_value", detail=detail)


def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The database went away, stayed locked past the busy timeout, cancelled a statement
    # past its timeout, or no connection came free in time: try again shortly.
    detail = message("service_unavailable", _language(request))
    return problem_response(
        request, status=503, code="service_unavailable", detail=detail, headers={"Retry-After": "1"}
    )


# The database unreachable, locked past the wait, or out of free connections.
DATABASE_UNAVAILABLE = (OperationalError, PoolTimeout)

# The answers to the errors a request may end in, whoever catches them: the app's
# handlers, or a middleware that runs outside them (idempotency keys).
ANSWERS: dict[type[Exception], Any] = {
    ProblemError: _problem,
    IntegrityError: _integrity,
    DataError: _data,
    OperationalError: _database_unavailable,
    PoolTimeout: _database_unavailable,  # every connection stayed busy past the timeout
}


def answer_to(request: Request, exc: Exception) -> JSONResponse | None:
    """The problem answer the app gives ``exc``, or ``None`` for an unexpected error."""
    for kind, answer in ANSWERS.items():
        if isinstance(exc, kind):
            return answer(request, exc)  # type: ignore[no-any-return]
    return None


async def _on_answered(request: Request, exc: Exception) -> JSONResponse:
    answer = answer_to(request, exc)
    assert answer is not None
    return answer


def install_error_handlers(app: FastAPI) -> None:
    for kind in ANSWERS:
        app.add_exception_handler(kind, _on_answered)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    # Unexpected exceptions are turned into a 500 problem by RequestMiddleware, which
    # still knows the request id and adds X-Request-ID to that response too.


def problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


# The status of every problem ``code``: what ``problem_responses(codes=…)`` files a code
# under. A test checks it against every typed error raised in the source.
PROBLEM_CODES: dict[str, int] = {
    # any route
    "not_authenticated": 401,
    "invalid_token": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "precondition_failed": 412,
    "payload_too_large": 413,
    "validation_failed": 422,
    "malformed_body": 422,
    "invalid_value": 422,
    "service_unavailable": 503,
    # audit log
    "unknown_sequence": 404,
    # events and webhooks
    "event_type_unknown": 422,
    "webhook_url_invalid": 422,
    "webhook_url_not_https": 422,
    "webhook_url_forbidden_address": 422,
    "webhook_url_unresolvable": 422,
    "webhook_endpoint_disabled": 409,
    "webhook_delivery_in_progress": 409,
    # auth
    "invalid_credentials": 401,
    "invalid_client": 401,
    "invalid_refresh_token": 401,
    "too_many_failed_logins": 429,
    "too_many_failed_logins_from_address": 429,
    "own_account_change": 403,
    # users, units, teams, members, API clients
    "username_taken": 409,
    "role_not_grantable": 403,
    "scope_level_mismatch": 422,
    "scope_unit_required": 422,
    "team_required": 422,
    "team_only_for_leaders": 422,
    "weak_password": 422,
    "invalid_parent": 422,
    "division_type_unknown": 422,
    "code_taken": 409,
    "unit_closed": 409,
    "unit_has_later_reports": 409,
    "unit_has_earlier_reports": 409,
    "unit_not_reorganisable": 422,
    "unit_not_current": 422,
    "unit_listed_twice": 422,
    "level_mismatch": 422,
    "merge_target_required": 422,
    "split_default_required": 422,
    "split_target_required": 422,
    "not_a_village_of": 422,
    "move_target_invalid": 422,
    "effective_date_out_of_range": 422,
    "no_successor": 422,
    "team_unit_level": 422,
    "team_has_history": 409,
    "team_not_open": 409,
    "leader_exists": 409,
    "member_phone_exists": 409,
    "member_already_left": 409,
    "api_client_revoked": 409,
    "import_invalid": 422,
    "import_unreadable": 422,
    "import_too_many_rows": 413,
    # catalogue and campaigns
    "catalogue_code_taken": 409,
    "campaign_code_taken": 409,
    "campaign_closed": 409,
    "campaign_not_closed": 409,
    "campaign_not_yours": 403,
    "campaign_scope_closed": 409,
    "campaign_reports_outside": 409,
    "campaign_category_in_use": 409,
    "campaign_indicator_in_use": 409,
    "targets_invalid": 422,
    # activities
    "activity_exists": 409,
    "activity_approved": 409,
    "activity_rejected": 409,
    "activity_not_approved": 409,
    "attribution_fixed": 422,
    "own_report": 403,
    "review_tier": 403,
    "batch_too_large": 413,
    # support requests and devices
    "support_request_state": 409,
    "device_referral_state": 409,
    "device_need_exists": 409,
    "support_place_level": 422,
    "team_outside_place": 422,
    "team_required_for_leader": 422,
    "ends_before_start": 422,
    "date_in_future": 422,
    "poor_exceeds_total": 422,
    "consent_in_future": 422,
    # allowances
    "allowance_month_closed": 409,
    "allowance_rule_in_use": 409,
    "allowance_rule_exists": 409,
    "allowance_rule_empty": 422,
    "allowance_rule_before_province": 422,
    "allowance_statement_exists": 409,
    "allowance_statement_overlaps": 409,
    "allowance_statement_approved": 409,
    "allowance_statement_not_approved": 409,
    "allowance_statement_stale": 409,
    "allowance_unit_level": 422,
    "allowance_unit_not_valid": 422,
    "allowance_month_in_future": 422,
    "allowance_no_rule": 422,
    "own_statement": 403,
    "statement_review_tier": 403,
    # any POST
    "idempotency_key_reused": 422,
    "idempotency_key_in_progress": 409,
}

# Codes any operation answering that status may carry; routes add their own.
COMMON_CODES: dict[int, tuple[str, ...]] = {
    401: ("not_authenticated", "invalid_token"),
    403: ("forbidden",),
    404: ("not_found",),
    409: ("conflict",),
    412: ("precondition_failed",),
    413: ("payload_too_large",),
    422: ("validation_failed", "malformed_body", "invalid_value"),
    503: ("service_unavailable",),
}
PROBLEM_CODES_KEY = "x-problem-codes"


def problem_responses(*statuses: int, codes: Iterable[str] = ()) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry that documents the problems a route may answer: each
    status, and the machine ``codes`` the route adds to the common ones (filed under
    their status from ``PROBLEM_CODES``, which adds the status if it is not listed).

    The ``Problem`` schema and the common codes are added by ``cnscd_api.openapi``.
    """
    by_status: dict[int, list[str]] = {status: [] for status in statuses}
    for code in codes:
        by_status.setdefault(PROBLEM_CODES[code], []).append(code)
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": problem_content(),
            **({PROBLEM_CODES_KEY: sorted(own)} if own else {}),
        }
        for status, own in sorted(by_status.items())
    }
