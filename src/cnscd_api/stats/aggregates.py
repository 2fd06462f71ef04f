"""Keeping the dashboard aggregates (``models/stats.py``) exact with every activity write.

An activity counts through its ``Facts``: the place's path on today's map, the team's
path, the day, the campaign, the status and the values; where the map of the report's
day differs from today's (``stats/placement.py``), the difference is kept apart
(``StatUnitDayHistory``). A write moves the aggregates by what the
activity counts after minus what it counted before (``Delta``), in the write's own
transaction, with one multi-row upsert per table in a fixed key order (two writers
touching the same rows lock them in the same order, so they cannot deadlock).

The upserts run when the transaction commits (``before_commit``), not when the change is
made: the country's, provinces' and districts' rows are shared by every write of a
campaign, and each writer holds them from its upsert to its commit, so the upserts come
after everything else the request does (the event, the answer serialised and stored for
its idempotency key). The changes of one transaction are gathered in one ``Delta``; a
rollback drops them (a savepoint's rollback, those made inside it); ``rebuild`` and a
team's move write them first (``write_pending``).

``rebuild`` recomputes a subtree from the raw rows while the API serves: on PostgreSQL it
first locks the aggregate tables against other writers (readers go on), so a write is
either seen by the recomputation or applied after it, never lost or counted twice; on
SQLite every write transaction already holds the database's one write lock.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, SQLModel

from cnscd_api.core.scope import ancestor_ids, unscoped
from cnscd_api.models import (
    ActivityStatus,
    StatRegistry,
    StatReporting,
    StatTeamDay,
    StatTeamTotal,
    StatUnitCampaign,
    StatUnitDay,
)
from cnscd_api.models.stats import ALL, NATION, NONE, SLOTS, STAT_UNIT_DAY_HISTORY
from cnscd_api.stats.placement import PathsOn, today_path


def tables(*names: str) -> list[Any]:
    """Core tables by name, for statements that need no ORM."""
    return [SQLModel.metadata.tables[name] for name in names]


UNIT_DAY: Any = StatUnitDay.__table__  # type: ignore[attr-defined]
UNIT_DAY_HISTORY: Any = STAT_UNIT_DAY_HISTORY
UNIT_CAMPAIGN: Any = StatUnitCampaign.__table__  # type: ignore[attr-defined]
TEAM_TOTAL: Any = StatTeamTotal.__table__  # type: ignore[attr-defined]
TEAM_DAY: Any = StatTeamDay.__table__  # type: ignore[attr-defined]
REPORTING: Any = StatReporting.__table__  # type: ignore[attr-defined]
REGISTRY: Any = StatRegistry.__table__  # type: ignore[attr-defined]
TABLES = (UNIT_DAY, UNIT_CAMPAIGN, UNIT_DAY_HISTORY, TEAM_TOTAL, TEAM_DAY, REPORTING, REGISTRY)


@dataclass(frozen=True)
class Facts:
    """What one activity counts for."""

    team_id: uuid.UUID
    team_path: str
    place_path: str  # on today's map
    day: date
    campaign_id: uuid.UUID | None
    status: ActivityStatus
    values: dict[uuid.UUID, int]
    own_path: str | None = None  # the place's stored path, when a reorganisation closed it

    @property
    def stored_path(self) -> str:
        return self.own_path or self.place_path


class Sums:
    """Signed sums of one aggregate table: per primary key, one sum per measure column
    (the table's other columns, in their order)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.width = len([c for c in table.columns if not c.primary_key])
        self.by_key: dict[tuple[Any, ...], list[int]] = {}

    def add(self, key: tuple[Any, ...], *measures: int) -> None:
        sums = self.by_key.setdefault(key, [0] * self.width)
        for index, value in enumerate(measures):
            sums[index] += value

    def rows(self) -> list[dict[str, Any]]:
        """One row per key that moves anything, in key order (the order rows are locked)."""
        names = [c.name for c in self.table.primary_key.columns] + _measures(self.table)
        return [
            dict(zip(names, (*key, *sums), strict=True))
            for key, sums in sorted(self.by_key.items())
            if any(sums)
        ]

    def write(self, connection: sa.Connection) -> dict[tuple[Any, ...], int]:
        """Add the sums to the stored rows (inserting the missing ones); the first
        measure's new value per key written."""
        return _upsert(connection, self.table, self.rows())


# The country (depth 0), the provinces (1) and the level below them (2: districts, or
# communes on the 2025 map) count every report of many places: their rows are spread.
SPREAD_DEPTH = 3


def slot_of(place: uuid.UUID) -> int:
    """The slot of the rows a report placed at ``place`` moves: writes of different places
    mostly lock different rows; one place's writes always move the same ones."""
    return place.int % SLOTS


def count_reporting(reporting: Sums, path: str, campaign: uuid.UUID, day: date, step: int) -> None:
    """A team of ``path`` starts (+1) or stops (-1) counting as reporting that day, in
    every unit above it and the country."""
    units = [NATION, *ancestor_ids(path)]
    spread = slot_of(units[-1])
    for depth, unit in enumerate(units):
        reporting.add((unit, campaign, day, spread if depth < SPREAD_DEPTH else 0), step)


@dataclass
class Delta:
    """Signed changes to the aggregates, gathered over one or many activities."""

    unit_day: Sums = field(default_factory=lambda: Sums(UNIT_DAY))
    unit_campaign: Sums = field(default_factory=lambda: Sums(UNIT_CAMPAIGN))
    team_total: Sums = field(default_factory=lambda: Sums(TEAM_TOTAL))
    team_day: Sums = field(default_factory=lambda: Sums(TEAM_DAY))
    history: Sums = field(default_factory=lambda: Sums(UNIT_DAY_HISTORY))
    # Where each team's day counts go when it starts or stops reporting.
    team_paths: dict[uuid.UUID, str] = field(default_factory=dict)
    # What was added, to place on the map of its day (``placed``).
    added: list[tuple[Facts, int]] = field(default_factory=list)

    def merge(self, other: Delta) -> None:
        for name in ("unit_day", "unit_campaign", "team_total", "team_day", "history"):
            mine: Sums = getattr(self, name)
            for key, sums in getattr(other, name).by_key.items():
                mine.add(key, *sums)
        self.team_paths.update(other.team_paths)
        self.added.extend(other.added)

    def add(self, facts: Facts, sign: int) -> None:
        units = [NATION, *ancestor_ids(facts.place_path)]
        spread = slot_of(units[-1])
        for depth, unit in enumerate(units):
            slot = spread if depth < SPREAD_DEPTH else 0
            _count(self.unit_day, unit, facts, sign, slot)
            _count(self.unit_campaign, unit, facts, sign, slot, by_day=False)
        self.added.append((facts, sign))
        campaign, status = facts.campaign_id or NONE, facts.status.value
        for indicator, value in [(ALL, 0), *facts.values.items()]:
            self.team_total.add((facts.team_id, campaign, indicator, status), sign * value, sign)
        self.team_day.add((facts.team_id, campaign, facts.day), sign)
        self.team_paths[facts.team_id] = facts.team_path

    def place(self, session: Session) -> None:
        """Count the difference between the map of each report's day and today's."""
        if not self.added:
            return
        earliest = min(facts.day for facts, _ in self.added)
        paths = PathsOn(session, {facts.stored_path for facts, _ in self.added}, earliest)
        for facts, sign in self.added:
            then = paths.path_on(facts.stored_path, facts.day)
            if then == facts.place_path:
                continue
            now_units, then_units = ancestor_ids(facts.place_path), ancestor_ids(then)
            for unit in set(then_units) - set(now_units):
                _count(self.history, unit, facts, sign)
            for unit in set(now_units) - set(then_units):
                _count(self.history, unit, facts, -sign)


def _count(
    sums: Sums, unit: uuid.UUID, facts: Facts, sign: int, slot: int = 0, *, by_day: bool = True
) -> None:
    """An activity's counts for one unit: all activities, and each indicator it reported
    (per day, or ``by_day=False`` for the campaign's grain)."""
    campaign, status = facts.campaign_id or NONE, facts.status.value
    day = (facts.day,) if by_day else ()
    sums.add((unit, campaign, ALL, *day, status, slot), 0, sign)
    for indicator, value in facts.values.items():
        sums.add((unit, campaign, indicator, *day, status, slot), sign * value, sign)


def change(session: Session, before: Iterable[Facts], after: Iterable[Facts]) -> None:
    """Move the aggregates from what ``before`` counted to what ``after`` counts."""
    delta = Delta()
    for facts in before:
        delta.add(facts, -1)
    for facts in after:
        delta.add(facts, +1)
    apply(session, delta)


_PENDING = "cnscd_aggregates_pending"  # [(transaction or savepoint, delta)] not written
_WRITTEN = "cnscd_aggregates_written"  # [(savepoint, those entries)] written inside it


def apply(session: Session, delta: Delta) -> None:
    """Move the aggregates by ``delta`` when the session's transaction commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, delta))


def write_pending(session: Session) -> None:
    """Write what the transaction changed so far (before a commit, a rebuild, a team's
    move): one upsert per table for all of it. Written inside a savepoint, the changes
    are remembered with it: if it rolls back, its writes go with it, and those made
    before it are pending again."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    delta = Delta()
    for _, more in pending:
        delta.merge(more)
    _write(session, delta)
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        session.info.setdefault(_WRITTEN, []).append((savepoint, pending))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also called when a savepoint is released: its changes wait for the outermost commit
    # (the savepoint's parent may still roll back).
    if session.in_nested_transaction():
        return
    write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed, rolled back or closed
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    """A rollback drops the changes made inside the transaction it ended, and makes
    pending again those made before it but written inside it."""
    pending = session.info.pop(_PENDING, None) or []
    written = session.info.pop(_WRITTEN, None) or []
    kept_written = []
    for savepoint, entries in written:
        if _inside(savepoint, previous):
            pending = entries + pending
        else:
            kept_written.append((savepoint, entries))
    kept = [(t, d) for t, d in pending if not _inside(t, previous)]
    if kept:
        session.info[_PENDING] = kept
    if kept_written:
        session.info[_WRITTEN] = kept_written


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _write(session: Session, delta: Delta) -> None:
    connection = session.connection()
    delta.place(session)
    delta.unit_day.write(connection)
    delta.unit_campaign.write(connection)
    delta.history.write(connection)
    delta.team_total.write(connection)
    stored = delta.team_day.write(connection)
    reporting = Sums(REPORTING)
    for (team_id, campaign, day), (moved,) in delta.team_day.by_key.items():
        now = stored.get((team_id, campaign, day), 0)
        if moved and (now - moved > 0) != (now > 0):
            count_reporting(
                reporting, delta.team_paths[team_id], campaign, day, 1 if now > 0 else -1
            )
    reporting.write(connection)


def _upsert(
    connection: sa.Connection, table: Any, rows: list[dict[str, Any]]
) -> dict[tuple[Any, ...], int]:
    """Add ``rows``' measures to the stored ones (inserting rows not stored yet); the
    first measure's new value per key."""
    if not rows:
        return {}
    if connection.dialect.name == "postgresql":
        # One short statement whatever the number of rows: the rows go as one array per
        # column (``unnest``), so neither side parses or plans a statement per row.
        arrays = {column.name: [row[column.name] for row in rows] for column in table.columns}
        result = connection.execute(_unnest_upsert(table), arrays)
    else:
        result = connection.execute(_upsert_statement(table), rows)
    return {tuple(row[:-1]): row[-1] for row in result}


def _measures(table: Any) -> list[str]:
    return [column.name for column in table.columns if not column.primary_key]


def _returning(table: Any) -> list[str]:
    return [column.name for column in table.primary_key.columns] + _measures(table)[:1]


@functools.cache
def _unnest_upsert(table: Any) -> sa.TextClause:
    columns = list(table.columns)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    keys = [column.name for column in table.primary_key.columns]
    casts = ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])" for c in columns)
    updates = ", ".join(f"{m} = {table.name}.{m} + excluded.{m}" for m in _measures(table))
    names, returning = ", ".join(c.name for c in columns), ", ".join(_returning(table))
    # Every name comes from the table's own metadata, none from a request.
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts}) "  # noqa: S608
    sql += f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates} RETURNING {returning}"
    return sa.text(sql)


