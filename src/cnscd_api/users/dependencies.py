"""Guards of ``/users``: the permission, and the target user loaded through the scoped query."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from cnscd_api.auth.dependencies import CurrentPrincipal, check_permission, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import User
from cnscd_api.users import service

UserReader = Annotated[Principal, Depends(require(Permission.USERS_READ))]
UserWriter = Annotated[Principal, Depends(require(Permission.USERS_WRITE))]


def user_for_read(
    session: SessionDep, actor: CurrentPrincipal, user_id: Annotated[uuid.UUID, Path()]
) -> User:
    found = service.get_user(session, actor, user_id)
    check_permission(session, actor, Permission.USERS_READ)
    return found


def user_for_write(
    session: SessionDep, actor: CurrentPrincipal, user_id: Annotated[uuid.UUID, Path()]
) -> User:
    found = service.get_user(session, actor, user_id)
    check_permission(session, actor, Permission.USERS_WRITE)
    return found


UserForRead = Annotated[User, Depends(user_for_read)]
UserForWrite = Annotated[User, Depends(user_for_write)]
