"""Request and response models of ``/campaigns``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cnscd_api.catalogue.schemas import CatalogueCode
from cnscd_api.core import examples
from cnscd_api.core.fields import IsoDate, JsonInteger, MultilineText, PlainText, invalid
from cnscd_api.models import CampaignStatus

CAMPAIGN_CODE_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"
CampaignCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=CAMPAIGN_CODE_REGEX), PlainText
]
CampaignName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300), PlainText
]
Description = Annotated[str, StringConstraints(max_length=4000), MultilineText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000), MultilineText
]
TargetValue = Annotated[int, Field(ge=0, le=1_000_000_000), JsonInteger]
MAX_GRACE_DAYS = 60
GraceDays = Annotated[int, Field(ge=0, le=MAX_GRACE_DAYS), JsonInteger]
STATUS_DESCRIPTION = (
    "planned before the first day; active from the first day until the last day on which "
    "reports are accepted (`reporting_until`: the last day plus the grace days); closed "
    "after that, or once closed early."
)


class CampaignSort(StrEnum):
    STARTS_ON = "starts_on"
    STARTS_ON_DESC = "-starts_on"
    NAME = "name"
    NAME_DESC = "-name"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


class CampaignFilters(BaseModel):
    """Query parameters of the campaigns list."""

    status: CampaignStatus | None = Field(default=None, description=STATUS_DESCRIPTION)
    active_on: IsoDate | None = Field(
        default=None, description="Campaigns whose days (first to last) include this date."
    )
    unit_id: uuid.UUID | None = Field(
        default=None,
        description="Campaigns whose scope contains this unit or lies inside it.",
    )
    q: str | None = Field(
        default=None,
        max_length=100,
        description="Accent-insensitive search on the name or the code (`cds-2024`).",
    )


class TrackedIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CatalogueCode = Field(examples=["people_guided"])
    target: TargetValue | None = Field(
        default=None, description="The campaign's own target (its scope unit's), if any."
    )


class CampaignCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "cds-2030-kontum",
                    "name": "Cao điểm chuyển đổi số 2030",
                    "scope_unit_id": examples.PROVINCE_ID,
                    "starts_on": "2030-10-01",
                    "ends_on": "2030-10-10",
                    "grace_days": 5,
                    "categories": ["online_public_services", "vneid"],
                    "indicators": [
                        {"code": "people_guided", "target": 100000},
                        {"code": "vneid_level2_activated", "target": 20000},
                    ],
                }
            ]
        },
    )

    code: CampaignCode = Field(
        description="A short unique code, e.g. the year and the province.",
        examples=["cds-2024-kontum"],
    )
    name: CampaignName = Field(examples=["Cao điểm Ngày Chuyển đổi số quốc gia 2024"])
    description: Description | None = None
    scope_unit_id: uuid.UUID = Field(
        description="A province (province-wide campaign) or a district (district campaign)."
    )
    starts_on: IsoDate = Field(
        description="First day, in Asia/Ho_Chi_Minh.", examples=["2024-10-01"]
    )
    ends_on: IsoDate = Field(description="Last day, in Asia/Ho_Chi_Minh.", examples=["2024-10-10"])
    grace_days: GraceDays = Field(
        default=0,
        description="Days after the last one during which late reports are still accepted.",
    )
    categories: list[CatalogueCode] = Field(
        min_length=1, max_length=50, examples=[["online_public_services", "vneid"]]
    )
    indicators: list[TrackedIndicator] = Field(min_length=1, max_length=50)


class CampaignUpdate(BaseModel):
    """Any field of the campaign but its code and scope. The dates, categories and
    indicators of a closed campaign cannot change (409 `campaign_closed`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"description": "Đi từng ngõ, gõ từng nhà, hướng dẫn từng người dân."}]
        },
    )

    name: CampaignName | None = None
    description: Description | None = None
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    grace_days: GraceDays | None = None
    categories: list[CatalogueCode] | None = Field(default=None, min_length=1, max_length=50)
    indicators: list[TrackedIndicator] | None = Field(default=None, min_length=1, max_length=50)


class CampaignClose(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Kết thúc sớm theo chỉ đạo của Ban chỉ đạo tỉnh"}]
        },
    )

    reason: Reason = Field(examples=["Kết thúc sớm theo chỉ đạo của Ban chỉ đạo tỉnh"])


class CampaignReopen(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Bổ sung báo cáo của các xã vùng sâu", "until": "2099-12-31"}]
        },
    )

    reason: Reason = Field(examples=["Bổ sung báo cáo của các xã vùng sâu"])
    until: IsoDate | None = Field(
        default=None,
        description="The last day reports are accepted again; required when the campaign's "
        "own reporting days are over.",
    )


class CategoryRef(BaseModel):
    code: str
    name: str
    name_vi: str
    name_en: str


class IndicatorRef(BaseModel):
    code: str
    name: str
    name_vi: str
    name_en: str
    unit: str
    target: int | None = Field(description="The campaign's own (scope unit's) target.")


class CampaignRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    scope_unit_id: uuid.UUID
    scope_unit_path_names: list[str] = Field(description="Province › district of the scope.")
    starts_on: date
    ends_on: date
    grace_days: int
    reporting_until: date = Field(description="The last day on which reports are accepted.")
    status: CampaignStatus = Field(description=STATUS_DESCRIPTION)
    closed_at: datetime | None = Field(description="When it was closed early, if it was.")
    closed_reason: str | None
    categories: list[CategoryRef]
    indicators: list[IndicatorRef]
    version: int
    created_at: datetime
    updated_at: datetime


class CampaignSummary(BaseModel):
    """A campaign in a list (without its categories and indicators)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    scope_unit_id: uuid.UUID
    scope_unit_path_names: list[str]
    starts_on: date
    ends_on: date
    grace_days: int
    reporting_until: date
    status: CampaignStatus = Field(description=STATUS_DESCRIPTION)
    version: int
    created_at: datetime
    updated_at: datetime


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID = Field(description="A direct child of the set's unit.")
    indicator: CatalogueCode = Field(examples=["people_guided"])
    value: TargetValue


class TargetSetWrite(BaseModel):
    """Every target one unit gives its direct children: the set replaces the previous one
    (a child or indicator left out has no target any more)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "unit_id": examples.PROVINCE_ID,
                    "targets": [
                        {
                            "unit_id": examples.DISTRICT_ID,
                            "indicator": "people_guided",
                            "value": 100,
                        }
                    ],
                }
            ]
        },
    )

    unit_id: uuid.UUID | None = Field(
        default=None, description="The parent unit; defaults to the campaign's scope unit."
    )
    targets: list[TargetIn] = Field(max_length=20_000)

    @model_validator(mode="after")
    def _one_value_each(self) -> TargetSetWrite:
        seen: set[tuple[uuid.UUID, str]] = set()
        for index, target in enumerate(self.targets):
            key = (target.unit_id, target.indicator)
            if key in seen:
                raise invalid("duplicate_target", index=index)
            seen.add(key)
        return self


class ChildTargets(BaseModel):
    unit_id: uuid.UUID
    unit_name: str
    targets: dict[str, int] = Field(description="Target per indicator code; unset ones absent.")


class TargetSetRead(BaseModel):
    campaign_id: uuid.UUID
    unit_id: uuid.UUID = Field(description="The parent unit whose split this is.")
    unit_name: str
    version: int = Field(description="0 while the unit has set no targets; the ETag quotes it.")
    limits: dict[str, int] = Field(
        description="The unit's own target per indicator: what its children's sum may reach."
    )
    children: list[ChildTargets]
