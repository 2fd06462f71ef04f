"""Guards of ``/teams``: the team loaded through the scoped query (404), then the
permission (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import Team
from cnscd_api.teams import service

TeamReader = Annotated[Principal, Depends(require(Permission.TEAMS_READ))]
TeamWriter = Annotated[Principal, Depends(require(Permission.TEAMS_WRITE))]


TeamForRead = Annotated[Team, Depends(guarded(service.get_team, Permission.TEAMS_READ, "team_id"))]
TeamForWrite = Annotated[
    Team, Depends(guarded(service.get_team, Permission.TEAMS_WRITE, "team_id"))
]
