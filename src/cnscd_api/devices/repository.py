"""Device need and referral queries, each starting from the caller's scoped statement
(referrals: a partner's own organisation only)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped_columns, unscoped
from cnscd_api.models import DeviceNeed, DeviceReferral, Unit

NEED_COLUMNS: tuple[Any, ...] = (
    DeviceNeed.id,
    DeviceNeed.unit_id,
    col(Unit.name).label("unit_name"),
    DeviceNeed.counted_on,
    DeviceNeed.households_without_smartphone,
    DeviceNeed.poor,
    DeviceNeed.near_poor,
    DeviceNeed.counted_by,
    DeviceNeed.notes,
    DeviceNeed.recorded_by_name,
    DeviceNeed.version,
    DeviceNeed.created_at,
    DeviceNeed.updated_at,
)
REFERRAL_COLUMNS: tuple[Any, ...] = (
    DeviceReferral.id,
    DeviceReferral.organisation,
    DeviceReferral.unit_id,
    col(Unit.name).label("unit_name"),
    col(Unit.path).label("unit_path"),  # for the audit event of the read
    DeviceReferral.household_head,
    DeviceReferral.phone,
    DeviceReferral.poverty,
    DeviceReferral.consent_on,
    DeviceReferral.status,
    DeviceReferral.device,
    DeviceReferral.package,
    DeviceReferral.reason,
    DeviceReferral.delivered_on,
    DeviceReferral.retain_until,
    DeviceReferral.referred_by_name,
    DeviceReferral.version,
    DeviceReferral.created_at,
    DeviceReferral.updated_at,
)


def _in_unit(statement: Select[Any], unit_path: str | None) -> Select[Any]:
    return (
        statement if unit_path is None else statement.where(path_in_subtree(Unit.path, unit_path))
    )


def list_needs(
    session: Session, principal: Principal, unit_path: str | None, page: PageParams
) -> tuple[list[Row[Any]], int]:
    statement = _in_unit(scoped_columns(principal, DeviceNeed, *NEED_COLUMNS), unit_path)
    ordering: list[ColumnElement[Any]] = [
        col(DeviceNeed.counted_on).desc(),
        col(Unit.name).asc(),
        col(DeviceNeed.id).asc(),
    ]
    return fetch_page(session, statement, page, ordering)


def need_row(session: Session, principal: Principal, need_id: uuid.UUID) -> Row[Any]:
    statement = scoped_columns(principal, DeviceNeed, *NEED_COLUMNS).where(
        col(DeviceNeed.id) == need_id
    )
    return session.execute(statement).one()


@unscoped("whether a unit the caller reached already has a count on a day")
def need_exists(session: Session, unit_id: uuid.UUID, counted_on: date) -> bool:
    statement = select(DeviceNeed.id).where(
        col(DeviceNeed.unit_id) == unit_id, col(DeviceNeed.counted_on) == counted_on
    )
    return session.exec(statement).first() is not None


def list_referrals(
    session: Session,
    principal: Principal,
    status: Any,
    unit_path: str | None,
    page: PageParams,
) -> tuple[list[Row[Any]], int]:
    statement = _in_unit(scoped_columns(principal, DeviceReferral, *REFERRAL_COLUMNS), unit_path)
    if status is not None:
        statement = statement.where(col(DeviceReferral.status) == status)
    ordering: list[ColumnElement[Any]] = [
        col(DeviceReferral.created_at).desc(),
        col(DeviceReferral.id).asc(),
    ]
    return fetch_page(session, statement, page, ordering)


def referral_row(session: Session, principal: Principal, referral_id: uuid.UUID) -> Row[Any]:
    statement = scoped_columns(principal, DeviceReferral, *REFERRAL_COLUMNS).where(
        col(DeviceReferral.id) == referral_id
    )
    return session.execute(statement).one()


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def need_dashboard_rows(session: Session, principal: Principal) -> list[Row[Any]]:
    """Every count the caller reaches, with its unit's paths (closed units' included,
    for the map asked); the latest per unit is chosen by the caller."""
    statement = scoped_columns(
        principal,
        DeviceNeed,
        DeviceNeed.unit_id,
        DeviceNeed.counted_on,
        DeviceNeed.households_without_smartphone,
        DeviceNeed.poor,
        DeviceNeed.near_poor,
        col(Unit.path).label("path"),
        col(Unit.rollup_path).label("rollup_path"),
    )
    return list(session.execute(statement).all())


def referral_dashboard_rows(session: Session, principal: Principal) -> list[Row[Any]]:
    statement = scoped_columns(
        principal,
        DeviceReferral,
        DeviceReferral.organisation,
        DeviceReferral.status,
        col(Unit.path).label("path"),
        col(Unit.rollup_path).label("rollup_path"),
    )
    return list(session.execute(statement).all())
