"""Keeping the dashboard aggregates (``models/stats.py``) exact with every activity write.

An activity counts through its ``Facts``: the place's path, the team's path, the day,
the campaign, the status and the values. A write moves the aggregates by what the
activity counts after minus what it counted before (``Delta``), in the write's own
transaction, with one multi-row upsert per table in a fixed key order (two writers
touching the same rows lock them in the same order, so they cannot deadlock).

``rebuild`` recomputes a subtree from the raw rows while the API serves: on PostgreSQL it
first locks the aggregate tables against other writers (readers go on), so a write is
either seen by the recomputation or applied after it, never lost or counted twice; on
SQLite every write transaction already holds the database's one write lock.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

from cnscd_api.core.scope import ancestor_ids
from cnscd_api.models import (
    ActivityStatus,
    StatReporting,
    StatTeamDay,
    StatTeamTotal,
    StatUnitDay,
)
from cnscd_api.models.stats import ALL, NATION, NONE


def tables(*names: str) -> list[Any]:
    """Core tables by name, for statements that need no ORM."""
    return [SQLModel.metadata.tables[name] for name in names]


UNIT_DAY: Any = StatUnitDay.__table__  # type: ignore[attr-defined]
TEAM_TOTAL: Any = StatTeamTotal.__table__  # type: ignore[attr-defined]
TEAM_DAY: Any = StatTeamDay.__table__  # type: ignore[attr-defined]
REPORTING: Any = StatReporting.__table__  # type: ignore[attr-defined]
TABLES = (UNIT_DAY, TEAM_TOTAL, TEAM_DAY, REPORTING)


@dataclass(frozen=True)
class Facts:
    """What one activity counts for."""

    team_id: uuid.UUID
    team_path: str
    place_path: str
    day: date
    campaign_id: uuid.UUID | None
    status: ActivityStatus
    values: dict[uuid.UUID, int]


@dataclass
class Delta:
    """Signed changes to the aggregates, gathered over one or many activities."""

    unit_day: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    team_total: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    team_day: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    # Where each team's day counts go when it starts or stops reporting.
    team_paths: dict[uuid.UUID, str] = field(default_factory=dict)

    def add(self, facts: Facts, sign: int) -> None:
        campaign = facts.campaign_id or NONE
        status = facts.status.value
        units = [NATION, *ancestor_ids(facts.place_path)]
        counted = [(ALL, 0), *facts.values.items()]
        for unit in units:
            for indicator, value in counted:
                key = (unit, campaign, indicator, facts.day, status)
                self.unit_day[(*key, "total")] += sign * value
                self.unit_day[(*key, "activities")] += sign
        for indicator, value in counted:
            team_key = (facts.team_id, campaign, indicator, status)
            self.team_total[(*team_key, "total")] += sign * value
            self.team_total[(*team_key, "activities")] += sign
        self.team_day[(facts.team_id, campaign, facts.day)] += sign
        self.team_paths[facts.team_id] = facts.team_path


def change(session: Session, before: Iterable[Facts], after: Iterable[Facts]) -> None:
    """Move the aggregates from what ``before`` counted to what ``after`` counts."""
    delta = Delta()
    for facts in before:
        delta.add(facts, -1)
    for facts in after:
        delta.add(facts, +1)
    apply(session, delta)


def apply(session: Session, delta: Delta) -> None:
    connection = session.connection()
    _upsert(connection, UNIT_DAY, _pairs(UNIT_DAY, delta.unit_day), ("total", "activities"))
    _upsert(connection, TEAM_TOTAL, _pairs(TEAM_TOTAL, delta.team_total), ("total", "activities"))
    team_days = sorted((k, n) for k, n in delta.team_day.items() if n)
    if not team_days:
        return
    reporting: Counter[tuple[Any, ...]] = Counter()
    rows = [_row(TEAM_DAY, key, {"activities": n}) for key, n in team_days]
    stored = _upsert(connection, TEAM_DAY, rows, ("activities",), returning=True)
    for (team_id, campaign, day), n in team_days:
        now = stored[(team_id, campaign, day)]
        was = now - n
        if (was > 0) != (now > 0):
            step = 1 if now > 0 else -1
            for unit in [NATION, *ancestor_ids(delta.team_paths[team_id])]:
                reporting[(unit, campaign, day)] += step
    rows = [_row(REPORTING, key, {"teams": n}) for key, n in sorted(reporting.items()) if n]
    _upsert(connection, REPORTING, rows, ("teams",))


def _pairs(table: Any, counter: Counter[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Counter entries keyed (*key, measure) as one row per key, zero rows left out."""
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for (*key, measure), n in counter.items():
        rows.setdefault(tuple(key), {})[measure] = n
    return [
        _row(table, key, measures)
        for key, measures in sorted(rows.items())
        if any(measures.values())
    ]


