"""``/device-needs`` (counts of households without a smartphone) and
``/device-referrals`` (single households handed to an operator)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.devices import service
from cnscd_api.devices.dependencies import (
    NeedForRead,
    NeedForWrite,
    NeedReader,
    NeedWriter,
    ReferralForAnswer,
    ReferralForRead,
    ReferralForWrite,
    ReferralReader,
    ReferralWriter,
)
from cnscd_api.devices.schemas import (
    DeviceNeedCreate,
    DeviceNeedRead,
    DeviceNeedUpdate,
    DeviceReferralCreate,
    DeviceReferralFilters,
    DeviceReferralRead,
    ReferralAcceptance,
    ReferralDelivery,
    ReferralRefusal,
)
from cnscd_api.models import AuditAction, DeviceReferral

needs_router = APIRouter(
    route_class=ContractRoute,
    prefix="/device-needs",
    tags=["device needs"],
    responses=problem_responses(401, 403),
)
referrals_router = APIRouter(
    route_class=ContractRoute,
    prefix="/device-referrals",
    tags=["device referrals"],
    responses=problem_responses(401, 403),
)
PLACE_CODES = ["unit_closed", "support_place_level"]
MOVE_PROBLEMS = problem_responses(404, 412, codes=["device_referral_state"])


@needs_router.get(
    "",
    response_model=Page[DeviceNeedRead],
    summary="List counts of households without a smartphone",
    responses=problem_responses(404),
)
def list_device_needs(
    session: SessionDep,
    actor: NeedReader,
    page: PageParamsDep,
    unit_id: Annotated[
        uuid.UUID | None, Query(description="Only counts of this unit's subtree.")
    ] = None,
) -> Response:
    """Newest count first. Counts only: no household is named."""
    rows, total = service.list_needs(session, actor, unit_id, page)
    return page.response(DeviceNeedRead, rows, total)


@needs_router.post(
    "",
    response_model=DeviceNeedRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a count of households without a smartphone",
    responses=problem_responses(
        404, codes=[*PLACE_CODES, "device_need_exists", "date_in_future", "poor_exceeds_total"]
    ),
)
def create_device_need(
    body: DeviceNeedCreate, session: SessionDep, actor: NeedWriter, response: Response
) -> DeviceNeedRead:
    """One count per unit and day (409 `device_need_exists`: edit that one); poor and
    near-poor together at most the households counted."""
    need = service.create_need(session, actor, body)
    set_etag(response, need.version)
    return service.read_need(session, actor, need.id)


@needs_router.get(
    "/{need_id}",
    response_model=DeviceNeedRead,
    summary="Get a count",
    responses=problem_responses(404),
)
def get_device_need(
    need: NeedForRead, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> DeviceNeedRead:
    """The ETag is its version: send it as `If-Match` to correct or delete the count."""
    set_etag(response, need.version)
    return service.read_need(session, actor, need.id)


@needs_router.patch(
    "/{need_id}",
    response_model=DeviceNeedRead,
    summary="Correct a count",
    responses=problem_responses(404, 412, codes=["poor_exceeds_total"]),
)
def update_device_need(
    body: DeviceNeedUpdate,
    need: NeedForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> DeviceNeedRead:
    """Only the counts, who counted and the notes; the unit and the day stay (delete and
    count again). Poor and near-poor together stay within the households counted."""
    updated = service.update_need(session, actor, need, body, expected)
    set_etag(response, updated.version)
    return service.read_need(session, actor, updated.id)


@needs_router.delete(
    "/{need_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a count",
    responses=problem_responses(404, 412),
)
def delete_device_need(
    need: NeedForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """A count made by mistake; the audit log keeps what it said."""
    service.delete_need(session, actor, need, expected)


def _referral(
    session: SessionDep,
    actor: CurrentPrincipal,
    referral: DeviceReferral,
    response: Response,
    *,
    written: bool = True,
) -> DeviceReferralRead:
    set_etag(response, referral.version)
    return service.read_referral(session, actor, referral, audited=not written)


@referrals_router.get(
    "",
    response_model=Page[DeviceReferralRead],
    summary="List households handed to an operator (every read is audited)",
    responses=problem_responses(404),
)
def list_device_referrals(
    session: SessionDep,
    actor: ReferralReader,
    page: PageParamsDep,
    filters: Annotated[DeviceReferralFilters, Query()],
) -> Response:
    """Newest first. An operator sees only the households handed to its organisation in
    its scope. Each read is an audit event naming the referrals read."""
    rows, total = service.list_referrals(session, actor, filters, page)
    return page.response(DeviceReferralRead, rows, total)


@referrals_router.post(
    "",
    response_model=DeviceReferralRead,
    status_code=status.HTTP_201_CREATED,
    summary="Hand a household to an operator, with its consent",
    responses=problem_responses(404, codes=[*PLACE_CODES, "consent_in_future"]),
)
def create_device_referral(
    body: DeviceReferralCreate, session: SessionDep, actor: ReferralWriter, response: Response
) -> DeviceReferralRead:
    """Only what the operator needs: the household head's name, the village, a phone,
    poor or near-poor, and the day the household agreed. Kept a year (`retain_until`)."""
    referral = service.create_referral(session, actor, body)
    return _referral(session, actor, referral, response)


@referrals_router.get(
    "/{referral_id}",
    response_model=DeviceReferralRead,
    summary="Get a referral (audited)",
    responses=problem_responses(404),
)
def get_device_referral(
    referral: ReferralForRead, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> DeviceReferralRead:
    """The officers in scope and the operator addressed; the read is an audit event."""
    return _referral(session, actor, referral, response, written=False)


@referrals_router.delete(
    "/{referral_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw a referral, or erase it at the household's request",
    responses=problem_responses(404, 412),
)
def delete_device_referral(
    referral: ReferralForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Officers in scope, in any state: the household is no longer handed to the operator,
    and its name and phone are gone (the audit log keeps them masked)."""
    service.delete_referral(session, actor, referral, expected)


@referrals_router.post(
    "/{referral_id}/accept",
    response_model=DeviceReferralRead,
    summary="Accept a household (the operator)",
    responses=MOVE_PROBLEMS,
)
def accept_device_referral(
    body: ReferralAcceptance,
    referral: ReferralForAnswer,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> DeviceReferralRead:
    """From `requested` to `accepted`."""
    moved = service.move_referral(session, actor, referral, AuditAction.ACCEPT, expected)
    return _referral(session, actor, moved, response)


@referrals_router.post(
    "/{referral_id}/deliver",
    response_model=DeviceReferralRead,
    summary="Record the phone and package delivered (the operator)",
    responses=problem_responses(404, 412, codes=["device_referral_state", "date_in_future"]),
)
def deliver_device_referral(
    body: ReferralDelivery,
    referral: ReferralForAnswer,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> DeviceReferralRead:
    """From `accepted` to `delivered`."""
    moved = service.deliver(session, actor, referral, body, expected)
    return _referral(session, actor, moved, response)


@referrals_router.post(
    "/{referral_id}/refuse",
    response_model=DeviceReferralRead,
    summary="ReferralRefusal a household, with a reason (the operator)",
    responses=MOVE_PROBLEMS,
)
def refuse_device_referral(
    body: ReferralRefusal,
    referral: ReferralForAnswer,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> DeviceReferralRead:
    """From `requested` or `accepted` to `refused`."""
    moved = service.refuse(session, actor, referral, body, expected)
    return _referral(session, actor, moved, response)
