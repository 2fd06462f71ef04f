"""support requests to partners (support_request), households without a smartphone
(device_need, device_referral), and the request an activity served
(activity.support_request_id)

Revision ID: 9c4e1d7a2b58
Revises: a21e0b5d7c01
Create Date: 2026-12-05 01:02:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cnscd_api.models.base import UTCDateTime

revision: str = "9c4e1d7a2b58"
down_revision: str | None = "a21e0b5d7c01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_need",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("households_without_smartphone", sa.Integer(), nullable=False),
        sa.Column("poor", sa.Integer(), nullable=False),
        sa.Column("near_poor", sa.Integer(), nullable=False),
        sa.Column("counted_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("recorded_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "poor + near_poor <= households_without_smartphone",
            name=op.f("ck_device_need_poor_within_total"),
        ),
        sa.CheckConstraint(
            "poor >= 0 AND near_poor >= 0", name=op.f("ck_device_need_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_device_need_unit_id_unit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_need")),
        sa.UniqueConstraint(
            "unit_id", "counted_on", name=op.f("uq_device_need_unit_id_counted_on")
        ),
    )
    with op.batch_alter_table("device_need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_need_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "device_referral",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("household_head", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column(
            "poverty",
            sa.Enum("poor", "near_poor", name="poverty", native_enum=False),
            nullable=False,
        ),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "accepted",
                "delivered",
                "refused",
                name="referralstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("package", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("referred_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_device_referral_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_referral")),
    )
    with op.batch_alter_table("device_referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_referral_organisation_status", ["organisation", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_device_referral_retain_until"), ["retain_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_device_referral_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_referral_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "support_request",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("wanted_from", sa.Date(), nullable=False),
        sa.Column("wanted_to", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("expected_people", sa.Integer(), nullable=False),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "accepted",
                "declined",
                "done",
                "cancelled",
                name="supportrequeststatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("staff_count", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column(
            "requested_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("answered_by_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "expected_people >= 1", name=op.f("ck_support_request_expected_people_positive")
        ),
        sa.CheckConstraint(
            "staff_count IS NULL OR staff_count >= 1",
            name=op.f("ck_support_request_staff_positive"),
        ),
        sa.CheckConstraint(
            "wanted_to >= wanted_from", name=op.f("ck_support_request_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_support_request_team_id_team"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_support_request_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_request")),
    )
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_request_organisation_status", ["organisation", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_support_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("support_request_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_activity_support_request_id"), ["support_request_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_support_request_id_support_request"),
            "support_request",
            ["support_request_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_activity_support_request_id_support_request"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_activity_support_request_id"))
        batch_op.drop_column("support_request_id")

    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_request_unit_id"))
        batch_op.drop_index(batch_op.f("ix_support_request_team_id"))
        batch_op.drop_index(batch_op.f("ix_support_request_status"))
        batch_op.drop_index("ix_support_request_organisation_status")

    op.drop_table("support_request")
    with op.batch_alter_table("device_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_referral_unit_id"))
        batch_op.drop_index(batch_op.f("ix_device_referral_status"))
        batch_op.drop_index(batch_op.f("ix_device_referral_retain_until"))
        batch_op.drop_index("ix_device_referral_organisation_status")

    op.drop_table("device_referral")
    with op.batch_alter_table("device_need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_need_unit_id"))

    op.drop_table("device_need")
