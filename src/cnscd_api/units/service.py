"""Unit rules: lookups that answer 404 for what the caller cannot see."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cnscd_api.core.errors import NotFound
from cnscd_api.core.pagination import PageParams
from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units import repository
from cnscd_api.units.schemas import UnitSort


def get_unit(session: Session, unit_id: uuid.UUID) -> Unit:
    unit = repository.get_unit(session, unit_id)
    if unit is None:
        raise NotFound(resource="unit")
    return unit


def list_units(
    session: Session,
    page: PageParams,
    *,
    level: UnitLevel | None,
    parent_id: uuid.UUID | None,
    query: str | None,
    sort: UnitSort | None,
) -> tuple[list[Unit], int]:
    return repository.list_units(
        session, page, level=level, parent_id=parent_id, query=query, sort=sort
    )


def list_children(
    session: Session, unit: Unit, page: PageParams, *, query: str | None, sort: UnitSort | None
) -> tuple[list[Unit], int]:
    return repository.list_units(session, page, parent_id=unit.id, query=query, sort=sort)
