"""Lists: ``limit``/``offset`` parsed once and capped, a total, and a stable order.

``PageParamsDep`` is the dependency a list route takes; ``paginate`` is what its
repository calls with the scoped statement and the order. The count query reuses the
statement's FROM and WHERE with ``count(*)`` in place of the columns, so no rows are
loaded to count them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func
from sqlalchemy.orm import Mapped
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far past any real list; it keeps absurd offsets from reaching the database as overflows.
MAX_OFFSET = 10_000_000

T = TypeVar("T")
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match, across all pages.")
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def order_by(
    sort: StrEnum | None,
    columns: Mapping[str, Mapped[Any] | ColumnElement[Any]],
    default: Sequence[ColumnElement[Any]],
    tiebreaker: Mapped[Any],
) -> list[ColumnElement[Any]]:
    """Turn ``name`` / ``-name`` into ORDER BY clauses; the id tiebreaker keeps pages stable."""
    if sort is None:
        return [*default, tiebreaker.asc()]
    value = str(sort.value)
    descending = value.startswith("-")
    column = columns[value.lstrip("-")]
    primary = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return [primary, tiebreaker.asc()]


def count_rows(session: Session, statement: Select[Any] | SelectOfScalar[Any]) -> int:
    """How many rows ``statement`` matches: its FROM and WHERE with ``count(*)``."""
    count_statement = statement.with_only_columns(func.count(), maintain_column_froms=True)
    total: int = session.execute(count_statement.order_by(None)).scalar_one()
    return total


def paginate(
    session: Session,
    statement: SelectOfScalar[Row],
    page: PageParams,
    ordering: Sequence[ColumnElement[Any]],
) -> tuple[list[Row], int]:
    rows = session.exec(statement.order_by(*ordering).limit(page.limit).offset(page.offset)).all()
    return list(rows), count_rows(session, statement)


def paginate_with(
    session: Session,
    statement: SelectOfScalar[Any],
    page: PageParams,
    ordering: Sequence[ColumnElement[Any]],
    columns: Sequence[ColumnElement[Any] | Mapped[Any]],
) -> tuple[list[tuple[Any, ...]], int]:
    """Like ``paginate``, with ``columns`` selected beside each object (names, counts)
    so that a list needs no query per row; rows come back as tuples."""
    rows = session.execute(
        statement.add_columns(*columns).order_by(*ordering).limit(page.limit).offset(page.offset)
    ).all()
    return [tuple(row) for row in rows], count_rows(session, statement)
