"""HTTP endpoints of the unit tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.units import service
from cnscd_api.units.dependencies import UnitForRead, UnitForWrite, UnitReader, UnitWriter
from cnscd_api.units.schemas import (
    UnitCreate,
    UnitFilters,
    UnitLineageRead,
    UnitRead,
    UnitSearch,
    UnitSort,
    UnitUpdate,
)

router = APIRouter(
    route_class=ContractRoute,
    prefix="/units",
    tags=["units"],
    responses=problem_responses(401, 403),
)

SortQuery = Annotated[
    UnitSort | None, Query(description="Sort field; a leading `-` sorts descending.")
]


@router.get("", response_model=Page[UnitRead], summary="List units in your scope")
def list_units(
    session: SessionDep,
    actor: UnitReader,
    page: PageParamsDep,
    filters: Annotated[UnitFilters, Query()],
    sort: SortQuery = None,
) -> Response:
    """Units in your subtree valid on `valid_on` (default today: the current map),
    filtered by `level`, `parent_id` (direct children on that date) and `q`
    (accent-insensitive on the name). Units that closed in a reorganisation are read by
    whoever holds their successors."""
    rows, total = service.list_units(session, actor, page, filters, sort)
    return page.response(UnitRead, rows, total)


@router.post(
    "",
    response_model=UnitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a village (officers) or a commune or district (province admin)",
    responses=problem_responses(
        404, codes=["code_taken", "invalid_parent", "division_type_unknown", "unit_closed"]
    ),
)
def create_unit(
    body: UnitCreate, session: SessionDep, actor: UnitWriter, response: Response
) -> UnitRead:
    """Officers add villages under a commune of their scope; the province admin also
    communes and districts. The level defaults to the one below the parent and the
    division type is read from the name (`Thôn …`, `Xã …`)."""
    unit = service.create_unit(session, actor, body)
    set_etag(response, unit.version)
    return UnitRead.model_validate(unit)


@router.get(
    "/{unit_id}", response_model=UnitRead, summary="Get a unit", responses=problem_responses(404)
)
def get_unit(unit: UnitForRead, response: Response) -> UnitRead:
    """The unit with its names from the province down. Answers an `ETag` for `If-Match`."""
    set_etag(response, unit.version)
    return UnitRead.model_validate(unit)


@router.patch(
    "/{unit_id}",
    response_model=UnitRead,
    summary="Edit a unit",
    responses=problem_responses(
        404,
        412,
        codes=[
            "code_taken",
            "division_type_unknown",
            "unit_closed",
            "unit_has_earlier_reports",
            "unit_has_later_reports",
        ],
    ),
)
def update_unit(
    body: UnitUpdate,
    unit: UnitForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> UnitRead:
    """Send `If-Match` with the ETag of your GET to be sure nobody changed the unit in
    between (412 otherwise). Renaming a unit renames it in its descendants' `path_names`.
    `valid_to` before a report placed in the unit or below it, or `valid_from` after one
    placed in it, is 409 (`unit_has_later_reports`, `unit_has_earlier_reports`)."""
    updated = service.update_unit(session, actor, unit, body, expected)
    set_etag(response, updated.version)
    return UnitRead.model_validate(updated)


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
    filters: Annotated[UnitSearch, Query()],
    sort: SortQuery = None,
) -> Response:
    """The unit's direct children on `valid_on` (default today), optionally searched by
    name. Villages that kept their id when their commune was merged show under the
    commune of that date."""
    rows, total = service.list_units(
        session, actor, page, UnitFilters(q=filters.q, valid_on=filters.valid_on), sort, parent=unit
    )
    return page.response(UnitRead, rows, total)


@router.get(
    "/{unit_id}/lineage",
    response_model=UnitLineageRead,
    summary="Where a unit came from and what it became",
    responses=problem_responses(404),
)
def get_unit_lineage(
    unit: UnitForRead, session: SessionDep, actor: CurrentPrincipal
) -> UnitLineageRead:
    """Predecessors and successors with the date and the legal act of each step, oldest
    first; units you may not read are left out."""
    return service.unit_lineage(session, actor, unit)
