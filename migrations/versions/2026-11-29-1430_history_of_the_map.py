"""the map's history in the dashboards: where a closed unit's reports count today
(unit.rollup_path) and the difference between the map of each report's day and today's
(stat_unit_day_history)

Revision ID: 5c1e0b7d9a42
Revises: a8d30199e71b
Create Date: 2026-11-29 14:30:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5c1e0b7d9a42"
down_revision: str | None = "a8d30199e71b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rollup_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_index(
            "ix_unit_rollup_path",
            ["rollup_path"],
            unique=False,
            postgresql_ops={"rollup_path": "text_pattern_ops"},
            postgresql_where=sa.text("rollup_path IS NOT NULL"),
            sqlite_where=sa.text("rollup_path IS NOT NULL"),
        )
    op.create_table(
        "stat_unit_day_history",
        sa.Column("unit_key", sa.Uuid(), nullable=False),
        sa.Column("campaign_key", sa.Uuid(), nullable=False),
        sa.Column("indicator_key", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("submitted", "approved", "rejected", name="activitystatus", native_enum=False),
            nullable=False,
        ),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("activities", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_key",
            "campaign_key",
            "indicator_key",
            "day",
            "status",
            name=op.f("pk_stat_unit_day_history"),
        ),
    )
    # Reports already stored are counted now, on today's map and on the map of their day
    # (a database where a reorganisation already ran gets its closed units pointed at
    # their successors first), by the frozen copy below.
    connection = op.get_bind()
    _refresh_rollup_paths(connection)
    _rebuild(connection)


def downgrade() -> None:
    op.drop_table("stat_unit_day_history")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_unit_rollup_path",
            postgresql_ops={"rollup_path": "text_pattern_ops"},
            postgresql_where=sa.text("rollup_path IS NOT NULL"),
            sqlite_where=sa.text("rollup_path IS NOT NULL"),
        )
        batch_op.drop_column("rollup_path")


# --- The data step, frozen -------------------------------------------------------------
# A private copy of what the application did at this revision to count the stored reports
# (``stats.placement.refresh_rollup_paths`` and ``stats.rebuild.rebuild`` of the whole
# country, with ``rebuild_history``), over the tables as they stand at this revision.
# Later changes to the application never change what this migration does.

SEGMENT = 33  # "/" and 32 hex digits: one unit on a materialised path
DEEPEST = 4  # province, district, commune, village
MAX_HOPS = 16  # default successors followed at most this far
HISTORY_CHUNK = 2000  # reports placed per round
ZERO = uuid.UUID(int=0)  # the whole country (unit), no campaign, all indicators

_metadata = sa.MetaData()
UNIT = sa.Table(
    "unit",
    _metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("path", sa.String()),
    sa.Column("valid_to", sa.Date()),
    sa.Column("rollup_path", sa.String()),
)
LINEAGE = sa.Table(
    "unit_lineage",
    _metadata,
    sa.Column("predecessor_id", sa.Uuid()),
    sa.Column("successor_id", sa.Uuid()),
    sa.Column("is_default", sa.Boolean()),
)
MOVE = sa.Table(
    "unit_move",
    _metadata,
    sa.Column("unit_id", sa.Uuid()),
    sa.Column("effective_date", sa.Date()),
    sa.Column("from_parent_id", sa.Uuid()),
)
TEAM = sa.Table("team", _metadata, sa.Column("id", sa.Uuid()), sa.Column("unit_id", sa.Uuid()))
ACTIVITY = sa.Table(
    "activity",
    _metadata,
    sa.Column("id", sa.Uuid()),
    sa.Column("team_id", sa.Uuid()),
    sa.Column("unit_id", sa.Uuid()),
    sa.Column("activity_date", sa.Date()),
    sa.Column("campaign_id", sa.Uuid()),
    sa.Column("status", sa.String()),
)
VALUE = sa.Table(
    "activity_value",
    _metadata,
    sa.Column("activity_id", sa.Uuid()),
    sa.Column("indicator_id", sa.Uuid()),
    sa.Column("value", sa.Integer()),
)


def _aggregate(name: str, *keys: tuple[str, Any], measures: tuple[str, ...]) -> sa.Table:
    return sa.Table(
        name,
        _metadata,
        *(sa.Column(key, kind, primary_key=True) for key, kind in keys),
        *(sa.Column(measure, sa.BigInteger()) for measure in measures),
    )


_UNIT_DAY_KEYS = (
    ("unit_key", sa.Uuid()),
    ("campaign_key", sa.Uuid()),
    ("indicator_key", sa.Uuid()),
    ("day", sa.Date()),
    ("status", sa.String()),
)
UNIT_DAY = _aggregate("stat_unit_day", *_UNIT_DAY_KEYS, measures=("total", "activities"))
UNIT_DAY_HISTORY = _aggregate(
    "stat_unit_day_history", *_UNIT_DAY_KEYS, measures=("total", "activities")
)
TEAM_TOTAL = _aggregate(
    "stat_team_total",
    ("team_id", sa.Uuid()),
    ("campaign_key", sa.Uuid()),
    ("indicator_key", sa.Uuid()),
    ("status", sa.String()),
    measures=("total", "activities"),
)
TEAM_DAY = _aggregate(
    "stat_team_day",
    ("team_id", sa.Uuid()),
    ("campaign_key", sa.Uuid()),
    ("day", sa.Date()),
    measures=("activities",),
)
REPORTING = _aggregate(
    "stat_reporting",
    ("unit_key", sa.Uuid()),
    ("campaign_key", sa.Uuid()),
    ("day", sa.Date()),
    measures=("teams",),
)


def _ancestor_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(hex=part) for part in path.strip("/").split("/") if part]


def _zero() -> Any:
    return sa.literal(ZERO, sa.Uuid())


def _today_path(unit: Any) -> Any:
    return sa.func.coalesce(unit.c.rollup_path, unit.c.path)


def _refresh_rollup_paths(connection: sa.Connection) -> None:
    """Point every closed unit at the unit alive today its default successors lead to."""
    successor = UNIT.alias("successor")
    default = (
        sa.select(_today_path(successor))
        .select_from(LINEAGE)
        .join(successor, successor.c.id == LINEAGE.c.successor_id)
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
            return
    raise RuntimeError(f"default successors lead on for more than {MAX_HOPS} reorganisations")


def _ancestor(path: Any, depth: int) -> tuple[Any, list[tuple[Any, Any]]]:
    """The key of the ancestor at ``depth`` (0: the country) of the unit at ``path``."""
    if depth == 0:
        return _zero(), []
    ancestor = UNIT.alias(f"level{depth}")
    on = sa.and_(
        ancestor.c.path == sa.func.substr(path, 1, 1 + SEGMENT * depth),
        sa.func.length(path) >= 1 + SEGMENT * depth,
    )
    return ancestor.c.id, [(ancestor, on)]


def _counts(head: tuple[Any, ...], tail: tuple[Any, ...], joins: list[Any]) -> list[Any]:
    """Activities grouped by ``head``, indicator, ``tail``: per indicator its total and
    how many counted it, and for all indicators how many activities."""
    selects = []
    for indicator, total, per_value in (
        (VALUE.c.indicator_id, sa.func.sum(VALUE.c.value), True),
        (_zero(), sa.literal(0, sa.BigInteger()), False),
    ):
        columns = (*head, indicator, *tail)
        select = sa.select(*columns, total, sa.func.count()).select_from(ACTIVITY)
        for table, on in joins:
            select = select.join(table, on)
        if per_value:
            select = select.join(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
        selects.append(select.group_by(*columns))
    return selects


def _insert(connection: sa.Connection, table: sa.Table, select: Any) -> None:
    connection.execute(sa.insert(table).from_select([c.name for c in table.columns], select))


def _rebuild(connection: sa.Connection) -> None:
    """Recompute every aggregate of the whole country from the reports (every unit's path
    starts with "/", so the country's subtree is every row: no filter)."""
    for table in (UNIT_DAY, UNIT_DAY_HISTORY, TEAM_TOTAL, TEAM_DAY, REPORTING):
        connection.execute(sa.delete(table))
    place, home = UNIT.alias("place"), UNIT.alias("home")
    campaign = sa.func.coalesce(ACTIVITY.c.campaign_id, _zero())
    at_place = (place, place.c.id == ACTIVITY.c.unit_id)
    for depth in range(DEEPEST + 1):
        key, joins = _ancestor(_today_path(place), depth)
        tail = (ACTIVITY.c.activity_date, ACTIVITY.c.status)
        for select in _counts((key, campaign), tail, [at_place, *joins]):
            _insert(connection, UNIT_DAY, select)
    for select in _counts((ACTIVITY.c.team_id, campaign), (ACTIVITY.c.status,), []):
        _insert(connection, TEAM_TOTAL, select)
    by_day = (ACTIVITY.c.team_id, campaign, ACTIVITY.c.activity_date)
    _insert(connection, TEAM_DAY, sa.select(*by_day, sa.func.count()).group_by(*by_day))
    for depth in range(DEEPEST + 1):
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
        _insert(connection, REPORTING, select.where(TEAM_DAY.c.activities > 0).group_by(*columns))
    _rebuild_history(connection)


class _PathsOn:
    """Paths of places on past days, from the moves made after the earliest of them."""

    def __init__(self, connection: sa.Connection, paths: set[str], earliest: date) -> None:
        self.moves: dict[uuid.UUID, list[tuple[date, uuid.UUID]]] = {}
        self.stored: dict[uuid.UUID, str] = {}
        loaded: set[uuid.UUID] = set()
        units = {unit for path in paths for unit in _ancestor_ids(path)}
        while units := units - loaded:
            loaded |= units
            rows = connection.execute(
                sa.select(MOVE.c.unit_id, MOVE.c.effective_date, MOVE.c.from_parent_id)
                .where(MOVE.c.unit_id.in_(units), MOVE.c.effective_date > earliest)
                .order_by(MOVE.c.unit_id, MOVE.c.effective_date)
            ).all()
            for unit, moved_on, parent in rows:
                self.moves.setdefault(unit, []).append((moved_on, parent))
            parents = {parent for _, _, parent in rows} - self.stored.keys()
            if not parents:
                break
            found = connection.execute(
                sa.select(UNIT.c.id, UNIT.c.path).where(UNIT.c.id.in_(parents))
            ).all()
            self.stored.update((unit, path) for unit, path in found)
            units = {unit for _, path in found for unit in _ancestor_ids(path)}

    def path_on(self, path: str, day: date) -> str:
        if not self.moves:
            return path
        units = _ancestor_ids(path)
        for index in range(len(units) - 1, -1, -1):
            parent = next(
                (p for moved_on, p in self.moves.get(units[index], ()) if moved_on > day), None
            )
            if parent is not None:
                return self.path_on(self.stored[parent], day) + path[1 + SEGMENT * index :]
        return path


def _rebuild_history(connection: sa.Connection) -> None:
    """The difference between the map of each report's day and today's: +1 for the units
    it lay under on its day and no longer does, -1 for the reverse."""
    latest_move = connection.execute(sa.select(sa.func.max(MOVE.c.effective_date))).scalar()
    closed = UNIT.c.rollup_path.is_not(None)
    any_closed = connection.execute(sa.select(sa.exists().where(closed))).scalar()
    if latest_move is None and not any_closed:
        return
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
    sums: dict[tuple[Any, ...], list[int]] = {}

    def count(unit: uuid.UUID, facts: dict[str, Any], sign: int) -> None:
        for indicator, value in [(ZERO, 0), *facts["values"].items()]:
            key = (unit, facts["campaign"], indicator, facts["day"], facts["status"])
            measures = sums.setdefault(key, [0, 0])
            measures[0] += sign * value
            measures[1] += sign

    place, home = UNIT.alias("place"), UNIT.alias("home")
    for start in range(0, len(ids), HISTORY_CHUNK):
        rows = connection.execute(
            sa.select(
                ACTIVITY.c.id,
                _today_path(place),
                place.c.path,
                ACTIVITY.c.activity_date,
                ACTIVITY.c.campaign_id,
                ACTIVITY.c.status,
                VALUE.c.indicator_id,
                VALUE.c.value,
            )
            .join(place, place.c.id == ACTIVITY.c.unit_id)
            .join(TEAM, TEAM.c.id == ACTIVITY.c.team_id)
            .join(home, home.c.id == TEAM.c.unit_id)
            .outerjoin(VALUE, VALUE.c.activity_id == ACTIVITY.c.id)
            .where(ACTIVITY.c.id.in_(ids[start : start + HISTORY_CHUNK]))
        ).all()
        reports: dict[uuid.UUID, dict[str, Any]] = {}
        for activity, today, own, day, campaign_id, status, indicator, value in rows:
            facts = reports.setdefault(
                activity,
                {
                    "today": today,
                    "stored": own,
                    "day": day,
                    "campaign": campaign_id or ZERO,
                    "status": status,
                    "values": {},
                },
            )
            if indicator is not None:
                facts["values"][indicator] = value
        if not reports:
            continue
        earliest = min(facts["day"] for facts in reports.values())
        paths = _PathsOn(connection, {facts["stored"] for facts in reports.values()}, earliest)
        for facts in reports.values():
            then = paths.path_on(facts["stored"], facts["day"])
            if then == facts["today"]:
                continue
            now_units, then_units = _ancestor_ids(facts["today"]), _ancestor_ids(then)
            for unit in set(then_units) - set(now_units):
                count(unit, facts, 1)
            for unit in set(now_units) - set(then_units):
                count(unit, facts, -1)
    rows = [
        dict(zip([c.name for c in UNIT_DAY_HISTORY.columns], (*key, *measures), strict=True))
        for key, measures in sorted(sums.items())
        if any(measures)
    ]
    if rows:
        connection.execute(sa.insert(UNIT_DAY_HISTORY), rows)
