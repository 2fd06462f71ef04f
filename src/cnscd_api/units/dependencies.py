"""Guards of the unit endpoints: the permission, and the unit loaded through the scoped
query (404 outside what the caller may see)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import Unit
from cnscd_api.units import service

UnitReader = Annotated[Principal, Depends(require(Permission.UNITS_READ))]
UnitWriter = Annotated[Principal, Depends(require(Permission.VILLAGES_WRITE))]


UnitForRead = Annotated[Unit, Depends(guarded(service.get_unit, Permission.UNITS_READ, "unit_id"))]
UnitForWrite = Annotated[
    Unit, Depends(guarded(service.get_unit_for_write, Permission.VILLAGES_WRITE, "unit_id"))
]
