"""members erased on request stay in the reports that counted them (activity_member
loses its foreign key to member), and audit events of writes on reports of closed units
name the successor they went through (audit_event.via_unit_id)

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
    with op.batch_alter_table("activity_member", schema=None) as batch_op:
        batch_op.drop_constraint("fk_activity_member_member_id_member", type_="foreignkey")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via_unit_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("via_unit_id")
    # Ids of erased members have no member row to point at any more: they go, as the
    # foreign key's cascade would have taken them.
    op.execute("DELETE FROM activity_member WHERE member_id NOT IN (SELECT id FROM member)")
    with op.batch_alter_table("activity_member", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_activity_member_member_id_member",
            "member",
            ["member_id"],
            ["id"],
            ondelete="CASCADE",
        )
