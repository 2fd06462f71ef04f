"""token generation address budget

Tokens carry the account's token generation (``user_account.token_generation``, and
``refresh_token.generation`` for refresh tokens), so that ending an account's sessions
kills every token issued before for good. Login throttling per client address moves from
a hard lock in ``login_throttle`` to a draining failure budget in ``login_address_budget``;
``login_throttle`` keeps the per-username counters and remembers when a username's
success last paid back its address.

Revision ID: 79f2705f6c7c
Revises: 5b833bda5698
Create Date: 2026-11-29 07:05:23.093467
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cnscd_api.models.base import UTCDateTime

revision: str = "79f2705f6c7c"
down_revision: str | None = "5b833bda5698"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_address_budget",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("debt_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_address_budget")),
    )
    # The old per-address counters (``addr:<ip>``) have no meaning in the new scheme.
    op.execute(sa.text("DELETE FROM login_throttle WHERE key LIKE 'addr:%'"))
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credited_at", UTCDateTime(), nullable=True))

    # Existing rows get generation 0, which is what tokens issued so far are treated as.
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_generation", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("token_generation")

    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_column("generation")

    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_column("credited_at")

    op.drop_table("login_address_budget")
