"""HTTP endpoints of the unit tree."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units import service
from cnscd_api.units.dependencies import UnitForRead, UnitForWrite, UnitReader, UnitWriter
from cnscd_api.units.schemas import UnitCreate, UnitRead, UnitSort, UnitUpdate

router = APIRouter(prefix="/units", tags=["units"], responses=problem_responses(401, 403))

SearchQuery = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Case- and accent-insensitive Vietnamese search on the name: "
        "`dak glei` finds `Huyện Đắk Glei`.",
    ),
]
SortQuery = Annotated[
    UnitSort | None, Query(description="Sort field; a leading `-` sorts descending.")
]


def _page(items: list[Unit], total: int, page: PageParamsDep) -> Page[UnitRead]:
    return Page[UnitRead](
        items=[UnitRead.model_validate(item) for item in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("", response_model=Page[UnitRead], summary="List units in your scope")
def list_units(
    session: SessionDep,
    actor: UnitReader,
    page: PageParamsDep,
    level: UnitLevel | None = None,
    parent_id: uuid.UUID | None = None,
    q: SearchQuery = None,
    sort: SortQuery = None,
) -> Page[UnitRead]:
    items, total = service.list_units(
        session, actor, page, level=level, parent_id=parent_id, query=q, sort=sort
    )
    return _page(items, total, page)


@router.post(
    "",
    response_model=UnitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a village (officers) or a commune or district (province admin)",
    responses=problem_responses(404, 409),
)
def create_unit(body: UnitCreate, session: SessionDep, actor: UnitWriter) -> UnitRead:
    return UnitRead.model_validate(service.create_unit(session, actor, body))


@router.get(
    "/{unit_id}", response_model=UnitRead, summary="Get a unit", responses=problem_responses(404)
)
def get_unit(unit: UnitForRead) -> UnitRead:
    return UnitRead.model_validate(unit)


@router.patch(
    "/{unit_id}",
    response_model=UnitRead,
    summary="Edit a unit",
    responses=problem_responses(404, 409),
)
def update_unit(
    body: UnitUpdate, unit: UnitForWrite, session: SessionDep, actor: CurrentPrincipal
) -> UnitRead:
    return UnitRead.model_validate(service.update_unit(session, actor, unit, body))


@router.get(
    "/{unit_id}/children",
    response_model=Page[UnitRead],
    summary="List a unit's direct children",
    responses=problem_responses(404),
)
def list_unit_children(
    session: SessionDep,
    unit: UnitForRead,
    actor: CurrentPrincipal,
    page: PageParamsDep,
    q: SearchQuery = None,
    sort: SortQuery = None,
) -> Page[UnitRead]:
    items, total = service.list_children(session, actor, unit, page, query=q, sort=sort)
    return _page(items, total, page)
