"""Guards of the unit endpoints: the permission, and the unit loaded through the scoped
query (404 outside what the caller may see)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from cnscd_api.auth.dependencies import CurrentPrincipal, check_permission, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import Unit
from cnscd_api.units import service

UnitReader = Annotated[Principal, Depends(require(Permission.UNITS_READ))]
UnitWriter = Annotated[Principal, Depends(require(Permission.VILLAGES_WRITE))]


def unit_for_read(
    session: SessionDep, actor: CurrentPrincipal, unit_id: Annotated[uuid.UUID, Path()]
) -> Unit:
    found = service.get_unit(session, actor, unit_id)
    check_permission(session, actor, Permission.UNITS_READ)
    return found


def unit_for_write(
    session: SessionDep, actor: CurrentPrincipal, unit_id: Annotated[uuid.UUID, Path()]
) -> Unit:
    found = service.get_unit_for_write(session, actor, unit_id)
    check_permission(session, actor, Permission.VILLAGES_WRITE)
    return found


UnitForRead = Annotated[Unit, Depends(unit_for_read)]
UnitForWrite = Annotated[Unit, Depends(unit_for_write)]
