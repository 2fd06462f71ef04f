"""Request and response models of ``/teams``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cnscd_api.core import examples
from cnscd_api.core.fields import IsoDate, MultilineText, PlainText
from cnscd_api.core.labels import TEAM_STATUS_VI, describe, labels_extra
from cnscd_api.models import TeamStatus

TeamName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200), PlainText
]
DecisionNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), PlainText
]
Note = Annotated[str, StringConstraints(max_length=2000), MultilineText]
STATUS_DESCRIPTION = describe(TEAM_STATUS_VI)


class TeamSort(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    MEMBER_COUNT = "member_count"
    MEMBER_COUNT_DESC = "-member_count"


class TeamFilters(BaseModel):
    """Query parameters of the teams list and export."""

    unit_id: uuid.UUID | None = Field(
        default=None, description="Teams serving this unit or any unit below it."
    )
    status: TeamStatus | None = None
    q: str | None = Field(
        default=None,
        max_length=100,
        description="Accent-insensitive search on the team's name and the names of the "
        "commune or village it serves (a village's commune too).",
    )


class TeamCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "unit_id": examples.VILLAGE_ID,
                    "name": "Tổ CNSCĐ thôn Đắk Ung",
                    "decision_number": "125/QĐ-UBND",
                    "decision_date": "2024-09-15",
                    "status": "active",
                    "note": "Thành lập theo Kế hoạch 01/KH-UBND.\nHọp tổ ngày thứ Hai đầu tháng.",
                }
            ]
        },
    )

    unit_id: uuid.UUID = Field(description="The commune or village the team serves.")
    name: TeamName = Field(examples=["Tổ CNSCĐ thôn Đắk Ung"])
    decision_number: DecisionNumber | None = Field(default=None, examples=["125/QĐ-UBND"])
    decision_date: IsoDate | None = None
    status: TeamStatus = Field(
        default=TeamStatus.ACTIVE,
        description=STATUS_DESCRIPTION,
        json_schema_extra=labels_extra(TEAM_STATUS_VI),
    )
    note: Note | None = None


class TeamUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision_number": "126/QĐ-UBND", "decision_date": "2024-10-01"}]
        },
    )

    unit_id: uuid.UUID | None = None
    name: TeamName | None = None
    decision_number: DecisionNumber | None = None
    decision_date: IsoDate | None = None
    status: TeamStatus | None = Field(default=None, description=STATUS_DESCRIPTION)
    note: Note | None = None


class TeamLeader(BaseModel):
    member_id: uuid.UUID
    full_name: str


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    unit_path_names: list[str] = Field(
        description="Province › district › commune › village of the unit served."
    )
    name: str
    decision_number: str | None
    decision_date: date | None
    status: TeamStatus = Field(
        description=STATUS_DESCRIPTION, json_schema_extra=labels_extra(TEAM_STATUS_VI)
    )
    note: str | None
    member_count: int = Field(description="Members currently in the team.")
    leader: TeamLeader | None
    version: int
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _leader_from_row(cls, data: Any) -> Any:
        """A list row carries the leader as two columns (``leader_id``, ``leader_name``)."""
        if isinstance(data, dict) and "leader_id" in data:
            leader_id, leader_name = data.pop("leader_id"), data.pop("leader_name", None)
            data["leader"] = (
                {"member_id": leader_id, "full_name": leader_name} if leader_id else None
            )
        return data
