"""allowances: rules per province, monthly statements, teams paid once a month

Revision ID: 57f171c81c6b
Revises: 9c4e1d7a2b58
Create Date: 2026-12-05 01:03:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cnscd_api.models.base import UTCDateTime

revision: str = "57f171c81c6b"
down_revision: str | None = "9c4e1d7a2b58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allowance_rule",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("province_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column(
            "resolution_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column("resolution_date", sa.Date(), nullable=False),
        sa.Column("per_team_month", sa.BigInteger(), nullable=True),
        sa.Column("team_must_report", sa.Boolean(), nullable=False),
        sa.Column("per_member_month", sa.BigInteger(), nullable=True),
        sa.Column("per_person_day", sa.BigInteger(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(per_team_month IS NULL OR per_team_month >= 0) AND "
            "(per_member_month IS NULL OR per_member_month >= 0) AND "
            "(per_person_day IS NULL OR per_person_day >= 0)",
            name=op.f("ck_allowance_rule_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["province_id"],
            ["unit.id"],
            name=op.f("fk_allowance_rule_province_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_rule")),
        sa.UniqueConstraint(
            "province_id",
            "effective_from",
            name=op.f("uq_allowance_rule_province_id_effective_from"),
        ),
    )
    with op.batch_alter_table("allowance_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allowance_rule_province_id"), ["province_id"], unique=False
        )

    op.create_table(
        "allowance_statement",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("prepared", "approved", name="statementstatus", native_enum=False),
            nullable=False,
        ),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("prepared_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("prepared_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "prepared_role",
            sa.Enum(
                "province_admin",
                "district_officer",
                "commune_officer",
                "team_leader",
                "partner",
                "viewer",
                name="role",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("prepared_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("reopen_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_allowance_statement_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_statement")),
        sa.UniqueConstraint("unit_id", "month", name=op.f("uq_allowance_statement_unit_id_month")),
    )
    with op.batch_alter_table("allowance_statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allowance_statement_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_allowance_statement_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_allowance_statement_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "allowance_paid_team",
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["allowance_statement.id"],
            name=op.f("fk_allowance_paid_team_statement_id_allowance_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "team_id", name=op.f("pk_allowance_paid_team")),
        sa.UniqueConstraint("team_id", "month", name=op.f("uq_allowance_paid_team_team_id_month")),
    )


def downgrade() -> None:
    op.drop_table("allowance_paid_team")
    with op.batch_alter_table("allowance_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowance_statement_unit_id"))
        batch_op.drop_index(batch_op.f("ix_allowance_statement_status"))
        batch_op.drop_index(batch_op.f("ix_allowance_statement_month"))

    op.drop_table("allowance_statement")
    with op.batch_alter_table("allowance_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowance_rule_province_id"))

    op.drop_table("allowance_rule")
