"""Request and response models of ``/support-requests``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cnscd_api.catalogue.schemas import CatalogueCode
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
from cnscd_api.models import SupportRequestStatus

Organisation = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PlainText
]
Notes = Annotated[str, StringConstraints(max_length=4000), MultilineText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000), MultilineText
]
People = Annotated[int, Field(ge=1, le=100_000), JsonInteger]
Staff = Annotated[int, Field(ge=1, le=1000), JsonInteger]
MAX_WINDOW_DAYS = 366
STATUS_DESCRIPTION = (
    "requested (waiting for the partner), accepted (the partner comes on `scheduled_on` "
    "with `staff_count` staff), declined (by the partner, with a reason), done (the "
    "partner's staff came) or cancelled (withdrawn by the requesting side, with a reason)."
)


class SupportRequestSort(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    WANTED_FROM = "wanted_from"
    WANTED_FROM_DESC = "-wanted_from"


class SupportRequestFilters(BaseModel):
    status: SupportRequestStatus | None = Field(default=None, description=STATUS_DESCRIPTION)
    organisation: str | None = Field(
        default=None, max_length=200, description="Only requests to this organisation."
    )
    unit_id: uuid.UUID | None = Field(
        default=None, description="Only requests for places in this unit's subtree."
    )


class _Window(BaseModel):
    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        wanted_from: date | None = getattr(self, "wanted_from", None)
        wanted_to: date | None = getattr(self, "wanted_to", None)
        if wanted_from is not None and wanted_to is not None:
            if wanted_to < wanted_from:
                raise invalid(
                    "ends_before_start", "ends_before_start", at="wanted_to", starts_on=wanted_from
                )
            if (wanted_to - wanted_from).days > MAX_WINDOW_DAYS:
                raise invalid(
                    "window_too_long", "window_too_long", at="wanted_to", days=MAX_WINDOW_DAYS
                )
        return self


REQUEST_EXAMPLE: dict[str, Any] = {
    "organisation": "VNPT Kon Tum",
    "unit_id": examples.VILLAGE_ID,
    "wanted_from": "2030-10-01",
    "wanted_to": "2030-10-05",
    "categories": ["vneid", "cashless_payment"],
    "expected_people": 60,
    "contact_name": "A Nhong",
    "phone": "0912345678",
    "notes": "Nhà văn hoá thôn, buổi sáng",
}


class SupportRequestCreate(_Window):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [REQUEST_EXAMPLE]})

    organisation: Organisation = Field(
        description="The partner asked: the organisation its API clients and users carry.",
        examples=["VNPT Kon Tum"],
    )
    unit_id: uuid.UUID = Field(description="Where: a commune or village in your scope.")
    team_id: uuid.UUID | None = Field(
        default=None,
        description="The team asking (a team leader's own team by default); in the place's "
        "commune.",
    )
    wanted_from: IsoDate = Field(description="First day the staff are wanted.")
    wanted_to: IsoDate = Field(description="Last day (inclusive); at most a year after.")
    categories: list[CatalogueCode] = Field(
        min_length=1,
        max_length=20,
        description="What for: content category codes of the catalogue.",
        examples=[["vneid", "cashless_payment"]],
    )
    expected_people: People = Field(description="How many people are expected to be served.")
    contact_name: PersonName = Field(description="Whom the partner calls on the ground.")
    phone: MobilePhone | None = Field(default=None, description="The contact's phone.")
    notes: Notes | None = None


class SupportRequestUpdate(_Window):
    """What the requesting side may still change while the request waits for an answer."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"expected_people": 80}]}
    )

    wanted_from: IsoDate | None = None
    wanted_to: IsoDate | None = None
    categories: list[CatalogueCode] | None = Field(default=None, min_length=1, max_length=20)
    expected_people: People | None = None
    contact_name: PersonName | None = None
    phone: MobilePhone | None = None
    notes: Notes | None = None


class SupportRequestAccept(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scheduled_on": "2030-10-02", "staff_count": 2}]},
    )

    scheduled_on: IsoDate = Field(
        description="The day the staff come: a day of the wanted window confirms it, "
        "another day is a proposal the requesting side sees as `date_proposed`."
    )
    staff_count: Staff = Field(description="How many staff come.")
    notes: Notes | None = Field(default=None, description="Replaces the notes when given.")


class SupportRequestSchedule(BaseModel):
    """A new day or staff count for an accepted request."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scheduled_on": "2030-10-03", "staff_count": 3}]},
    )

    scheduled_on: IsoDate | None = None
    staff_count: Staff | None = None


class SupportRequestReason(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Không đủ nhân viên trong tuần này"}]},
    )

    reason: Reason = Field(examples=["Không đủ nhân viên trong tuần này"])


class SupportRequestComplete(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"staff_count": 2}]})

    staff_count: Staff | None = Field(
        default=None, description="How many staff came, if not as scheduled."
    )


class SupportRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation: str
    unit_id: uuid.UUID
    unit_name: str
    team_id: uuid.UUID | None
    wanted_from: date
    wanted_to: date
    categories: list[str]
    expected_people: int
    contact_name: str
    phone: str | None = Field(description="Masked unless you may see it.")
    notes: str | None
    status: SupportRequestStatus = Field(description=STATUS_DESCRIPTION)
    scheduled_on: date | None
    date_proposed: bool = Field(
        description="The partner scheduled a day outside the wanted window."
    )
    staff_count: int | None
    reason: str | None = Field(description="Why it was declined or cancelled.")
    requested_by_name: str
    answered_by_name: str | None
    answered_at: datetime | None
    done_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
