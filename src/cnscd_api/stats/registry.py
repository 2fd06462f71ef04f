"""Keeping the registry's figures of the overview (``StatRegistry``) exact with every write
of teams and members, whatever feature writes them.

A team counts once under its status, a current member (no ``left_on``) once per field
(affiliation, gender, skill level, role), in every unit on the path of the team's unit
and the country. Rather than asking every writer to say what it changed, the session
tells: around each flush (``before_flush`` / ``after_flush``) and each bulk statement on
``team`` or ``member`` (``do_orm_execute``: imports' multi-row inserts, versioned
deletes), what the touched rows counted before is read, then what they count after, and
the aggregates move by the difference in the same transaction. A flush that fails moves
nothing (``after_flush`` never runs). A team moved to another unit takes its current
members' counts along.

Units moved by a reorganisation change every path below them: the reorganisation
rebuilds the subtrees it touched (``stats/rebuild.py``), the registry's rows with them.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from cnscd_api.core.scope import ancestor_ids, unscoped
from cnscd_api.models import Member, Team
from cnscd_api.models.stats import NATION
from cnscd_api.stats.aggregates import REGISTRY, Sums, tables

MEMBER_FIELDS = ("affiliation", "gender", "skill_level", "role")
TEAM_ITEM = "team.status"
TEAM, MEMBER, UNIT = tables("team", "member", "unit")
_PENDING = "cnscd_registry_before"

Counts = Counter[tuple[uuid.UUID, str]]


def member_item(name: str, value: Any) -> str:
    if value is None:
        value = "unknown"
    return f"member.{name}:{getattr(value, 'value', value)}"


@dataclass
class Touched:
    """The rows a write touches: teams (their own count), teams whose members move with
    them (a new unit), members."""

    teams: set[uuid.UUID] = field(default_factory=set)
    moved_teams: set[uuid.UUID] = field(default_factory=set)
    members: set[uuid.UUID] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.teams or self.members)


def _spread(counts: Counts, path: str, item: str, n: int = 1) -> None:
    for unit in [NATION, *ancestor_ids(path)]:
        counts[(unit, item)] += n


@unscoped("the rows a write of the caller just touched")
def counted(session: Session, touched: Touched) -> Counts:
    """What the touched rows count for now, per (unit, item)."""
    counts: Counts = Counter()
    connection = session.connection()
    if touched.teams:
        for path, status in connection.execute(
            sa.select(UNIT.c.path, TEAM.c.status)
            .join(UNIT, UNIT.c.id == TEAM.c.unit_id)
            .where(TEAM.c.id.in_(touched.teams))
        ):
            _spread(counts, path, f"{TEAM_ITEM}:{status}")
    members = MEMBER.c.id.in_(touched.members) if touched.members else sa.false()
    if touched.moved_teams:
        members = sa.or_(members, MEMBER.c.team_id.in_(touched.moved_teams))
    if touched.members or touched.moved_teams:
        columns = [MEMBER.c[name] for name in MEMBER_FIELDS]
        for path, *values in connection.execute(
            sa.select(UNIT.c.path, *columns)
            .join(TEAM, TEAM.c.id == MEMBER.c.team_id)
            .join(UNIT, UNIT.c.id == TEAM.c.unit_id)
            .where(members, MEMBER.c.left_on.is_(None))
        ):
            for name, value in zip(MEMBER_FIELDS, values, strict=True):
                _spread(counts, path, member_item(name, value))
    return counts


def move(session: Session, before: Counts, after: Counts) -> None:
    """Add ``after`` − ``before`` to the stored rows, in key order."""
    sums = Sums(REGISTRY)
    for key in before.keys() | after.keys():
        sums.add(key, after[key] - before[key])
    sums.write(session.connection())


def _changed(obj: Any, name: str) -> bool:
    return bool(sa.inspect(obj).attrs[name].history.has_changes())


def _touched_by_flush(session: Session) -> Touched:
    touched = Touched()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Team):
            touched.teams.add(obj.id)
            if obj in session.dirty and _changed(obj, "unit_id"):
                touched.moved_teams.add(obj.id)
        elif isinstance(obj, Member):
            touched.members.add(obj.id)
    return touched


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush: UOWTransaction, instances: Iterable[Any]) -> None:
    session.info.pop(_PENDING, None)  # of a flush that failed: it moved nothing
    touched = _touched_by_flush(session)
    if touched:
        with session.no_autoflush:
            session.info[_PENDING] = (touched, counted(session, touched))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush: UOWTransaction) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        touched, before = pending
        move(session, before, counted(session, touched))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)


def _ids(rows: Any) -> set[uuid.UUID]:
    if isinstance(rows, dict):
        rows = [rows]
    return {row["id"] for row in rows or [] if isinstance(row, dict) and "id" in row}


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> Any:
    """Bulk statements on teams and members: inserts by the ids they carry, updates and
    deletes by the rows their WHERE clause reaches."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    if model not in (Team, Member):
        return None
    statement: Any = state.statement
    if state.is_insert:
        ids = _ids(state.parameters)
    else:
        table = TEAM if model is Team else MEMBER
        where = statement.whereclause if statement.whereclause is not None else sa.true()
        found = state.session.connection().execute(sa.select(table.c.id).where(where))
        ids = set(found.scalars())
    touched = Touched(teams=ids) if model is Team else Touched(members=ids)
    if state.is_update and model is Team:
        touched.moved_teams = set(ids)
    before = counted(state.session, touched) if touched and not state.is_insert else Counter()
    result = state.invoke_statement()
    if touched:
        move(state.session, before, counted(state.session, touched))
    return result
