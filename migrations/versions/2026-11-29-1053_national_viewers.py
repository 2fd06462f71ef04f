"""national viewers: a viewer may have no scope unit (the whole country)

Revision ID: 6fd9394b4b78
Revises: 4f0f39e0321f
Create Date: 2026-11-29 10:53:48.449671
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6fd9394b4b78"
down_revision: str | None = "4f0f39e0321f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("scope_unit_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_check_constraint(
            "only_viewers_national", "scope_unit_id IS NOT NULL OR role = 'viewer'"
        )


def downgrade() -> None:
    op.execute("DELETE FROM user_account WHERE scope_unit_id IS NULL")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("only_viewers_national", type_="check")
        batch_op.alter_column("scope_unit_id", existing_type=sa.Uuid(), nullable=False)
