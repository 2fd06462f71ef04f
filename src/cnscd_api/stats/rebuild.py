"""Recomputing the aggregates of a subtree (or of the country) from the raw rows.

The units of the subtree get their rows recomputed in SQL, one ``INSERT … SELECT … GROUP
BY`` per level (a unit's ancestor at depth ``d`` is the unit whose path is the first
``d`` segments of its path, an indexed lookup); the units above the subtree are moved by
the difference between the subtree root's new and old rows, so rebuilding a commune reads
that commune's reports only. Teams' rows are recomputed for the teams of the subtree.
Reports count where their place lies on today's map (a closed place: where its default
successors lie, ``stats/placement.py``).

The difference between the map of each report's day and today's (``StatUnitDayHistory``)
is recomputed for the whole country by a rebuild of the whole country and once after
every reorganisation (``rebuild_history``), from the reports a reorganisation touched
(those of closed places, and those dated before the latest move): none until a
reorganisation happens.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from cnscd_api.core.scope import ancestor_ids, unscoped
from cnscd_api.core.text import LIKE_ESCAPE, escape_like
from cnscd_api.models import TeamStatus, Unit, UnitLevel
from cnscd_api.models.stats import ALL, NATION, NONE
from cnscd_api.stats.aggregates import (
    ACTIVITY,
    REGISTRY,
    REPORTING,
    TABLES,
    TEAM,
    TEAM_DAY,
    TEAM_TOTAL,
    UNIT,
    UNIT_CAMPAIGN,
    UNIT_DAY,
    UNIT_DAY_HISTORY,
    VALUE,
    Delta,
    Sums,
    facts_of,
    write_pending,
)
from cnscd_api.stats.placement import MOVE, SEGMENT, today_in_subtree, today_path
from cnscd_api.stats.registry import (
    COVERED,
    MEMBER,
    MEMBER_FIELDS,
    SERVED_ITEM,
    TEAM_ITEM,
    UNIT_ITEM,
)

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


@unscoped("recomputes the aggregates of a subtree, for the command and reorganisations")
def rebuild(session: Session, unit: Unit | None = None) -> Rebuilt:
    """Recompute the aggregates of ``unit``'s subtree (``None``: the whole country), in the
    session's transaction."""
    started = time.perf_counter()
    write_pending(session)  # the transaction's own writes, then recount
    _lock(session)
    connection = session.connection()
    root_path = unit.path if unit is not None else "/"
    like = f"{escape_like(root_path)}%"
    place, home = UNIT.alias("place"), UNIT.alias("home")
    in_subtree = today_in_subtree(place, like, LIKE_ESCAPE)
    teams_in_subtree = home.c.path.like(like, escape=LIKE_ESCAPE)
    subtree_units = sa.select(UNIT.c.id).where(UNIT.c.path.like(like, escape=LIKE_ESCAPE))
    subtree_teams = (
        sa.select(TEAM.c.id).join(home, home.c.id == TEAM.c.unit_id).where(teams_in_subtree)
    )
    old_root = _root_rows(connection, unit)

    if unit is None:
        for table in TABLES:
            connection.execute(sa.delete(table))
    else:
        for table in (UNIT_DAY, UNIT_CAMPAIGN, REPORTING, REGISTRY):
            connection.execute(sa.delete(table).where(table.c.unit_key.in_(subtree_units)))
        for table in (TEAM_TOTAL, TEAM_DAY):
            connection.execute(sa.delete(table).where(table.c.team_id.in_(subtree_teams)))

    first = _depth(root_path) if unit is not None else 0
    at_place = (place, place.c.id == ACTIVITY.c.unit_id)
    of_team = ACTIVITY.c.team_id.in_(subtree_teams)
    rows = 0
    for depth in range(first, DEEPEST + 1):
        key, joins = _ancestor(today_path(place), depth)
        for select in _counts(
            (key, _campaign()),
            (ACTIVITY.c.activity_date, ACTIVITY.c.status),
            [at_place, *joins],
            in_subtree,
        ):
            rows += _insert(connection, UNIT_DAY, select)
    rows += _insert(connection, UNIT_CAMPAIGN, _over_days(None if unit is None else subtree_units))
    for select in _counts((ACTIVITY.c.team_id, _campaign()), (ACTIVITY.c.status,), [], of_team):
        rows += _insert(connection, TEAM_TOTAL, select)
    by_day = (ACTIVITY.c.team_id, _campaign(), ACTIVITY.c.activity_date)
    rows += _insert(
        connection, TEAM_DAY, sa.select(*by_day, sa.func.count()).where(of_team).group_by(*by_day)
    )
    for depth in range(first, DEEPEST + 1):
        rows += _insert(connection, REPORTING, _reporting(home, teams_in_subtree, depth))
        for select in _registry(home, teams_in_subtree, depth):
            rows += _insert(connection, REGISTRY, select)
    if unit is not None:
        _move_ancestors(connection, unit, old_root, _root_rows(connection, unit))
    if unit is None:
        rows += rebuild_history(session)
    activities = connection.execute(
        sa.select(sa.func.count()).select_from(ACTIVITY).join(*at_place).where(in_subtree)
    ).scalar_one()
    return Rebuilt(
        unit.id if unit else None, activities, rows, round(time.perf_counter() - started, 3)
    )


