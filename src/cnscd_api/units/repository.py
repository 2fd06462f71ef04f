"""Unit queries. Every read starts from ``core.scope``: the units the caller may see."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, update
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped, scoped_columns, unscoped
from cnscd_api.core.text import search_clause
from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units.schemas import UnitFilters, UnitSort

SORTING = Sorting(
    UnitSort,
    {
        "name": col(Unit.name),
        "code": col(Unit.code),
        "level": col(Unit.level),
        "created_at": col(Unit.created_at),
    },
    default=(col(Unit.code).asc().nulls_last(), col(Unit.name).asc()),
    tiebreaker=col(Unit.id),
)
# What a unit's JSON shows (UnitRead), read as columns.
READ_COLUMNS = (
    Unit.id,
    Unit.code,
    Unit.name,
    Unit.level,
    Unit.division_type,
    Unit.parent_id,
    Unit.path_names,
    Unit.valid_from,
    Unit.valid_to,
    Unit.households,
    Unit.version,
    Unit.created_at,
    Unit.updated_at,
)


def list_units(
    session: Session,
    principal: Principal,
    page: PageParams,
    filters: UnitFilters,
    sort: UnitSort | None,
    *,
    parent_id: uuid.UUID | None = None,
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(principal, Unit, *READ_COLUMNS)
    parent = parent_id or filters.parent_id
    if filters.level is not None:
        statement = statement.where(col(Unit.level) == filters.level)
    if parent is not None:
        statement = statement.where(col(Unit.parent_id) == parent)
    if filters.q:
        statement = statement.where(search_clause(col(Unit.search_name), filters.q))
    return fetch_page(session, statement, page, SORTING.order(sort))


def units_in_subtree(
    session: Session, principal: Principal, unit_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Unit]:
    """The units among ``unit_ids`` in the caller's own subtree."""
    if not unit_ids:
        return {}
    statement = scoped(principal, Unit, write=True).where(col(Unit.id).in_(unit_ids))
    return {unit.id: unit for unit in session.exec(statement).all()}


@unscoped("official codes are unique across the whole tree, not per caller")
def code_taken(
    session: Session, level: UnitLevel, code: str, exclude: uuid.UUID | None = None
) -> bool:
    """Whether a current unit of ``level`` already has ``code``."""
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


@unscoped("the command line acts outside any caller's scope")
def current_unit_by_code(session: Session, level: UnitLevel, code: str) -> Unit | None:
    statement = select(Unit).where(
        col(Unit.level) == level, col(Unit.code) == code, col(Unit.valid_to).is_(None)
    )
    return session.exec(statement).one_or_none()


@unscoped("the path of a unit already reached through a scoped read, or of an account's unit")
def path_of(session: Session, unit_id: uuid.UUID) -> str | None:
    return session.exec(select(Unit.path).where(col(Unit.id) == unit_id)).one_or_none()


@unscoped("the names of a unit the caller already reached through another object")
def names_of(session: Session, unit_id: uuid.UUID) -> tuple[str, list[str]]:
    """A unit's name and its names from the province down."""
    name, path_names = session.execute(
        select(Unit.name, Unit.path_names).where(col(Unit.id) == unit_id)
    ).one()
    return name, path_names


@unscoped("the subtree of a unit the caller was allowed to rename")
def rename_in_subtree(session: Session, unit: Unit, new_name: str) -> None:
    """Keep ``path_names`` true below a renamed unit: its name is at the same depth in
    every descendant's list."""
    depth = len(unit.path_names) - 1
    rows = session.execute(
        select(Unit.id, Unit.path_names).where(path_in_subtree(Unit.path, unit.path))
    ).all()
    updates = [
        {"id": unit_id, "path_names": [*names[:depth], new_name, *names[depth + 1 :]]}
        for unit_id, names in rows
    ]
    # An ORM bulk UPDATE by primary key: one executemany for the whole subtree.
    session.execute(update(Unit), updates)
