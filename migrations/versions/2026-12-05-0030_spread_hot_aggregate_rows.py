"""the country's, provinces' and the next level's aggregate rows spread over slots
(a slot column in the primary keys of stat_unit_day, of its copy stat_unit_day_history,
and of stat_reporting)

Revision ID: 9b3c5e7a1d20
Revises: 3f6b2d8e1c47
Create Date: 2026-12-05 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3c5e7a1d20"
down_revision: str | None = "3f6b2d8e1c47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAY_KEYS = ["unit_key", "campaign_key", "indicator_key", "day", "status"]
TABLES = {  # keys, measures
    "stat_unit_day": (DAY_KEYS, ["total", "activities"]),
    "stat_unit_day_history": (DAY_KEYS, ["total", "activities"]),
    "stat_reporting": (["unit_key", "campaign_key", "day"], ["teams"]),
}


def upgrade() -> None:
    # Rows stored so far are slot 0; writes from now on spread the hot ones.
    for table, (keys, _) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("slot", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
            )
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [*keys, "slot"])


def downgrade() -> None:
    for table, (keys, measures) in TABLES.items():
        # Every key's slots folded into slot 0 before the column goes.
        key_list, measure_list = ", ".join(keys), ", ".join(measures)
        sums = ", ".join(f"sum({m})" for m in measures)
        updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
        op.execute(
            f"INSERT INTO {table} ({key_list}, slot, {measure_list}) "  # noqa: S608
            f"SELECT {key_list}, 0, {sums} FROM {table} WHERE slot <> 0 GROUP BY {key_list} "
            f"ON CONFLICT ({key_list}, slot) DO UPDATE SET {updates}"
        )
        op.execute(f"DELETE FROM {table} WHERE slot <> 0")  # noqa: S608
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", keys)
            batch_op.drop_column("slot")