def _row(table: Any, key: tuple[Any, ...], measures: dict[str, int]) -> dict[str, Any]:
    names = [column.name for column in table.primary_key.columns]
    return {**dict(zip(names, key, strict=True)), **measures}


def _upsert(
    connection: sa.Connection,
    table: Any,
    rows: list[dict[str, Any]],
    measures: tuple[str, ...],
    *,
    returning: bool = False,
) -> dict[tuple[Any, ...], int]:
    """Add ``rows``' measures to the stored ones (inserting rows not stored yet); with
    ``returning``, the first measure's new value per key."""
    if not rows:
        return {}
    if connection.dialect.name == "postgresql":
        # One short statement whatever the number of rows: the rows go as one array per
        # column (``unnest``), so neither side parses or plans a statement per row.
        columns = [column.name for column in table.columns]
        arrays = {name: [row[name] for row in rows] for name in columns}
        result = connection.execute(_unnest_upsert(table, measures), arrays)
    else:
        result = connection.execute(_upsert_statement(table, measures), rows)
    stored = {tuple(row[:-1]): row[-1] for row in result}
    return stored if returning else {}


def _returning(table: Any, measures: tuple[str, ...]) -> list[str]:
    return [column.name for column in table.primary_key.columns] + [measures[0]]


@functools.cache
def _unnest_upsert(table: Any, measures: tuple[str, ...]) -> sa.TextClause:
    columns = list(table.columns)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    keys = [column.name for column in table.primary_key.columns]
    casts = ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])" for c in columns)
    updates = ", ".join(f"{m} = {table.name}.{m} + excluded.{m}" for m in measures)
    names, returning = ", ".join(c.name for c in columns), ", ".join(_returning(table, measures))
    # Every name comes from the table's own metadata, none from a request.
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts}) "  # noqa: S608
    sql += f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates} RETURNING {returning}"
    return sa.text(sql)


@functools.cache
def _upsert_statement(table: Any, measures: tuple[str, ...]) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    new = sqlite_insert(table)
    statement = new.on_conflict_do_update(
        index_elements=keys, set_={m: table.c[m] + new.excluded[m] for m in measures}
    )
    return statement.returning(*(table.c[name] for name in _returning(table, measures)))


# --- facts of stored activities ---------------------------------------------------------------

ACTIVITY, VALUE, TEAM, UNIT = tables("activity", "activity_value", "team", "unit")
PLACE, HOME = UNIT.alias("place"), UNIT.alias("home")


def facts_of(session: Session, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, Facts]:
    """What stored activities count for now, in one query."""
    if not activity_ids:
        return {}
    rows = session.execute(
        sa.select(
            ACTIVITY.c.id,
            ACTIVITY.c.team_id,
            HOME.c.path,
            PLACE.c.path,
            ACTIVITY.c.activity_date,
            ACTIVITY.c.campaign_id,
            ACTIVITY.c.status,
            VALUE.c.indicator_id,
            VALUE.c.value,
        )
        .join(PLACE, PLACE.c.id == ACTIVITY.c.unit_id)
        .join(TEAM, TEAM.c.id == ACTIVITY.c.team_id)
        .join(HOME, HOME.c.id == TEAM.c.unit_id)
        .outerjoin(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
        .where(ACTIVITY.c.id.in_(activity_ids))
    ).all()
    found: dict[uuid.UUID, Facts] = {}
    for row in rows:
        facts = found.get(row[0])
        if facts is None:
            facts = found[row[0]] = Facts(row[1], row[2], row[3], row[4], row[5], row[6], {})
        if row[7] is not None:
            facts.values[row[7]] = row[8]
    return found


def team_moved(session: Session, team_id: uuid.UUID, old_path: str, new_path: str) -> None:
    """A team's reporting days now count in its new unit (and no longer in the old)."""
    if old_path == new_path:
        return
    days = session.execute(
        sa.select(TEAM_DAY.c.campaign_key, TEAM_DAY.c.day).where(
            TEAM_DAY.c.team_id == team_id, TEAM_DAY.c.activities > 0
        )
    ).all()
    reporting: Counter[tuple[Any, ...]] = Counter()
    for campaign, day in days:
        for unit in [NATION, *ancestor_ids(old_path)]:
            reporting[(unit, campaign, day)] -= 1
        for unit in [NATION, *ancestor_ids(new_path)]:
            reporting[(unit, campaign, day)] += 1
    rows = [_row(REPORTING, key, {"teams": n}) for key, n in sorted(reporting.items()) if n]
    _upsert(session.connection(), REPORTING, rows, ("teams",))
