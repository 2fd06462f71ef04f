"""national read model: the activity aggregates at the campaign's grain

``stat_unit_campaign`` holds ``stat_unit_day`` summed over days (unit × campaign ×
indicator × status): filled here from the day rows, then moved by every write.

Revision ID: 9c1e5a7d2b40
Revises: 3f6b2d8e1c47
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c1e5a7d2b40"
down_revision: str | None = "3f6b2d8e1c47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum("submitted", "approved", "rejected", name="activitystatus", native_enum=False)
FILL_UNIT_CAMPAIGN = (
    "INSERT INTO stat_unit_campaign "
    "(unit_key, campaign_key, indicator_key, status, total, activities) "
    "SELECT unit_key, campaign_key, indicator_key, status, SUM(total), SUM(activities) "
    "FROM stat_unit_day GROUP BY unit_key, campaign_key, indicator_key, status"
)


def upgrade() -> None:
    op.create_table(
        "stat_unit_campaign",
        sa.Column("unit_key", sa.Uuid(), nullable=False),
        sa.Column("campaign_key", sa.Uuid(), nullable=False),
        sa.Column("indicator_key", sa.Uuid(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("activities", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_key",
            "campaign_key",
            "indicator_key",
            "status",
            name=op.f("pk_stat_unit_campaign"),
        ),
    )
    op.execute(FILL_UNIT_CAMPAIGN)


def downgrade() -> None:
    op.drop_table("stat_unit_campaign")
