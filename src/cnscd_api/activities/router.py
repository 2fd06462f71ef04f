"""``/activities``: what teams did, recorded from phones and partners' systems, and
reviewed up the tiers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from cnscd_api.activities import service
from cnscd_api.activities.dependencies import (
    ActivityForRead,
    ActivityForReview,
    ActivityForWrite,
    ActivityReader,
    ActivityRecorder,
    ActivityReviewer,
)
from cnscd_api.activities.schemas import (
    ActivityBatch,
    ActivityCreate,
    ActivityFilters,
    ActivityRead,
    ActivitySort,
    ActivityUpdate,
    ApproveMany,
    ApproveManyResult,
    BatchResult,
    Reject,
)
from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.core.spreadsheet import SPREADSHEET_RESPONSES, ExportDep, download
from cnscd_api.dependencies import DatabaseDep, LanguageDep, SessionDep

router = APIRouter(
    route_class=ContractRoute,
    prefix="/activities",
    tags=["activities"],
    responses=problem_responses(401, 403),
)

ActivityQuery = Annotated[ActivityFilters, Query()]


@router.get(
    "",
    response_model=Page[ActivityRead],
    summary="List activities in your scope",
    responses=problem_responses(404),
)
def list_activities(
    session: SessionDep,
    actor: ActivityReader,
    filters: ActivityQuery,
    page: PageParamsDep,
    sort: ActivitySort | None = None,
) -> Response:
    """Newest first. A partner sees its own organisation's reports only."""
    items, total = service.list_activities(session, actor, filters, page, sort)
    return page.response(ActivityRead, items, total)


@router.get(
    "/export",
    summary="Export activities as XLSX or CSV, in the caller's language",
    response_class=StreamingResponse,
    responses={**SPREADSHEET_RESPONSES, **problem_responses(404)},
)
def export_activities(
    session: SessionDep,
    database: DatabaseDep,
    actor: ActivityReader,
    filters: ActivityQuery,
    format: ExportDep,
    language: LanguageDep,
) -> StreamingResponse:
    """The filtered list, streamed, one row per activity, in the language of
    `Accept-Language` (Vietnamese with `vi`, else English): headers, contents, indicators
    and statuses by their names; several in one cell are separated by ` | `."""
    statement = service.filtered_statement(session, actor, filters)
    rows = service.export_rows(database, statement, language)
    return download(
        format,
        service.EXPORT_HEADERS[language],
        rows,
        sheet_title="Hoat dong" if language == "vi" else "Activities",
        filename="activities",
    )


@router.post(
    "",
    response_model=ActivityRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record an activity",
    responses=problem_responses(404, codes=["activity_exists", "campaign_closed", "team_not_open"]),
)
def record_activity(
    body: ActivityCreate, session: SessionDep, actor: ActivityRecorder, response: Response
) -> ActivityRead:
    """Team leaders record their own team's activities, officers those of teams in their
    scope, partners support they gave (attributed to their organisation). The activity is
    `submitted` until an officer above the recorder's tier reviews it. Send your own `id`
    (a UUID) and an `Idempotency-Key` to retry safely."""
    created = service.record_activity(session, actor, body)
    set_etag(response, created.version)
    return created


@router.post(
    "/batch",
    response_model=BatchResult,
    summary="Record activities kept offline (at most 500)",
    responses=problem_responses(codes=["batch_too_large"]),
)
def record_batch(
    body: ActivityBatch, session: SessionDep, actor: ActivityRecorder, language: LanguageDep
) -> BatchResult:
    """Each item answers on its own: `created`, `unchanged` (the same id with the same
    content was already stored), `conflict` (the same id with other content; `version` is
    the stored one) or `invalid` (with its errors). Valid items are kept when others are
    not, and re-sending the whole batch creates nothing twice."""
    result = service.record_batch(session, actor, body.activities)
    for item in result.items:
        if item.errors:
            item.errors = [error.in_language(language) for error in item.errors]
    return result


