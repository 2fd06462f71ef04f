"""Events: what changed, as partners and dashboards receive it, derived from the audit log.

Every write already leaves an audit row in its own transaction (``core.audit``), numbered
as it commits, and nothing for a write that rolled back: the audit log is the outbox. An
event is such a row seen through this registry: its type is ``<entity>.<action in the
past>`` (``activity.approved``, ``team.updated``), its id the row's id, its data the
object's id, its unit and the masked changes. Only entities registered in ``EVENT_KINDS``
give events, each readable with the permission that reads the object, scoped like the
object (``core.scope.scoped_events``); a feature that audits a new entity adds one line
here to publish it. Accounts, API clients and webhook endpoints are never published:
their rows name people and credentials.
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
    # Read also by the units below the object's unit (a province campaign, read in its
    # communes), as the object is.
    ancestors_readable: bool = False
    # Read by the officers of a closed unit's successors, as the object is.
    heritage: bool = False
    # A partner reads only those of its own organisation (reports it supported).
    organisation: bool = False


P = Permission
EVENT_KINDS: dict[str, EventKind] = {
    AuditEntity.UNIT: EventKind(P.UNITS_READ, heritage=True),
    AuditEntity.UNIT_REORGANISATION: EventKind(P.UNITS_READ),
    AuditEntity.TEAM: EventKind(P.TEAMS_READ),
    AuditEntity.MEMBER: EventKind(P.MEMBERS_READ),
    AuditEntity.CONTENT_CATEGORY: EventKind(P.CAMPAIGNS_READ, ancestors_readable=True),
    AuditEntity.INDICATOR: EventKind(P.CAMPAIGNS_READ, ancestors_readable=True),
    AuditEntity.CAMPAIGN: EventKind(P.CAMPAIGNS_READ, ancestors_readable=True, heritage=True),
    AuditEntity.CAMPAIGN_TARGETS: EventKind(P.CAMPAIGNS_READ, ancestors_readable=True),
    AuditEntity.ACTIVITY: EventKind(P.ACTIVITIES_READ, heritage=True, organisation=True),
    # Read by whoever sees a request's contact (the requesting side, the partner asked):
    # its events carry the contact's name, which viewers read masked.
    AuditEntity.SUPPORT_REQUEST: EventKind(P.SUPPORT_REQUESTS_CONTACT, organisation=True),
    AuditEntity.DEVICE_NEED: EventKind(P.DEVICE_NEEDS_READ),
    # Names and phones come masked from the audit row; reads of the list (``read``) are
    # audited but are no change, so no event.
    AuditEntity.DEVICE_REFERRAL: EventKind(P.DEVICE_REFERRALS_READ, organisation=True),
    # A province's rules are read below it; statements of closed units by the successors.
    AuditEntity.ALLOWANCE_RULE: EventKind(P.ALLOWANCES_READ, ancestors_readable=True),
    AuditEntity.ALLOWANCE_STATEMENT: EventKind(P.ALLOWANCES_READ, heritage=True),
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
    """Every event type the registry can give, sorted."""
    return sorted({event_type(e, a) for e in EVENT_KINDS for a in PAST} - set(_shadowed()))


def _shadowed() -> list[str]:
    # A renamed pair no longer has its generic name.
    return [f"{entity}.{PAST[action]}" for entity, action in RENAMED]


class UnknownEventType(ValueError):
    """A type no registered entity gives."""


def parse_types(types: Iterable[str]) -> list[tuple[str, str | None]]:
    """``activity.approved`` → (entity, action); ``activity.*`` → (entity, None, any
    action). Raises ``UnknownEventType`` with the offending name."""
    pairs: list[tuple[str, str | None]] = []
    for name in types:
        if name in _BY_NAME:
            pairs.append(_BY_NAME[name])
            continue
        entity, _, verb = name.partition(".")
        if entity not in EVENT_KINDS or name in _shadowed():
            raise UnknownEventType(name)
        if verb == "*":
            pairs.append((entity, None))
        elif verb in _VERB:
            pairs.append((entity, _VERB[verb]))
        else:
            raise UnknownEventType(name)
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
