"""shared kit: versions on units, users and API clients; unit path names; audit sequence

Revision ID: 7c1e0a4d2b91
Revises: 79f2705f6c7c
Create Date: 2026-11-29 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cnscd_api.models.base import UTCDateTime

revision: str = "7c1e0a4d2b91"
down_revision: str | None = "79f2705f6c7c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def _add_version(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def _fill_path_names(connection: sa.Connection) -> None:
    unit = sa.table(
        "unit",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("path", sa.String()),
        sa.column("path_names", sa.JSON()),
    )
    rows = connection.execute(sa.select(unit.c.id, unit.c.name, unit.c.path)).all()
    names = {row.id.hex: row.name for row in rows}
    updates = [
        {"unit_id": row.id, "names": [names[part] for part in row.path.strip("/").split("/")]}
        for row in rows
    ]
    statement = (
        sa.update(unit)
        .where(unit.c.id == sa.bindparam("unit_id"))
        .values(path_names=sa.bindparam("names", type_=sa.JSON()))
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])


def _number_audit_events(connection: sa.Connection) -> int:
    event = sa.table(
        "audit_event",
        sa.column("id", sa.Uuid()),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("sequence", sa.BigInteger()),
    )
    ids = connection.execute(
        sa.select(event.c.id).order_by(event.c.occurred_at, event.c.id)
    ).scalars()
    updates = [{"event_id": event_id, "number": n} for n, event_id in enumerate(ids, start=1)]
    statement = (
        sa.update(event)
        .where(event.c.id == sa.bindparam("event_id"))
        .values(sequence=sa.bindparam("number"))
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])
    return len(updates)


def upgrade() -> None:
    connection = op.get_bind()
    for table in ("unit", "user_account", "api_client"):
        _add_version(table)

    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE api_client SET updated_at = created_at")
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTCDateTime(), nullable=False)

    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path_names", sa.JSON(), nullable=True))
    _fill_path_names(connection)
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.alter_column("path_names", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.BigInteger(), nullable=True))
    numbered = _number_audit_events(connection)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_sequence"), ["sequence"])

    audit_sequence = op.create_table(
        "audit_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_sequence")),
    )
    op.bulk_insert(audit_sequence, [{"id": 1, "last_value": numbered}])


def downgrade() -> None:
    op.drop_table("audit_sequence")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_sequence"), type_="unique")
        batch_op.drop_column("sequence")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("path_names")
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    for table in ("unit", "user_account", "api_client"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
