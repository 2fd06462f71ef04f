"""housekeeping: indexes by expiry on the tables `cnscd housekeeping` trims
(refresh_token.expires_at, login_throttle.window_started_at,
login_address_budget.debt_until; idempotency_record.expires_at has one already)

Revision ID: f50f9df1f793
Revises: 7d2f4a9c1e63
Create Date: 2026-12-04 20:55:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f50f9df1f793"
down_revision: str | None = "7d2f4a9c1e63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("refresh_token", "expires_at"),
    ("login_throttle", "window_started_at"),
    ("login_address_budget", "debt_until"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
