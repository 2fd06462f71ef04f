"""Unit queries. Every read starts from ``core.scope``: the units the caller may see."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import Lock, locked, path_in_subtree, scoped_columns, unscoped
from cnscd_api.core.text import search_clause
from cnscd_api.models import (
    Activity,
    ApiClient,
    Team,
    Unit,
    UnitLevel,
    UnitLineage,
    UnitMove,
    UnitReorganisation,
    User,
    utcnow,
)
from cnscd_api.units.schemas import UnitFilters, UnitSort

SORTING = Sorting(
    UnitSort,
    {
        "name": col(Unit.name_key),
        "code": col(Unit.code),
        "level": col(Unit.level),
        "created_at": col(Unit.created_at),
    },
    default=(col(Unit.code).asc().nulls_last(), col(Unit.name_key).asc()),
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
    on: date,
    today: date,
    parent_id: uuid.UUID | None = None,
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(principal, Unit, *READ_COLUMNS).where(valid_on_clause(on))
    parent = parent_id or filters.parent_id
    if filters.level is not None:
        statement = statement.where(col(Unit.level) == filters.level)
    if parent is not None:
        statement = statement.where(parent_on(on, today) == parent)
    if filters.q:
        statement = statement.where(search_clause(col(Unit.search_name), filters.q))
    return fetch_page(session, statement, page, SORTING.order(sort))


def valid_on_clause(on: date) -> ColumnElement[bool]:
    """Units valid on ``on`` (no dates: valid since before the records, until further notice)."""
    return and_(
        or_(col(Unit.valid_from).is_(None), col(Unit.valid_from) <= on),
        or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) >= on),
    )


def parent_on(on: date, today: date) -> Any:
    """A unit's parent on ``on``: units that kept their id when their parent closed (a
    village of a merged commune) hung under ``from_parent_id`` of their first move after
    that date."""
    if on >= today:
        return col(Unit.parent_id)
    earlier = (
        select(UnitMove.from_parent_id)
        .where(col(UnitMove.unit_id) == col(Unit.id), col(UnitMove.effective_date) > on)
        .order_by(col(UnitMove.effective_date))
        .limit(1)
        .correlate(Unit)
        .scalar_subquery()
    )
    return func.coalesce(earlier, col(Unit.parent_id))


@unscoped("reports placed in a unit the caller may edit: every one of them stands in the way")
def reports_after(session: Session, unit_path: str, day: date) -> int:
    """How many reports placed in the unit or below it are dated after ``day``."""
    statement = (
        select(func.count())
        .select_from(Activity)
        .join(Unit, col(Unit.id) == col(Activity.unit_id))
        .where(path_in_subtree(Unit.path, unit_path), col(Activity.activity_date) > day)
    )
    return int(session.exec(statement).one())


@unscoped("reports placed in a unit the caller may edit: every one of them stands in the way")
def reports_before(session: Session, unit_id: uuid.UUID, day: date) -> int:
    """How many reports placed in the unit itself are dated before ``day``."""
    statement = (
        select(func.count())
        .select_from(Activity)
        .where(col(Activity.unit_id) == unit_id, col(Activity.activity_date) < day)
    )
    return int(session.exec(statement).one())


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


@unscoped("official codes are looked up across the whole tree (the demo's 2024 units)")
def latest_unit_by_code(session: Session, level: UnitLevel, code: str) -> Unit | None:
    """The unit of ``level`` with ``code`` closed last (or current)."""
    statement = (
        select(Unit)
        .where(col(Unit.level) == level, col(Unit.code) == code)
        .order_by(col(Unit.valid_to).desc().nulls_first())
        .limit(1)
    )
    return session.exec(statement).first()


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


# --- reorganisations: the caller's scope was checked on every unit taken part ------------


@unscoped("the children of a unit closed by a reorganisation, already checked in scope")
def current_children(session: Session, unit_id: uuid.UUID) -> list[Unit]:
    statement = (
        select(Unit)
        .where(col(Unit.parent_id) == unit_id, col(Unit.valid_to).is_(None))
        .order_by(col(Unit.path))
    )
    return list(session.exec(statement).all())


@unscoped("the subtree of a unit a reorganisation moves, already checked in scope")
def move_subtree(session: Session, unit: Unit, parent: Unit) -> None:
    """Hang ``unit`` under ``parent``: its path and names, and those of its descendants,
    are rewritten (one executemany by primary key), each bumping its version."""
    old_path, new_path = unit.path, f"{parent.path}{unit.id.hex}/"
    depth = len(unit.path_names) - 1
    rows = session.execute(
        select(Unit.id, Unit.path, Unit.path_names, Unit.version).where(
            path_in_subtree(Unit.path, old_path)
        )
    ).all()
    now = utcnow()
    updates = [
        {
            "id": unit_id,
            "path": new_path + path[len(old_path) :],
            "path_names": [*parent.path_names, *names[depth:]],
            "version": version + 1,
            "updated_at": now,
            **({"parent_id": parent.id} if unit_id == unit.id else {}),
        }
        for unit_id, path, names, version in rows
    ]
    # The moved unit first: its parent changes, the others keep theirs.
    updates.sort(key=lambda row: row["id"] != unit.id)
    session.execute(update(Unit), updates[:1])
    if len(updates) > 1:
        session.execute(update(Unit), updates[1:])


@unscoped("the teams of a unit closed by a reorganisation, already checked in scope")
def teams_of_unit(session: Session, unit_id: uuid.UUID) -> list[Team]:
    statement = select(Team).where(col(Team.unit_id) == unit_id).order_by(col(Team.name))
    return list(session.exec(statement).all())


@unscoped("the users of a unit closed by a reorganisation, already checked in scope")
def users_scoped_to(session: Session, unit_id: uuid.UUID) -> list[User]:
    statement = (
        select(User)
        .where(col(User.scope_unit_id) == unit_id, col(User.deleted_at).is_(None))
        .order_by(col(User.username))
    )
    return list(session.exec(statement).all())


@unscoped("the API clients of a unit closed by a reorganisation, already checked in scope")
def clients_scoped_to(session: Session, unit_id: uuid.UUID) -> list[ApiClient]:
    statement = (
        select(ApiClient)
        .where(col(ApiClient.scope_unit_id) == unit_id, col(ApiClient.revoked_at).is_(None))
        .order_by(col(ApiClient.name))
    )
    return list(session.exec(statement).all())


def lineage_of(
    session: Session, principal: Principal, unit_id: uuid.UUID
) -> list[tuple[UnitLineage, Unit, Unit]]:
    """The lineage rows into and out of a unit, with both units, where the other unit
    is one the caller may read (both ends are dated; the oldest first)."""
    predecessor, successor = aliased(Unit), aliased(Unit)
    readable = scoped_columns(principal, Unit, Unit.id)
    statement = (
        select(UnitLineage, predecessor, successor)
        .join(predecessor, col(predecessor.id) == col(UnitLineage.predecessor_id))
        .join(successor, col(successor.id) == col(UnitLineage.successor_id))
        .where(
            or_(
                and_(
                    col(UnitLineage.predecessor_id) == unit_id,
                    col(UnitLineage.successor_id).in_(readable),
                ),
                and_(
                    col(UnitLineage.successor_id) == unit_id,
                    col(UnitLineage.predecessor_id).in_(readable),
                ),
            )
        )
        .order_by(col(UnitLineage.effective_date), col(predecessor.code), col(successor.code))
    )
    return [(row[0], row[1], row[2]) for row in session.execute(statement).all()]


@unscoped("a unit already reached: the caller's scope unit, a reorganisation's units")
def unit_by_id(session: Session, unit_id: uuid.UUID) -> Unit | None:
    return session.get(Unit, unit_id)


@unscoped("the place of a report the caller reached, held while the report is checked")
def held_unit(session: Session, unit_id: uuid.UUID) -> Unit | None:
    statement = locked(select(Unit).where(col(Unit.id) == unit_id), Unit, Lock.KEY_SHARE)
    found: Unit | None = session.exec(statement).one_or_none()
    return found


@unscoped("a unit the caller may edit, locked before the reports relying on it are counted")
def lock_against_reports(session: Session, unit_id: uuid.UUID) -> None:
    """Hold the unit ``FOR UPDATE`` until the transaction ends: reports being written
    there (which hold it ``KEY_SHARE`` while checking its dates) finish first, and later
    ones wait and then read its new dates."""
    session.execute(select(Unit.id).where(col(Unit.id) == unit_id).with_for_update())


@unscoped("units a reorganisation reached through scoped reads, or created or closed")
def units_by_id(session: Session, unit_ids: set[uuid.UUID]) -> dict[uuid.UUID, Unit]:
    """In one query."""
    if not unit_ids:
        return {}
    found = session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))).all()
    return {unit.id: unit for unit in found}


@unscoped("the units a reorganisation moved, already checked in scope")
def count_teams_in(session: Session, unit_ids: list[uuid.UUID]) -> int:
    """Teams serving these units or units below them."""
    total = 0
    for start in range(0, len(unit_ids), 200):
        paths = select(Unit.path).where(col(Unit.id).in_(unit_ids[start : start + 200]))
        statement = (
            select(func.count())
            .select_from(Team)
            .join(Unit, col(Unit.id) == col(Team.unit_id))
            .where(or_(*(path_in_subtree(Unit.path, path) for path in session.exec(paths))))
        )
        total += session.exec(statement).one()
    return total


def reorganisation_applied(session: Session, source: str) -> bool:
    """Whether a reorganisation from ``source`` (``reform-2025:62``) was recorded."""
    statement = select(UnitReorganisation.id).where(col(UnitReorganisation.source) == source)
    return session.exec(statement).first() is not None