def _ancestor(path: Any, depth: int) -> tuple[Any, list[tuple[Any, Any]]]:
    """The key of the ancestor at ``depth`` (0: the country) of the unit at ``path``, and
    the join reaching it."""
    if depth == 0:
        return _uuid(NATION), []
    ancestor = UNIT.alias(f"level{depth}")
    # A unit shallower than ``depth`` has no ancestor there (and must not match itself).
    on = sa.and_(
        ancestor.c.path == sa.func.substr(path, 1, 1 + SEGMENT * depth),
        sa.func.length(path) >= 1 + SEGMENT * depth,
    )
    return ancestor.c.id, [(ancestor, on)]


def _counts(
    head: tuple[Any, ...], tail: tuple[Any, ...], joins: list[tuple[Any, Any]], where: Any
) -> list[Any]:
    """Activities grouped by ``head``, indicator, ``tail``: per indicator (its total and
    how many counted it), and for all indicators (how many activities)."""
    selects = []
    for indicator, total, per_value in (
        (VALUE.c.indicator_id, sa.func.sum(VALUE.c.value), True),
        (_uuid(ALL), sa.literal(0, sa.BigInteger()), False),
    ):
        columns = (*head, indicator, *tail)
        select = sa.select(*columns, total, sa.func.count()).select_from(ACTIVITY)
        for table, on in joins:
            select = select.join(table, on)
        if per_value:
            select = select.join(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
        selects.append(select.where(where).group_by(*columns))
    return selects


def _over_days(units: Any) -> Any:
    """The campaign-grain rows from the day rows just rebuilt (``units``: of those units
    only; None: all, the country's included)."""
    keys = (UNIT_DAY.c.unit_key, UNIT_DAY.c.campaign_key, UNIT_DAY.c.indicator_key)
    columns = (*keys, UNIT_DAY.c.status)
    select = sa.select(*columns, sa.func.sum(UNIT_DAY.c.total), sa.func.sum(UNIT_DAY.c.activities))
    if units is not None:
        select = select.where(UNIT_DAY.c.unit_key.in_(units))
    return select.group_by(*columns)


def _reporting(home: Any, teams_in_subtree: Any, depth: int) -> Any:
    """Teams that reported, per unit at ``depth`` above them × campaign × day."""
    key, joins = _ancestor(home.c.path, depth)
    columns = (key, TEAM_DAY.c.campaign_key, TEAM_DAY.c.day)
    select = (
        sa.select(*columns, sa.func.count())
        .select_from(TEAM_DAY)
        .join(TEAM, TEAM.c.id == TEAM_DAY.c.team_id)
        .join(home, home.c.id == TEAM.c.unit_id)
    )
    for table, on in joins:
        select = select.join(table, on)
    return select.where(teams_in_subtree, TEAM_DAY.c.activities > 0).group_by(*columns)


def _registry(home: Any, teams_in_subtree: Any, depth: int) -> list[Any]:
    """Teams by status and current members by each field, per unit at ``depth`` above
    their team (``stats/registry.py``'s items)."""
    key, joins = _ancestor(home.c.path, depth)

    def item(prefix: str, column: Any) -> Any:
        value = sa.func.coalesce(sa.cast(column, sa.String()), "unknown")
        return sa.literal(prefix, sa.String()).concat(value)

    def grouped(label: Any, *where: Any, members: bool) -> Any:
        select = sa.select(key, label, sa.func.count()).select_from(TEAM)
        if members:
            select = select.join(MEMBER, MEMBER.c.team_id == TEAM.c.id)
        select = select.join(home, home.c.id == TEAM.c.unit_id)
        for table, on in joins:
            select = select.join(table, on)
        return select.where(teams_in_subtree, *where).group_by(key, label)

    current = MEMBER.c.left_on.is_(None)
    return [
        grouped(item(f"{TEAM_ITEM}:", TEAM.c.status), members=False),
        *(
            grouped(item(f"member.{name}:", MEMBER.c[name]), current, members=True)
            for name in MEMBER_FIELDS
        ),
        *_coverage(home, teams_in_subtree, key, joins),
    ]


def _coverage(home: Any, in_subtree: Any, key: Any, joins: list[tuple[Any, Any]]) -> list[Any]:
    """Open communes and villages, and those an active team serves, per unit at the
    depth of ``key`` above them (``stats/registry.py``'s coverage items)."""
    unit = UNIT.alias("served_unit")
    serving = TEAM.join(unit, unit.c.id == TEAM.c.unit_id)
    active = (TEAM.c.status == TeamStatus.ACTIVE, unit.c.valid_to.is_(None))
    is_village = unit.c.level == UnitLevel.VILLAGE
    served = {
        UnitLevel.VILLAGE: sa.select(unit.c.id).select_from(serving).where(*active, is_village),
        # a commune's own team, or a team of one of its villages
        UnitLevel.COMMUNE: sa.select(sa.case((is_village, unit.c.parent_id), else_=unit.c.id))
        .select_from(serving)
        .where(*active),
    }
    selects = []
    for level in COVERED:
        for label, where in (
            (f"{UNIT_ITEM}:{level.value}", home.c.valid_to.is_(None)),
            (f"{SERVED_ITEM}:{level.value}", home.c.id.in_(served[level])),
        ):
            select = sa.select(key, sa.literal(label, sa.String()), sa.func.count())
            select = select.select_from(home)
            for table, on in joins:
                select = select.join(table, on)
            selects.append(select.where(in_subtree, home.c.level == level, where).group_by(key))
    return selects


HISTORY_CHUNK = 2000  # reports placed per round of ``rebuild_history``


@unscoped("recomputes the aggregates of the whole country, for the command and reorganisations")
def rebuild_history(session: Session) -> int:
    """Recount the difference between the map of each report's day and today's, for the
    whole country (a subtree's rebuild leaves it: writes keep it exact); the rows
    written."""
    write_pending(session)
    _lock(session)
    connection = session.connection()
    connection.execute(sa.delete(UNIT_DAY_HISTORY))
    latest_move = connection.execute(sa.select(sa.func.max(MOVE.c.effective_date))).scalar()
    closed = UNIT.c.rollup_path.is_not(None)
    if (
        latest_move is None
        and not connection.execute(sa.select(sa.exists().where(closed))).scalar()
    ):
        return 0
    touched = sa.or_(closed, ACTIVITY.c.activity_date < latest_move) if latest_move else closed
    ids = (
        connection.execute(
            sa.select(ACTIVITY.c.id)
            .join(UNIT, UNIT.c.id == ACTIVITY.c.unit_id)
            .where(touched)
            .order_by(ACTIVITY.c.id)
        )
        .scalars()
        .all()
    )
    history = Sums(UNIT_DAY_HISTORY)
    for start in range(0, len(ids), HISTORY_CHUNK):
        delta = Delta(history=history)
        for facts in facts_of(session, list(ids[start : start + HISTORY_CHUNK])).values():
            delta.added.append((facts, 1))
        delta.place(session)
    return len(history.write(connection))


def _insert(connection: sa.Connection, table: Any, select: Any) -> int:
    # A recount writes every key's sum to slot 0 (the column's default).
    names = [column.name for column in table.columns if column.name != "slot"]
    return max(connection.execute(sa.insert(table).from_select(names, select)).rowcount, 0)


RootRows = dict[Any, list[sa.Row[Any]]]
ROOT_TABLES = (UNIT_DAY, UNIT_CAMPAIGN, REPORTING, REGISTRY)  # the unit-keyed tables


def _root_rows(connection: sa.Connection, unit: Unit | None) -> RootRows:
    if unit is None:
        return {table: [] for table in ROOT_TABLES}
    return {
        table: list(connection.execute(sa.select(table).where(table.c.unit_key == unit.id)))
        for table in ROOT_TABLES
    }


def _move_ancestors(connection: sa.Connection, unit: Unit, old: RootRows, new: RootRows) -> None:
    """The units above the subtree: add what its root counts now, take off what it did."""
    above = [NATION, *ancestor_ids(unit.path)[:-1]]
    for table in ROOT_TABLES:
        sums = Sums(table)
        keys = len(table.primary_key.columns)
        for sign, rows in ((-1, old[table]), (1, new[table])):
            for row in rows:
                for ancestor in above:
                    sums.add((ancestor, *row[1:keys]), *(sign * m for m in row[keys:]))
        sums.write(connection)
