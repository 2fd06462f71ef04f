"""Keeping the registry's figures of the overview (``StatRegistry``) exact with every write
of teams and members, whatever feature writes them.

A team counts once under its status, a current member (no ``left_on``) once per field
(affiliation, gender, skill level, role), in every unit on the path of the team's unit
and the country. The overview's coverage is kept the same way, per commune and village on
its own path: ``unit.level:<level>`` when it is open (no ``valid_to``) and
``coverage.served:<level>`` when an active team serves it (a village: a team of its own,
the village open; a commune: a team of its own or of one of its villages, that team's
unit open). A commune's or village's figures depend on its own row, its villages' and
their teams, so a write of a team or of a unit recounts the communes and villages
it touches ("places"), before and after.

Rather than asking every writer to say what it changed, the session tells: around each
flush (``before_flush`` / ``after_flush``) and each bulk statement on ``team``, ``member``
or ``unit`` (``do_orm_execute``: imports' multi-row inserts, versioned deletes, a
reorganisation's moves), what the touched rows counted before is read, then what they
count after, and the aggregates move by the difference in the same transaction. A flush
that fails moves nothing (``after_flush`` never runs). A team moved to another unit takes
its current members' counts along.

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
from cnscd_api.models import Member, Team, TeamStatus, Unit, UnitLevel
from cnscd_api.models.stats import NATION
from cnscd_api.stats.aggregates import REGISTRY, Sums, tables

MEMBER_FIELDS = ("affiliation", "gender", "skill_level", "role")
TEAM_ITEM = "team.status"
UNIT_ITEM = "unit.level"
SERVED_ITEM = "coverage.served"
COVERED = (UnitLevel.COMMUNE, UnitLevel.VILLAGE)
# The columns of a unit its coverage depends on (and its villages' communes).
UNIT_COLUMNS = frozenset({"path", "parent_id", "level", "valid_to"})
CHUNK = 1000  # ids per IN list (SQLite's bound parameters are limited)
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
    places: set[uuid.UUID] = field(default_factory=set)  # units whose coverage may move

    def __bool__(self) -> bool:
        return bool(self.teams or self.members or self.places)


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
    for chunk in _chunks(touched.places):
        for path, level, is_open, served in connection.execute(_coverage_of(chunk)):
            if is_open:
                _spread(counts, path, f"{UNIT_ITEM}:{level}")
            if served:
                _spread(counts, path, f"{SERVED_ITEM}:{level}")
    return counts


def _chunks(ids: set[uuid.UUID]) -> list[list[uuid.UUID]]:
    ordered = sorted(ids)
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def _coverage_of(ids: list[uuid.UUID]) -> Any:
    """(path, level, open, served) of the communes and villages among ``ids``."""
    place, home = UNIT.alias("place"), UNIT.alias("home")
    active = TEAM.c.status == TeamStatus.ACTIVE
    own_team = (
        sa.select(TEAM.c.id)
        .join(home, home.c.id == TEAM.c.unit_id)
        .where(active, home.c.id == place.c.id, home.c.valid_to.is_(None))
        .exists()
    )
    village_team = (
        sa.select(TEAM.c.id)
        .join(home, home.c.id == TEAM.c.unit_id)
        .where(
            active,
            home.c.parent_id == place.c.id,
            home.c.level == UnitLevel.VILLAGE,
            home.c.valid_to.is_(None),
        )
        .exists()
    )
    is_village = place.c.level == UnitLevel.VILLAGE
    served = sa.case((is_village, own_team), else_=sa.or_(own_team, village_team))
    return sa.select(place.c.path, place.c.level, place.c.valid_to.is_(None), served).where(
        place.c.id.in_(ids), place.c.level.in_(COVERED)
    )


def with_communes(session: Session, units: set[uuid.UUID]) -> set[uuid.UUID]:
    """``units`` and the communes of the villages among them (a village's team, or the
    village itself, moves its commune's coverage), locked on PostgreSQL.

    Whether a place is served depends on several rows (every team of a village, every
    village of a commune), which two writers could each read before the other commits and
    both count the same change. So the places' own rows are locked (``FOR NO KEY
    UPDATE``) before anything is counted: writers of one place's coverage take turns,
    and the second counts "before" from what the first committed (each statement reads
    afresh under READ COMMITTED). Villages are locked before communes, each by id, the
    order of a village's own edit (which locks it, then its commune here), so the two
    cannot deadlock. Reports, which only KEY SHARE their unit, do not wait. SQLite lets
    one writer in at a time."""
    places = {unit for unit in units if unit is not None}
    connection = session.connection()
    for chunk in _chunks(places):
        places.update(
            connection.execute(
                sa.select(UNIT.c.parent_id).where(
                    UNIT.c.id.in_(chunk),
                    UNIT.c.level == UnitLevel.VILLAGE,
                    UNIT.c.parent_id.is_not(None),
                )
            ).scalars()
        )
    if connection.dialect.name == "postgresql":
        for chunk in _chunks(places):
            connection.execute(
                sa.select(UNIT.c.id)
                .where(UNIT.c.id.in_(chunk))
                .order_by(sa.case((UNIT.c.level == UnitLevel.VILLAGE, 0), else_=1), UNIT.c.id)
                .with_for_update(key_share=True)
            )
    return places


def move(session: Session, before: Counts, after: Counts) -> None:
    """Add ``after`` − ``before`` to the stored rows, in key order."""
    sums = Sums(REGISTRY)
    for key in before.keys() | after.keys():
        sums.add(key, after[key] - before[key])
    sums.write(session.connection())


def _changed(obj: Any, name: str) -> bool:
    return bool(sa.inspect(obj).attrs[name].history.has_changes())


def _values(obj: Any, name: str) -> set[Any]:
    """The attribute's value now and, when it changed in the session, before."""
    history = sa.inspect(obj).attrs[name].history
    return {getattr(obj, name), *history.deleted}


