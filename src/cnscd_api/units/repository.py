"""Unit queries. Every read starts from ``units_statement``: the units the caller may see."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.pagination import PageParams, order_by, paginate
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import in_scope, visible_units_clause
from cnscd_api.core.text import search_clause
from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units.schemas import UnitSort

SORT_COLUMNS: dict[str, Mapped[Any]] = {
    "name": col(Unit.name),
    "code": col(Unit.code),
    "level": col(Unit.level),
    "created_at": col(Unit.created_at),
}
DEFAULT_ORDER = (col(Unit.code).asc().nulls_last(), col(Unit.name).asc())


def units_statement(principal: Principal) -> SelectOfScalar[Unit]:
    return select(Unit).where(visible_units_clause(principal))


def get_unit(session: Session, principal: Principal, unit_id: uuid.UUID) -> Unit | None:
    """A unit the caller may read."""
    return session.exec(units_statement(principal).where(col(Unit.id) == unit_id)).one_or_none()


def get_unit_in_subtree(session: Session, principal: Principal, unit_id: uuid.UUID) -> Unit | None:
    """A unit in the caller's own subtree (what writes and grants may refer to)."""
    statement = units_statement(principal).where(
        col(Unit.id) == unit_id, in_scope(principal, col(Unit.path))
    )
    return session.exec(statement).one_or_none()


def list_units(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    level: UnitLevel | None = None,
    parent_id: uuid.UUID | None = None,
    query: str | None = None,
    sort: UnitSort | None = None,
) -> tuple[list[Unit], int]:
    statement = units_statement(principal)
    if level is not None:
        statement = statement.where(col(Unit.level) == level)
    if parent_id is not None:
        statement = statement.where(col(Unit.parent_id) == parent_id)
    if query:
        statement = statement.where(search_clause(col(Unit.search_name), query))
    ordering = order_by(sort, SORT_COLUMNS, DEFAULT_ORDER, col(Unit.id))
    return paginate(session, statement, page, ordering)


def code_taken(
    session: Session, level: UnitLevel, code: str, exclude: uuid.UUID | None = None
) -> bool:
    """Whether a current unit of ``level`` already has ``code`` (across the whole tree)."""
    statement = select(Unit.id).where(
        col(Unit.level) == level, col(Unit.code) == code, col(Unit.valid_to).is_(None)
    )
    if exclude is not None:
        statement = statement.where(col(Unit.id) != exclude)
    return session.exec(statement).first() is not None


def add(session: Session, unit: Unit) -> Unit:
    session.add(unit)
    session.flush()
    return unit


def current_unit_by_code(session: Session, level: UnitLevel, code: str) -> Unit | None:
    """For the command line, which acts outside any caller's scope."""
    statement = select(Unit).where(
        col(Unit.level) == level, col(Unit.code) == code, col(Unit.valid_to).is_(None)
    )
    return session.exec(statement).one_or_none()


def path_of(session: Session, unit_id: uuid.UUID) -> str | None:
    return session.exec(select(Unit.path).where(col(Unit.id) == unit_id)).one_or_none()
