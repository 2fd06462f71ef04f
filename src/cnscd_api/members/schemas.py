"""Request and response models of ``/members``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cnscd_api.core import clock, examples
from cnscd_api.core.fields import (
    Email,
    IsoDate,
    JsonInteger,
    MobilePhone,
    PersonName,
    PlainText,
    invalid,
)
from cnscd_api.core.labels import (
    AFFILIATION_VI,
    GENDER_VI,
    SKILL_LEVEL_VI,
    TEAM_ROLE_VI,
    describe,
    labels_extra,
)
from cnscd_api.models import Affiliation, Gender, SkillLevel, TeamRole


def _not_future(value: date) -> date:
    if value > clock.today():
        raise invalid("date_in_future")
    return value


NotFuture = Annotated[IsoDate, AfterValidator(_not_future)]
BirthYear = Annotated[
    int, Field(ge=1920, le=2015, description="Year of birth (personal data)."), JsonInteger
]
Organisation = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), PlainText]


def labelled(labels: Mapping[Any, str], **kwargs: Any) -> Any:
    """A field documented with the Vietnamese label of each value."""
    return Field(description=describe(labels), json_schema_extra=labels_extra(labels), **kwargs)


class MemberSort(StrEnum):
    FULL_NAME = "full_name"
    FULL_NAME_DESC = "-full_name"
    JOINED_ON = "joined_on"
    JOINED_ON_DESC = "-joined_on"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


class MemberFilters(BaseModel):
    """Query parameters of the members list and export."""

    team_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = Field(
        default=None, description="Members of teams in this unit's subtree."
    )
    affiliation: Affiliation | None = None
    role: TeamRole | None = None
    skill_level: SkillLevel | None = None
    active: bool | None = Field(default=None, description="true: still in a team; false: left.")
    q: str | None = Field(
        default=None,
        max_length=100,
        description="Accent-insensitive search on the name; digits search phone numbers "
        "for roles that may see them.",
    )


class MemberCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Nguyễn Văn An",
                    "gender": "male",
                    "birth_year": 1995,
                    "phone": "0912345678",
                    "email": "an.nguyen@kontum.gov.vn",
                    "affiliation": "youth_union",
                    "organisation": "Đoàn xã Đắk Pék",
                    "skill_level": "intermediate",
                    "team_id": examples.TEAM_ID,
                    "role": "member",
                    "joined_on": "2024-09-01",
                }
            ]
        },
    )

    full_name: PersonName = Field(examples=["Nguyễn Văn An"])
    gender: Gender | None = labelled(GENDER_VI, default=None)
    birth_year: BirthYear | None = None
    phone: MobilePhone | None = Field(
        default=None, description="Vietnamese mobile; `+84 912 345 678` is stored as `0912345678`."
    )
    email: Email | None = None
    affiliation: Affiliation = labelled(AFFILIATION_VI)
    organisation: Organisation | None = Field(default=None, examples=["VNPT Kon Tum"])
    skill_level: SkillLevel = labelled(SKILL_LEVEL_VI, default=SkillLevel.BASIC)
    team_id: uuid.UUID
    role: TeamRole = labelled(TEAM_ROLE_VI, default=TeamRole.MEMBER)
    joined_on: NotFuture | None = Field(default=None, description="Defaults to today.")
    replace_leader: bool = Field(
        default=False,
        description="Make this member leader even if the team has one (who becomes a member).",
    )


class MemberUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"skill_level": "advanced", "phone": "+84 987 654 321"}],
            # Leaving (left_on) ends the membership: no move or new role with it.
            "allOf": [
                {
                    "not": {
                        "properties": {
                            "left_on": {"type": "string"},
                            "team_id": {"type": "string"},
                        },
                        "required": ["left_on", "team_id"],
                    }
                },
                {
                    "not": {
                        "properties": {
                            "left_on": {"type": "string"},
                            "role": {"type": "string"},
                        },
                        "required": ["left_on", "role"],
                    }
                },
            ],
        },
    )

    full_name: PersonName | None = None
    gender: Gender | None = None
    birth_year: BirthYear | None = None
    phone: MobilePhone | None = None
    email: Email | None = None
    affiliation: Affiliation | None = None
    organisation: Organisation | None = None
    skill_level: SkillLevel | None = None
    team_id: uuid.UUID | None = Field(
        default=None, description="Move the member: the current membership closes, a new one opens."
    )
    role: TeamRole | None = None
    left_on: NotFuture | None = Field(
        default=None, description="Mark the member as having left on this date."
    )
    replace_leader: bool = False

    @model_validator(mode="after")
    def _leave_or_move(self) -> MemberUpdate:
        if self.left_on is not None and (self.team_id is not None or self.role is not None):
            raise invalid("left_on_with_move", at="left_on")
        return self


class MembershipRead(BaseModel):
    team_id: uuid.UUID | None = Field(description="Empty for a team outside your scope.")
    team_name: str | None
    role: TeamRole
    joined_on: date
    left_on: date | None


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    gender: Gender | None
    birth_year: int | None = Field(description="Empty when masked for your role.")
    phone: str | None = Field(description="Masked (`09******78`) for partners and viewers.")
    email: str | None
    affiliation: Affiliation = labelled(AFFILIATION_VI)
    organisation: str | None
    skill_level: SkillLevel
    team_id: uuid.UUID
    team_name: str
    role: TeamRole
    joined_on: date
    left_on: date | None
    active: bool
    personal_data_masked: bool
    version: int
    created_at: datetime
    updated_at: datetime


class MemberDetail(MemberRead):
    memberships: list[MembershipRead] = Field(description="Every period in a team, oldest first.")


class ImportResult(BaseModel):
    dry_run: bool
    rows: int
    created: int
    updated: int
