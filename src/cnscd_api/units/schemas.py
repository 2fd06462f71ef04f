"""Request and response models of the unit endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core import examples
from cnscd_api.core.fields import OFFICIAL_CODE_REGEX, IsoDate, PlainText
from cnscd_api.models import DivisionType, UnitLevel


class UnitSort(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    CODE = "code"
    CODE_DESC = "-code"
    LEVEL = "level"
    LEVEL_DESC = "-level"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


SearchText = Annotated[
    str | None,
    Field(
        default=None,
        max_length=100,
        description="Case- and accent-insensitive Vietnamese search on the name: "
        "`dak glei` finds `Huyện Đắk Glei`.",
    ),
]


class UnitSearch(BaseModel):
    """Query parameters of a unit's children."""

    q: SearchText = None


class UnitFilters(BaseModel):
    """Query parameters of the units list."""

    level: UnitLevel | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="Direct children of this unit.")
    q: SearchText = None


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str | None = Field(description="Official GSO code; villages usually have none.")
    name: str = Field(examples=["Huyện Đắk Glei"])
    level: UnitLevel
    division_type: DivisionType = Field(
        description="Kind of unit read from its official name: tinh (Tỉnh), "
        "thanh_pho (Thành phố), quan (Quận), huyen (Huyện), thi_xa (Thị xã), phuong (Phường), "
        "xa (Xã), thi_tran (Thị trấn), thon (Thôn), lang (Làng), to_dan_pho (Tổ dân phố), "
        "buon (Buôn), ban (Bản), ap (Ấp), khu_pho (Khu phố)."
    )
    parent_id: uuid.UUID | None
    path_names: list[str] = Field(
        description="Names from the province down to this unit.",
        examples=[["Tỉnh Kon Tum", "Huyện Đắk Glei"]],
    )
    valid_from: date | None = Field(description="Empty when the unit predates the records.")
    valid_to: date | None = Field(description="Empty while the unit exists.")
    households: int | None
    version: int = Field(description="Bumped by every change; the ETag is this number quoted.")
    created_at: datetime
    updated_at: datetime


UnitName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200), PlainText
]
OfficialCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=OFFICIAL_CODE_REGEX), PlainText
]


class UnitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "parent_id": examples.COMMUNE_ID,
                    "name": "Thôn Đắk Ung",
                    "households": 120,
                    "valid_from": "2024-01-01",
                }
            ]
        },
    )

    parent_id: uuid.UUID = Field(
        description="The commune of a new village; the district or province of a new commune."
    )
    name: UnitName = Field(examples=["Thôn Đắk Ung"])
    level: UnitLevel | None = Field(
        default=None,
        description="Defaults to the level below the parent (a village under a commune).",
    )
    division_type: DivisionType | None = Field(
        default=None,
        description="Read from the name when it starts with Thôn, Làng, Tổ dân phố, Xã …",
    )
    code: OfficialCode | None = None
    households: int | None = Field(default=None, ge=0, le=10_000_000)
    valid_from: IsoDate | None = None


class UnitUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"households": 135, "valid_from": "2024-01-01"}]},
    )

    name: UnitName | None = None
    division_type: DivisionType | None = None
    code: OfficialCode | None = None
    households: int | None = Field(default=None, ge=0, le=10_000_000)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
