"""The caller of a request, and guards that require a permission of them.

``CurrentPrincipal`` answers 401 (with ``WWW-Authenticate: Bearer``) without a valid
access token. ``require(permission)`` answers 403, and records the denial in the audit
log, when the caller's role lacks the permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from cnscd_api.auth import service
from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.errors import Unauthorized
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 -- not a secret
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


def current_principal(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    if not token:
        raise Unauthorized("not_authenticated", headers={"WWW-Authenticate": "Bearer"})
    return service.principal_from_token(session, settings, token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def check_permission(session: SessionDep, principal: Principal, permission: Permission) -> None:
    """403 (recorded in the audit log) when the caller's role lacks ``permission``."""
    if not principal.can(permission):
        raise audit.denied(session, principal, permission.value)


def require(permission: Permission) -> Callable[..., Principal]:
    """A guard for collection routes: the caller must hold ``permission``.

    Routes on one object load it through the scoped query first and check the
    permission after, so that an object outside the scope is a 404 whatever the role.
    """

    def guard(principal: CurrentPrincipal, session: SessionDep) -> Principal:
        check_permission(session, principal, permission)
        return principal

    guard.__name__ = f"require_{permission.name.lower()}"
    return guard