@functools.cache
def _upsert_statement(table: Any) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    new = sqlite_insert(table)
    statement = new.on_conflict_do_update(
        index_elements=keys, set_={m: table.c[m] + new.excluded[m] for m in _measures(table)}
    )
    return statement.returning(*(table.c[name] for name in _returning(table)))


# --- facts of stored activities ---------------------------------------------------------------

ACTIVITY, VALUE, TEAM, UNIT = tables("activity", "activity_value", "team", "unit")
PLACE, HOME = UNIT.alias("place"), UNIT.alias("home")


@unscoped("activities the caller already reached or just wrote")
def facts_of(session: Session, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, Facts]:
    """What stored activities count for now, in one query."""
    if not activity_ids:
        return {}
    rows = session.execute(
        sa.select(
            ACTIVITY.c.id,
            ACTIVITY.c.team_id,
            HOME.c.path,
            today_path(PLACE),
            ACTIVITY.c.activity_date,
            ACTIVITY.c.campaign_id,
            ACTIVITY.c.status,
            VALUE.c.indicator_id,
            VALUE.c.value,
            PLACE.c.path,
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
            own = row[9] if row[9] != row[3] else None
            facts = found[row[0]] = Facts(row[1], row[2], row[3], row[4], row[5], row[6], {}, own)
        if row[7] is not None:
            facts.values[row[7]] = row[8]
    return found


@unscoped("a team the caller already reached, moved")
def team_moved(session: Session, team_id: uuid.UUID, old_path: str, new_path: str) -> None:
    """A team's reporting days now count in its new unit (and no longer in the old)."""
    if old_path == new_path:
        return
    write_pending(session)
    days = session.execute(
        sa.select(TEAM_DAY.c.campaign_key, TEAM_DAY.c.day).where(
            TEAM_DAY.c.team_id == team_id, TEAM_DAY.c.activities > 0
        )
    ).all()
    reporting = Sums(REPORTING)
    for campaign, day in days:
        count_reporting(reporting, old_path, campaign, day, -1)
        count_reporting(reporting, new_path, campaign, day, +1)
    reporting.write(session.connection())
