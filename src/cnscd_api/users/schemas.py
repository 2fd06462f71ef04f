"""Request and response models of ``/users``."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cnscd_api.core import examples
from cnscd_api.core.fields import (
    USERNAME_REGEX,
    Email,
    MobilePhone,
    Password,
    PersonName,
    PlainText,
)
from cnscd_api.models import Role

# pydantic checks the pattern before lowering, so it must admit capitals: "Xa.DakPek"
# is accepted and stored as "xa.dakpek", as login (case-insensitive) expects.
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=USERNAME_REGEX),
    PlainText,
]
Name = PersonName
Organisation = Annotated[str, StringConstraints(max_length=200), PlainText]


class UserSort(StrEnum):
    USERNAME = "username"
    USERNAME_DESC = "-username"
    FULL_NAME = "full_name"
    FULL_NAME_DESC = "-full_name"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


class UserFilters(BaseModel):
    """Query parameters of the users list."""

    role: Role | None = None
    scope_unit_id: uuid.UUID | None = None
    q: str | None = Field(
        default=None, max_length=100, description="Search username and full name."
    )


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "xa.dakpek.lan",
                    "full_name": "Nguyễn Thị Lan",
                    "email": "lan.nguyen@kontum.gov.vn",
                    "phone": "0912345678",
                    "role": "commune_officer",
                    "scope_unit_id": examples.COMMUNE_ID,
                    "password": "Dak-Pek-an-toan-2024",
                }
            ],
            # A team leader is placed by the team they lead; anyone else by a unit. The
            # titles name the two cases in documentation tools (ReDoc shows the `if`'s and
            # the `else`'s); the branches state no `type`, which such tools would merge
            # with the field's own (a UUID or null) and warn about.
            "allOf": [
                {
                    "if": {
                        "title": "A team leader: team_id",
                        "properties": {"role": {"const": "team_leader"}},
                    },
                    "then": {
                        "properties": {"team_id": {"not": {"type": "null"}}},
                        "required": ["team_id"],
                    },
                    "else": {
                        "title": "Any other role: scope_unit_id, no team_id",
                        "properties": {
                            "scope_unit_id": {"not": {"type": "null"}},
                            "team_id": {"const": None},
                        },
                        "required": ["scope_unit_id"],
                    },
                }
            ],
        },
    )

    username: Username = Field(examples=["xa.dakpek"])
    full_name: Name
    email: Email | None = None
    phone: MobilePhone | None = Field(
        default=None, description="Vietnamese mobile; stored as 0xxxxxxxxx."
    )
    role: Role
    scope_unit_id: uuid.UUID | None = Field(
        default=None,
        description="The unit whose subtree the user works in: required for every role but "
        "team_leader (whose scope is their team's unit), and of the level the role needs "
        "(district_officer a district, commune_officer a commune …).",
    )
    team_id: uuid.UUID | None = Field(
        default=None,
        description="The team a team_leader leads: required for them, refused for any other role.",
    )
    organisation: Organisation | None = None
    password: Password


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"full_name": "Nguyễn Thị Lan Anh", "phone": "+84 987 654 321"}]
        },
    )

    full_name: Name | None = None
    email: Email | None = None
    phone: MobilePhone | None = None
    role: Role | None = None
    scope_unit_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    organisation: Organisation | None = None
    is_active: bool | None = None
    password: Password | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    full_name: str
    email: str | None
    phone: str | None
    role: Role
    scope_unit_id: uuid.UUID
    team_id: uuid.UUID | None
    organisation: str | None
    is_active: bool
    is_demo: bool
    version: int
    created_at: datetime
    updated_at: datetime
