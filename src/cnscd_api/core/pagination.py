"""Lists: ``limit``/``offset`` parsed once and capped, a stable order, one query a page.

``PageParamsDep`` is the dependency a list route takes. A repository declares its sort
columns once with ``Sorting`` (checked against the route's sort enum when the module is
imported, so the two cannot drift) and reads a page with ``fetch_page``: the page's
rows first (``LIMIT`` stops the scan once the page is full), then, only when the page
does not show where the list ends, the total in a separate ``count(*)`` over the same
FROM and WHERE, which an index answers without sorting or reading the page's columns
(``count(*) OVER ()`` made PostgreSQL read, join and sort every matching row before
``LIMIT``). Columns only, no ORM objects.
``PageParams.page`` validates those rows straight into the response model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Response
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import ColumnElement, Row, Select, func
from sqlmodel import Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far past any real list; it keeps absurd offsets from reaching the database as overflows.
MAX_OFFSET = 10_000_000

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match, across all pages.")
    limit: int
    offset: int


def as_dicts(rows: Iterable[Any]) -> list[Any]:
    """Result rows as plain dicts (zipping the column names is several times cheaper than
    a row's own mapping); anything else is passed through."""
    listed = list(rows)
    if listed and isinstance(listed[0], Row):
        keys = listed[0]._fields
        return [dict(zip(keys, row, strict=True)) for row in listed]
    return listed


@cache
def _items_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


@cache
def _page_adapter(model: type[M]) -> TypeAdapter[Page[M]]:
    return TypeAdapter(Page[model])  # type: ignore[valid-type]


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def page(self, model: type[M], rows: Iterable[Any], total: int) -> Page[M]:
        """The page of ``model`` built from ``rows`` (result rows, mappings or objects
        with the model's fields as attributes), validated in one pass."""
        items = _items_adapter(model).validate_python(as_dicts(rows), from_attributes=True)
        return Page[model].model_construct(  # type: ignore[valid-type]
            items=items, total=total, limit=self.limit, offset=self.offset
        )

    def response(self, model: type[M], rows: Iterable[Any], total: int) -> Response:
        """The page as a JSON response, validated and serialised here in one pass (the
        route's ``response_model`` documents it; FastAPI has nothing left to check)."""
        page = self.page(model, rows, total)
        return Response(_page_adapter(model).dump_json(page), media_type="application/json")


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


class Sorting:
    """The columns a list may be sorted by, declared once against its sort enum (whose
    values are each field and ``-field``), with the default order and a unique
    tiebreaker that keeps pages stable."""

    def __init__(
        self,
        options: type[StrEnum],
        columns: Mapping[str, Any],
        *,
        default: Sequence[ColumnElement[Any]],
        tiebreaker: Any,
    ) -> None:
        expected = {value for field in columns for value in (field, f"-{field}")}
        offered = {option.value for option in options}
        if offered != expected:
            raise TypeError(
                f"{options.__name__} offers {sorted(offered)} but the columns give "
                f"{sorted(expected)}"
            )
        self.columns = dict(columns)
        self.default = tuple(default)
        self.tiebreaker = tiebreaker

    def order(self, sort: StrEnum | None) -> list[ColumnElement[Any]]:
        """``name`` / ``-name`` as ORDER BY clauses, then the tiebreaker."""
        if sort is None:
            return [*self.default, self.tiebreaker.asc()]
        value = str(sort.value)
        column = self.columns[value.lstrip("-")]
        primary = column.desc() if value.startswith("-") else column.asc()
        return [primary.nulls_last(), self.tiebreaker.asc()]


def count_rows(session: Session, statement: Select[Any]) -> int:
    """How many rows ``statement`` matches: its FROM and WHERE with ``count(*)``."""
    count_statement = statement.with_only_columns(func.count(), maintain_column_froms=True)
    total: int = session.execute(count_statement.order_by(None)).scalar_one()
    return total


def fetch_page(
    session: Session,
    statement: Select[Any],
    page: PageParams,
    ordering: Sequence[ColumnElement[Any]],
) -> tuple[list[Row[Any]], int]:
    """One page of ``statement``'s rows, then the total: known from the page when it is
    the last one (fewer rows than the limit, or none from the start), else counted."""
    # Plain column reads need nothing of the ORM: run them on the session's connection.
    paged = statement.order_by(*ordering).limit(page.limit).offset(page.offset)
    rows = list(session.connection().execute(paged).all())
    if len(rows) < page.limit and (rows or page.offset == 0):
        return rows, page.offset + len(rows)
    return rows, count_rows(session, statement)
