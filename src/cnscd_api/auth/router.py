"""``/auth``: tokens for users (password) and partners (client credentials), refresh,
logout and the caller's own identity."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, status
from pydantic import WithJsonSchema

from cnscd_api.auth import service
from cnscd_api.auth.dependencies import CurrentPrincipal, SettingsDep
from cnscd_api.auth.schemas import Me, PasswordChange, RefreshRequest, ScopeUnit, TokenResponse
from cnscd_api.auth.service import IssuedTokens
from cnscd_api.core.errors import FieldError, Unprocessable, problem_responses
from cnscd_api.core.fields import TEXT_PATTERN, PlainText
from cnscd_api.core.i18n import Text
from cnscd_api.core.routing import ContractRoute, form_body
from cnscd_api.dependencies import SessionDep

router = APIRouter(route_class=ContractRoute, prefix="/auth", tags=["auth"])

# Usernames and client ids follow the text rule; secrets are only compared with what is
# stored, so they are taken as sent (a password set before any rule must still log in).
# A form field is absent or a string (never null); which ones a grant needs is stated by
# ``TOKEN_FORM_RULES`` below.
FormText = Annotated[
    Annotated[str, PlainText] | None,
    Form(max_length=200),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": TEXT_PATTERN}),
]
FormSecret = Annotated[
    str | None,
    Form(max_length=200),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200}),
]
# The fields each grant requires, in the form's schema (JSON Schema if/then/else; client
# credentials may come as HTTP Basic instead, which a body schema cannot say).
TOKEN_FORM_RULES = [
    {
        "if": {
            "title": "Client credentials: client_id and client_secret",
            "properties": {"grant_type": {"const": "client_credentials"}},
            "required": ["grant_type"],
        },
        "then": {"required": ["client_id", "client_secret"]},
        "else": {"title": "Password: username and password", "required": ["username", "password"]},
    }
]
TOKEN_FORM_EXAMPLE = {
    "grant_type": "password",
    "username": "tinh.kontum",
    "password": "KonTum-demo-2024",
}


def _token_response(tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=tokens.refresh_expires_in,
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _missing(*fields: str) -> Unprocessable:
    return Unprocessable(
        errors=[FieldError.of(f"body.{name}", "missing", Text("field_required")) for name in fields]
    )


@router.post(
    "/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="Get an access token (password or client credentials grant)",
    responses=problem_responses(
        401,
        codes=[
            "invalid_credentials",
            "invalid_client",
            "too_many_failed_logins",
            "too_many_failed_logins_from_address",
        ],
    ),
    openapi_extra=form_body(TOKEN_FORM_EXAMPLE, allOf=TOKEN_FORM_RULES),
)
def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[Literal["password", "client_credentials"], Form()] = "password",
    username: FormText = None,
    password: FormSecret = None,
    client_id: FormText = None,
    client_secret: FormSecret = None,
    scope: Annotated[Annotated[str, PlainText], Form(max_length=500)] = "",
) -> TokenResponse:
    """OAuth2 token endpoint (form-encoded). Users send `grant_type=password` with
    `username` and `password` and receive an access and a refresh token. Partners send
    `grant_type=client_credentials` with `client_id` and `client_secret` (in the form or
    as HTTP Basic) and receive an access token only. `scope` is accepted and ignored:
    what a caller may do follows from their role."""
    if grant_type == "password":
        if not username or not password:
            raise _missing(
                *[
                    name
                    for name, value in (("username", username), ("password", password))
                    if not value
                ]
            )
        address = request.client.host if request.client else None
        tokens = service.login_with_password(session, settings, username, password, address)
    else:
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or not client_secret:
            raise _missing(
                *[
                    n
                    for n, v in (("client_id", client_id), ("client_secret", client_secret))
                    if not v
                ]
            )
        tokens = service.login_with_client_secret(session, settings, client_id, client_secret)
    return _token_response(tokens)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    summary="Exchange a refresh token for new tokens (rotation)",
    responses=problem_responses(codes=["invalid_refresh_token"]),
)
def refresh_token(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """The presented refresh token dies and a new pair is issued in the same family.
    Presenting it again within `CNSCD_REFRESH_REUSE_GRACE_SECONDS` (30 s) of its use, as
    a client retrying a request whose answer it lost does, gives another pair in the same
    family; presenting it later revokes the whole family. Anything but the 43 base64url
    characters of a refresh token is refused (401) without being looked up."""
    return _token_response(service.refresh(session, settings, body.refresh_token))


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a refresh token and its family",
    responses=problem_responses(codes=["invalid_refresh_token"]),
)
def logout(body: RefreshRequest, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Ends the session the refresh token belongs to: it and every token of its family stop
    working. The access token in use runs out on its own (15 minutes)."""
    service.logout(session, principal, body.refresh_token)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I, and what may I do",
    responses=problem_responses(401),
)
def read_me(principal: CurrentPrincipal, session: SessionDep) -> Me:
    """Your account (or API client), its role, the unit whose subtree you work in (with its
    names from the province down) and the permissions the role gives."""
    unit = service.scope_unit(session, principal)
    return Me(
        kind=principal.kind,
        id=principal.id,
        username=principal.name,
        full_name=service.full_name(session, principal),
        role=principal.role,
        organisation=principal.organisation,
        scope_unit=ScopeUnit(
            id=unit.id,
            name=unit.name,
            level=unit.level,
            path_names=service.scope_path_names(session, principal),
        )
        if unit is not None
        else None,
        permissions=sorted(principal.permissions),
    )


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password",
    responses=problem_responses(401, 403, codes=["weak_password"]),
)
def change_password(body: PasswordChange, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Needs the current password. Every session of the account ends, this one included:
    no access or refresh token issued before works again, so every device (this one too)
    logs in again with the new password."""
    service.change_own_password(session, principal, body.current_password, body.new_password)
