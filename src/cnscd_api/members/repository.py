"""Member queries. Reads start from ``members_statement``: members whose team serves a
unit in the caller's subtree (a team leader: their own team)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.concurrency import delete_versioned as versioned_delete
from cnscd_api.core.pagination import PageParams, order_by, paginate_with
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import in_scope, path_in_subtree
from cnscd_api.core.text import LIKE_ESCAPE, escape_like, search_clause
from cnscd_api.members.schemas import MemberFilters, MemberSort
from cnscd_api.models import Member, Membership, Role, Team, TeamRole, Unit

SORT_COLUMNS: dict[str, Mapped[Any]] = {
    "full_name": col(Member.full_name),
    "joined_on": col(Member.joined_on),
    "created_at": col(Member.created_at),
}


def members_statement(principal: Principal) -> SelectOfScalar[Member]:
    statement = (
        select(Member)
        .join(Team, col(Team.id) == col(Member.team_id))
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(in_scope(principal, col(Unit.path)))
    )
    if principal.role is Role.TEAM_LEADER:
        statement = statement.where(col(Member.team_id) == principal.team_id)
    return statement


def get_member(session: Session, principal: Principal, member_id: uuid.UUID) -> Member | None:
    return session.exec(
        members_statement(principal).where(col(Member.id) == member_id)
    ).one_or_none()


def filtered(
    principal: Principal,
    filters: MemberFilters,
    *,
    unit_path: str | None,
    phone_digits: str | None,
) -> SelectOfScalar[Member]:
    statement = members_statement(principal)
    conditions: list[ColumnElement[bool]] = []
    if filters.team_id is not None:
        conditions.append(col(Member.team_id) == filters.team_id)
    if unit_path is not None:
        conditions.append(path_in_subtree(col(Unit.path), unit_path))
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
    elif filters.query:
        conditions.append(search_clause(col(Member.search_name), filters.query))
    return statement.where(*conditions)


def list_members(
    session: Session, statement: SelectOfScalar[Member], page: PageParams, sort: MemberSort | None
) -> tuple[list[tuple[Member, str]], int]:
    """A page of (member, team name) in one query, plus the count."""
    ordering = order_by(sort, SORT_COLUMNS, (col(Member.full_name).asc(),), col(Member.id))
    rows, total = paginate_with(session, statement, page, ordering, [col(Team.name)])
    return [(row[0], row[1]) for row in rows], total


def stream_members(session: Session, statement: SelectOfScalar[Member]) -> Iterator[Sequence[Any]]:
    rows = statement.add_columns(col(Team.name), col(Unit.name)).order_by(
        col(Team.name), col(Member.full_name), col(Member.id)
    )
    yield from session.execute(rows.execution_options(yield_per=2000))


def team_name(session: Session, team_id: uuid.UUID) -> str:
    return session.exec(select(Team.name).where(col(Team.id) == team_id)).one()


def memberships(session: Session, member_id: uuid.UUID) -> list[tuple[Membership, str]]:
    rows = session.exec(
        select(Membership, Team.name)
        .join(Team, col(Team.id) == col(Membership.team_id))
        .where(col(Membership.member_id) == member_id)
        .order_by(col(Membership.joined_on), col(Membership.created_at))
    ).all()
    return [(membership, name) for membership, name in rows]


def active_leader(session: Session, team_id: uuid.UUID) -> Member | None:
    statement = select(Member).where(
        col(Member.team_id) == team_id,
        col(Member.role) == TeamRole.LEADER,
        col(Member.left_on).is_(None),
    )
    return session.exec(statement).first()


def by_team_phone(session: Session, team_id: uuid.UUID, phone: str) -> Member | None:
    statement = select(Member).where(col(Member.team_id) == team_id, col(Member.phone) == phone)
    return session.exec(statement).first()


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


def delete_versioned(session: Session, member: Member, seen_version: int) -> bool:
    """The member and their history; refused (False) if the member changed meanwhile."""
    session.execute(delete(Membership).where(col(Membership.member_id) == member.id))
    return versioned_delete(session, member, seen_version)


def team_unit_paths(session: Session, team_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not team_ids:
        return {}
    rows = session.exec(
        select(Team.id, Unit.path)
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(col(Team.id).in_(team_ids))
    ).all()
    return dict(rows)
