"""Guards of ``/teams``: the team loaded through the scoped query (404), then the
permission (403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from cnscd_api.auth.dependencies import CurrentPrincipal, check_permission, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import Team
from cnscd_api.teams import service

TeamReader = Annotated[Principal, Depends(require(Permission.TEAMS_READ))]
TeamWriter = Annotated[Principal, Depends(require(Permission.TEAMS_WRITE))]


def team_for_read(
    session: SessionDep, actor: CurrentPrincipal, team_id: Annotated[uuid.UUID, Path()]
) -> Team:
    team = service.get_team(session, actor, team_id)
    check_permission(session, actor, Permission.TEAMS_READ)
    return team


def team_for_write(
    session: SessionDep, actor: CurrentPrincipal, team_id: Annotated[uuid.UUID, Path()]
) -> Team:
    team = service.get_team(session, actor, team_id)
    check_permission(session, actor, Permission.TEAMS_WRITE)
    return team


TeamForRead = Annotated[Team, Depends(team_for_read)]
TeamForWrite = Annotated[Team, Depends(team_for_write)]
