"""Unit queries. Every read starts from ``units_statement``, the one place that will
narrow the tree to the caller's scope."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.pagination import PageParams, order_by, paginate
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


def units_statement() -> SelectOfScalar[Unit]:
    return select(Unit)


def get_unit(session: Session, unit_id: uuid.UUID) -> Unit | None:
    return session.exec(units_statement().where(col(Unit.id) == unit_id)).one_or_none()


def list_units(
    session: Session,
    page: PageParams,
    *,
    level: UnitLevel | None = None,
    parent_id: uuid.UUID | None = None,
    query: str | None = None,
    sort: UnitSort | None = None,
) -> tuple[list[Unit], int]:
    statement = units_statement()
    if level is not None:
        statement = statement.where(col(Unit.level) == level)
    if parent_id is not None:
        statement = statement.where(col(Unit.parent_id) == parent_id)
    if query:
        statement = statement.where(search_clause(col(Unit.search_name), query))
    ordering = order_by(sort, SORT_COLUMNS, DEFAULT_ORDER, col(Unit.id))
    return paginate(session, statement, page, ordering)
