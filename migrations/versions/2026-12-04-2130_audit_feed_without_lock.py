"""audit events numbered without a lock shared by every writer: on PostgreSQL from a
sequence, with the writing transaction's id (audit_event.xact_id) for the feed's order

Revision ID: 3f6b2d8e1c47
Revises: 7d4e2a91c6b3
Create Date: 2026-12-04 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6b2d8e1c47"
down_revision: str | None = "7d4e2a91c6b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xact_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_audit_event_feed", ["xact_id", "sequence"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Events numbered so far are all settled: they come first, in their order.
        op.execute("UPDATE audit_event SET xact_id = 0")
        op.execute("CREATE SEQUENCE audit_event_sequence AS bigint")
        op.execute(
            "SELECT setval('audit_event_sequence', "
            "(SELECT last_value FROM audit_sequence WHERE id = 1) + 1, false)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE audit_sequence SET last_value = "
            "(SELECT COALESCE(max(sequence), 0) FROM audit_event) WHERE id = 1"
        )
        op.execute("DROP SEQUENCE audit_event_sequence")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_feed")
        batch_op.drop_column("xact_id")
