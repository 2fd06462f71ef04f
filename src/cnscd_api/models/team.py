"""Teams (Tổ công nghệ số cộng đồng), their members, and the membership history.

A member's current (or last) team, role and dates live on the member, where lists and
filters need them; every period in a team is also a ``Membership`` row, so moving a
member or marking them left closes one period and opens the next instead of overwriting
history. Teams and members carry a ``version``; every update is a conditional
``UPDATE … WHERE version = :seen``, which is what makes ``If-Match`` and concurrent edits
safe.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import (
    Versioned,
    collation_key_column,
    enum_column,
    timestamp_column,
    utcnow,
)


class TeamStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DISSOLVED = "dissolved"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class Affiliation(StrEnum):
    YOUTH_UNION = "youth_union"
    COMMUNE_OFFICIAL = "commune_official"
    POLICE = "police"
    FARMERS_ASSOCIATION = "farmers_association"
    WOMENS_UNION = "womens_union"
    FATHERLAND_FRONT = "fatherland_front"
    RESIDENTIAL_GROUP = "residential_group"
    IT_ENTERPRISE = "it_enterprise"
    OTHER = "other"


class TeamRole(StrEnum):
    LEADER = "leader"
    DEPUTY = "deputy"
    MEMBER = "member"


class SkillLevel(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Team(Versioned, table=True):
    __tablename__ = "team"
    __audited__ = ("unit_id", "name", "decision_number", "decision_date", "status", "note")
    __collation_keys__: ClassVar[dict[str, str]] = {"name_key": "name"}
    # The lists' default order: a large subtree's first page walks it and stops at 50.
    __table_args__ = (sa.Index("ix_team_name_key", "name_key", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=200)
    search_name: str = Field(max_length=200)
    name_key: bytes = Field(sa_column=collation_key_column("name"))
    decision_number: str | None = Field(default=None, max_length=100)
    decision_date: date | None = None
    status: TeamStatus = Field(
        default=TeamStatus.ACTIVE, sa_column=enum_column(TeamStatus, nullable=False, index=True)
    )
    note: str | None = Field(default=None, max_length=2000)
    is_demo: bool = False


class Member(Versioned, table=True):
    __tablename__ = "member"
    __collation_keys__: ClassVar[dict[str, str]] = {"name_key": "full_name"}
    __audited__ = (
        "full_name",
        "gender",
        "birth_year",
        "phone",
        "email",
        "affiliation",
        "organisation",
        "skill_level",
        "team_id",
        "role",
        "joined_on",
        "left_on",
    )
    __table_args__ = (
        # A team has at most one active leader.
        sa.Index(
            "uq_member_team_leader_active",
            "team_id",
            unique=True,
            sqlite_where=sa.text("left_on IS NULL AND role = 'leader'"),
            postgresql_where=sa.text("left_on IS NULL AND role = 'leader'"),
        ),
        # "Same phone in the same team is the same member" (imports rely on it).
        sa.Index(
            "uq_member_team_phone",
            "team_id",
            "phone",
            unique=True,
            sqlite_where=sa.text("phone IS NOT NULL"),
            postgresql_where=sa.text("phone IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    full_name: str = Field(max_length=200)
    search_name: str = Field(max_length=200)
    name_key: bytes = Field(sa_column=collation_key_column("full_name"))
    gender: Gender | None = Field(default=None, sa_column=enum_column(Gender, nullable=True))
    birth_year: int | None = None
    phone: str | None = Field(default=None, max_length=10, index=True)
    email: str | None = Field(default=None, max_length=254)
    affiliation: Affiliation = Field(sa_column=enum_column(Affiliation, nullable=False, index=True))
    organisation: str | None = Field(default=None, max_length=200)
    skill_level: SkillLevel = Field(
        default=SkillLevel.BASIC, sa_column=enum_column(SkillLevel, nullable=False)
    )
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True, ondelete="RESTRICT")
    role: TeamRole = Field(sa_column=enum_column(TeamRole, nullable=False))
    joined_on: date
    left_on: date | None = None
    is_demo: bool = False


class Membership(SQLModel, table=True):
    """One period of a member in a team with one role; open while ``left_on`` is empty."""

    __tablename__ = "membership"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True, ondelete="RESTRICT")
    role: TeamRole = Field(sa_column=enum_column(TeamRole, nullable=False))
    joined_on: date
    left_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
