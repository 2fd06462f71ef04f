"""team name order: an index on the lists' default order

Revision ID: 4d2b8e6f1a93
Revises: c0e7a4d9b215
Create Date: 2026-12-05 22:30:00.000000

A province's teams list sorted by name read every team of the country (a hash join) to
sort the province's 4,679; with ``(name_key, id)`` its first page walks the index and
stops at 50 (33 → 4.5 ms on the national set).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4d2b8e6f1a93"
down_revision: str | None = "c0e7a4d9b215"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_team_name_key", "team", ["name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_team_name_key", table_name="team")
