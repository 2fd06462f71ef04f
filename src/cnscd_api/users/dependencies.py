"""Guards of ``/users``: the permission, and the target user loaded through the scoped query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import User
from cnscd_api.users import service

UserReader = Annotated[Principal, Depends(require(Permission.USERS_READ))]
UserWriter = Annotated[Principal, Depends(require(Permission.USERS_WRITE))]


UserForRead = Annotated[User, Depends(guarded(service.get_user, Permission.USERS_READ, "user_id"))]
UserForWrite = Annotated[
    User, Depends(guarded(service.get_user, Permission.USERS_WRITE, "user_id"))
]
