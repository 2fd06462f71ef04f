"""Support request rules.

- The requesting side (a team leader for their own team, a commune, district or
  province officer in their subtree) asks an organisation for staff at a commune or a
  village, edits the request while it waits, and may cancel it until it is done.
- The partner (its API clients and users, which reach only the requests addressed to
  their organisation in their scope) accepts with a day and a staff count, or declines
  with a reason; reschedules an accepted request; marks it done.
- Every move is checked against ``TRANSITIONS``: any other is 409
  ``support_request_state``. Moves lock the row first, so two answers to one request
  run one after the other and the second sees the first's state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.catalogue import service as catalogue_service
from cnscd_api.core import audit, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, Unprocessable
from cnscd_api.core.masking import mask_phone
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.scope import path_in_subtree_text
from cnscd_api.models import (
    AuditAction,
    Role,
    SupportRequest,
    Team,
    Unit,
    UnitLevel,
    utcnow,
)
from cnscd_api.models import SupportRequestStatus as S
from cnscd_api.support_requests import repository
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
from cnscd_api.units import service as unit_service

PLACE_LEVELS = frozenset({UnitLevel.COMMUNE, UnitLevel.VILLAGE})
# Fields an edit may clear with null; a null for the others changes nothing.
NULLABLE_FIELDS = frozenset({"phone", "notes"})


@dataclass(frozen=True)
class Transition:
    action: AuditAction
    allowed_from: frozenset[S]
    to: S
    permission: Permission


# Who may move a request, from which states, to which: docs/decisions.md and
# docs/permissions.md say the same.
TRANSITIONS: dict[AuditAction, Transition] = {
    t.action: t
    for t in (
        Transition(
            AuditAction.UPDATE,
            frozenset({S.REQUESTED}),
            S.REQUESTED,
            Permission.SUPPORT_REQUESTS_WRITE,
        ),
        Transition(
            AuditAction.ACCEPT,
            frozenset({S.REQUESTED}),
            S.ACCEPTED,
            Permission.SUPPORT_REQUESTS_ANSWER,
        ),
        Transition(
            AuditAction.DECLINE,
            frozenset({S.REQUESTED}),
            S.DECLINED,
            Permission.SUPPORT_REQUESTS_ANSWER,
        ),
        Transition(
            AuditAction.SCHEDULE,
            frozenset({S.ACCEPTED}),
            S.ACCEPTED,
            Permission.SUPPORT_REQUESTS_ANSWER,
        ),
        Transition(
            AuditAction.COMPLETE,
            frozenset({S.ACCEPTED}),
            S.DONE,
            Permission.SUPPORT_REQUESTS_ANSWER,
        ),
        Transition(
            AuditAction.CANCEL,
            frozenset({S.REQUESTED, S.ACCEPTED}),
            S.CANCELLED,
            Permission.SUPPORT_REQUESTS_WRITE,
        ),
    )
}


# The states in which a report may name the request it served.
SERVED_STATES = frozenset({S.ACCEPTED, S.DONE})


@dataclass(frozen=True)
class Served:
    organisation: str
    status: S
    place_path: str


def request_served_by(session: Session, request_id: uuid.UUID) -> Served | None:
    """What a report naming ``request_id`` is checked against (None: no such request)."""
    row = repository.served_by(session, request_id)
    return None if row is None else Served(*row)


def dashboard_rows(session: Session, actor: Principal, area_path: str) -> list[Any]:
    """Each request of the subtree the caller reaches: organisation, state, place path,
    when it was made, answered and done."""
    return repository.dashboard_rows(session, actor, area_path)


# --- reading ------------------------------------------------------------------------------


def get_request(session: Session, actor: Principal, request_id: uuid.UUID) -> SupportRequest:
    """A request the caller reaches, else 404."""
    return scope.get_or_404(session, actor, SupportRequest, request_id)


def get_request_for_write(
    session: Session, actor: Principal, request_id: uuid.UUID
) -> SupportRequest:
    """A request in the caller's own subtree, locked until the transaction ends."""
    return scope.get_or_404(
        session, actor, SupportRequest, request_id, write=True, lock=scope.Lock.UPDATE
    )


def _presented(actor: Principal, row: Any) -> SupportRequestRead:
    values = dict(row._mapping)
    if not actor.can(Permission.SUPPORT_REQUESTS_CONTACT):
        values["phone"] = mask_phone(values["phone"])
    scheduled = values["scheduled_on"]
    values["date_proposed"] = scheduled is not None and not (
        values["wanted_from"] <= scheduled <= values["wanted_to"]
    )
    return SupportRequestRead.model_validate(values)


def list_requests(
    session: Session,
    actor: Principal,
    filters: SupportRequestFilters,
    page: PageParams,
    sort: SupportRequestSort | None,
) -> tuple[list[SupportRequestRead], int]:
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    rows, total = repository.list_requests(session, actor, filters, unit_path, page, sort)
    return [_presented(actor, row) for row in rows], total


