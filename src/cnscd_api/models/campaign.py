"""What teams guide people in (content categories), what they count (indicators), the
peak campaigns that gather both over a window of days, and the targets each tier sets.

Categories and indicators are catalogue data with stable codes: a code never changes
and a retired entry stays readable for the reports that used it. A campaign belongs to
a scope unit (a province, or a district for a district campaign); its own targets are
its scope unit's, and every tier splits its targets among its direct children
(``CampaignTarget``), each split versioned as a set (``CampaignTargetSet``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import (
    UTCDateTime,
    Versioned,
    collation_key_column,
    timestamp_column,
    utcnow,
)


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class ContentCategory(Versioned, table=True):
    __tablename__ = "content_category"
    __audited__ = ("code", "name_vi", "name_en", "description", "retired")

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name_vi: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    position: int = Field(default=0, description="Order in lists (the 2024 peak's 1–6 first).")
    retired: bool = False


class Indicator(Versioned, table=True):
    __tablename__ = "indicator"
    __audited__ = ("code", "name_vi", "name_en", "unit_vi", "unit_en", "retired")

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name_vi: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    unit_vi: str = Field(max_length=64, description="What is counted: người, hộ, tài khoản …")
    unit_en: str = Field(max_length=64)
    position: int = 0
    retired: bool = False


class IndicatorCategory(SQLModel, table=True):
    """An indicator belongs to the categories whose activities may report it."""

    __tablename__ = "indicator_category"

    indicator_id: uuid.UUID = Field(
        foreign_key="indicator.id", primary_key=True, ondelete="CASCADE"
    )
    category_id: uuid.UUID = Field(
        foreign_key="content_category.id", primary_key=True, index=True, ondelete="RESTRICT"
    )


class Campaign(Versioned, table=True):
    __tablename__ = "campaign"
    __collation_keys__: ClassVar[dict[str, str]] = {"name_key": "name"}
    __audited__ = (
        "code",
        "name",
        "description",
        "scope_unit_id",
        "starts_on",
        "ends_on",
        "grace_days",
        "closed_at",
        "closed_reason",
        "reopened_until",
    )
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        sa.CheckConstraint("grace_days >= 0", name="grace_not_negative"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    search_name: str = Field(max_length=300)
    name_key: bytes = Field(sa_column=collation_key_column("name"))
    description: str | None = Field(default=None, max_length=4000)
    scope_unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    starts_on: date = Field(index=True)
    ends_on: date = Field(index=True)
    grace_days: int = 0
    # The last day reports are accepted: ends_on + grace_days, or later when a closed
    # campaign is reopened; kept with every write so status needs no date arithmetic.
    reporting_until: date = Field(index=True)
    reopened_until: date | None = None
    closed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    closed_reason: str | None = Field(default=None, max_length=1000)
    is_demo: bool = False


class CampaignCategory(SQLModel, table=True):
    __tablename__ = "campaign_category"

    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    category_id: uuid.UUID = Field(
        foreign_key="content_category.id", primary_key=True, ondelete="RESTRICT"
    )


class CampaignIndicator(SQLModel, table=True):
    """An indicator a campaign tracks, with the campaign's own target for it (its scope
    unit's), if one is set."""

    __tablename__ = "campaign_indicator"
    __table_args__ = (
        sa.CheckConstraint("target IS NULL OR target >= 0", name="target_not_negative"),
    )

    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    indicator_id: uuid.UUID = Field(
        foreign_key="indicator.id", primary_key=True, ondelete="RESTRICT"
    )
    target: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))


class CampaignTargetSet(SQLModel, table=True):
    """The targets one parent unit gave its direct children in a campaign, versioned as
    a whole: ``PUT …/targets`` replaces the set and answers its ETag."""

    __tablename__ = "campaign_target_set"

    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    parent_unit_id: uuid.UUID = Field(foreign_key="unit.id", primary_key=True, ondelete="RESTRICT")
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class CampaignTarget(SQLModel, table=True):
    """One child unit's target for one indicator in a campaign."""

    __tablename__ = "campaign_target"
    __table_args__ = (
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.Index("ix_campaign_target_campaign_parent", "campaign_id", "parent_unit_id"),
    )

    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    unit_id: uuid.UUID = Field(foreign_key="unit.id", primary_key=True, ondelete="RESTRICT")
    indicator_id: uuid.UUID = Field(
        foreign_key="indicator.id", primary_key=True, ondelete="RESTRICT"
    )
    parent_unit_id: uuid.UUID = Field(foreign_key="unit.id", ondelete="RESTRICT")
    value: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
