"""The caller of a request, and guards that require a permission of them.

``CurrentPrincipal`` answers 401 (with ``WWW-Authenticate: Bearer``) without a valid
access token. ``require(permission)`` answers 403, and records the denial in the audit
log, when the caller's role lacks the permission.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from cnscd_api.auth import service
from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.errors import Unauthorized
from cnscd_api.core.idempotency import pending_claim
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep

T = TypeVar("T")
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 -- not a secret
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise Unauthorized("not_authenticated", headers={"WWW-Authenticate": "Bearer"})
    claim = pending_claim(request)
    if claim is not None and claim.principal is not None:
        # A POST with an Idempotency-Key: the middleware checked its token with
        # ``service.principal_from_token`` a moment ago, before claiming the key.
        return claim.principal
    return service.principal_from_token(session, settings, token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def check_permission(session: SessionDep, principal: Principal, permission: Permission) -> None:
    """403 (recorded in the audit log) when the caller's role lacks ``permission``."""
    if not principal.can(permission):
        raise audit.denied(session, principal, permission)


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A guard for collection routes: the caller must hold ``permission``.

    Routes on one object load it through the scoped query first and check the
    permission after, so that an object outside the scope is a 404 whatever the role.
    """

    # No I/O happens here (a denial is only queued on the session), so the guard runs on
    # the event loop rather than costing a trip through the thread pool.
    async def guard(principal: CurrentPrincipal, session: SessionDep) -> Principal:
        check_permission(session, principal, permission)
        return principal

    guard.__name__ = f"require_{permission.name.lower()}"
    return guard


def guarded(
    load: Callable[[Session, Principal, uuid.UUID], T], permission: Permission, path_param: str
) -> Callable[..., T]:
    """A dependency for routes on one object: load it through the caller's scoped query
    (404 outside the scope, whatever the role), then check ``permission`` (403)."""

    def dependency(session: Session, actor: Principal, object_id: uuid.UUID) -> T:
        found = load(session, actor, object_id)
        check_permission(session, actor, permission)
        return found

    # The path parameter's name differs per route, so the signature FastAPI reads is
    # built here rather than written (string annotations could not see ``path_param``).
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("session", parameter, annotation=SessionDep),
            inspect.Parameter("actor", parameter, annotation=CurrentPrincipal),
            inspect.Parameter(
                "object_id", parameter, annotation=Annotated[uuid.UUID, Path(alias=path_param)]
            ),
        ]
    )
    dependency.__name__ = f"{path_param.removesuffix('_id')}_for_{permission.name.lower()}"
    return dependency
