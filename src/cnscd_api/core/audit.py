"""Writing audit events in the caller's transaction, numbered in commit order.

Services say what happened with typed helpers — ``created``, ``updated``, ``deleted``
for objects (their audited fields are declared once, as ``__audited__`` on the model),
``record`` for the rest (logins, denials, secrets). Every event is built by one row
builder and kept on the session until it commits; just before the commit the
transaction numbers its events and inserts them in one statement. On PostgreSQL the
numbers come from a sequence and each event carries its transaction's id; the feed
(``core.feed``) orders by that id and shows a transaction's events only once every
older transaction has ended, so writers share no lock and a reader of
``after_sequence=N`` still never misses an event that commits later. On SQLite, whose
writers hold the database's one write lock from their first statement, the numbers come
from the ``audit_sequence`` row. A rolled-back request leaves no events.

Changes are stored as ``{field: {"before": …, "after": …}}`` for the fields that
changed, with personal data masked and secrets reduced to "***".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, func, insert, literal_column, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from cnscd_api.core.errors import Forbidden
from cnscd_api.core.masking import mask_value
from cnscd_api.core.permissions import Permission, Principal, PrincipalKind
from cnscd_api.core.request_context import current_request_id
from cnscd_api.models import (
    Activity,
    AllowanceRule,
    AllowanceStatement,
    ApiClient,
    AuditAction,
    AuditEntity,
    AuditEvent,
    AuditSequence,
    Campaign,
    ContentCategory,
    DeviceNeed,
    DeviceReferral,
    Indicator,
    Member,
    SupportRequest,
    Team,
    Unit,
    User,
    Versioned,
    WebhookEndpoint,
    utcnow,
)

Values = Mapping[str, Any]
PENDING = "cnscd_audit_pending"
ENTITY: dict[type[Versioned], AuditEntity] = {
    Unit: AuditEntity.UNIT,
    User: AuditEntity.USER,
    ApiClient: AuditEntity.API_CLIENT,
    Team: AuditEntity.TEAM,
    Member: AuditEntity.MEMBER,
    ContentCategory: AuditEntity.CONTENT_CATEGORY,
    Indicator: AuditEntity.INDICATOR,
    Campaign: AuditEntity.CAMPAIGN,
    Activity: AuditEntity.ACTIVITY,
    WebhookEndpoint: AuditEntity.WEBHOOK_ENDPOINT,
    SupportRequest: AuditEntity.SUPPORT_REQUEST,
    DeviceNeed: AuditEntity.DEVICE_NEED,
    DeviceReferral: AuditEntity.DEVICE_REFERRAL,
    AllowanceRule: AuditEntity.ALLOWANCE_RULE,
    AllowanceStatement: AuditEntity.ALLOWANCE_STATEMENT,
}


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def changes(before: Values | None, after: Values | None) -> dict[str, Any]:
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


def snapshot(obj: Versioned) -> dict[str, Any]:
    """The audited fields of ``obj`` (its model's ``__audited__``)."""
    return {name: getattr(obj, name) for name in type(obj).__audited__}


def event_row(
    *,
    actor: Principal | None,
    action: AuditAction,
    entity: AuditEntity | str,
    entity_id: uuid.UUID | str | None = None,
    unit_path: str | None = None,
    before: Values | None = None,
    after: Values | None = None,
    actor_name: str | None = None,
    occurred_at: datetime | None = None,
    via_unit_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The one builder of audit rows (numbered later, at commit); ``via_unit_id``: the
    unit of the caller's scope through which a closed unit's row was reached. An object
    that names a partner ``organisation`` (a supported report) files the event under it,
    as it is after the change (or was, when deleted)."""
    is_user = actor is not None and actor.kind is PrincipalKind.USER
    return {
        "id": uuid.uuid4(),
        "occurred_at": occurred_at or utcnow(),
        "actor_user_id": actor.id if actor is not None and is_user else None,
        "actor_client_id": actor.id if actor is not None and not is_user else None,
        "actor_name": actor.name if actor is not None else actor_name,
        "action": action.value,
        "entity": str(entity.value if isinstance(entity, Enum) else entity),
        "entity_id": str(entity_id) if entity_id is not None else None,
        "unit_path": unit_path if unit_path is not None else (actor.scope_path if actor else None),
        "via_unit_id": via_unit_id,
        "organisation": (after or before or {}).get("organisation"),
        "changes": changes(before, after) or None,
        "request_id": current_request_id(),
    }


def add_rows(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Queue built rows; they are numbered and inserted when the session commits."""
    session.info.setdefault(PENDING, []).extend(rows)


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: AuditAction,
    entity: AuditEntity | str,
    entity_id: uuid.UUID | str | None = None,
    unit_path: str | None = None,
    before: Values | None = None,
    after: Values | None = None,
    actor_name: str | None = None,
    via_unit_id: uuid.UUID | None = None,
) -> None:
    add_rows(
        session,
        [
            event_row(
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                unit_path=unit_path,
                before=before,
                after=after,
                actor_name=actor_name,
                via_unit_id=via_unit_id,
            )
        ],
    )


def created(
    session: Session,
    actor: Principal | None,
    obj: Versioned,
    unit_path: str,
    *,
    extra: Values | None = None,
    actor_name: str | None = None,
) -> None:
    """``obj`` was created (``extra``: values beside the audited fields, e.g. a password
    that was set)."""
    record(
        session,
        actor=actor,
        action=AuditAction.CREATE,
        entity=ENTITY[type(obj)],
        entity_id=obj.id,  # type: ignore[attr-defined]
        unit_path=unit_path,
        after={**snapshot(obj), **(extra or {})},
        actor_name=actor_name,
    )


def updated(
    session: Session,
    actor: Principal | None,
    obj: Versioned,
    before: Values,
    unit_path: str,
    *,
    action: AuditAction = AuditAction.UPDATE,
    extra_before: Values | None = None,
    extra_after: Values | None = None,
    actor_name: str | None = None,
    via_unit_id: uuid.UUID | None = None,
) -> None:
    """``obj`` changed from ``before`` (an earlier ``snapshot``) to what it is now
    (``actor_name``: who, when no caller acts, e.g. a command)."""
    record(
        session,
        actor=actor,
        action=action,
        entity=ENTITY[type(obj)],
        entity_id=obj.id,  # type: ignore[attr-defined]
        unit_path=unit_path,
        before={**before, **(extra_before or {})},
        after={**snapshot(obj), **(extra_after or {})},
        actor_name=actor_name,
        via_unit_id=via_unit_id,
    )


def deleted(
    session: Session,
    actor: Principal | None,
    model: type[Versioned],
    entity_id: uuid.UUID,
    before: Values,
    unit_path: str,
    *,
    via_unit_id: uuid.UUID | None = None,
) -> None:
    record(
        session,
        actor=actor,
        action=AuditAction.DELETE,
        entity=ENTITY[model],
        entity_id=entity_id,
        unit_path=unit_path,
        before=before,
        via_unit_id=via_unit_id,
    )


def denied(
    session: Session,
    actor: Principal,
    permission: Permission,
    code: str = "forbidden",
    *,
    detail: str | None = None,
    **params: Any,
) -> Forbidden:
    """Record a permission denial and return the 403 to raise; the row is kept.

    The event's entity names the permission (``users:write``, or with ``detail``
    ``units:write:commune``)."""
    entity = permission.value if detail is None else f"{permission.value}:{detail}"
    record(session, actor=actor, action=AuditAction.PERMISSION_DENIED, entity=entity)
    return Forbidden(code, keep_changes=True, **params)


SEQUENCE_TABLE: Any = AuditSequence.__table__  # type: ignore[attr-defined]
EVENT_TABLE: Any = AuditEvent.__table__  # type: ignore[attr-defined]
SEQUENCE_NAME = "audit_event_sequence"  # PostgreSQL only (the migration creates it)
POSTGRES_INSERT: Any = insert(EVENT_TABLE).values(
    sequence=func.nextval(SEQUENCE_NAME),
    xact_id=literal_column("pg_current_xact_id()::text::bigint"),
)


@event.listens_for(OrmSession, "before_commit")
def _insert_pending(session: OrmSession) -> None:
    rows: list[dict[str, Any]] | None = session.info.pop(PENDING, None)
    if not rows:
        return
    # Core statements on the transaction's connection: the rows are complete, and the
    # ORM's bulk machinery cost a tenth of a small write.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement, no shared row: numbers from the sequence, and the transaction's
        # id for the feed's visibility rule.
        connection.execute(POSTGRES_INSERT, rows)
        return
    last: int = connection.execute(
        update(SEQUENCE_TABLE)
        .where(SEQUENCE_TABLE.c.id == 1)
        .values(last_value=SEQUENCE_TABLE.c.last_value + len(rows))
        .returning(SEQUENCE_TABLE.c.last_value)
    ).scalar_one()
    first = last - len(rows) + 1
    for number, row in enumerate(rows, start=first):
        row["sequence"] = number
    connection.execute(insert(EVENT_TABLE), rows)


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(PENDING, None)
