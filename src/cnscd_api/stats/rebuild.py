"""Recomputing the aggregates of a subtree (or of the country) from the raw rows.

The units of the subtree get their rows recomputed in SQL, one ``INSERT … SELECT … GROUP
BY`` per level (a unit's ancestor at depth ``d`` is the unit whose path is the first
``d`` segments of its path, an indexed lookup); the units above the subtree are moved by
the difference between the subtree root's new and old rows, so rebuilding a commune reads
that commune's reports only. Teams' rows are recomputed for the teams of the subtree.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from cnscd_api.core.scope import ancestor_ids
from cnscd_api.core.text import LIKE_ESCAPE, escape_like
from cnscd_api.models import Unit
from cnscd_api.models.stats import ALL, NATION, NONE
from cnscd_api.stats.aggregates import (
    REPORTING,
    TABLES,
    TEAM_DAY,
    TEAM_TOTAL,
    UNIT_DAY,
    _pairs,
    _row,
    _upsert,
    tables,
)

ACTIVITY, VALUE, TEAM, UNIT = tables("activity", "activity_value", "team", "unit")

SEGMENT = 33  # "/" and 32 hex digits: one unit on a materialised path
DEEPEST = 4  # province, district, commune, village


@dataclass(frozen=True)
class Rebuilt:
    unit_id: uuid.UUID | None
    activities: int
    rows: int
    seconds: float


def _lock(session: Session) -> None:
    """Hold other writers of the aggregates until this transaction ends (readers go on)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in TABLES)
        connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def _uuid(value: uuid.UUID) -> Any:
    return sa.literal(value, sa.Uuid())


def _campaign() -> Any:
    return sa.func.coalesce(ACTIVITY.c.campaign_id, _uuid(NONE))


def _depth(path: str) -> int:
    return len(ancestor_ids(path))


def rebuild(session: Session, unit: Unit | None = None) -> Rebuilt:
    """Recompute the aggregates of ``unit``'s subtree (``None``: the whole country), in the
    session's transaction."""
    started = time.perf_counter()
    _lock(session)
    connection = session.connection()
    root_path = unit.path if unit is not None else "/"
    like = f"{escape_like(root_path)}%"
    place = UNIT.alias("place")
    home = UNIT.alias("home")
    in_subtree = place.c.path.like(like, escape=LIKE_ESCAPE)
    subtree_units = sa.select(UNIT.c.id).where(UNIT.c.path.like(like, escape=LIKE_ESCAPE))
    subtree_teams = (
        sa.select(TEAM.c.id)
        .join(home, home.c.id == TEAM.c.unit_id)
        .where(home.c.path.like(like, escape=LIKE_ESCAPE))
    )
    old_root = _root_rows(connection, unit)

    if unit is None:
        for table in TABLES:
            connection.execute(sa.delete(table))
    else:
        connection.execute(sa.delete(UNIT_DAY).where(UNIT_DAY.c.unit_key.in_(subtree_units)))
        connection.execute(sa.delete(REPORTING).where(REPORTING.c.unit_key.in_(subtree_units)))
        for table in (TEAM_TOTAL, TEAM_DAY):
            connection.execute(sa.delete(table).where(table.c.team_id.in_(subtree_teams)))

    first = _depth(root_path) if unit is not None else 0
    rows = 0
    for depth in range(first, DEEPEST + 1):
        rows += _insert_unit_days(connection, place, in_subtree, depth)
    rows += _insert_team_rows(connection, home, like)
    for depth in range(first, DEEPEST + 1):
        rows += _insert_reporting(connection, home, like, depth)
    if unit is not None:
        _move_ancestors(connection, unit, old_root, _root_rows(connection, unit))
    activities = connection.execute(
        sa.select(sa.func.count())
        .select_from(ACTIVITY)
        .join(place, place.c.id == ACTIVITY.c.unit_id)
        .where(in_subtree)
    ).scalar_one()
    return Rebuilt(
        unit.id if unit else None, activities, rows, round(time.perf_counter() - started, 3)
    )


def _ancestor(place: Any, depth: int) -> tuple[Any, Any]:
    """The key of ``place``'s unit at ``depth`` (0: the country), and the join reaching it."""
    if depth == 0:
        return _uuid(NATION), None
    ancestor = UNIT.alias(f"level{depth}")
    # A unit shallower than ``depth`` has no ancestor there (and must not match itself).
    on = sa.and_(
        ancestor.c.path == sa.func.substr(place.c.path, 1, 1 + SEGMENT * depth),
        sa.func.length(place.c.path) >= 1 + SEGMENT * depth,
    )
    return ancestor.c.id, (ancestor, on)


