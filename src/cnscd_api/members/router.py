"""``/members``: the people in the teams, with history, import and export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute, form_body
from cnscd_api.core.spreadsheet import SPREADSHEET_RESPONSES, ExportDep, download
from cnscd_api.dependencies import DatabaseDep, SessionDep
from cnscd_api.members import importer, service
from cnscd_api.members.dependencies import (
    MemberExporter,
    MemberForRead,
    MemberForWrite,
    MemberReader,
    MemberWriter,
)
from cnscd_api.members.schemas import (
    ImportResult,
    MemberCreate,
    MemberDetail,
    MemberFilters,
    MemberRead,
    MemberSort,
    MemberUpdate,
)
from cnscd_api.teams.dependencies import TeamForRead

router = APIRouter(
    route_class=ContractRoute,
    prefix="/members",
    tags=["members"],
    responses=problem_responses(401, 403),
)

# A team's members are listed under the team's path (``/teams/{team_id}/members``): the
# route lives with the members, which depend on teams (never the reverse).
team_router = APIRouter(
    route_class=ContractRoute,
    prefix="/teams",
    tags=["teams"],
    responses=problem_responses(401, 403),
)

MemberQuery = Annotated[MemberFilters, Query()]


@router.get(
    "", response_model=Page[MemberRead], summary="List members", responses=problem_responses(404)
)
def list_members(
    session: SessionDep,
    actor: MemberReader,
    filters: MemberQuery,
    page: PageParamsDep,
    sort: MemberSort | None = None,
) -> Response:
    """Phone, e-mail and birth year are masked for partners and viewers."""
    rows, total = service.list_members(session, actor, filters, page, sort)
    return page.response(MemberRead, rows, total)


@router.get(
    "/export",
    summary="Export members as XLSX or CSV (Vietnamese headers, masked per role)",
    response_class=StreamingResponse,
    responses={**SPREADSHEET_RESPONSES, **problem_responses(404)},
)
def export_members(
    session: SessionDep,
    database: DatabaseDep,
    actor: MemberExporter,
    filters: MemberQuery,
    format: ExportDep,
) -> StreamingResponse:
    """The members the same filters as the list select, in one file with Vietnamese
    headers, streamed; phone, e-mail and birth year masked for partners and viewers."""
    statement = service.filtered_statement(session, actor, filters)
    rows = service.export_rows(database, statement, actor)
    return download(
        format, service.EXPORT_HEADERS, rows, sheet_title="Thanh vien", filename="members"
    )


@router.get(
    "/import-template",
    summary="The import template with its Vietnamese column headers",
    response_class=StreamingResponse,
    responses=SPREADSHEET_RESPONSES,
)
def member_import_template(
    actor: MemberWriter,
    format: ExportDep,
) -> StreamingResponse:
    """Columns: Họ và tên*, Giới tính, Năm sinh, Số điện thoại, Email, Thành phần*,
    Đơn vị công tác, Vai trò trong tổ, Trình độ kỹ năng số, Mã tổ*, Ngày tham gia
    (* required). Enum cells take the Vietnamese label (e.g. `Đoàn Thanh niên`) or the
    code (`youth_union`); `Mã tổ` is the team's id from the teams list or export."""
    return download(
        format,
        importer.TEMPLATE_HEADERS,
        [],
        sheet_title="Thanh vien",
        filename="member-import-template",
    )


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Import members from XLSX or UTF-8 CSV",
    openapi_extra=form_body({"file": "members.xlsx"}),
    responses=problem_responses(
        404, codes=["import_invalid", "import_unreadable", "import_too_many_rows"]
    ),
)
def import_members(
    session: SessionDep,
    actor: MemberWriter,
    file: Annotated[
        UploadFile,
        File(description=".xlsx, or .csv in UTF-8 (with or without BOM); at most 10 MB."),
    ],
    dry_run: Annotated[bool, Query(description="Validate only; write nothing.")] = False,
    sheet: Annotated[
        str | None,
        Query(
            max_length=100,
            description="The sheet of an .xlsx workbook to import (its name, ignoring case "
            "and accents). Without it the workbook must hold data on one sheet only.",
        ),
    ] = None,
) -> ImportResult:
    """Every row is validated first, by the same rules as `POST /members`. With any bad
    row nothing is written and the 422 lists each problem with its row number and column.
    Otherwise all rows are written in one transaction. Re-sending a file creates no
    duplicates: the same phone in the same team (or, without a phone, the same name and
    birth year) is the same member, whose details are updated. A column given twice
    (also under an alias) or data on several sheets is a 422, never silently dropped.
    At most 20,000 rows and 10 MB (413 past them)."""
    content = file.file.read(importer.MAX_BYTES + 1)
    return importer.run_import(session, actor, content, file.filename, dry_run, sheet)


@router.post(
    "",
    response_model=MemberDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Add a member to a team",
    responses=problem_responses(
        404, codes=["leader_exists", "member_phone_exists", "team_not_open"]
    ),
)
def create_member(
    body: MemberCreate, session: SessionDep, actor: MemberWriter, response: Response
) -> MemberDetail:
    """Opens the member's first membership in `team_id` on `joined_on` (today by default).
    The same phone twice in one team is a 409; a second active leader is a 409 unless
    `replace_leader` is true."""
    member = service.create_member(session, actor, body)
    set_etag(response, member.version)
    return service.detail(session, member, actor)


@router.get(
    "/{member_id}",
    response_model=MemberDetail,
    summary="Get a member with their membership history",
    responses=problem_responses(404),
)
def get_member(
    member: MemberForRead, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> MemberDetail:
    """The member with every period in a team, oldest first (a period in a team outside
    your scope shows without the team). Answers an `ETag` for `If-Match`."""
    set_etag(response, member.version)
    return service.detail(session, member, actor)


@router.patch(
    "/{member_id}",
    response_model=MemberDetail,
    summary="Edit a member, move them to another team, or mark them as having left",
    responses=problem_responses(
        404,
        412,
        codes=["leader_exists", "member_phone_exists", "team_not_open", "member_already_left"],
    ),
)
def update_member(
    body: MemberUpdate,
    member: MemberForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> MemberDetail:
    """Moving (`team_id`) or a new `role` closes the current membership and opens
    another; `left_on` closes it. Making someone `leader` while the team has one is a
    409 unless `replace_leader` is true. Send `If-Match` to avoid overwriting a
    concurrent edit (412)."""
    updated = service.update_member(session, actor, member, body, expected)
    set_etag(response, updated.version)
    return service.detail(session, updated, actor)


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a member and their history",
    responses=problem_responses(404, 412),
)
def delete_member(
    member: MemberForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Erases the member and their membership history (a person's request to delete their
    data); the audit log keeps the deletion with personal data masked. To record that
    someone left, `PATCH` `left_on` instead."""
    service.delete_member(session, actor, member, expected)


@team_router.get(
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
) -> Response:
    """The team's members, current and former (`active` chooses), with the same masking as
    `GET /members`."""
    filters = MemberFilters(team_id=team.id, active=active)
    rows, total = service.list_members(session, actor, filters, page, sort)
    return page.response(MemberRead, rows, total)