def read_request(session: Session, actor: Principal, request_id: uuid.UUID) -> SupportRequestRead:
    row: Row[Any] = repository.read_row(session, actor, request_id)
    return _presented(actor, row)


# --- writing ------------------------------------------------------------------------------


def _place(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = unit_service.get_unit_for_write(session, actor, unit_id)
    if unit.level not in PLACE_LEVELS:
        raise Unprocessable.at("body.unit_id", "support_place_level")
    if unit.valid_to is not None:
        raise Conflict("unit_closed", name=unit.name, date=unit.valid_to.isoformat())
    return unit


def _commune_path(unit: Unit) -> str:
    if unit.level is UnitLevel.VILLAGE:
        return unit.path[: unit.path.rstrip("/").rfind("/") + 1]
    return unit.path


def _team(
    session: Session, actor: Principal, place: Unit, team_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The team asking: a team leader's own, or one an officer names, serving the place's
    commune."""
    if actor.role is Role.TEAM_LEADER:
        if team_id is not None and team_id != actor.team_id:
            raise Unprocessable.at("body.team_id", "team_required_for_leader")
        team_id = actor.team_id
    if team_id is None:
        return None
    team = scope.get_or_404(session, actor, Team, team_id, write=True)
    team_unit = unit_service.unit_by_id(session, team.unit_id)
    if not path_in_subtree_text(team_unit.path, _commune_path(place)):
        raise Unprocessable.at("body.team_id", "team_outside_place")
    return team.id


def create_request(
    session: Session, actor: Principal, data: SupportRequestCreate
) -> SupportRequest:
    place = _place(session, actor, data.unit_id)
    team_id = _team(session, actor, place, data.team_id)
    catalogue_service.resolve_categories(session, data.categories, "body.categories")
    request = repository.add(
        session,
        SupportRequest(
            **data.model_dump(exclude={"team_id", "unit_id"}),
            unit_id=place.id,
            team_id=team_id,
            requested_by_name=actor.name,
        ),
    )
    audit.created(session, actor, request, place.path)
    return request


def _permitted(session: Session, actor: Principal, action: AuditAction) -> Transition:
    """The transition of ``action``, if the caller's role may make it (403 otherwise)."""
    transition = TRANSITIONS[action]
    if not actor.can(transition.permission):
        raise audit.denied(session, actor, transition.permission)
    return transition


def _move(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    action: AuditAction,
    expected: ExpectedVersion,
    values: dict[str, Any],
) -> SupportRequest:
    transition = _permitted(session, actor, action)
    expected.check(request.version)
    if request.status not in transition.allowed_from:
        raise Conflict("support_request_state", status=request.status.value, action=action.value)
    before = audit.snapshot(request)
    update_versioned(session, request, {**values, "status": transition.to})
    audit.updated(
        session,
        actor,
        request,
        before,
        unit_service.unit_path(session, request.unit_id),
        action=action,
    )
    return request


def update_request(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestUpdate,
    expected: ExpectedVersion,
) -> SupportRequest:
    _permitted(session, actor, AuditAction.UPDATE)  # before looking at what was sent
    values = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name in NULLABLE_FIELDS
    }
    window_from = values.get("wanted_from", request.wanted_from)
    window_to = values.get("wanted_to", request.wanted_to)
    if window_to < window_from:
        raise Unprocessable.at("body.wanted_to", "ends_before_start", starts_on=window_from)
    if values.get("categories") is not None:
        catalogue_service.resolve_categories(session, values["categories"], "body.categories")
    return _move(session, actor, request, AuditAction.UPDATE, expected, values)


def _answered(actor: Principal) -> dict[str, Any]:
    return {"answered_by_name": actor.name, "answered_at": utcnow()}


def accept(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestAccept,
    expected: ExpectedVersion,
) -> SupportRequest:
    values = {
        "scheduled_on": data.scheduled_on,
        "staff_count": data.staff_count,
        **_answered(actor),
    }
    if data.notes is not None:
        values["notes"] = data.notes
    return _move(session, actor, request, AuditAction.ACCEPT, expected, values)


def decline(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestReason,
    expected: ExpectedVersion,
) -> SupportRequest:
    values = {"reason": data.reason, **_answered(actor)}
    return _move(session, actor, request, AuditAction.DECLINE, expected, values)


def schedule(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestSchedule,
    expected: ExpectedVersion,
) -> SupportRequest:
    values = data.model_dump(exclude_none=True)
    return _move(session, actor, request, AuditAction.SCHEDULE, expected, values)


def complete(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestComplete,
    expected: ExpectedVersion,
) -> SupportRequest:
    values: dict[str, Any] = {"done_at": utcnow(), **data.model_dump(exclude_none=True)}
    return _move(session, actor, request, AuditAction.COMPLETE, expected, values)


def cancel(
    session: Session,
    actor: Principal,
    request: SupportRequest,
    data: SupportRequestReason,
    expected: ExpectedVersion,
) -> SupportRequest:
    return _move(session, actor, request, AuditAction.CANCEL, expected, {"reason": data.reason})
