"""Request and response models of ``/device-needs`` and ``/device-referrals``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cnscd_api.core import examples
from cnscd_api.core.fields import (
    IsoDate,
    JsonInteger,
    MobilePhone,
    MultilineText,
    PersonName,
    PlainText,
    invalid,
)
from cnscd_api.models import Poverty, ReferralStatus

Households = Annotated[int, Field(ge=0, le=1_000_000), JsonInteger]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
Notes = Annotated[str, StringConstraints(max_length=4000), MultilineText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000), MultilineText
]
REFERRAL_STATUS_DESCRIPTION = (
    "requested (handed to the operator), accepted (the operator will serve it), delivered "
    "(a phone and a package handed over) or refused (by the operator, with a reason)."
)


# --- device needs ---------------------------------------------------------------------------


class _PoorWithinTotal(BaseModel):
    @model_validator(mode="after")
    def _within(self) -> _PoorWithinTotal:
        total = getattr(self, "households_without_smartphone", None)
        poor, near_poor = getattr(self, "poor", None), getattr(self, "near_poor", None)
        if None not in (total, poor, near_poor) and poor + near_poor > total:  # type: ignore[operator]
            raise invalid("poor_exceeds_total", "poor_exceeds_total", at="poor")
        return self


class DeviceNeedCreate(_PoorWithinTotal):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "unit_id": examples.VILLAGE_ID,
                    "counted_on": "2024-10-05",
                    "households_without_smartphone": 42,
                    "poor": 18,
                    "near_poor": 9,
                    "counted_by": "Tổ CNSCĐ thôn Đắk Ung",
                }
            ]
        },
    )

    unit_id: uuid.UUID = Field(description="The village (or commune) counted, in your scope.")
    counted_on: IsoDate = Field(description="The day of the count; not in the future.")
    households_without_smartphone: Households
    poor: Households = Field(description="Of which poor households (Circular 14/2022).")
    near_poor: Households = Field(description="Of which near-poor households.")
    counted_by: Label = Field(description="Who counted: the team, or a person's name.")
    notes: Notes | None = None


class DeviceNeedUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"households_without_smartphone": 45}]}
    )

    households_without_smartphone: Households | None = None
    poor: Households | None = None
    near_poor: Households | None = None
    counted_by: Label | None = None
    notes: Notes | None = None


class DeviceNeedFilters(BaseModel):
    unit_id: uuid.UUID | None = Field(
        default=None, description="Only counts of units in this unit's subtree."
    )


class DeviceNeedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    counted_on: date
    households_without_smartphone: int
    poor: int
    near_poor: int
    counted_by: str
    notes: str | None
    recorded_by_name: str
    version: int
    created_at: datetime
    updated_at: datetime


# --- device referrals -----------------------------------------------------------------------


class DeviceReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "organisation": "VNPT Kon Tum",
                    "unit_id": examples.VILLAGE_ID,
                    "household_head": "A Nhong",
                    "phone": "0912345678",
                    "poverty": "poor",
                    "consent_on": "2024-10-05",
                }
            ]
        },
    )

    organisation: Label = Field(description="The operator the household is handed to.")
    unit_id: uuid.UUID = Field(description="The household's village (or commune).")
    household_head: PersonName = Field(description="The household head's name; nothing more.")
    phone: MobilePhone | None = Field(default=None, description="A phone to reach them, if any.")
    poverty: Poverty = Field(description="`poor` or `near_poor`: what makes them eligible.")
    consent_on: IsoDate = Field(
        description="The day the household agreed to be handed to the operator (required: "
        "no referral without consent); not in the future."
    )


class ReferralDelivery(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "device": "Smartphone 4G (hỗ trợ theo Thông tư 14/2022)",
                    "package": "Gói cước 12 tháng",
                    "delivered_on": "2024-10-20",
                }
            ]
        },
    )

    device: Label
    package: Label
    delivered_on: IsoDate = Field(description="Not in the future.")


class ReferralRefusal(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Hộ đã nhận hỗ trợ từ chương trình khác"}]},
    )

    reason: Reason


class ReferralAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class DeviceReferralFilters(BaseModel):
    status: ReferralStatus | None = Field(default=None, description=REFERRAL_STATUS_DESCRIPTION)
    unit_id: uuid.UUID | None = Field(
        default=None, description="Only households of this unit's subtree."
    )


class DeviceReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation: str
    unit_id: uuid.UUID
    unit_name: str
    household_head: str
    phone: str | None
    poverty: Poverty
    consent_on: date
    status: ReferralStatus = Field(description=REFERRAL_STATUS_DESCRIPTION)
    device: str | None
    package: str | None
    reason: str | None
    delivered_on: date | None
    retain_until: date = Field(
        description="The day the referral is deleted (`cnscd housekeeping`): a year after "
        "it was made."
    )
    referred_by_name: str
    version: int
    created_at: datetime
    updated_at: datetime
