"""HTTP endpoints of the unit tree."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import UnitLevel
from cnscd_api.units import service
from cnscd_api.units.dependencies import UnitDep
from cnscd_api.units.schemas import UnitRead, UnitSort

router = APIRouter(prefix="/units", tags=["units"])

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


def _page(items: list[object], total: int, page: PageParamsDep) -> Page[UnitRead]:
    return Page[UnitRead](
        items=[UnitRead.model_validate(item) for item in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("", response_model=Page[UnitRead], summary="List units")
def list_units(
    session: SessionDep,
    page: PageParamsDep,
    level: UnitLevel | None = None,
    parent_id: uuid.UUID | None = None,
    q: SearchQuery = None,
    sort: SortQuery = None,
) -> Page[UnitRead]:
    items, total = service.list_units(
        session, page, level=level, parent_id=parent_id, query=q, sort=sort
    )
    return _page(list(items), total, page)


@router.get(
    "/{unit_id}", response_model=UnitRead, summary="Get a unit", responses=problem_responses(404)
)
def get_unit(unit: UnitDep) -> UnitRead:
    return UnitRead.model_validate(unit)


@router.get(
    "/{unit_id}/children",
    response_model=Page[UnitRead],
    summary="List a unit's direct children",
    responses=problem_responses(404),
)
def list_unit_children(
    session: SessionDep,
    unit: UnitDep,
    page: PageParamsDep,
    q: SearchQuery = None,
    sort: SortQuery = None,
) -> Page[UnitRead]:
    items, total = service.list_children(session, unit, page, query=q, sort=sort)
    return _page(list(items), total, page)