@router.post(
    "/approve",
    response_model=ApproveManyResult,
    summary="Approve a list of activities at once",
)
def approve_activities(
    body: ApproveMany, session: SessionDep, actor: ActivityReviewer
) -> ApproveManyResult:
    """Each id answers `approved` or the problem code that kept it back (`not_found`,
    `review_tier`, `own_report`, `activity_approved`, `campaign_closed` …)."""
    return service.approve_many(session, actor, body.ids)


@router.get(
    "/{activity_id}",
    response_model=ActivityRead,
    summary="Get an activity",
    responses=problem_responses(404),
)
def get_activity(
    activity: ActivityForRead, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> ActivityRead:
    """Its categories, counts per indicator, members, recorder and reviewer. The ETag is its
    version."""
    set_etag(response, activity.version)
    return service.read_activity(session, actor, activity.id)


@router.patch(
    "/{activity_id}",
    response_model=ActivityRead,
    summary="Edit an activity that is not approved",
    responses=problem_responses(
        404,
        412,
        codes=["activity_approved", "attribution_fixed", "campaign_closed", "team_not_open"],
    ),
)
def update_activity(
    body: ActivityUpdate,
    activity: ActivityForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> ActivityRead:
    """An approved activity answers 409 `activity_approved`; a rejected one that is
    edited is submitted again. A partner's report keeps its `organisation` (422
    `attribution_fixed`); a report recorded by a user may name another partner."""
    updated = service.update_activity(session, actor, activity, body, expected)
    set_etag(response, updated.version)
    return service.read_activity(session, actor, updated.id)


@router.delete(
    "/{activity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an activity that is not approved",
    responses=problem_responses(404, 412, codes=["activity_approved", "campaign_closed"]),
)
def delete_activity(
    activity: ActivityForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Only while it is not approved; send `If-Match` to be sure nobody changed it since you
    read it."""
    service.delete_activity(session, actor, activity, expected)


@router.post(
    "/{activity_id}/approve",
    response_model=ActivityRead,
    summary="Approve an activity",
    responses=problem_responses(
        404,
        codes=[
            "activity_approved",
            "activity_rejected",
            "campaign_closed",
            "own_report",
            "review_tier",
        ],
    ),
)
def approve_activity(
    activity: ActivityForReview, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> ActivityRead:
    """By an officer above the recorder's tier: a commune officer approves what team
    leaders and partners recorded, a district officer what was recorded at commune level
    or below, the province admin anything. Nobody approves their own report."""
    approved = service.approve(session, actor, activity)
    set_etag(response, approved.version)
    return service.read_activity(session, actor, approved.id)


@router.post(
    "/{activity_id}/reject",
    response_model=ActivityRead,
    summary="Send an activity back to its recorder, with a reason",
    responses=problem_responses(
        404,
        codes=[
            "activity_approved",
            "activity_rejected",
            "campaign_closed",
            "own_report",
            "review_tier",
        ],
    ),
)
def reject_activity(
    body: Reject,
    activity: ActivityForReview,
    session: SessionDep,
    actor: CurrentPrincipal,
    response: Response,
) -> ActivityRead:
    """By an officer above the recorder's tier, with a reason the recorder reads; editing it
    submits it again."""
    rejected = service.reject(session, actor, activity, body.reason)
    set_etag(response, rejected.version)
    return service.read_activity(session, actor, rejected.id)


@router.post(
    "/{activity_id}/reopen",
    response_model=ActivityRead,
    summary="Reopen an approved activity (back to submitted)",
    responses=problem_responses(
        404, codes=["activity_not_approved", "campaign_closed", "own_report", "review_tier"]
    ),
)
def reopen_activity(
    activity: ActivityForReview, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> ActivityRead:
    """By its approver, or an officer of a higher tier than the approver's."""
    reopened = service.reopen(session, actor, activity)
    set_etag(response, reopened.version)
    return service.read_activity(session, actor, reopened.id)
