"""User queries; every read starts from ``users_statement``, limited to the caller's subtree."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.pagination import PageParams, order_by, paginate
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import in_scope
from cnscd_api.core.text import search_clause
from cnscd_api.models import Role, Unit, User, utcnow
from cnscd_api.users.schemas import UserSort

SORT_COLUMNS: dict[str, Mapped[Any]] = {
    "username": col(User.username),
    "full_name": col(User.full_name),
    "created_at": col(User.created_at),
}


def users_statement(principal: Principal) -> SelectOfScalar[User]:
    return (
        select(User)
        .join(Unit, col(Unit.id) == col(User.scope_unit_id))
        .where(in_scope(principal, col(Unit.path)), col(User.deleted_at).is_(None))
    )


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User | None:
    return session.exec(users_statement(principal).where(col(User.id) == user_id)).one_or_none()


def list_users(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    role: Role | None,
    scope_unit_id: uuid.UUID | None,
    query: str | None,
    sort: UserSort | None,
) -> tuple[list[User], int]:
    statement = users_statement(principal)
    if role is not None:
        statement = statement.where(col(User.role) == role)
    if scope_unit_id is not None:
        statement = statement.where(col(User.scope_unit_id) == scope_unit_id)
    if query:
        statement = statement.where(search_clause(col(User.search_text), query))
    ordering = order_by(sort, SORT_COLUMNS, (col(User.username).asc(),), col(User.id))
    return paginate(session, statement, page, ordering)


def username_exists(session: Session, username: str) -> bool:
    """Across all users, deleted ones included: a username is never reused."""
    return session.exec(select(User.id).where(col(User.username) == username)).first() is not None


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def move_team_leaders(session: Session, team_id: uuid.UUID, unit_id: uuid.UUID) -> list[uuid.UUID]:
    """Team leaders follow their team when it moves to another unit; returns their ids."""
    leader_ids = list(session.exec(select(User.id).where(col(User.team_id) == team_id)).all())
    if leader_ids:
        session.execute(
            update(User)
            .where(col(User.id).in_(leader_ids))
            .values(scope_unit_id=unit_id, updated_at=utcnow())
        )
    return leader_ids
