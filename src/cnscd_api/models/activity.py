"""Activities (hoạt động): what a team did on a day, where, in which contents, who took
part and how many people it helped per indicator; and their review up the tiers.

An activity keeps the unit (``unit_id``, the place) and the team of its date: when the
map changes later, reports keep pointing at the units that existed when they were made.
``content_hash`` fingerprints what the recorder sent (team, date, place, contents,
members, values, campaign, partner, description), so that a phone re-sending an offline
batch can be told "unchanged" or "conflict" without comparing field by field.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import UTCDateTime, Versioned, enum_column
from cnscd_api.models.user import Role


class ActivityStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Activity(Versioned, table=True):
    __tablename__ = "activity"
    __audited__ = (
        "team_id",
        "unit_id",
        "activity_date",
        "campaign_id",
        "organisation",
        "partner_staff",
        "support_request_id",
        "description",
        "status",
        "rejection_reason",
    )
    __table_args__ = (
        sa.CheckConstraint(
            "partner_staff IS NULL OR partner_staff >= 0", name="staff_not_negative"
        ),
        sa.Index("ix_activity_team_date", "team_id", "activity_date"),
        sa.Index("ix_activity_campaign_status", "campaign_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="team.id", ondelete="RESTRICT")
    unit_id: uuid.UUID = Field(
        foreign_key="unit.id", index=True, ondelete="RESTRICT", description="Where: the place."
    )
    activity_date: date = Field(index=True)
    campaign_id: uuid.UUID | None = Field(
        default=None, foreign_key="campaign.id", ondelete="RESTRICT"
    )
    organisation: str | None = Field(
        default=None, max_length=200, index=True, description="The supporting partner, if any."
    )
    partner_staff: int | None = None
    support_request_id: uuid.UUID | None = Field(
        default=None,
        foreign_key="support_request.id",
        index=True,
        ondelete="RESTRICT",
        description="The partner's support request this activity served.",
    )
    description: str | None = Field(default=None, max_length=4000)
    status: ActivityStatus = Field(
        default=ActivityStatus.SUBMITTED,
        sa_column=enum_column(ActivityStatus, nullable=False, index=True),
    )
    rejection_reason: str | None = Field(default=None, max_length=1000)
    recorded_by_user_id: uuid.UUID | None = Field(default=None, index=True)
    recorded_by_client_id: uuid.UUID | None = Field(default=None)
    recorded_by_name: str = Field(max_length=200)
    # The recorder's role when recording: who may approve depends on it.
    recorded_role: Role = Field(sa_column=enum_column(Role, nullable=False))
    reviewed_by_user_id: uuid.UUID | None = Field(default=None)
    reviewed_by_name: str | None = Field(default=None, max_length=200)
    reviewed_role: Role | None = Field(default=None, sa_column=enum_column(Role, nullable=True))
    reviewed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    content_hash: str = Field(max_length=64)
    is_demo: bool = False


class ActivityCategory(SQLModel, table=True):
    __tablename__ = "activity_category"

    activity_id: uuid.UUID = Field(foreign_key="activity.id", primary_key=True, ondelete="CASCADE")
    category_id: uuid.UUID = Field(
        foreign_key="content_category.id", primary_key=True, index=True, ondelete="RESTRICT"
    )


class ActivityMember(SQLModel, table=True):
    """A member who took part in an activity. ``member_id`` has no foreign key: a member
    erased on request (Law 91/2025) stays in the reports that counted them as a bare id,
    which names nobody once the member row is gone, so that no report changes."""

    __tablename__ = "activity_member"

    activity_id: uuid.UUID = Field(foreign_key="activity.id", primary_key=True, ondelete="CASCADE")
    member_id: uuid.UUID = Field(primary_key=True, index=True)


class ActivityValue(SQLModel, table=True):
    """How many an activity counted for one indicator."""

    __tablename__ = "activity_value"
    __table_args__ = (sa.CheckConstraint("value >= 0", name="value_not_negative"),)

    activity_id: uuid.UUID = Field(foreign_key="activity.id", primary_key=True, ondelete="CASCADE")
    indicator_id: uuid.UUID = Field(
        foreign_key="indicator.id", primary_key=True, index=True, ondelete="RESTRICT"
    )
    value: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