def _touched_by_flush(session: Session) -> Touched:
    touched = Touched()
    units: set[uuid.UUID] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        dirty = obj in session.dirty
        if isinstance(obj, Team):
            touched.teams.add(obj.id)
            if dirty and _changed(obj, "unit_id"):
                touched.moved_teams.add(obj.id)
            if not dirty or _changed(obj, "unit_id") or _changed(obj, "status"):
                units |= _values(obj, "unit_id")
        elif isinstance(obj, Member):
            touched.members.add(obj.id)
        elif isinstance(obj, Unit) and (
            not dirty or any(_changed(obj, name) for name in UNIT_COLUMNS)
        ):
            units |= {obj.id, *_values(obj, "parent_id")}
    if units:
        touched.places = with_communes(session, units)
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


def _rows(parameters: Any) -> list[dict[str, Any]]:
    if isinstance(parameters, dict):
        parameters = [parameters]
    return [row for row in parameters or [] if isinstance(row, dict)]


def _ids(parameters: Any, name: str = "id") -> set[Any]:
    return {row[name] for row in _rows(parameters) if name in row}


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> Any:
    """Bulk statements on teams, members and units: inserts and updates by primary key
    (ORM bulk, a list of rows) by the ids and values they carry, other updates (the
    versioned updates of ``core.concurrency``) and deletes by the rows their WHERE clause
    reaches and the values they set."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    tables: dict[Any, Any] = {Team: TEAM, Member: MEMBER, Unit: UNIT}
    table = tables.get(model)
    if table is None:
        return None
    statement: Any = state.statement
    session = state.session
    by_rows = state.is_insert or (state.is_update and statement.whereclause is None)
    if by_rows:
        ids, written = _ids(state.parameters), _rows(state.parameters)
    else:
        where = statement.whereclause if statement.whereclause is not None else sa.true()
        ids = set(session.connection().execute(sa.select(table.c.id).where(where)).scalars())
        # The values an UPDATE sets (a member's do not move coverage: not compiled).
        values = statement.compile().params if state.is_update and model is not Member else {}
        written = [{name: value for name, value in values.items() if name in table.c}]
    names = {name for row in written for name in row}
    touched = Touched()
    if model is Member:
        touched.members = ids
    elif model is Team:
        touched.teams = ids
        if state.is_update:
            touched.moved_teams = set(ids)
        if not state.is_update or names & {"unit_id", "status"}:
            units = {row["unit_id"] for row in written if "unit_id" in row}
            if ids and not state.is_insert:
                found = sa.select(TEAM.c.unit_id).where(TEAM.c.id.in_(ids))
                units |= set(session.connection().execute(found).scalars())
            touched.places = with_communes(session, units)
    elif not state.is_update or UNIT_COLUMNS & names:
        parents = {row["parent_id"] for row in written if "parent_id" in row}
        touched.places = with_communes(session, ids | parents)
    # New rows counted nothing before; the places they join may have.
    needed = touched and (touched.places or not state.is_insert)
    before = counted(session, touched) if needed else Counter()
    result = state.invoke_statement()
    if touched:
        move(session, before, counted(session, touched))
    return result
