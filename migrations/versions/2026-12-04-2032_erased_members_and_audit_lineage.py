"""audit events of writes on reports of closed units name the successor they went
through (audit_event.via_unit_id)

Revision ID: 7d2f4a9c1e63
Revises: 5c1e0b7d9a42
Create Date: 2026-12-04 20:32:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2f4a9c1e63"
down_revision: str | None = "5c1e0b7d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via_unit_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("via_unit_id")
