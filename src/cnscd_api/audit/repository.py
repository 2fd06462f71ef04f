"""Audit log queries; reads start from events whose unit lies in the caller's subtree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, paginate
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import in_scope
from cnscd_api.models import AuditEvent


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
    session: Session,
    actor: Principal,
    page: PageParams,
    *,
    entity: str | None,
    entity_id: str | None,
    actor_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[AuditEvent], int]:
    statement = select(AuditEvent).where(in_scope(actor, col(AuditEvent.unit_path)))
    if entity:
        statement = statement.where(col(AuditEvent.entity) == entity)
    if entity_id:
        statement = statement.where(col(AuditEvent.entity_id) == entity_id)
    if actor_id:
        statement = statement.where(
            (col(AuditEvent.actor_user_id) == actor_id)
            | (col(AuditEvent.actor_client_id) == actor_id)
        )
    if since:
        statement = statement.where(col(AuditEvent.occurred_at) >= as_utc(since))
    if until:
        statement = statement.where(col(AuditEvent.occurred_at) < as_utc(until))
    ordering: list[ColumnElement[Any]] = [
        col(AuditEvent.occurred_at).desc(),
        col(AuditEvent.id).asc(),
    ]
    return paginate(session, statement, page, ordering)
