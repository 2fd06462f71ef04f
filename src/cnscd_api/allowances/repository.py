"""Queries of the allowances. Lists and single objects start from ``core.scope``; the
inputs of a statement are read for a unit already reached through a scoped read."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row, delete, insert, or_
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cnscd_api.allowances.schemas import StatementFilters, StatementSort
from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import (
    Lock,
    ancestor_ids,
    locked,
    path_in_subtree,
    scoped,
    scoped_columns,
    unscoped,
)
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityStatus,
    AllowancePaidTeam,
    AllowanceRule,
    AllowanceStatement,
    Member,
    Membership,
    StatementStatus,
    Team,
    Unit,
)

STATEMENT_SORTING = Sorting(
    StatementSort,
    {"month": col(AllowanceStatement.month), "created_at": col(AllowanceStatement.created_at)},
    default=(col(AllowanceStatement.month).desc(), col(Unit.name_key).asc()),
    tiebreaker=col(AllowanceStatement.id),
)


# --- rules ------------------------------------------------------------------------------------


def list_rules(session: Session, actor: Principal) -> list[AllowanceRule]:
    statement = scoped(actor, AllowanceRule).order_by(
        col(AllowanceRule.province_id), col(AllowanceRule.effective_from)
    )
    return list(session.exec(statement).all())


@unscoped("the rules of a province already reached through a scoped read")
def rules_of(session: Session, province_id: uuid.UUID) -> list[AllowanceRule]:
    statement = (
        select(AllowanceRule)
        .where(col(AllowanceRule.province_id) == province_id)
        .order_by(col(AllowanceRule.effective_from))
    )
    return list(session.exec(statement).all())


@unscoped("the statements of a province already reached through a scoped read")
def approved_in(
    session: Session, province_path: str, first: date, last: date | None
) -> AllowanceStatement | None:
    """An approved statement of the province for a month from ``first`` to ``last``."""
    statement = (
        select(AllowanceStatement)
        .join(Unit, col(Unit.id) == col(AllowanceStatement.unit_id))
        .where(
            path_in_subtree(Unit.path, province_path),
            col(AllowanceStatement.status) == StatementStatus.APPROVED,
            col(AllowanceStatement.month) >= first,
        )
        .order_by(col(AllowanceStatement.month))
        .limit(1)
    )
    if last is not None:
        statement = statement.where(col(AllowanceStatement.month) <= last)
    return session.exec(statement).first()


@unscoped("the unit of a statement already reached through a scoped read")
def unit_of(session: Session, statement: AllowanceStatement) -> Unit:
    unit = session.get(Unit, statement.unit_id)
    assert unit is not None
    return unit


# --- statements -------------------------------------------------------------------------------


def statement_columns(actor: Principal, filters: StatementFilters, unit_path: str | None) -> Any:
    statement = scoped_columns(
        actor,
        AllowanceStatement,
        *(col(c) for c in AllowanceStatement.__table__.columns if c.name != "lines"),  # type: ignore[attr-defined]
        col(Unit.name).label("unit_name"),
    )
    if unit_path is not None:
        statement = statement.where(path_in_subtree(Unit.path, unit_path))
    if filters.status is not None:
        statement = statement.where(col(AllowanceStatement.status) == filters.status)
    return statement


def list_statements(
    session: Session, statement: Any, month: date | None, page: PageParams, sort: Any
) -> tuple[list[Row[Any]], int]:
    if month is not None:
        statement = statement.where(col(AllowanceStatement.month) == month)
    return fetch_page(session, statement, page, STATEMENT_SORTING.order(sort))


@unscoped("statements above or below a unit already reached, across scopes: no two overlap")
def overlapping(session: Session, unit: Unit, month: date) -> AllowanceStatement | None:
    """A statement of the month for the unit, a unit above it or a unit below it."""
    other = aliased(Unit)
    statement = (
        select(AllowanceStatement)
        .join(other, col(other.id) == col(AllowanceStatement.unit_id))
        .where(
            col(AllowanceStatement.month) == month,
            or_(
                path_in_subtree(other.path, unit.path),
                col(other.id).in_(ancestor_ids(unit.path)),
            ),
        )
        .limit(1)
    )
    return session.exec(statement).first()


@unscoped("the teams of a unit already reached through a scoped read")
def home_teams(session: Session, unit_path: str) -> list[Row[Any]]:
    statement = (
        select_columns(
            col(Team.id),
            col(Team.name),
            col(Team.name_key),
            col(Team.status),
            col(Team.decision_date),
        )
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(path_in_subtree(Unit.path, unit_path))
    )
    return list(session.execute(statement).all())


@unscoped("teams named by reports already read for a unit reached through a scoped read")
def teams_named(session: Session, team_ids: set[uuid.UUID]) -> list[Row[Any]]:
    if not team_ids:
        return []
    statement = select_columns(col(Team.id), col(Team.name), col(Team.name_key)).where(
        col(Team.id).in_(team_ids)
    )
    return list(session.execute(statement).all())


@unscoped("the reports of a unit already reached through a scoped read")
def approved_reports(
    session: Session, unit_path: str, first: date, last: date
) -> list[tuple[uuid.UUID, uuid.UUID, date, list[uuid.UUID]]]:
    """(id, team, day, members) of the approved reports at places of the unit."""
    statement = (
        select_columns(col(Activity.id), col(Activity.team_id), col(Activity.activity_date))
        .join(Unit, col(Unit.id) == col(Activity.unit_id))
        .where(
            path_in_subtree(Unit.path, unit_path),
            col(Activity.status) == ActivityStatus.APPROVED,
            col(Activity.activity_date) >= first,
            col(Activity.activity_date) <= last,
        )
        .order_by(col(Activity.id))
    )
    rows = list(session.execute(statement).all())
    members: dict[uuid.UUID, list[uuid.UUID]] = {row[0]: [] for row in rows}
    ids = list(members)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for activity_id, member_id in session.execute(
            select_columns(col(ActivityMember.activity_id), col(ActivityMember.member_id)).where(
                col(ActivityMember.activity_id).in_(chunk)
            )
        ).all():
            members[activity_id].append(member_id)
    return [(row[0], row[1], row[2], members[row[0]]) for row in rows]


@unscoped("the reports of a unit already reached, locked while its month is approved")
def lock_reports(session: Session, unit_path: str, first: date, last: date) -> None:
    """Wait for every report of the unit's month being changed now, and hold them as read
    until the approval commits (PostgreSQL; SQLite's writers are one at a time)."""
    place = aliased(Unit)
    statement = (
        select_columns(col(Activity.id))
        .join(place, col(place.id) == col(Activity.unit_id))
        .where(
            path_in_subtree(place.path, unit_path),
            col(Activity.activity_date) >= first,
            col(Activity.activity_date) <= last,
        )
        .order_by(col(Activity.id))
    )
    session.execute(statement.with_for_update(of=Activity, read=True)).all()


@unscoped("memberships of teams already reached through a scoped read")
def members_in_month(
    session: Session, team_ids: list[uuid.UUID], first: date, last: date
) -> dict[uuid.UUID, set[uuid.UUID]]:
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    if not team_ids:
        return found
    statement = select_columns(col(Membership.team_id), col(Membership.member_id)).where(
        col(Membership.team_id).in_(team_ids),
        col(Membership.joined_on) <= last,
        or_(col(Membership.left_on).is_(None), col(Membership.left_on) >= first),
    )
    for team_id, member_id in session.execute(statement).all():
        found.setdefault(team_id, set()).add(member_id)
    return found


@unscoped("names of members already reached through their teams")
def member_names(session: Session, member_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not member_ids:
        return {}
    statement = select_columns(col(Member.id), col(Member.full_name)).where(
        col(Member.id).in_(member_ids)
    )
    return {row[0]: row[1] for row in session.execute(statement).all()}


def paid_elsewhere(
    session: Session, team_ids: list[uuid.UUID], month: date, statement_id: uuid.UUID | None
) -> set[uuid.UUID]:
    statement = select_columns(col(AllowancePaidTeam.team_id)).where(
        col(AllowancePaidTeam.team_id).in_(team_ids), col(AllowancePaidTeam.month) == month
    )
    if statement_id is not None:
        statement = statement.where(col(AllowancePaidTeam.statement_id) != statement_id)
    return {row[0] for row in session.execute(statement).all()}


def mark_paid(
    session: Session, statement_id: uuid.UUID, month: date, team_ids: list[uuid.UUID]
) -> None:
    if team_ids:
        session.execute(
            insert(AllowancePaidTeam),
            [{"statement_id": statement_id, "team_id": t, "month": month} for t in team_ids],
        )


def unmark_paid(session: Session, statement_id: uuid.UUID) -> None:
    session.execute(
        delete(AllowancePaidTeam).where(col(AllowancePaidTeam.statement_id) == statement_id)
    )


def lock_statement(session: Session, actor: Principal, statement_id: uuid.UUID) -> Any:
    statement = scoped(actor, AllowanceStatement).where(col(AllowanceStatement.id) == statement_id)
    return session.exec(locked(statement, AllowanceStatement, Lock.UPDATE)).one_or_none()
