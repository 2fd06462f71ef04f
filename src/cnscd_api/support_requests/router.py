"""``/support-requests``: a team asks a telecom partner for staff; the partner answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import SupportRequest
from cnscd_api.support_requests import service
from cnscd_api.support_requests.dependencies import (
    SupportRequestForMove,
    SupportRequestForRead,
    SupportRequestReader,
    SupportRequestWriter,
)
from cnscd_api.support_requests.schemas import (
    SupportRequestAccept,
    SupportRequestComplete,
    SupportRequestCreate,
    SupportRequestFilters,
    SupportRequestRead,
    SupportRequestReason,
    SupportRequestSchedule,
    SupportRequestSort,
    SupportRequestUpdate,
)

router = APIRouter(
    route_class=ContractRoute,
    prefix="/support-requests",
    tags=["support requests"],
    responses=problem_responses(401, 403),
)
MOVE_PROBLEMS = problem_responses(404, 412, codes=["support_request_state"])


def _answer(
    session: SessionDep, actor: CurrentPrincipal, request: SupportRequest, response: Response
) -> SupportRequestRead:
    set_etag(response, request.version)
    return service.read_request(session, actor, request.id)


@router.get(
    "",
    response_model=Page[SupportRequestRead],
    summary="List support requests in your scope",
    responses=problem_responses(404),
)
def list_support_requests(
    session: SessionDep,
    actor: SupportRequestReader,
    page: PageParamsDep,
    filters: Annotated[SupportRequestFilters, Query()],
    sort: SupportRequestSort | None = None,
) -> Response:
    """Newest first. A partner sees the requests addressed to its organisation in its
    scope; a team leader their own team's; officers everything in their subtree. The
    contact's phone is masked for viewers."""
    items, total = service.list_requests(session, actor, filters, page, sort)
    return page.response(SupportRequestRead, items, total)


@router.post(
    "",
    response_model=SupportRequestRead,
    status_code=status.HTTP_201_CREATED,
    summary="Ask a partner organisation for staff",
    responses=problem_responses(
        404,
        codes=[
            "unit_closed",
            "support_place_level",
            "team_outside_place",
            "team_required_for_leader",
        ],
    ),
)
def create_support_request(
    body: SupportRequestCreate,
    session: SessionDep,
    actor: SupportRequestWriter,
    response: Response,
) -> SupportRequestRead:
    """For a commune or village of your scope. The partner's API clients (and users) of
    that `organisation` whose scope holds the place see it at once, and the change feed
    carries it as `support_request.create`."""
    request = service.create_request(session, actor, body)
    return _answer(session, actor, request, response)


@router.get(
    "/{request_id}",
    response_model=SupportRequestRead,
    summary="Get a support request",
    responses=problem_responses(404),
)
def get_support_request(
    request: SupportRequestForRead,
    session: SessionDep,
    actor: CurrentPrincipal,
    response: Response,
) -> SupportRequestRead:
    """The ETag is its version: send it as `If-Match` with a change or an answer."""
    return _answer(session, actor, request, response)


@router.patch(
    "/{request_id}",
    response_model=SupportRequestRead,
    summary="Edit a request that waits for an answer (requesting side)",
    responses=problem_responses(404, 412, codes=["support_request_state"]),
)
def update_support_request(
    body: SupportRequestUpdate,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """Only while `requested`; once answered it is 409 `support_request_state` (cancel it
    and ask again)."""
    updated = service.update_request(session, actor, request, body, expected)
    return _answer(session, actor, updated, response)


@router.post(
    "/{request_id}/accept",
    response_model=SupportRequestRead,
    summary="SupportRequestAccept, with the day and the staff count (the partner)",
    responses=MOVE_PROBLEMS,
)
def accept_support_request(
    body: SupportRequestAccept,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """From `requested` to `accepted`. A day outside the wanted window is a proposal
    (`date_proposed`); the requesting side cancels if it does not suit."""
    moved = service.accept(session, actor, request, body, expected)
    return _answer(session, actor, moved, response)


@router.post(
    "/{request_id}/decline",
    response_model=SupportRequestRead,
    summary="Decline, with a reason (the partner)",
    responses=MOVE_PROBLEMS,
)
def decline_support_request(
    body: SupportRequestReason,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """From `requested` to `declined`."""
    moved = service.decline(session, actor, request, body, expected)
    return _answer(session, actor, moved, response)


@router.post(
    "/{request_id}/schedule",
    response_model=SupportRequestRead,
    summary="Change the day or the staff count of an accepted request (the partner)",
    responses=MOVE_PROBLEMS,
)
def schedule_support_request(
    body: SupportRequestSchedule,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """Only while `accepted`."""
    moved = service.schedule(session, actor, request, body, expected)
    return _answer(session, actor, moved, response)


@router.post(
    "/{request_id}/complete",
    response_model=SupportRequestRead,
    summary="Mark an accepted request done (the partner)",
    responses=MOVE_PROBLEMS,
)
def complete_support_request(
    body: SupportRequestComplete,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """From `accepted` to `done`; `staff_count` corrects how many came."""
    moved = service.complete(session, actor, request, body, expected)
    return _answer(session, actor, moved, response)


@router.post(
    "/{request_id}/cancel",
    response_model=SupportRequestRead,
    summary="Withdraw a request, with a reason (requesting side)",
    responses=MOVE_PROBLEMS,
)
def cancel_support_request(
    body: SupportRequestReason,
    request: SupportRequestForMove,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> SupportRequestRead:
    """From `requested` or `accepted` to `cancelled`."""
    moved = service.cancel(session, actor, request, body, expected)
    return _answer(session, actor, moved, response)
