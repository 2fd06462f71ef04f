"""coverage aggregates: open communes and villages, and those an active team serves

Revision ID: c0e7a4d9b215
Revises: 57f171c81c6b
Create Date: 2026-12-05 22:00:00.000000

``stat_registry`` now also holds, per commune and village on its own path and the
country, ``unit.level:<level>`` (open: no ``valid_to``) and ``coverage.served:<level>``
(an active team serves it: a village, a team of its own while open; a commune, a team of
its own or of one of its villages, that team's unit open), moved by every write of teams
and units (``stats/registry.py``). Counted here (a frozen copy of the rebuild's
queries). The overview reads them unless a unit of the subtree has a date still ahead,
which the two new indexes on the validity dates answer.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "c0e7a4d9b215"
down_revision: str | None = "57f171c81c6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATION = uuid.UUID(int=0)
SEGMENT = 33  # "/" and 32 hex digits: one unit on a materialised path
DEEPEST = 4
LEVELS = ("commune", "village")
_metadata = sa.MetaData()
UNIT = sa.Table(
    "unit",
    _metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("parent_id", sa.Uuid()),
    sa.Column("path", sa.String()),
    sa.Column("level", sa.String()),
    sa.Column("valid_to", sa.Date()),
)
TEAM = sa.Table(
    "team",
    _metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("unit_id", sa.Uuid()),
    sa.Column("status", sa.String()),
)
REGISTRY = sa.Table(
    "stat_registry",
    _metadata,
    sa.Column("unit_key", sa.Uuid(), primary_key=True),
    sa.Column("item", sa.String(), primary_key=True),
    sa.Column("count", sa.BigInteger()),
)


def _coverage(depth: int) -> list[Any]:
    home, unit = UNIT.alias("home"), UNIT.alias("served_unit")
    joins: list[tuple[Any, Any]] = []
    if depth == 0:
        key: Any = sa.literal(NATION, sa.Uuid())
    else:
        ancestor = UNIT.alias(f"level{depth}")
        key = ancestor.c.id
        joins.append(
            (
                ancestor,
                sa.and_(
                    ancestor.c.path == sa.func.substr(home.c.path, 1, 1 + SEGMENT * depth),
                    sa.func.length(home.c.path) >= 1 + SEGMENT * depth,
                ),
            )
        )

    serving = TEAM.join(unit, unit.c.id == TEAM.c.unit_id)
    active = (TEAM.c.status == "active", unit.c.valid_to.is_(None))
    is_village = unit.c.level == "village"
    served = {
        "village": sa.select(unit.c.id).select_from(serving).where(*active, is_village),
        "commune": sa.select(sa.case((is_village, unit.c.parent_id), else_=unit.c.id))
        .select_from(serving)
        .where(*active),
    }
    selects = []
    for level in LEVELS:
        for label, where in (
            (f"unit.level:{level}", home.c.valid_to.is_(None)),
            (f"coverage.served:{level}", home.c.id.in_(served[level])),
        ):
            select = sa.select(key, sa.literal(label, sa.String()), sa.func.count())
            select = select.select_from(home)
            for table, on in joins:
                select = select.join(table, on)
            selects.append(select.where(home.c.level == level, where).group_by(key))
    return selects


def _delete_coverage(connection: sa.Connection) -> None:
    connection.execute(
        sa.delete(REGISTRY).where(
            sa.or_(REGISTRY.c.item.like("unit.level:%"), REGISTRY.c.item.like("coverage.%"))
        )
    )


def fill_coverage(connection: sa.Connection) -> None:
    _delete_coverage(connection)
    names = [column.name for column in REGISTRY.columns]
    for depth in range(DEEPEST + 1):
        for select in _coverage(depth):
            connection.execute(sa.insert(REGISTRY).from_select(names, select))


def upgrade() -> None:
    op.create_index("ix_unit_valid_from", "unit", ["valid_from"])
    op.create_index("ix_unit_valid_to", "unit", ["valid_to"])
    fill_coverage(op.get_bind())


def downgrade() -> None:
    _delete_coverage(op.get_bind())
    op.drop_index("ix_unit_valid_to", table_name="unit")
    op.drop_index("ix_unit_valid_from", table_name="unit")
