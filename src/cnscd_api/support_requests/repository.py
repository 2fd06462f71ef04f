"""Support request queries: every read starts from the caller's scoped statement (the
place's subtree; a team leader's own team; a partner's own organisation)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, Select, select
from sqlmodel import Session, col

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped_columns, unscoped
from cnscd_api.models import SupportRequest, SupportRequestStatus, Unit
from cnscd_api.support_requests.schemas import SupportRequestFilters, SupportRequestSort

READ_COLUMNS: tuple[Any, ...] = (
    SupportRequest.id,
    SupportRequest.organisation,
    SupportRequest.unit_id,
    col(Unit.name).label("unit_name"),
    SupportRequest.team_id,
    SupportRequest.wanted_from,
    SupportRequest.wanted_to,
    SupportRequest.categories,
    SupportRequest.expected_people,
    SupportRequest.contact_name,
    SupportRequest.phone,
    SupportRequest.notes,
    SupportRequest.status,
    SupportRequest.scheduled_on,
    SupportRequest.staff_count,
    SupportRequest.reason,
    SupportRequest.requested_by_name,
    SupportRequest.answered_by_name,
    SupportRequest.answered_at,
    SupportRequest.done_at,
    SupportRequest.version,
    SupportRequest.created_at,
    SupportRequest.updated_at,
)

SORTING = Sorting(
    SupportRequestSort,
    {"created_at": col(SupportRequest.created_at), "wanted_from": col(SupportRequest.wanted_from)},
    default=[col(SupportRequest.created_at).desc()],
    tiebreaker=col(SupportRequest.id),
)


def filtered(
    principal: Principal, filters: SupportRequestFilters, unit_path: str | None
) -> Select[Any]:
    statement = scoped_columns(principal, SupportRequest, *READ_COLUMNS)
    if filters.status is not None:
        statement = statement.where(col(SupportRequest.status) == filters.status)
    if filters.organisation is not None:
        statement = statement.where(col(SupportRequest.organisation) == filters.organisation)
    if unit_path is not None:
        statement = statement.where(path_in_subtree(Unit.path, unit_path))
    return statement


def list_requests(
    session: Session,
    principal: Principal,
    filters: SupportRequestFilters,
    unit_path: str | None,
    page: PageParams,
    sort: SupportRequestSort | None,
) -> tuple[list[Row[Any]], int]:
    statement = filtered(principal, filters, unit_path)
    return fetch_page(session, statement, page, SORTING.order(sort))


def read_row(session: Session, principal: Principal, request_id: uuid.UUID) -> Row[Any]:
    statement = scoped_columns(principal, SupportRequest, *READ_COLUMNS).where(
        col(SupportRequest.id) == request_id
    )
    return session.execute(statement).one()


def add(session: Session, request: SupportRequest) -> SupportRequest:
    session.add(request)
    session.flush()
    return request


@unscoped("the request a report names, checked against the report's place in scope")
def served_by(
    session: Session, request_id: uuid.UUID
) -> tuple[str, SupportRequestStatus, str] | None:
    """The organisation, state and place path of a request, whoever may read it: a
    team leader's report may name its commune's request, which the leader does not read."""
    statement = (
        select(col(SupportRequest.organisation), col(SupportRequest.status), col(Unit.path))
        .join(Unit, col(Unit.id) == col(SupportRequest.unit_id))
        .where(col(SupportRequest.id) == request_id)
    )
    found = session.execute(statement).one_or_none()
    return None if found is None else (found.organisation, found.status, found.path)


def dashboard_rows(session: Session, principal: Principal, area_path: str) -> list[Row[Any]]:
    """The requests of a subtree the caller reaches, with their dates (dashboards)."""
    statement = scoped_columns(
        principal,
        SupportRequest,
        SupportRequest.organisation,
        SupportRequest.status,
        SupportRequest.created_at,
        SupportRequest.answered_at,
        SupportRequest.done_at,
        col(Unit.path).label("path"),
    ).where(path_in_subtree(Unit.path, area_path))
    return list(session.execute(statement).all())
