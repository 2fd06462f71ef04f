"""Guards of ``/members``: the member loaded through the scoped query (404), then the
permission (403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from cnscd_api.auth.dependencies import CurrentPrincipal, check_permission, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep
from cnscd_api.members import service
from cnscd_api.models import Member

MemberReader = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
MemberWriter = Annotated[Principal, Depends(require(Permission.MEMBERS_WRITE))]
MemberExporter = Annotated[Principal, Depends(require(Permission.MEMBERS_EXPORT))]


def member_for_read(
    session: SessionDep, actor: CurrentPrincipal, member_id: Annotated[uuid.UUID, Path()]
) -> Member:
    member = service.get_member(session, actor, member_id)
    check_permission(session, actor, Permission.MEMBERS_READ)
    return member


def member_for_write(
    session: SessionDep, actor: CurrentPrincipal, member_id: Annotated[uuid.UUID, Path()]
) -> Member:
    member = service.get_member(session, actor, member_id)
    check_permission(session, actor, Permission.MEMBERS_WRITE)
    return member


MemberForRead = Annotated[Member, Depends(member_for_read)]
MemberForWrite = Annotated[Member, Depends(member_for_write)]
