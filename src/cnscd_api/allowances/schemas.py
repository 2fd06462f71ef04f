"""Request and response models of ``/allowance-rules`` and ``/allowance-statements``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core import examples
from cnscd_api.core.fields import IsoDate, JsonInteger, MultilineText, PlainText
from cnscd_api.models import Role, StatementStatus

# Whole VND; a rule pays at most ten million a unit of its basis.
Amount = Annotated[int, Field(ge=0, le=10_000_000), JsonInteger]
ResolutionNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), PlainText
]
Note = Annotated[str, StringConstraints(max_length=1000), MultilineText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000), MultilineText
]
MONTH_REGEX = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_REGEX)]


class RuleFields(BaseModel):
    per_team_month: Amount | None = Field(
        default=None, description="VND per active team per month.", examples=[600000]
    )
    team_must_report: bool = Field(
        default=False, description="Pay the team amount only to teams that reported that month."
    )
    per_member_month: Amount | None = Field(
        default=None, description="VND per member per month.", examples=[60000]
    )
    per_person_day: Amount | None = Field(
        default=None,
        description="VND per member per day named in an approved report.",
        examples=[150000],
    )
    note: Note | None = None


class RuleCreate(RuleFields):
    """At least one of the three amounts is given (422 `allowance_rule_empty`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_from": "2024-01-01",
                    "resolution_number": "15/2023/NQ-HĐND",
                    "resolution_date": "2023-12-08",
                    "per_team_month": 600000,
                    "per_person_day": 150000,
                }
            ]
        },
    )

    effective_from: IsoDate = Field(description="The first day the rule is in force.")
    resolution_number: ResolutionNumber = Field(
        description="The People's Council's resolution.", examples=["15/2023/NQ-HĐND"]
    )
    resolution_date: IsoDate


class RuleUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"per_person_day": 120000}]}
    )

    effective_from: IsoDate | None = None
    resolution_number: ResolutionNumber | None = None
    resolution_date: IsoDate | None = None
    per_team_month: Amount | None = None
    team_must_report: bool | None = None
    per_member_month: Amount | None = None
    per_person_day: Amount | None = None
    note: Note | None = None


class RuleRead(BaseModel):
    id: uuid.UUID
    province_id: uuid.UUID
    effective_from: date
    effective_to: date | None = Field(
        description="The last day in force: the day before the province's next rule starts."
    )
    resolution_number: str
    resolution_date: date
    per_team_month: int | None
    team_must_report: bool
    per_member_month: int | None
    per_person_day: int | None
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class StatementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unit_id": examples.COMMUNE_ID, "month": "2024-10"}]},
    )

    unit_id: uuid.UUID = Field(description="A district or commune.")
    month: Month = Field(description="`YYYY-MM`.", examples=["2024-10"])


class StatementReopen(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Bổ sung báo cáo bị sót"}]},
    )

    reason: Reason


class StatementFilters(BaseModel):
    unit_id: uuid.UUID | None = Field(default=None, description="That unit's subtree.")
    month: Month | None = None
    status: StatementStatus | None = None


class MemberLine(BaseModel):
    member_id: uuid.UUID
    member_name: str | None = Field(description="Empty for a member erased since.")
    member_in_month: bool = Field(description="A member of the team during the month.")
    person_days: int
    month_amount: int
    day_amount: int
    amount: int


class TeamLine(BaseModel):
    team_id: uuid.UUID
    team_name: str
    active: bool
    reported: bool = Field(description="Had an approved report in the unit that month.")
    monthly_paid: bool = Field(description="The monthly amounts are paid by this statement.")
    members: int = Field(description="Members of the team during the month.")
    person_days: int
    team_amount: int
    amount: int
    member_lines: list[MemberLine]


class RuleBasis(BaseModel):
    id: uuid.UUID
    effective_from: date
    resolution_number: str
    resolution_date: date


class StatementSummary(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    month: str
    status: StatementStatus
    total_amount: int
    prepared_by_name: str
    prepared_role: Role
    prepared_at: datetime
    approved_by_name: str | None
    approved_at: datetime | None
    reopen_reason: str | None
    version: int


class StatementRead(StatementSummary):
    unit_path_names: list[str]
    rules: list[RuleBasis] = Field(description="The rules in force on some day of the month.")
    lines: list[TeamLine]


class StatementSort(StrEnum):
    MONTH = "month"
    MONTH_DESC = "-month"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
