"""Where a report counts: on today's map, and on the map of its own day.

Reports keep the unit of their day (``activity.unit_id``); the map around it changes.

- **Today's map** (``tree=current``): a report counts for the units above where its
  place lies today. A place closed by a reorganisation lies where its default successors
  lead (``unit.rollup_path``, set by ``refresh_rollup_paths`` after every reorganisation);
  a village that kept its id lies under its new commune (its path moved with it).
- **The map of its day** (``tree=historical``): going up from the place, a unit that
  moved after that day hung then under the ``from_parent_id`` of its first move after it
  (``unit_move``, the rule of ``units.repository.parent_on``). A closed unit never moves,
  so its stored path is the one it had while it was valid.

The aggregates count every report on today's map (``StatUnitDay``) and keep the
difference to the map of its day apart (``StatUnitDayHistory``), which stays empty until a
reorganisation moves or closes units.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from cnscd_api.core.scope import ancestor_ids, unscoped

SEGMENT = 33  # "/" and 32 hex digits: one unit on a materialised path
UNIT: Any = SQLModel.metadata.tables["unit"]
MOVE: Any = SQLModel.metadata.tables["unit_move"]
LINEAGE: Any = SQLModel.metadata.tables["unit_lineage"]
HERITAGE: Any = SQLModel.metadata.tables["unit_heritage"]
_successor = UNIT.alias("successor")
# Default successors followed at most this far (a unit renamed every year for a decade).
MAX_HOPS = 16


def today_path(unit: Any) -> Any:
    """SQL: where a unit's reports count on today's map."""
    return sa.func.coalesce(unit.c.rollup_path, unit.c.path)


def today_unit_id(unit: Any) -> uuid.UUID | None:
    """The unit alive today that a closed unit's default successors lead to (None for a
    unit alive today, or closed without successor)."""
    return ancestor_ids(unit.rollup_path)[-1] if unit.rollup_path else None


def today_in_subtree(unit: Any, like: str, escape: str) -> Any:
    """SQL: ``today_path(unit) LIKE like``, written so that each side can use its index
    (the unit path's, and the closed units' rollup path's)."""
    return sa.or_(
        sa.and_(unit.c.rollup_path.is_(None), unit.c.path.like(like, escape=escape)),
        unit.c.rollup_path.like(like, escape=escape),
    )


class PathsOn:
    """Paths of places on past days, from the moves made after the earliest of those days
    (loaded at once, with the paths of the parents they left)."""

    def __init__(self, session: Session, paths: Iterable[str], earliest: date) -> None:
        self.session = session
        self.earliest = earliest
        self.moves: dict[uuid.UUID, list[tuple[date, uuid.UUID]]] = {}
        self.stored: dict[uuid.UUID, str] = {}
        self.loaded: set[uuid.UUID] = set()
        self._load({unit for path in paths for unit in ancestor_ids(path)})

    @unscoped("the moves above places the caller already reached (their reports' units)")
    def _load(self, units: set[uuid.UUID]) -> None:
        while units := units - self.loaded:
            self.loaded |= units
            rows = self.session.execute(
                sa.select(MOVE.c.unit_id, MOVE.c.effective_date, MOVE.c.from_parent_id)
                .where(MOVE.c.unit_id.in_(units), MOVE.c.effective_date > self.earliest)
                .order_by(MOVE.c.unit_id, MOVE.c.effective_date)
            ).all()
            for unit, moved_on, parent in rows:
                self.moves.setdefault(unit, []).append((moved_on, parent))
            parents = {parent for _, _, parent in rows} - self.stored.keys()
            if not parents:
                return
            found = self.session.execute(
                sa.select(UNIT.c.id, UNIT.c.path).where(UNIT.c.id.in_(parents))
            ).all()
            self.stored.update((unit, path) for unit, path in found)
            units = {unit for _, path in found for unit in ancestor_ids(path)}

    def path_on(self, path: str, day: date) -> str:
        """The path a unit stored at ``path`` had on ``day``."""
        if not self.moves:
            return path
        units = ancestor_ids(path)
        for index in range(len(units) - 1, -1, -1):
            parent = next(
                (p for moved_on, p in self.moves.get(units[index], ()) if moved_on > day), None
            )
            if parent is not None:
                return self.path_on(self.stored[parent], day) + path[1 + SEGMENT * index :]
        return path


@unscoped("a reorganisation's bookkeeping over every closed unit")
def refresh_heritage(session: Session) -> None:
    """Recompute ``UnitHeritage``: every unit each closed unit's lineage leads to, forward
    through any number of reorganisations, with its path (one recursive query, once per
    reorganisation rather than once per request)."""
    connection = session.connection()
    connection.execute(sa.delete(HERITAGE))
    forward = sa.select(
        LINEAGE.c.predecessor_id.label("unit_id"), LINEAGE.c.successor_id.label("heir_id")
    ).cte("forward", recursive=True)
    later = sa.select(forward.c.unit_id, LINEAGE.c.successor_id).join(
        forward, LINEAGE.c.predecessor_id == forward.c.heir_id
    )
    forward = forward.union(later)  # lineage runs old → new: it has no cycles
    heirs = sa.select(UNIT.c.path, forward.c.unit_id).join(UNIT, UNIT.c.id == forward.c.heir_id)
    connection.execute(sa.insert(HERITAGE).from_select(["heir_path", "unit_id"], heirs))


def refresh_rollup_paths(session: Session) -> int:
    """Point every closed unit at the unit alive today that its default successors lead
    to (after a reorganisation closed or moved units), and refresh who inherits each
    (``refresh_heritage``); the number of units changed."""
    refresh_heritage(session)
    connection, changed = session.connection(), 0
    default = (
        sa.select(sa.func.coalesce(_successor.c.rollup_path, _successor.c.path))
        .select_from(LINEAGE)
        .join(_successor, _successor.c.id == LINEAGE.c.successor_id)
        .where(LINEAGE.c.predecessor_id == UNIT.c.id, LINEAGE.c.is_default)
        .limit(1)
        .scalar_subquery()
    )
    for _ in range(MAX_HOPS):
        result = connection.execute(
            sa.update(UNIT)
            .where(UNIT.c.valid_to.is_not(None), UNIT.c.rollup_path.is_distinct_from(default))
            .values(rollup_path=default)
        )
        if not result.rowcount:
            return changed
        changed += result.rowcount
    raise RuntimeError(f"default successors lead on for more than {MAX_HOPS} reorganisations")
