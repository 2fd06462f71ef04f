"""Reading the change feed: the caller's events after a position, as ``{id, type,
timestamp, data}``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.core.errors import NotFound, Unprocessable
from cnscd_api.core.events import UnknownEventType, event_body, parse_types
from cnscd_api.core.feed import UnknownPosition
from cnscd_api.core.permissions import Principal
from cnscd_api.events import repository


def wanted_types(types: Iterable[str] | None, field: str) -> list[tuple[str, str | None]] | None:
    """The (entity, action) pairs of the type names given (None: every type); 422
    ``event_type_unknown`` blaming ``field`` for a name the registry does not give."""
    names = [name.strip() for raw in types or () for name in raw.split(",") if name.strip()]
    if not names:
        return None
    try:
        return parse_types(names)
    except UnknownEventType as exc:
        raise Unprocessable.at(field, "event_type_unknown", type=str(exc)) from None


def as_event(row: Row[Any]) -> dict[str, Any]:
    return {
        **event_body(
            event_id=row.id,
            entity=row.entity,
            action=row.action,
            entity_id=row.entity_id,
            unit_path=row.unit_path,
            occurred_at=row.occurred_at,
            changes=row.changes,
        ),
        "sequence": row.sequence,
    }


def read_feed(
    session: Session, reader: Principal, after: int, limit: int, types: list[str] | None
) -> tuple[list[dict[str, Any]], int]:
    """The events after ``after`` and the position to read on from."""
    wanted = wanted_types(types, "query.types")
    try:
        rows = repository.events_after(session, reader, after, limit, wanted)
    except UnknownPosition:
        raise NotFound("unknown_sequence") from None
    return [as_event(row) for row in rows], (rows[-1].sequence if rows else after)
