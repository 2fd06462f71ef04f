"""Team queries. Reads start from ``core.scope``: teams whose unit lies in the caller's
subtree (a team leader: their own team). A list page is one query: the team's columns,
its unit's stored names, its current member count and its leader, and the total."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import (
    Lock,
    locked,
    path_in_subtree,
    scoped,
    scoped_columns,
    unscoped,
)
from cnscd_api.core.text import search_clause
from cnscd_api.models import (
    Activity,
    Member,
    Membership,
    Team,
    TeamRole,
    Unit,
    UnitLevel,
    User,
    utcnow,
)
from cnscd_api.teams.schemas import TeamFilters, TeamSort

Leader = aliased(Member, name="leader")
Commune = aliased(Unit, name="commune")


def member_count_column() -> ColumnElement[int]:
    return (
        select(func.count())
        .where(col(Member.team_id) == col(Team.id), col(Member.left_on).is_(None))
        .correlate(Team)
        .scalar_subquery()
    )


def leader_column(column: Any) -> ColumnElement[Any]:
    """A column of the team's current leader (at most one: ``uq_member_team_leader_active``),
    read for the rows of the page only; a count of the list leaves it out."""
    return (
        select(column)
        .where(
            col(Leader.team_id) == col(Team.id),
            col(Leader.role) == TeamRole.LEADER,
            col(Leader.left_on).is_(None),
        )
        .correlate(Team)
        .scalar_subquery()
    )


MEMBER_COUNT = member_count_column().label("member_count")
SORTING = Sorting(
    TeamSort,
    {"name": col(Team.name_key), "created_at": col(Team.created_at), "member_count": MEMBER_COUNT},
    default=(col(Team.name_key).asc(),),
    tiebreaker=col(Team.id),
)
# What a team's JSON shows (TeamRead), read as columns.
READ_COLUMNS: tuple[Any, ...] = (
    Team.id,
    Team.unit_id,
    Unit.name.label("unit_name"),  # type: ignore[attr-defined]
    Unit.path_names.label("unit_path_names"),  # type: ignore[attr-defined]
    Team.name,
    Team.decision_number,
    Team.decision_date,
    Team.status,
    Team.note,
    MEMBER_COUNT,
    leader_column(Leader.id).label("leader_id"),
    leader_column(Leader.full_name).label("leader_name"),
    Team.version,
    Team.created_at,
    Team.updated_at,
)


def _read_statement(principal: Principal) -> Select[Any]:
    return scoped_columns(principal, Team, *READ_COLUMNS)


def filtered(principal: Principal, filters: TeamFilters, *, unit_path: str | None) -> Select[Any]:
    statement = _read_statement(principal)
    if unit_path is not None:
        statement = statement.where(path_in_subtree(Unit.path, unit_path))
    if filters.status is not None:
        statement = statement.where(col(Team.status) == filters.status)
    if filters.q:
        # The team's name, the unit it serves and, for a village, the village's commune.
        statement = statement.outerjoin(
            Commune,
            and_(col(Commune.id) == col(Unit.parent_id), col(Unit.level) == UnitLevel.VILLAGE),
        ).where(
            search_clause(
                col(Team.search_name), filters.q, col(Unit.search_name), col(Commune.search_name)
            )
        )
    return statement


def list_teams(
    session: Session, statement: Select[Any], page: PageParams, sort: TeamSort | None
) -> tuple[list[Row[Any]], int]:
    return fetch_page(session, statement, page, SORTING.order(sort))


def read_row(session: Session, principal: Principal, team_id: uuid.UUID) -> Row[Any]:
    """The list row of one team the caller reached."""
    return session.execute(_read_statement(principal).where(col(Team.id) == team_id)).one()


def stream_teams(session: Session, statement: Select[Any]) -> Iterator[Row[Any]]:
    """Every row of an export, fetched in batches so memory stays flat."""
    ordered = statement.order_by(col(Team.name_key), col(Team.id))
    yield from session.execute(ordered.execution_options(yield_per=1000))


def teams_by_id(
    session: Session, principal: Principal, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Team]:
    """The teams among ``team_ids`` that the caller may reach (imports, histories)."""
    if not team_ids:
        return {}
    statement = scoped(principal, Team).where(col(Team.id).in_(team_ids))
    return {team.id: team for team in session.exec(statement).all()}


def team_with_unit(
    session: Session, principal: Principal, team_id: uuid.UUID, unit_lock: Lock | None = None
) -> tuple[Team, Unit] | None:
    """A team the caller reaches and the unit it serves, in one query (the scope's join
    to the team's unit is the one that fetches it), taking ``unit_lock`` on the unit."""
    statement = locked(
        scoped_columns(principal, Team, Team, Unit).where(col(Team.id) == team_id),
        Unit,
        unit_lock,
    )
    row = session.exec(statement).one_or_none()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class TeamHistory:
    """What a team has been part of: whoever belonged to it, the user accounts that
    point at it, and the reports it made (all of them, whoever may read them)."""

    members: int
    accounts: int
    reports: int

    def __bool__(self) -> bool:
        return bool(self.members or self.accounts or self.reports)


@unscoped("a team the caller already reached: everything that points at it counts")
def history_of(session: Session, team_id: uuid.UUID) -> TeamHistory:
    members = select(func.count(func.distinct(Membership.member_id))).where(
        col(Membership.team_id) == team_id
    )
    accounts = select(func.count()).select_from(User).where(col(User.team_id) == team_id)
    reports = select(func.count()).select_from(Activity).where(col(Activity.team_id) == team_id)
    row = session.execute(
        select(members.scalar_subquery(), accounts.scalar_subquery(), reports.scalar_subquery())
    ).one()
    return TeamHistory(members=row[0], accounts=row[1], reports=row[2])


def add(session: Session, team: Team) -> Team:
    session.add(team)
    session.flush()
    return team


@unscoped("the leaders of a team the caller already reached")
def move_team_leaders(
    session: Session, team_ids: list[uuid.UUID], unit_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """Team leaders' accounts follow their team when it moves to another unit, in one statement;
    returns their ids and usernames."""
    if not team_ids:
        return []
    moved = session.execute(
        update(User)
        .where(col(User.team_id).in_(team_ids))
        .values(scope_unit_id=unit_id, version=col(User.version) + 1, updated_at=utcnow())
        .returning(col(User.id), col(User.username))
    ).all()
    return [(user_id, username) for user_id, username in moved]
