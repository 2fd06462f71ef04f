"""Audit log queries; reads start from events whose unit lies in the caller's subtree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlmodel import Session, col

from cnscd_api.audit.schemas import AuditFilters
from cnscd_api.core.feed import read_after
from cnscd_api.core.pagination import PageParams, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import scoped_columns
from cnscd_api.models import AuditEvent

READ_COLUMNS = (
    AuditEvent.id,
    AuditEvent.sequence,
    AuditEvent.occurred_at,
    AuditEvent.actor_user_id,
    AuditEvent.actor_client_id,
    AuditEvent.actor_name,
    AuditEvent.action,
    AuditEvent.entity,
    AuditEvent.entity_id,
    AuditEvent.changes,
    AuditEvent.via_unit_id,
    AuditEvent.request_id,
)


def as_utc(moment: datetime) -> datetime:
    """Times without a zone are read as UTC; the extremes of the calendar are clamped
    (year 9999 at -14:00 does not exist in UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        return (
            datetime.max.replace(tzinfo=UTC) if aware.year > 1 else datetime.min.replace(tzinfo=UTC)
        )


def list_events(
    session: Session, actor: Principal, page: PageParams, filters: AuditFilters
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(actor, AuditEvent, *READ_COLUMNS)
    if filters.entity:
        statement = statement.where(col(AuditEvent.entity) == filters.entity)
    if filters.entity_id:
        statement = statement.where(col(AuditEvent.entity_id) == filters.entity_id)
    if filters.actor:
        statement = statement.where(
            (col(AuditEvent.actor_user_id) == filters.actor)
            | (col(AuditEvent.actor_client_id) == filters.actor)
        )
    if filters.since:
        statement = statement.where(col(AuditEvent.occurred_at) >= as_utc(filters.since))
    if filters.until:
        statement = statement.where(col(AuditEvent.occurred_at) < as_utc(filters.until))
    ordering: list[ColumnElement[Any]]
    if filters.after_sequence is not None:
        # Incremental reads go forwards, in commit order, from the last number seen.
        statement, ordering = read_after(
            session,
            statement,
            col(AuditEvent.sequence),
            col(AuditEvent.xact_id),
            filters.after_sequence,
        )
    else:
        ordering = [col(AuditEvent.occurred_at).desc(), col(AuditEvent.sequence).desc()]
    return fetch_page(session, statement, page, ordering)
