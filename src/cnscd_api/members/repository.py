"""Member queries. Reads start from ``core.scope``: members whose team serves a unit in
the caller's subtree (a team leader: their own team). A list page is one query."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, false, insert, update
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped_columns, unscoped
from cnscd_api.core.text import LIKE_ESCAPE, escape_like, search_clause
from cnscd_api.members.schemas import MemberFilters, MemberSort
from cnscd_api.models import Member, Membership, Team, TeamRole, Unit

SORTING = Sorting(
    MemberSort,
    {
        "full_name": col(Member.name_key),
        "joined_on": col(Member.joined_on),
        "created_at": col(Member.created_at),
    },
    default=(col(Member.name_key).asc(),),
    tiebreaker=col(Member.id),
)
# What a member's JSON shows (MemberRead), read as columns; masking is the service's.
READ_COLUMNS = (
    Member.id,
    Member.full_name,
    Member.gender,
    Member.birth_year,
    Member.phone,
    Member.email,
    Member.affiliation,
    Member.organisation,
    Member.skill_level,
    Member.team_id,
    Team.name.label("team_name"),  # type: ignore[attr-defined]
    Member.role,
    Member.joined_on,
    Member.left_on,
    col(Member.left_on).is_(None).label("active"),
    false().label("personal_data_masked"),
    Member.version,
    Member.created_at,
    Member.updated_at,
)


def filtered(
    principal: Principal,
    filters: MemberFilters,
    *,
    unit_path: str | None,
    phone_digits: str | None,
) -> Select[Any]:
    statement = scoped_columns(principal, Member, *READ_COLUMNS)
    conditions: list[ColumnElement[bool]] = []
    if filters.team_id is not None:
        conditions.append(col(Member.team_id) == filters.team_id)
    if unit_path is not None:
        conditions.append(path_in_subtree(Unit.path, unit_path))
    if filters.affiliation is not None:
        conditions.append(col(Member.affiliation) == filters.affiliation)
    if filters.role is not None:
        conditions.append(col(Member.role) == filters.role)
    if filters.skill_level is not None:
        conditions.append(col(Member.skill_level) == filters.skill_level)
    if filters.active is not None:
        conditions.append(
            col(Member.left_on).is_(None) if filters.active else col(Member.left_on).is_not(None)
        )
    if phone_digits:
        conditions.append(
            col(Member.phone).like(f"%{escape_like(phone_digits)}%", escape=LIKE_ESCAPE)
        )
    elif filters.q:
        conditions.append(search_clause(col(Member.search_name), filters.q))
    return statement.where(*conditions)


def list_members(
    session: Session, statement: Select[Any], page: PageParams, sort: MemberSort | None
) -> tuple[list[Row[Any]], int]:
    return fetch_page(session, statement, page, SORTING.order(sort))


def stream_members(session: Session, statement: Select[Any]) -> Iterator[Row[Any]]:
    rows = statement.add_columns(Unit.name.label("unit_name")).order_by(  # type: ignore[attr-defined]
        col(Team.name_key), col(Member.name_key), col(Member.id)
    )
    yield from session.execute(rows.execution_options(yield_per=2000))


@unscoped("the team of a member the caller already reached")
def team_name(session: Session, team_id: uuid.UUID) -> str:
    return session.exec(select(Team.name).where(col(Team.id) == team_id)).one()


@unscoped("the history of a member the caller already reached; the service hides teams")
def memberships(session: Session, member_id: uuid.UUID) -> list[tuple[Membership, str]]:
    rows = session.exec(
        select(Membership, Team.name)
        .join(Team, col(Team.id) == col(Membership.team_id))
        .where(col(Membership.member_id) == member_id)
        .order_by(col(Membership.joined_on), col(Membership.created_at))
    ).all()
    return [(membership, name) for membership, name in rows]


@unscoped("the leader of a team the caller already reached")
def active_leader(session: Session, team_id: uuid.UUID) -> Member | None:
    statement = select(Member).where(
        col(Member.team_id) == team_id,
        col(Member.role) == TeamRole.LEADER,
        col(Member.left_on).is_(None),
    )
    return session.exec(statement).first()


@unscoped("uniqueness of a phone within a team the caller already reached")
def by_team_phone(session: Session, team_id: uuid.UUID, phone: str) -> Member | None:
    statement = select(Member).where(col(Member.team_id) == team_id, col(Member.phone) == phone)
    return session.exec(statement).first()


@unscoped("members of teams the caller already reached (imports)")
def members_of_teams(session: Session, team_ids: list[uuid.UUID]) -> list[Member]:
    return list(session.exec(select(Member).where(col(Member.team_id).in_(team_ids))).all())


def add(session: Session, member: Member) -> Member:
    session.add(member)
    session.flush()
    return member


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """New members (complete column values) and their first memberships, as multi-row
    INSERTs: imports write thousands at once."""
    if not rows:
        return
    session.execute(insert(Member), rows)
    session.execute(
        insert(Membership),
        [
            {
                "id": uuid.uuid4(),
                "member_id": row["id"],
                "team_id": row["team_id"],
                "role": row["role"],
                "joined_on": row["joined_on"],
                "left_on": None,
                "created_at": row["created_at"],
            }
            for row in rows
        ],
    )


def open_membership(session: Session, member: Member) -> None:
    session.add(
        Membership(
            member_id=member.id,
            team_id=member.team_id,
            role=member.role,
            joined_on=member.joined_on,
        )
    )


def close_membership(session: Session, member_id: uuid.UUID, left_on: date) -> None:
    session.execute(
        update(Membership)
        .where(col(Membership.member_id) == member_id, col(Membership.left_on).is_(None))
        .values(left_on=left_on)
    )


def delete_history(session: Session, member_id: uuid.UUID) -> None:
    session.execute(delete(Membership).where(col(Membership.member_id) == member_id))


@unscoped("the units of teams the caller already reached (imports)")
def team_unit_paths(session: Session, team_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not team_ids:
        return {}
    rows = session.exec(
        select(Team.id, Unit.path)
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(col(Team.id).in_(team_ids))
    ).all()
    return dict(rows)
