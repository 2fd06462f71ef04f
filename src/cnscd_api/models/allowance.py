"""Allowances (phụ cấp) of the teams: the rules a province's People's Council set, and the
monthly statements computed from approved reports.

A rule belongs to a province and is in force from ``effective_from`` until the next rule
of the same province starts; amounts are whole VND. A statement is one unit's month:
prepared by an officer of the unit, approved by the tier above; its lines are frozen as
computed (``lines``), and an approved statement closes the month's reports in the unit's
subtree until it is reopened.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import UTCDateTime, Versioned, enum_column
from cnscd_api.models.user import Role


def _money() -> sa.Column[Any]:
    return sa.Column(sa.BigInteger(), nullable=True)


class AllowanceRule(Versioned, table=True):
    __tablename__ = "allowance_rule"
    __audited__ = (
        "province_id",
        "effective_from",
        "resolution_number",
        "resolution_date",
        "per_team_month",
        "team_must_report",
        "per_member_month",
        "per_person_day",
        "note",
    )
    __table_args__ = (
        sa.UniqueConstraint("province_id", "effective_from"),
        sa.CheckConstraint(
            "(per_team_month IS NULL OR per_team_month >= 0) AND "
            "(per_member_month IS NULL OR per_member_month >= 0) AND "
            "(per_person_day IS NULL OR per_person_day >= 0)",
            name="amounts_not_negative",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    province_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    effective_from: date
    resolution_number: str = Field(max_length=100)
    resolution_date: date
    per_team_month: int | None = Field(default=None, sa_column=_money())
    team_must_report: bool = False
    per_member_month: int | None = Field(default=None, sa_column=_money())
    per_person_day: int | None = Field(default=None, sa_column=_money())
    note: str | None = Field(default=None, max_length=1000)
    is_demo: bool = False


class StatementStatus(StrEnum):
    PREPARED = "prepared"
    APPROVED = "approved"


class AllowanceStatement(Versioned, table=True):
    __tablename__ = "allowance_statement"
    __audited__ = ("unit_id", "month", "status", "total_amount", "reopen_reason")
    __table_args__ = (sa.UniqueConstraint("unit_id", "month"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    # The first day of the month.
    month: date = Field(index=True)
    status: StatementStatus = Field(
        default=StatementStatus.PREPARED,
        sa_column=enum_column(StatementStatus, nullable=False, index=True),
    )
    total_amount: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    # The computed lines, one per team with its members (``allowances.compute``).
    lines: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    prepared_by_user_id: uuid.UUID | None = None
    prepared_by_name: str = Field(max_length=200)
    prepared_role: Role = Field(sa_column=enum_column(Role, nullable=False))
    prepared_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    approved_by_user_id: uuid.UUID | None = None
    approved_by_name: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    reopen_reason: str | None = Field(default=None, max_length=1000)
    is_demo: bool = False


class AllowancePaidTeam(SQLModel, table=True):
    """A team whose monthly amount an approved statement pays: at most once a month,
    whichever unit the team belonged to when each statement was approved."""

    __tablename__ = "allowance_paid_team"
    __table_args__ = (sa.UniqueConstraint("team_id", "month"),)

    statement_id: uuid.UUID = Field(
        foreign_key="allowance_statement.id", primary_key=True, ondelete="CASCADE"
    )
    team_id: uuid.UUID = Field(primary_key=True)
    month: date
