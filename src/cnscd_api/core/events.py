"""Events: what changed, as partners and dashboards receive it, derived from the audit log.

Every write already leaves an audit row in its own transaction (``core.audit``), numbered
as it commits, and nothing for a write that rolled back: the audit log is the outbox. An
event is such a row seen through this registry: its type is ``<entity>.<action in the
past>`` (``activity.approved``, ``team.updated``), its id the row's id, its data the
object's id, its unit and the masked changes. Only entities registered in ``EVENT_KINDS``
give events, each readable with the permission that reads the object, scoped like the
object (``core.scope.scoped_events``); a feature that audits a new entity adds one line
here to publish it, naming the actions it audits the entity with: only those pairs are
types (no ``campaign.approved``), listed and accepted as filters. Accounts, API clients
and webhook endpoints are never published: their rows name people and credentials.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import AuditAction, AuditEntity


@dataclass(frozen=True)
class EventKind:
    """Who reads the events of one audited entity, and where."""

    permission: Permission  # the permission that reads the object itself
    # The actions the entity is audited with, as its services write them.
    actions: tuple[AuditAction, ...]
    # Read also by the units below the object's unit (a province campaign, read in its
    # communes), as the object is.
    ancestors_readable: bool = False
    # Read by the officers of a closed unit's successors, as the object is.
    heritage: bool = False
    # A partner reads only those of its own organisation (reports it supported).
    organisation: bool = False


P = Permission
A = AuditAction
EDITED = (A.CREATE, A.UPDATE)
EDITED_OR_DELETED = (*EDITED, A.DELETE)
EVENT_KINDS: dict[str, EventKind] = {
    # Created, edited, moved and closed by reorganisations.
    AuditEntity.UNIT: EventKind(P.UNITS_READ, (*EDITED, A.CLOSE), heritage=True),
    AuditEntity.UNIT_REORGANISATION: EventKind(P.UNITS_READ, (A.CREATE,)),
    AuditEntity.TEAM: EventKind(P.TEAMS_READ, EDITED_OR_DELETED),
    AuditEntity.MEMBER: EventKind(P.MEMBERS_READ, (*EDITED_OR_DELETED, A.IMPORT)),
    AuditEntity.CONTENT_CATEGORY: EventKind(P.CAMPAIGNS_READ, EDITED, ancestors_readable=True),
    AuditEntity.INDICATOR: EventKind(P.CAMPAIGNS_READ, EDITED, ancestors_readable=True),
    AuditEntity.CAMPAIGN: EventKind(
        P.CAMPAIGNS_READ, (*EDITED, A.CLOSE, A.REOPEN), ancestors_readable=True, heritage=True
    ),
    AuditEntity.CAMPAIGN_TARGETS: EventKind(P.CAMPAIGNS_READ, (A.UPDATE,), ancestors_readable=True),
    AuditEntity.ACTIVITY: EventKind(
        P.ACTIVITIES_READ,
        (*EDITED_OR_DELETED, A.APPROVE, A.REJECT, A.REOPEN),
        heritage=True,
        organisation=True,
    ),
    # Read by whoever sees a request's contact (the requesting side, the partner asked):
    # its events carry the contact's name, which viewers read masked.
    AuditEntity.SUPPORT_REQUEST: EventKind(
        P.SUPPORT_REQUESTS_CONTACT,
        (*EDITED, A.ACCEPT, A.DECLINE, A.SCHEDULE, A.COMPLETE, A.CANCEL),
        organisation=True,
    ),
    AuditEntity.DEVICE_NEED: EventKind(P.DEVICE_NEEDS_READ, EDITED_OR_DELETED),
    # Names and phones come masked from the audit row; reads of the list (``read``) are
    # audited but are no change, so no event.
    AuditEntity.DEVICE_REFERRAL: EventKind(
        P.DEVICE_REFERRALS_READ,
        (A.CREATE, A.ACCEPT, A.DELIVER, A.REFUSE, A.DELETE),
        organisation=True,
    ),
    # A province's rules are read below it; statements of closed units by the successors.
    AuditEntity.ALLOWANCE_RULE: EventKind(P.ALLOWANCES_READ, EDITED, ancestors_readable=True),
    AuditEntity.ALLOWANCE_STATEMENT: EventKind(
        P.ALLOWANCES_READ, (*EDITED, A.APPROVE, A.REOPEN), heritage=True
    ),
}

# The actions that change an object, in the past tense of an event's type.
PAST: dict[str, str] = {
    AuditAction.CREATE: "created",
    AuditAction.UPDATE: "updated",
    AuditAction.DELETE: "deleted",
    AuditAction.IMPORT: "imported",
    AuditAction.CLOSE: "closed",
    AuditAction.REOPEN: "reopened",
    AuditAction.APPROVE: "approved",
    AuditAction.REJECT: "rejected",
    AuditAction.ACCEPT: "accepted",
    AuditAction.DECLINE: "declined",
    AuditAction.SCHEDULE: "scheduled",
    AuditAction.COMPLETE: "completed",
    AuditAction.CANCEL: "cancelled",
    AuditAction.DELIVER: "delivered",
    AuditAction.REFUSE: "refused",
}
# Types that read better than the generic name.
RENAMED: dict[tuple[str, str], str] = {
    (AuditEntity.UNIT_REORGANISATION, AuditAction.CREATE): "unit.reorganised",
}
_BY_NAME = {name: pair for pair, name in RENAMED.items()}
_VERB = {past: action for action, past in PAST.items()}


def event_type(entity: str, action: str) -> str:
    return RENAMED.get((entity, action)) or f"{entity}.{PAST[action]}"


def readable_entities(principal: Principal) -> dict[str, EventKind]:
    """The entities whose events the caller may read at all."""
    return {e: k for e, k in EVENT_KINDS.items() if principal.can(k.permission)}


def all_types() -> list[str]:
    """Every event type the registry gives, sorted."""
    return sorted(event_type(e, a) for e, kind in EVENT_KINDS.items() for a in kind.actions)


class UnknownEventType(ValueError):
    """A type no registered entity gives."""


def parse_types(types: Iterable[str]) -> list[tuple[str, str | None]]:
    """``activity.approved`` → (entity, action); ``activity.*`` → (entity, None, any
    action). Raises ``UnknownEventType`` with the offending name: an entity that gives
    no events, or an action its entity is never audited with."""
    pairs: list[tuple[str, str | None]] = []
    for name in types:
        if name in _BY_NAME:
            pairs.append(_BY_NAME[name])
            continue
        entity, _, verb = name.partition(".")
        kind = EVENT_KINDS.get(entity)
        if kind is None:
            raise UnknownEventType(name)
        if verb == "*":
            pairs.append((entity, None))
            continue
        action = _VERB.get(verb)
        if action not in kind.actions or (entity, action) in RENAMED:
            raise UnknownEventType(name)
        pairs.append((entity, action))
    return pairs


def known_types(types: Iterable[str]) -> list[tuple[str, str | None]]:
    """``parse_types`` of the names the registry still gives (a stored choice outlives a
    type that was withdrawn)."""
    pairs: list[tuple[str, str | None]] = []
    for name in types:
        try:
            pairs += parse_types([name])
        except UnknownEventType:
            continue
    return pairs


def unit_id_of(unit_path: str | None) -> uuid.UUID | None:
    parts = [part for part in (unit_path or "").split("/") if part]
    try:
        return uuid.UUID(hex=parts[-1]) if parts else None
    except ValueError:
        return None


def event_body(
    *,
    event_id: uuid.UUID,
    entity: str,
    action: str,
    entity_id: str | None,
    unit_path: str | None,
    occurred_at: datetime,
    changes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event as it is sent and listed: ``{id, type, timestamp, data}``. Personal
    fields come masked from the audit row (whoever reads), secrets never."""
    unit_id = unit_id_of(unit_path)
    return {
        "id": str(event_id),
        "type": event_type(entity, action),
        "timestamp": occurred_at.isoformat(),
        "data": {
            "object": entity,
            "id": entity_id,
            "unit_id": str(unit_id) if unit_id else None,
            "changes": changes or {},
        },
    }
