"""Path-parameter guards: load the unit through the scoped query or answer 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from cnscd_api.dependencies import SessionDep
from cnscd_api.models import Unit
from cnscd_api.units import service


def unit_from_path(session: SessionDep, unit_id: Annotated[uuid.UUID, Path()]) -> Unit:
    return service.get_unit(session, unit_id)


UnitDep = Annotated[Unit, Depends(unit_from_path)]
