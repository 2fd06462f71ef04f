"""Writing audit events in the caller's transaction.

``record`` adds a row to the session; it is committed with the write it describes, or
not at all. Changes are stored as ``{field: {"before": …, "after": …}}`` for the fields
that changed, with personal data masked and secrets reduced to "changed".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from cnscd_api.core.errors import Forbidden
from cnscd_api.core.masking import mask_value
from cnscd_api.core.permissions import Principal, PrincipalKind
from cnscd_api.core.request_context import current_request_id
from cnscd_api.models import AuditEvent, utcnow


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields that differ between ``before`` and ``after``, masked."""
    before = before or {}
    after = after or {}
    result: dict[str, Any] = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        result[field] = {
            "before": _plain(mask_value(field, old)),
            "after": _plain(mask_value(field, new)),
        }
    return result


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | str | None = None,
    unit_path: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_user_id=actor.id if actor and actor.kind is PrincipalKind.USER else None,
        actor_client_id=actor.id if actor and actor.kind is PrincipalKind.CLIENT else None,
        actor_name=actor.name if actor else actor_name,
        action=action,
        entity=entity,
        entity_id=str(entity_id) if entity_id is not None else None,
        unit_path=unit_path if unit_path is not None else (actor.scope_path if actor else None),
        changes=changes(before, after) or None,
        request_id=current_request_id(),
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity: str,
    events: Sequence[
        tuple[uuid.UUID, str | None, Mapping[str, Any] | None, Mapping[str, Any] | None]
    ],
) -> None:
    """One audit row per (entity id, unit path, before, after), in one multi-row INSERT
    (an import of thousands of members audits each of them)."""
    if not events:
        return
    now = utcnow()
    request_id = current_request_id()
    rows = [
        {
            "id": uuid.uuid4(),
            "occurred_at": now,
            "actor_user_id": actor.id if actor.kind is PrincipalKind.USER else None,
            "actor_client_id": actor.id if actor.kind is PrincipalKind.CLIENT else None,
            "actor_name": actor.name,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "unit_path": unit_path,
            "changes": changes(before, after) or None,
            "request_id": request_id,
        }
        for entity_id, unit_path, before, after in events
    ]
    session.execute(insert(AuditEvent), rows)


def denied(
    session: Session, actor: Principal, action: str, code: str = "forbidden", **params: Any
) -> Forbidden:
    """Record a permission denial and return the 403 to raise; the row is kept."""
    record(session, actor=actor, action="permission_denied", entity=action)
    return Forbidden(code, keep_changes=True, **params)
