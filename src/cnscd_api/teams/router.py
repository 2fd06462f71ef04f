"""``/teams``: the Community Digital Technology Teams in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.core.spreadsheet import SPREADSHEET_RESPONSES, ExportDep, download
from cnscd_api.dependencies import DatabaseDep, SessionDep
from cnscd_api.teams import service
from cnscd_api.teams.dependencies import TeamForRead, TeamForWrite, TeamReader, TeamWriter
from cnscd_api.teams.schemas import TeamCreate, TeamFilters, TeamRead, TeamSort, TeamUpdate

router = APIRouter(
    route_class=ContractRoute,
    prefix="/teams",
    tags=["teams"],
    responses=problem_responses(401, 403),
)

TeamQuery = Annotated[TeamFilters, Query()]


@router.get(
    "", response_model=Page[TeamRead], summary="List teams", responses=problem_responses(404)
)
def list_teams(
    session: SessionDep,
    actor: TeamReader,
    filters: TeamQuery,
    page: PageParamsDep,
    sort: TeamSort | None = None,
) -> Response:
    """Each team carries its unit's names from the province down, its current member
    count and its leader."""
    rows, total = service.list_teams(session, actor, filters, page, sort)
    return page.response(TeamRead, rows, total)


@router.get(
    "/export",
    summary="Export teams as XLSX or CSV (Vietnamese headers)",
    response_class=StreamingResponse,
    responses={**SPREADSHEET_RESPONSES, **problem_responses(404)},
)
def export_teams(
    session: SessionDep,
    database: DatabaseDep,
    actor: TeamReader,
    filters: TeamQuery,
    format: ExportDep,
) -> StreamingResponse:
    """The teams the same filters as the list select, with their unit names, member counts
    and leaders, in one file with Vietnamese headers, streamed."""
    statement = service.filtered_statement(session, actor, filters)
    rows = service.export_rows(database, statement)
    return download(format, service.EXPORT_HEADERS, rows, sheet_title="To CNSCD", filename="teams")


@router.post(
    "",
    response_model=TeamRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a team",
    responses=problem_responses(404, codes=["team_unit_level", "unit_closed"]),
)
def create_team(
    body: TeamCreate, session: SessionDep, actor: TeamWriter, response: Response
) -> TeamRead:
    """A team serves a commune or a village in your scope. Answers the team with its
    `ETag`."""
    team = service.create_team(session, actor, body)
    set_etag(response, team.version)
    return service.read_team(session, actor, team)


@router.get(
    "/{team_id}", response_model=TeamRead, summary="Get a team", responses=problem_responses(404)
)
def get_team(
    team: TeamForRead, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> TeamRead:
    """The team with its unit's names from the province down, its current member count and
    its leader. Answers an `ETag` for `If-Match`."""
    set_etag(response, team.version)
    return service.read_team(session, actor, team)


@router.patch(
    "/{team_id}",
    response_model=TeamRead,
    summary="Edit, suspend or dissolve a team",
    responses=problem_responses(404, 412, codes=["team_unit_level", "unit_closed"]),
)
def update_team(
    body: TeamUpdate,
    team: TeamForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> TeamRead:
    """Send `If-Match` with the ETag of your GET to be sure nobody changed the team in
    between (412 otherwise). Without it the edit applies to the current version."""
    updated = service.update_team(session, actor, team, body, expected)
    set_etag(response, updated.version)
    return service.read_team(session, actor, updated)


@router.delete(
    "/{team_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a team that never had members or reports (otherwise dissolve it)",
    responses=problem_responses(404, 412, codes=["team_has_history"]),
)
def delete_team(
    team: TeamForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Only a team that never had members, activity reports or a leader's account; one
    that had is dissolved instead (`PATCH {"status": "dissolved"}`): 409
    `team_has_history`, whose message counts them. Send `If-Match` to delete only the
    version you read."""
    service.delete_team(session, actor, team, expected)
