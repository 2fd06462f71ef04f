"""User queries; every read starts from ``core.scope``, limited to the caller's subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import scoped_columns, unscoped
from cnscd_api.core.text import search_clause
from cnscd_api.models import User
from cnscd_api.users.schemas import UserFilters, UserSort

SORTING = Sorting(
    UserSort,
    {
        "username": col(User.username),
        "full_name": col(User.name_key),
        "created_at": col(User.created_at),
    },
    default=(col(User.username).asc(),),
    tiebreaker=col(User.id),
)
READ_COLUMNS = (
    User.id,
    User.username,
    User.full_name,
    User.email,
    User.phone,
    User.role,
    User.scope_unit_id,
    User.team_id,
    User.organisation,
    User.is_active,
    User.is_demo,
    User.version,
    User.created_at,
    User.updated_at,
)


def list_users(
    session: Session,
    principal: Principal,
    page: PageParams,
    filters: UserFilters,
    sort: UserSort | None,
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(principal, User, *READ_COLUMNS)
    if filters.role is not None:
        statement = statement.where(col(User.role) == filters.role)
    if filters.scope_unit_id is not None:
        statement = statement.where(col(User.scope_unit_id) == filters.scope_unit_id)
    if filters.q:
        statement = statement.where(search_clause(col(User.search_text), filters.q))
    return fetch_page(session, statement, page, SORTING.order(sort))


@unscoped("usernames are unique across the whole system, deleted accounts included")
def username_exists(session: Session, username: str) -> bool:
    """Across all users, deleted ones included: a username is never reused."""
    return session.exec(select(User.id).where(col(User.username) == username)).first() is not None


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user
