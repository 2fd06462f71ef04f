"""the map's history in the dashboards: where a closed unit's reports count today
(unit.rollup_path) and the difference between the map of each report's day and today's
(stat_unit_day_history)

Revision ID: 5c1e0b7d9a42
Revises: a8d30199e71b
Create Date: 2026-11-29 14:30:00.000000
"""

from collections.abc import Sequence

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
    # their successors first). This runs the application's code as it is at this
    # revision's time; should it later need newer columns, this migration gets its own copy.
    from sqlmodel import Session

    from cnscd_api.stats.placement import refresh_rollup_paths
    from cnscd_api.stats.rebuild import rebuild

    with Session(bind=op.get_bind()) as session:
        refresh_rollup_paths(session)
        rebuild(session, None)
        session.flush()


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