def _insert_unit_days(connection: sa.Connection, place: Any, in_subtree: Any, depth: int) -> int:
    key, join = _ancestor(place, depth)
    rows = 0
    for indicator, total, count, with_values in (
        (VALUE.c.indicator_id, sa.func.sum(VALUE.c.value), sa.func.count(), True),
        (_uuid(ALL), sa.literal(0, sa.BigInteger()), sa.func.count(), False),
    ):
        columns = (key, _campaign(), indicator, ACTIVITY.c.activity_date, ACTIVITY.c.status)
        select = sa.select(*columns, total, count).join(place, place.c.id == ACTIVITY.c.unit_id)
        if with_values:
            select = select.join(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
        if join is not None:
            select = select.join(*join)
        select = select.where(in_subtree).group_by(*columns)
        names = [c.name for c in UNIT_DAY.columns]
        result = connection.execute(sa.insert(UNIT_DAY).from_select(names, select))
        rows += max(result.rowcount, 0)
    return rows


def _insert_team_rows(connection: sa.Connection, home: Any, like: str) -> int:
    teams = (
        sa.select(TEAM.c.id)
        .join(home, home.c.id == TEAM.c.unit_id)
        .where(home.c.path.like(like, escape=LIKE_ESCAPE))
    )
    rows = 0
    for indicator, total, with_values in (
        (VALUE.c.indicator_id, sa.func.sum(VALUE.c.value), True),
        (_uuid(ALL), sa.literal(0, sa.BigInteger()), False),
    ):
        columns = (ACTIVITY.c.team_id, _campaign(), indicator, ACTIVITY.c.status)
        select = sa.select(*columns, total, sa.func.count())
        if with_values:
            select = select.join(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
        select = select.where(ACTIVITY.c.team_id.in_(teams)).group_by(*columns)
        names = [c.name for c in TEAM_TOTAL.columns]
        rows += max(
            connection.execute(sa.insert(TEAM_TOTAL).from_select(names, select)).rowcount, 0
        )
    by_day = (ACTIVITY.c.team_id, _campaign(), ACTIVITY.c.activity_date)
    select = (
        sa.select(*by_day, sa.func.count()).where(ACTIVITY.c.team_id.in_(teams)).group_by(*by_day)
    )
    names = [c.name for c in TEAM_DAY.columns]
    rows += max(connection.execute(sa.insert(TEAM_DAY).from_select(names, select)).rowcount, 0)
    return rows


def _insert_reporting(connection: sa.Connection, home: Any, like: str, depth: int) -> int:
    key, join = _ancestor(home, depth)
    columns = (key, TEAM_DAY.c.campaign_key, TEAM_DAY.c.day)
    select = (
        sa.select(*columns, sa.func.count())
        .select_from(TEAM_DAY)
        .join(TEAM, TEAM.c.id == TEAM_DAY.c.team_id)
        .join(home, home.c.id == TEAM.c.unit_id)
    )
    if join is not None:
        select = select.join(*join)
    select = select.where(
        home.c.path.like(like, escape=LIKE_ESCAPE), TEAM_DAY.c.activities > 0
    ).group_by(*columns)
    names = [c.name for c in REPORTING.columns]
    return max(connection.execute(sa.insert(REPORTING).from_select(names, select)).rowcount, 0)


RootRows = tuple[dict[tuple[Any, ...], tuple[int, int]], dict[tuple[Any, ...], int]]


def _root_rows(connection: sa.Connection, unit: Unit | None) -> RootRows:
    if unit is None:
        return {}, {}
    days = connection.execute(
        sa.select(
            UNIT_DAY.c.campaign_key,
            UNIT_DAY.c.indicator_key,
            UNIT_DAY.c.day,
            UNIT_DAY.c.status,
            UNIT_DAY.c.total,
            UNIT_DAY.c.activities,
        ).where(UNIT_DAY.c.unit_key == unit.id)
    ).all()
    reporting = connection.execute(
        sa.select(REPORTING.c.campaign_key, REPORTING.c.day, REPORTING.c.teams).where(
            REPORTING.c.unit_key == unit.id
        )
    ).all()
    return (
        {tuple(row[:4]): (row[4], row[5]) for row in days},
        {tuple(row[:2]): row[2] for row in reporting},
    )


def _move_ancestors(connection: sa.Connection, unit: Unit, old: RootRows, new: RootRows) -> None:
    """The units above the subtree: add what its root counts now, take off what it did."""
    above = [NATION, *ancestor_ids(unit.path)[:-1]]
    days: Counter[tuple[Any, ...]] = Counter()
    teams: Counter[tuple[Any, ...]] = Counter()
    for sign, (root_days, root_teams) in ((-1, old), (1, new)):
        for ancestor in above:
            for key, (total, activities) in root_days.items():
                days[(ancestor, *key, "total")] += sign * total
                days[(ancestor, *key, "activities")] += sign * activities
            for key, n in root_teams.items():
                teams[(ancestor, *key)] += sign * n
    _upsert(connection, UNIT_DAY, _pairs(UNIT_DAY, days), ("total", "activities"))
    rows = [_row(REPORTING, key, {"teams": n}) for key, n in sorted(teams.items()) if n]
    _upsert(connection, REPORTING, rows, ("teams",))
