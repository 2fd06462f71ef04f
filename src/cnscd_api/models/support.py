"""Partners' help on the ground: support requests (a team asks a telecom partner for
staff) and the households without a smartphone (counts of need, and referrals of single
households to an operator).

A support request names the partner by its organisation (``organisation``, the same
text as its API clients' and users' organisation), and a place (a commune or a village)
whose subtree decides who reads it. Referrals keep the least personal data the operator
needs (the household head's name, the village, a phone) and are deleted after
``retain_until`` (``cnscd housekeeping``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from cnscd_api.models.base import UTCDateTime, Versioned, enum_column


class SupportRequestStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the partner's answer
    ACCEPTED = "accepted"  # the partner comes, on ``scheduled_on`` with ``staff_count``
    DECLINED = "declined"  # the partner cannot (``reason``)
    DONE = "done"  # the partner's staff came
    CANCELLED = "cancelled"  # the requesting side withdrew it (``reason``)


class SupportRequest(Versioned, table=True):
    __tablename__ = "support_request"
    __audited__ = (
        "organisation",
        "unit_id",
        "team_id",
        "wanted_from",
        "wanted_to",
        "categories",
        "expected_people",
        "contact_name",
        "phone",
        "notes",
        "status",
        "scheduled_on",
        "staff_count",
        "reason",
    )
    __table_args__ = (
        sa.CheckConstraint("expected_people >= 1", name="expected_people_positive"),
        sa.CheckConstraint("staff_count IS NULL OR staff_count >= 1", name="staff_positive"),
        sa.CheckConstraint("wanted_to >= wanted_from", name="window_ordered"),
        sa.Index("ix_support_request_organisation_status", "organisation", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation: str = Field(max_length=200)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    team_id: uuid.UUID | None = Field(
        default=None, foreign_key="team.id", index=True, ondelete="RESTRICT"
    )
    wanted_from: date
    wanted_to: date
    categories: list[str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    expected_people: int
    contact_name: str = Field(max_length=200)
    # The contact's phone: personal data, masked for readers who may not see it.
    phone: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=4000)
    status: SupportRequestStatus = Field(
        default=SupportRequestStatus.REQUESTED,
        sa_column=enum_column(SupportRequestStatus, nullable=False, index=True),
    )
    scheduled_on: date | None = None
    staff_count: int | None = None
    reason: str | None = Field(default=None, max_length=1000)
    requested_by_name: str = Field(max_length=200)
    answered_by_name: str | None = Field(default=None, max_length=200)
    answered_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    done_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    is_demo: bool = False


class DeviceNeed(Versioned, table=True):
    """One count, by a team, of the households of a village (or commune) without a
    smartphone; the latest count of a unit is its need."""

    __tablename__ = "device_need"
    __audited__ = (
        "unit_id",
        "counted_on",
        "households_without_smartphone",
        "poor",
        "near_poor",
        "counted_by",
        "notes",
    )
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "counted_on"),
        sa.CheckConstraint("poor >= 0 AND near_poor >= 0", name="counts_not_negative"),
        sa.CheckConstraint(
            "poor + near_poor <= households_without_smartphone", name="poor_within_total"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    counted_on: date
    households_without_smartphone: int
    poor: int
    near_poor: int
    counted_by: str = Field(max_length=200, description="Who counted: a team or a person.")
    notes: str | None = Field(default=None, max_length=4000)
    recorded_by_name: str = Field(max_length=200)
    is_demo: bool = False


class Poverty(StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"


class ReferralStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    REFUSED = "refused"


class DeviceReferral(Versioned, table=True):
    """One household handed to an operator for a phone with a service package."""

    __tablename__ = "device_referral"
    __audited__ = (
        "organisation",
        "unit_id",
        "household_head",
        "phone",
        "poverty",
        "consent_on",
        "status",
        "device",
        "package",
        "reason",
        "retain_until",
    )
    __table_args__ = (sa.Index("ix_device_referral_organisation_status", "organisation", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation: str = Field(max_length=200)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    household_head: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    poverty: Poverty = Field(sa_column=enum_column(Poverty, nullable=False))
    consent_on: date = Field(description="The day the household agreed to be referred.")
    status: ReferralStatus = Field(
        default=ReferralStatus.REQUESTED,
        sa_column=enum_column(ReferralStatus, nullable=False, index=True),
    )
    device: str | None = Field(default=None, max_length=200)
    package: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=1000)
    delivered_on: date | None = None
    retain_until: date = Field(index=True)
    referred_by_name: str = Field(max_length=200)
    is_demo: bool = False
