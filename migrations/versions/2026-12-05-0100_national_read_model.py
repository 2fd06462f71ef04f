"""national read model: the activity aggregates at the campaign's grain, the registry's

``stat_unit_campaign`` holds ``stat_unit_day`` summed over days (unit × campaign ×
indicator × status): filled here from the day rows, then moved by every write.
``stat_registry`` holds teams by status and current members by field per unit on the
team's path and the country (``stats/registry.py``): counted here (a frozen copy of the
rebuild's queries), then moved by every write of teams and members.
``unit_heritage`` materialises who inherits each closed unit (every unit its lineage
leads to, with that unit's path), refreshed after every reorganisation: the scope's
heritage rule reads it instead of a recursive query per request.

Revision ID: 9c1e5a7d2b40
Revises: 9b3c5e7a1d20
Create Date: 2026-12-05 01:00:00
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "9c1e5a7d2b40"
down_revision: str | None = "9b3c5e7a1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum("submitted", "approved", "rejected", name="activitystatus", native_enum=False)
FILL_UNIT_CAMPAIGN = (
    "INSERT INTO stat_unit_campaign "
    "(unit_key, campaign_key, indicator_key, status, total, activities) "
    "SELECT unit_key, campaign_key, indicator_key, status, SUM(total), SUM(activities) "
    "FROM stat_unit_day GROUP BY unit_key, campaign_key, indicator_key, status"
)

NATION = uuid.UUID(int=0)
SEGMENT = 33  # "/" and 32 hex digits: one unit on a materialised path
DEEPEST = 4
MEMBER_FIELDS = ("affiliation", "gender", "skill_level", "role")
_metadata = sa.MetaData()
UNIT = sa.Table(
    "unit", _metadata, sa.Column("id", sa.Uuid(), primary_key=True), sa.Column("path", sa.String())
)
TEAM = sa.Table(
    "team",
    _metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("unit_id", sa.Uuid()),
    sa.Column("status", sa.String()),
)
MEMBER = sa.Table(
    "member",
    _metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("team_id", sa.Uuid()),
    sa.Column("left_on", sa.Date()),
    *(sa.Column(name, sa.String()) for name in MEMBER_FIELDS),
)
REGISTRY = sa.Table(
    "stat_registry",
    _metadata,
    sa.Column("unit_key", sa.Uuid(), primary_key=True),
    sa.Column("item", sa.String(), primary_key=True),
    sa.Column("count", sa.BigInteger()),
)


def _registry(depth: int) -> list[Any]:
    """Teams by status and current members by field, per unit at ``depth`` above them."""
    home = UNIT.alias("home")
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

    def grouped(prefix: str, column: Any, members: bool) -> Any:
        label = sa.literal(prefix, sa.String()).concat(sa.func.coalesce(column, "unknown"))
        select = sa.select(key, label, sa.func.count()).select_from(TEAM)
        where = []
        if members:
            select = select.join(MEMBER, MEMBER.c.team_id == TEAM.c.id)
            where.append(MEMBER.c.left_on.is_(None))
        select = select.join(home, home.c.id == TEAM.c.unit_id)
        for table, on in joins:
            select = select.join(table, on)
        return select.where(*where).group_by(key, label)

    return [
        grouped("team.status:", TEAM.c.status, members=False),
        *(grouped(f"member.{name}:", MEMBER.c[name], members=True) for name in MEMBER_FIELDS),
    ]


def fill_registry(connection: sa.Connection) -> None:
    names = [column.name for column in REGISTRY.columns]
    for depth in range(DEEPEST + 1):
        for select in _registry(depth):
            connection.execute(sa.insert(REGISTRY).from_select(names, select))


FILL_HERITAGE = (
    "WITH RECURSIVE forward(unit_id, heir_id) AS ("
    " SELECT predecessor_id, successor_id FROM unit_lineage"
    " UNION SELECT forward.unit_id, unit_lineage.successor_id FROM unit_lineage"
    " JOIN forward ON unit_lineage.predecessor_id = forward.heir_id)"
    " INSERT INTO unit_heritage (heir_path, unit_id)"
    " SELECT unit.path, forward.unit_id FROM forward JOIN unit ON unit.id = forward.heir_id"
)


def upgrade() -> None:
    op.create_table(
        "stat_unit_campaign",
        sa.Column("unit_key", sa.Uuid(), nullable=False),
        sa.Column("campaign_key", sa.Uuid(), nullable=False),
        sa.Column("indicator_key", sa.Uuid(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        # Spread like stat_unit_day's hot rows (the migration before); filled in slot 0.
        sa.Column("slot", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("activities", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_key",
            "campaign_key",
            "indicator_key",
            "status",
            "slot",
            name=op.f("pk_stat_unit_campaign"),
        ),
    )
    op.execute(FILL_UNIT_CAMPAIGN)
    op.create_table(
        "stat_registry",
        sa.Column("unit_key", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("unit_key", "item", name=op.f("pk_stat_registry")),
    )
    fill_registry(op.get_bind())
    op.create_table(
        "unit_heritage",
        sa.Column("heir_path", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_unit_heritage_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("heir_path", "unit_id", name=op.f("pk_unit_heritage")),
    )
    with op.batch_alter_table("unit_heritage", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unit_heritage_heir_path",
            ["heir_path", "unit_id"],
            unique=False,
            postgresql_ops={"heir_path": "text_pattern_ops"},
        )
    op.execute(FILL_HERITAGE)


def downgrade() -> None:
    op.drop_table("unit_heritage")
    op.drop_table("stat_registry")
    op.drop_table("stat_unit_campaign")
