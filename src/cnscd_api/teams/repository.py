"""Team queries. Reads start from ``teams_statement``: teams whose unit lies in the
caller's subtree (and, for a team leader, their own team only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.concurrency import delete_versioned as versioned_delete
from cnscd_api.core.pagination import PageParams, order_by, paginate_with
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import ancestor_ids, in_scope, path_in_subtree
from cnscd_api.core.text import search_clause
from cnscd_api.models import Member, Membership, Role, Team, TeamRole, TeamStatus, Unit, User
from cnscd_api.teams.schemas import TeamSort


def member_count_column() -> ColumnElement[int]:
    return (
        select(func.count())
        .where(col(Member.team_id) == col(Team.id), col(Member.left_on).is_(None))
        .correlate(Team)
        .scalar_subquery()
    )


def teams_statement(principal: Principal) -> SelectOfScalar[Team]:
    statement = (
        select(Team)
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(in_scope(principal, col(Unit.path)))
    )
    if principal.role is Role.TEAM_LEADER:
        statement = statement.where(col(Team.id) == principal.team_id)
    return statement


def teams_by_id(
    session: Session, principal: Principal, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Team]:
    """The teams among ``team_ids`` that the caller may reach (imports, histories)."""
    if not team_ids:
        return {}
    statement = teams_statement(principal).where(col(Team.id).in_(team_ids))
    return {team.id: team for team in session.exec(statement).all()}


def get_team(session: Session, principal: Principal, team_id: uuid.UUID) -> Team | None:
    return session.exec(teams_statement(principal).where(col(Team.id) == team_id)).one_or_none()


def filtered(
    principal: Principal,
    *,
    unit_path: str | None,
    status: TeamStatus | None,
    query: str | None,
) -> SelectOfScalar[Team]:
    statement = teams_statement(principal)
    if unit_path is not None:
        statement = statement.where(path_in_subtree(col(Unit.path), unit_path))
    if status is not None:
        statement = statement.where(col(Team.status) == status)
    if query:
        statement = statement.where(
            search_clause(col(Team.search_name), query, also=col(Unit.search_name))
        )
    return statement


def list_teams(
    session: Session, statement: SelectOfScalar[Team], page: PageParams, sort: TeamSort | None
) -> tuple[list[tuple[Team, int, str, str]], int]:
    """A page of (team, member count, unit name, unit path) in one query, plus the count."""
    count = member_count_column()
    sorts: dict[str, Any] = {
        "name": col(Team.name),
        "created_at": col(Team.created_at),
        "member_count": count,
    }
    ordering = order_by(sort, sorts, (col(Team.name).asc(),), col(Team.id))
    rows, total = paginate_with(
        session,
        statement,
        page,
        ordering,
        [count.label("member_count"), col(Unit.name), col(Unit.path)],
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows], total


def stream_teams(session: Session, statement: SelectOfScalar[Team]) -> Iterator[Sequence[Any]]:
    """Every row of an export, fetched in batches so memory stays flat."""
    rows: Select[Any] = statement.add_columns(
        member_count_column().label("member_count"), col(Unit.name), col(Unit.path)
    ).order_by(col(Team.name), col(Team.id))
    yield from session.execute(rows.execution_options(yield_per=1000))


def leaders(session: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    if not team_ids:
        return {}
    rows = session.exec(
        select(Member.team_id, Member.id, Member.full_name).where(
            col(Member.team_id).in_(team_ids),
            col(Member.role) == TeamRole.LEADER,
            col(Member.left_on).is_(None),
        )
    ).all()
    return {team_id: (member_id, name) for team_id, member_id, name in rows}


def unit_names(session: Session, paths: list[str]) -> dict[uuid.UUID, str]:
    ids = {unit_id for path in paths for unit_id in ancestor_ids(path)}
    if not ids:
        return {}
    return dict(session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(ids))).all())


def unit_name_and_path(session: Session, unit_id: uuid.UUID) -> tuple[str, str]:
    """The name and path of the unit a team serves (the foreign key guarantees it)."""
    name, path = session.exec(select(Unit.name, Unit.path).where(col(Unit.id) == unit_id)).one()
    return name, path


def member_count(session: Session, team_id: uuid.UUID) -> int:
    statement = select(func.count()).where(
        col(Member.team_id) == team_id, col(Member.left_on).is_(None)
    )
    return session.exec(statement).one()


def has_history(session: Session, team_id: uuid.UUID) -> bool:
    """Whether anyone ever belonged to the team or a user account points at it."""
    membership = session.exec(
        select(Membership.id).where(col(Membership.team_id) == team_id)
    ).first()
    account = session.exec(select(User.id).where(col(User.team_id) == team_id)).first()
    return membership is not None or account is not None


def add(session: Session, team: Team) -> Team:
    session.add(team)
    session.flush()
    return team


def delete_versioned(session: Session, team: Team, seen_version: int) -> bool:
    return versioned_delete(session, team, seen_version)
