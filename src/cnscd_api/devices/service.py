"""Households without a smartphone.

- **Needs** are counts, per village or commune and day: households without a
  smartphone, of which poor and near-poor (eligible for the telecom service support of
  Circular 14/2022/TT-BTTTT). Officers and team leaders record them in their scope;
  everyone in scope reads them (counts name nobody). A unit's latest count is its need.
- **Referrals** hand one household to an operator, only where a commune decides to:
  the household head's name, the village, a phone if any, poor or near-poor, and the day
  the household agreed. Officers in scope and the operator addressed read them, and
  every read of a list or of one referral is itself an audit event (who read which
  households). States: requested → accepted → delivered (device, package), or refused
  with a reason from requested or accepted; any other move is 409
  ``device_referral_state``. A referral is deleted a year after it was made
  (``retain_until``, ``cnscd housekeeping``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from cnscd_api.core import audit, clock, scope
from cnscd_api.core.concurrency import ExpectedVersion, delete_versioned, update_versioned
from cnscd_api.core.errors import Conflict, Unprocessable
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.devices import repository
from cnscd_api.devices.schemas import (
    DeviceNeedCreate,
    DeviceNeedRead,
    DeviceNeedUpdate,
    DeviceReferralCreate,
    DeviceReferralFilters,
    DeviceReferralRead,
    ReferralDelivery,
    ReferralRefusal,
)
from cnscd_api.models import (
    AuditAction,
    AuditEntity,
    DeviceNeed,
    DeviceReferral,
    Unit,
    UnitLevel,
)
from cnscd_api.models import ReferralStatus as R
from cnscd_api.units import service as unit_service

PLACE_LEVELS = frozenset({UnitLevel.COMMUNE, UnitLevel.VILLAGE})
# How long a referral is kept after it was made: the operator's delivery and a season of
# follow-up questions fit in it (docs/decisions.md).
RETENTION_DAYS = 365


def _place(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = unit_service.get_unit_for_write(session, actor, unit_id)
    if unit.level not in PLACE_LEVELS:
        raise Unprocessable.at("body.unit_id", "support_place_level")
    if unit.valid_to is not None:
        raise Conflict("unit_closed", name=unit.name, date=unit.valid_to.isoformat())
    return unit


def _in_future(day: Any) -> bool:
    return bool(day > clock.today())


# --- needs ----------------------------------------------------------------------------------


def get_need(session: Session, actor: Principal, need_id: uuid.UUID) -> DeviceNeed:
    return scope.get_or_404(session, actor, DeviceNeed, need_id)


def get_need_for_write(session: Session, actor: Principal, need_id: uuid.UUID) -> DeviceNeed:
    return scope.get_or_404(session, actor, DeviceNeed, need_id, write=True)


def list_needs(
    session: Session, actor: Principal, unit_id: uuid.UUID | None, page: PageParams
) -> tuple[list[Any], int]:
    unit_path = unit_service.get_unit(session, actor, unit_id).path if unit_id else None
    return repository.list_needs(session, actor, unit_path, page)


def read_need(session: Session, actor: Principal, need_id: uuid.UUID) -> DeviceNeedRead:
    return DeviceNeedRead.model_validate(repository.need_row(session, actor, need_id))


def create_need(session: Session, actor: Principal, data: DeviceNeedCreate) -> DeviceNeed:
    place = _place(session, actor, data.unit_id)
    if _in_future(data.counted_on):
        raise Unprocessable.at("body.counted_on", "date_in_future")
    if repository.need_exists(session, place.id, data.counted_on):
        raise Conflict("device_need_exists", unit=place.name, counted_on=data.counted_on)
    need = repository.add(session, DeviceNeed(**data.model_dump(), recorded_by_name=actor.name))
    audit.created(session, actor, need, place.path)
    return need  # type: ignore[no-any-return]


def update_need(
    session: Session,
    actor: Principal,
    need: DeviceNeed,
    data: DeviceNeedUpdate,
    expected: ExpectedVersion,
) -> DeviceNeed:
    expected.check(need.version)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name == "notes"
    }
    merged = {**audit.snapshot(need), **changes}
    if merged["poor"] + merged["near_poor"] > merged["households_without_smartphone"]:
        raise Unprocessable.at("body.poor", "poor_exceeds_total")
    before = audit.snapshot(need)
    update_versioned(session, need, changes)
    audit.updated(session, actor, need, before, unit_service.unit_path(session, need.unit_id))
    return need


def delete_need(
    session: Session, actor: Principal, need: DeviceNeed, expected: ExpectedVersion
) -> None:
    expected.check(need.version)
    before, path = audit.snapshot(need), unit_service.unit_path(session, need.unit_id)
    delete_versioned(session, need)
    audit.deleted(session, actor, DeviceNeed, need.id, before, path)


def need_dashboard_rows(session: Session, actor: Principal) -> list[Any]:
    return repository.need_dashboard_rows(session, actor)


def referral_dashboard_rows(session: Session, actor: Principal) -> list[Any]:
    return repository.referral_dashboard_rows(session, actor)


# --- referrals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    allowed_from: frozenset[R]
    to: R


MOVES: dict[AuditAction, Move] = {
    AuditAction.ACCEPT: Move(frozenset({R.REQUESTED}), R.ACCEPTED),
    AuditAction.DELIVER: Move(frozenset({R.ACCEPTED}), R.DELIVERED),
    AuditAction.REFUSE: Move(frozenset({R.REQUESTED, R.ACCEPTED}), R.REFUSED),
}


def get_referral(session: Session, actor: Principal, referral_id: uuid.UUID) -> DeviceReferral:
    return scope.get_or_404(session, actor, DeviceReferral, referral_id)


def get_referral_for_write(
    session: Session, actor: Principal, referral_id: uuid.UUID
) -> DeviceReferral:
    """Locked until the transaction ends: two answers to one household run in turn."""
    return scope.get_or_404(
        session, actor, DeviceReferral, referral_id, write=True, lock=scope.Lock.UPDATE
    )


def _read_audited(session: Session, actor: Principal, rows: list[Any], fallback: str) -> None:
    """Who read which households: every read of referrals is in the audit log, one event
    per place read (so the officers of that place see who read its households), or one
    event under ``fallback`` for a read that found none."""
    by_place: dict[str, list[str]] = {}
    for row in rows:
        by_place.setdefault(row.unit_path, []).append(str(row.id))
    audit.add_rows(
        session,
        [
            audit.event_row(
                actor=actor,
                action=AuditAction.READ,
                entity=AuditEntity.DEVICE_REFERRAL,
                unit_path=path,
                after={"ids": ids},
            )
            for path, ids in (by_place or {fallback: []}).items()
        ],
    )


def list_referrals(
    session: Session, actor: Principal, filters: DeviceReferralFilters, page: PageParams
) -> tuple[list[Any], int]:
    unit = unit_service.get_unit(session, actor, filters.unit_id) if filters.unit_id else None
    rows, total = repository.list_referrals(
        session, actor, filters.status, unit.path if unit else None, page
    )
    _read_audited(session, actor, rows, unit.path if unit else actor.scope_path)
    return rows, total


def read_referral(
    session: Session, actor: Principal, referral: DeviceReferral, *, audited: bool = True
) -> DeviceReferralRead:
    """The referral as the caller reads it; a read of its own (not the answer to a write,
    whose event says it already) is audited."""
    row = repository.referral_row(session, actor, referral.id)
    if audited:
        _read_audited(session, actor, [row], row.unit_path)
    return DeviceReferralRead.model_validate(row)


def create_referral(
    session: Session, actor: Principal, data: DeviceReferralCreate
) -> DeviceReferral:
    place = _place(session, actor, data.unit_id)
    if _in_future(data.consent_on):
        raise Unprocessable.at("body.consent_on", "consent_in_future")
    referral = repository.add(
        session,
        DeviceReferral(
            **data.model_dump(),
            retain_until=clock.today() + timedelta(days=RETENTION_DAYS),
            referred_by_name=actor.name,
        ),
    )
    audit.created(session, actor, referral, place.path)
    return referral  # type: ignore[no-any-return]


def move_referral(
    session: Session,
    actor: Principal,
    referral: DeviceReferral,
    action: AuditAction,
    expected: ExpectedVersion,
    values: dict[str, Any] | None = None,
) -> DeviceReferral:
    if not actor.can(Permission.DEVICE_REFERRALS_ANSWER):
        raise audit.denied(session, actor, Permission.DEVICE_REFERRALS_ANSWER)
    expected.check(referral.version)
    move = MOVES[action]
    if referral.status not in move.allowed_from:
        raise Conflict("device_referral_state", status=referral.status.value, action=action.value)
    before = audit.snapshot(referral)
    update_versioned(session, referral, {**(values or {}), "status": move.to})
    audit.updated(
        session,
        actor,
        referral,
        before,
        unit_service.unit_path(session, referral.unit_id),
        action=action,
    )
    return referral


def deliver(
    session: Session,
    actor: Principal,
    referral: DeviceReferral,
    data: ReferralDelivery,
    expected: ExpectedVersion,
) -> DeviceReferral:
    if _in_future(data.delivered_on):
        raise Unprocessable.at("body.delivered_on", "date_in_future")
    return move_referral(session, actor, referral, AuditAction.DELIVER, expected, data.model_dump())


def refuse(
    session: Session,
    actor: Principal,
    referral: DeviceReferral,
    data: ReferralRefusal,
    expected: ExpectedVersion,
) -> DeviceReferral:
    return move_referral(
        session, actor, referral, AuditAction.REFUSE, expected, {"reason": data.reason}
    )


def delete_referral(
    session: Session, actor: Principal, referral: DeviceReferral, expected: ExpectedVersion
) -> None:
    """The commune withdraws a household (or erases it on the household's request)."""
    expected.check(referral.version)
    before = audit.snapshot(referral)
    path = unit_service.unit_path(session, referral.unit_id)
    delete_versioned(session, referral)
    audit.deleted(session, actor, DeviceReferral, referral.id, before, path)
