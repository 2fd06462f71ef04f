"""Event queries: audit rows seen through the event registry, scoped like their objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from cnscd_api.core.events import readable_entities
from cnscd_api.core.feed import read_after
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import scoped_events, unscoped
from cnscd_api.models import AuditEvent

EVENT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.sequence,
    AuditEvent.entity,
    AuditEvent.action,
    AuditEvent.entity_id,
    AuditEvent.unit_path,
    AuditEvent.occurred_at,
    AuditEvent.changes,
)


def events_after(
    session: Session,
    reader: Principal,
    after: int,
    limit: int,
    wanted: list[tuple[str, str | None]] | None = None,
) -> list[Row[Any]]:
    """Up to ``limit`` events ``reader`` may read after the one numbered ``after``, in
    commit order (``core.feed``: none that commits later is ever listed before them).
    Raises ``core.feed.UnknownPosition`` when ``after`` names no event."""
    statement = scoped_events(reader, readable_entities(reader), *EVENT_COLUMNS, wanted=wanted)
    statement, ordering = read_after(
        session, statement, col(AuditEvent.sequence), col(AuditEvent.xact_id), after
    )
    return list(session.execute(statement.order_by(*ordering).limit(limit)).all())


@unscoped("the feed's current end: a position in it, no row is shown")
def head(session: Session) -> int:
    """The sequence of the last event a reader may see now (0: none yet): a reader that
    starts from it receives every change committed later."""
    statement, ordering = read_after(
        session,
        select(col(AuditEvent.sequence)),
        col(AuditEvent.sequence),
        col(AuditEvent.xact_id),
        0,
    )
    found: int | None = session.execute(
        statement.order_by(*(column.desc() for column in _columns(ordering))).limit(1)
    ).scalar()
    return found or 0


def _columns(ordering: list[Any]) -> list[Any]:
    # ``read_after`` gives ascending clauses; the column under each.
    return [clause.element for clause in ordering]
