"""People who log in, partners' API clients, refresh tokens and login throttling."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import (
    UTCDateTime,
    Versioned,
    collation_key_column,
    enum_column,
    timestamp_column,
    utcnow,
)


class Role(StrEnum):
    PROVINCE_ADMIN = "province_admin"
    DISTRICT_OFFICER = "district_officer"
    COMMUNE_OFFICER = "commune_officer"
    TEAM_LEADER = "team_leader"
    PARTNER = "partner"
    VIEWER = "viewer"


class User(Versioned, table=True):
    __tablename__ = "user_account"
    __collation_keys__: ClassVar[dict[str, str]] = {"name_key": "full_name"}
    __audited__ = (
        "username",
        "full_name",
        "email",
        "phone",
        "role",
        "scope_unit_id",
        "team_id",
        "organisation",
        "is_active",
    )
    __table_args__ = (
        sa.CheckConstraint(
            "scope_unit_id IS NOT NULL OR role = 'viewer'", name="only_viewers_national"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    search_text: str = Field(max_length=300, description="Folded username and full name.")
    name_key: bytes = Field(sa_column=collation_key_column("full_name"))
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    role: Role = Field(sa_column=enum_column(Role, nullable=False, index=True))
    # None only for a national viewer (the whole country; created with the command line).
    scope_unit_id: uuid.UUID | None = Field(
        default=None, foreign_key="unit.id", index=True, ondelete="RESTRICT"
    )
    # A team leader's team; their scope unit is the unit that team serves.
    team_id: uuid.UUID | None = Field(
        default=None, foreign_key="team.id", index=True, ondelete="RESTRICT"
    )
    organisation: str | None = Field(default=None, max_length=200)
    is_active: bool = True
    is_demo: bool = False
    password_hash: str = Field(max_length=255)
    # Bumped whenever the account's sessions must end (deactivation, password change,
    # role, scope or team change, deletion); tokens carry the generation they were issued
    # under and work only while it is current, so they never come back to life.
    token_generation: int = Field(default=0, sa_column_kwargs={"server_default": sa.text("0")})
    deleted_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )


class ApiClient(Versioned, table=True):
    """A partner's server-to-server credentials (client credentials grant)."""

    __tablename__ = "api_client"
    __audited__ = ("name", "organisation", "scope_unit_id", "revoked_at")

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    organisation: str = Field(max_length=200)
    scope_unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    secret_hash: str = Field(max_length=128)
    revoked_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    secret_rotated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored as its SHA-256. Rotation chains tokens in a family;
    presenting a used token again revokes the family."""

    __tablename__ = "refresh_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The user's token generation when this token was issued (see User.token_generation).
    generation: int = Field(default=0, sa_column_kwargs={"server_default": sa.text("0")})
    # Indexed for ``cnscd housekeeping``, which deletes expired tokens.
    expires_at: datetime = Field(sa_column=timestamp_column(index=True))
    used_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class LoginThrottle(SQLModel, table=True):
    """Failed logins per username (key ``user:<name>``), shared by all processes."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    # Indexed for ``cnscd housekeeping``, which deletes rows whose windows have passed.
    window_started_at: datetime = Field(sa_column=timestamp_column(index=True))
    locked_until: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    # When a successful login of this username last paid back a failure of its address
    # (at most once per window, so that one known account cannot buy endless guesses).
    credited_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )


class LoginAddressBudget(SQLModel, table=True):
    """Failed logins per client address, as a debt that drains with time.

    Each failure adds one refill interval to ``debt_until`` (counted from now when the
    debt is already paid); each crediting success takes one interval off. The address
    may log in while fewer than its budget of failures are outstanding, that is while
    ``debt_until - now <= (budget - 1) * interval``. Epoch seconds, so that both
    databases do the arithmetic in one atomic statement."""

    __tablename__ = "login_address_budget"

    address: str = Field(primary_key=True, max_length=300)
    debt_until: float = Field(index=True)  # for ``cnscd housekeeping``: paid-off rows go
