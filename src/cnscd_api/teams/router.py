"""``/teams``: the Community Digital Technology Teams in the caller's scope."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatch, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.spreadsheet import ExportFormat, export_chunks, media_type
from cnscd_api.dependencies import SessionDep, get_database
from cnscd_api.members import service as member_service
from cnscd_api.members.schemas import MemberFilters, MemberRead, MemberSort
from cnscd_api.models import TeamStatus
from cnscd_api.teams import service
from cnscd_api.teams.dependencies import TeamForRead, TeamForWrite, TeamReader, TeamWriter
from cnscd_api.teams.schemas import TeamCreate, TeamRead, TeamSort, TeamUpdate
from cnscd_api.teams.service import TeamFilters

router = APIRouter(prefix="/teams", tags=["teams"], responses=problem_responses(401, 403))


def team_filters(
    unit_id: Annotated[
        uuid.UUID | None, Query(description="Teams serving this unit or any unit below it.")
    ] = None,
    status: TeamStatus | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Accent-insensitive search on the team's and its unit's name.",
        ),
    ] = None,
) -> TeamFilters:
    return TeamFilters(unit_id=unit_id, status=status, query=q)


TeamFiltersDep = Annotated[TeamFilters, Depends(team_filters)]


@router.get(
    "", response_model=Page[TeamRead], summary="List teams", responses=problem_responses(404)
)
def list_teams(
    session: SessionDep,
    actor: TeamReader,
    filters: TeamFiltersDep,
    page: PageParamsDep,
    sort: TeamSort | None = None,
) -> Page[TeamRead]:
    """Each team carries its unit's names from the province down, its current member
    count and its leader."""
    items, total = service.list_teams(session, actor, filters, page, sort)
    return Page[TeamRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/export",
    summary="Export teams as XLSX or CSV (Vietnamese headers)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "text/csv": {"schema": {"type": "string"}},
            }
        },
        **problem_responses(404),
    },
)
def export_teams(
    request: Request,
    session: SessionDep,
    actor: TeamReader,
    filters: TeamFiltersDep,
    format: ExportFormat = ExportFormat.XLSX,
) -> StreamingResponse:
    statement = service.filtered_statement(session, actor, filters)
    rows = service.export_rows(get_database(request), statement)
    return StreamingResponse(
        export_chunks(format, service.EXPORT_HEADERS, rows, "To CNSCD"),
        media_type=media_type(format),
        headers={"Content-Disposition": f'attachment; filename="teams.{format.value}"'},
    )


@router.post(
    "",
    response_model=TeamRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a team",
    responses=problem_responses(404),
)
def create_team(
    body: TeamCreate, session: SessionDep, actor: TeamWriter, response: Response
) -> TeamRead:
    team = service.create_team(session, actor, body)
    set_etag(response, team.version)
    return service.read_team(session, team)


@router.get(
    "/{team_id}", response_model=TeamRead, summary="Get a team", responses=problem_responses(404)
)
def get_team(team: TeamForRead, session: SessionDep, response: Response) -> TeamRead:
    set_etag(response, team.version)
    return service.read_team(session, team)


@router.patch(
    "/{team_id}",
    response_model=TeamRead,
    summary="Edit, suspend or dissolve a team",
    responses=problem_responses(404, 412),
)
def update_team(
    body: TeamUpdate,
    team: TeamForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> TeamRead:
    """Send `If-Match` with the ETag of your GET to be sure nobody changed the team in
    between (412 otherwise). Without it the edit applies to the current version."""
    updated = service.update_team(session, actor, team, body, if_match)
    set_etag(response, updated.version)
    return service.read_team(session, updated)


@router.delete(
    "/{team_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a team that never had members (otherwise dissolve it)",
    responses=problem_responses(404, 409, 412),
)
def delete_team(
    team: TeamForWrite, session: SessionDep, actor: CurrentPrincipal, if_match: IfMatch = None
) -> None:
    service.delete_team(session, actor, team, if_match)


@router.get(
    "/{team_id}/members",
    response_model=Page[MemberRead],
    summary="List a team's members",
    responses=problem_responses(404),
)
def list_team_members(
    team: TeamForRead,
    session: SessionDep,
    actor: CurrentPrincipal,
    page: PageParamsDep,
    active: Annotated[
        bool | None, Query(description="true: current members; false: former; omitted: both.")
    ] = None,
    sort: MemberSort | None = None,
) -> Page[MemberRead]:
    items, total = member_service.list_members(
        session, actor, MemberFilters(team_id=team.id, active=active), page, sort
    )
    return Page[MemberRead](items=items, total=total, limit=page.limit, offset=page.offset)
