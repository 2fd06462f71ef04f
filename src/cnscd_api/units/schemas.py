"""Request and response models of the unit endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core import examples
from cnscd_api.core.fields import OFFICIAL_CODE_REGEX, IsoDate, JsonInteger, PlainText
from cnscd_api.models import DivisionType, LineageKind, UnitLevel

Households = Annotated[int, Field(ge=0, le=10_000_000), JsonInteger]


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


ValidOn = Annotated[
    IsoDate | None,
    Field(
        default=None,
        description="The tree of this date (ISO 8601; default today): only units valid "
        "on it. `2024-10-01` shows the map before the 1 July 2025 reform.",
        examples=["2024-10-01"],
    ),
]


class UnitSearch(BaseModel):
    """Query parameters of a unit's children."""

    q: SearchText = None
    valid_on: ValidOn = None


class UnitFilters(BaseModel):
    """Query parameters of the units list."""

    level: UnitLevel | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="Direct children of this unit.")
    q: SearchText = None
    valid_on: ValidOn = None


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
        "buon (Buôn), ban (Bản), ap (Ấp), khu_pho (Khu phố), dac_khu (Đặc khu)."
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
    households: Households | None = None
    valid_from: IsoDate | None = None


class UnitUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"households": 135, "valid_from": "2024-01-01"}]},
    )

    name: UnitName | None = None
    division_type: DivisionType | None = None
    code: OfficialCode | None = None
    households: Households | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class UnitBrief(BaseModel):
    """A unit named in a lineage or a reorganisation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str | None
    name: str
    level: UnitLevel
    valid_from: date | None
    valid_to: date | None


class LineageRead(BaseModel):
    """One step old → new: ``predecessor`` closed the day before ``effective_date``."""

    kind: LineageKind = Field(
        description="merged_into (several units became one), split_from (a divided unit), "
        "renamed, moved (under another parent, or one-to-one into a new tier)."
    )
    predecessor: UnitBrief
    successor: UnitBrief
    effective_date: date
    legal_act: str = Field(examples=["Nghị quyết 1677/NQ-UBTVQH15"])
    is_default: bool = Field(
        description="The successor that received the predecessor's villages, teams and "
        "users (one per predecessor; the others took part of its territory)."
    )
    reorganisation_id: uuid.UUID | None


class UnitLineageRead(BaseModel):
    unit: UnitBrief
    predecessors: list[LineageRead] = Field(description="The units this one came from.")
    successors: list[LineageRead] = Field(description="The units this one became.")


class NewUnit(BaseModel):
    """A unit a reorganisation creates, valid from its effective date."""

    model_config = ConfigDict(extra="forbid")

    name: UnitName = Field(examples=["Xã Đăk Pék"])
    code: OfficialCode | None = None
    division_type: DivisionType | None = Field(
        default=None, description="Read from the name when it starts with Xã, Phường, Thôn …"
    )
    parent_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the parent of the (first) unit it replaces."
    )
    households: Households | None = None


class MergeOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["merge"]
    unit_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="The units that close and merge."
    )
    into_id: uuid.UUID | None = Field(
        default=None, description="An existing unit of the same level that receives them."
    )
    new: NewUnit | None = Field(default=None, description="Or a new unit that replaces them.")


class SplitTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID | None = Field(default=None, description="An existing receiving unit.")
    new: NewUnit | None = Field(default=None, description="Or a new one.")
    village_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=500,
        description="The divided unit's villages this unit receives (they keep their ids).",
    )
    default: bool = Field(
        default=False,
        description="Receives the teams, users and unlisted villages; exactly one target.",
    )


class SplitOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["split"]
    unit_id: uuid.UUID = Field(description="The unit that is divided and closes.")
    into: list[SplitTarget] = Field(min_length=2, max_length=20)


class RenameOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["rename"]
    unit_id: uuid.UUID
    name: UnitName = Field(examples=["Xã Đăk Pék"])
    code: OfficialCode | None = Field(default=None, description="Defaults to the old code.")
    division_type: DivisionType | None = None


class MoveOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["move"]
    unit_id: uuid.UUID
    parent_id: uuid.UUID = Field(description="The new parent.")


Operation = Annotated[
    MergeOperation | SplitOperation | RenameOperation | MoveOperation, Field(discriminator="op")
]


class ReorganisationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_date": "2025-07-01",
                    "legal_act": "Quyết định 12/QĐ-UBND",
                    "operations": [
                        {"op": "rename", "unit_id": examples.VILLAGE_ID, "name": "Thôn Đắk Ung Mới"}
                    ],
                }
            ]
        },
    )

    effective_date: IsoDate = Field(
        description="The first day of the new map; today or earlier (from 1900). Units "
        "replaced close the day before.",
    )
    legal_act: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300), PlainText
    ] = Field(examples=["Nghị quyết 1677/NQ-UBTVQH15"])
    note: Annotated[str, StringConstraints(max_length=1000), PlainText] | None = None
    operations: list[Operation] = Field(min_length=1, max_length=100)


class RehomedRead(BaseModel):
    entity: Literal["team", "user", "api_client"]
    id: uuid.UUID
    name: str
    from_unit: UnitBrief
    to_unit: UnitBrief | None
    action: Literal["moved", "followed_team", "deactivated", "revoked"]
    review: bool = Field(
        description="Went to a default among several successors, or lost access pending review."
    )
    role_before: str | None = None
    role_after: str | None = None


class ReorganisationRead(BaseModel):
    id: uuid.UUID
    effective_date: date
    legal_act: str
    created: list[UnitBrief]
    closed: list[UnitBrief]
    lineage: list[LineageRead]
    moved_units: int = Field(description="Units that kept their id under a new parent.")
    rehomed: list[RehomedRead]
