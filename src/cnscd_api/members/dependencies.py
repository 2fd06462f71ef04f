"""Guards of ``/members``: the member loaded through the scoped query (404), then the
permission (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.members import service
from cnscd_api.models import Member

MemberReader = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
MemberWriter = Annotated[Principal, Depends(require(Permission.MEMBERS_WRITE))]
MemberExporter = Annotated[Principal, Depends(require(Permission.MEMBERS_EXPORT))]


MemberForRead = Annotated[
    Member, Depends(guarded(service.get_member, Permission.MEMBERS_READ, "member_id"))
]
MemberForWrite = Annotated[
    Member, Depends(guarded(service.get_member, Permission.MEMBERS_WRITE, "member_id"))
]
