"""The audit log: one row per write, login and denial, written in the same transaction.

``sequence`` numbers the events as their transactions commit (see ``core.audit``): a
reader that has seen every event up to the one numbered N asks for ``after_sequence=N``
and never misses one, which is what a change stream needs and neither a random id nor a
wall clock gives. On PostgreSQL the feed is ordered by the writing transaction's id
(``xact_id``) and then the number, and shows a transaction's events only once every
older transaction has ended, so that no lock is shared by all writers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import timestamp_column, utcnow


class AuditEntity(StrEnum):
    """What an event is about. Denials name the permission instead (``users:write``)."""

    UNIT = "unit"
    USER = "user"
    API_CLIENT = "api_client"
    TEAM = "team"
    MEMBER = "member"
    CONTENT_CATEGORY = "content_category"
    INDICATOR = "indicator"
    CAMPAIGN = "campaign"
    CAMPAIGN_TARGETS = "campaign_targets"
    ACTIVITY = "activity"
    UNIT_REORGANISATION = "unit_reorganisation"
    WEBHOOK_ENDPOINT = "webhook_endpoint"
    SUPPORT_REQUEST = "support_request"
    DEVICE_NEED = "device_need"
    DEVICE_REFERRAL = "device_referral"
    ALLOWANCE_RULE = "allowance_rule"
    ALLOWANCE_STATEMENT = "allowance_statement"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 -- not a secret
    REFRESH_TOKEN_GRACE_REUSE = "refresh_token_grace_reuse"  # noqa: S105 -- not a secret
    CHANGE_PASSWORD = "change_password"  # noqa: S105 -- not a secret
    ROTATE_SECRET = "rotate_secret"  # noqa: S105 -- not a secret
    REVOKE = "revoke"
    PERMISSION_DENIED = "permission_denied"
    CLOSE = "close"
    REOPEN = "reopen"
    APPROVE = "approve"
    REJECT = "reject"
    REDELIVER = "redeliver"
    # Support requests and device referrals move through their states.
    ACCEPT = "accept"
    DECLINE = "decline"
    SCHEDULE = "schedule"
    COMPLETE = "complete"
    CANCEL = "cancel"
    DELIVER = "deliver"
    REFUSE = "refuse"
    # A read of personal data handed to an operator (device referrals).
    READ = "read"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False, unique=True))
    # PostgreSQL: the writing transaction's id (``pg_current_xact_id()``); NULL on SQLite,
    # whose writers take numbers one at a time under the database's single write lock.
    xact_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(index=True))
    actor_user_id: uuid.UUID | None = Field(default=None, index=True)
    actor_client_id: uuid.UUID | None = Field(default=None)
    actor_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    # Path of the unit the event concerns, so that reads are scoped like everything else.
    unit_path: str | None = Field(default=None, max_length=200)
    # A write on a row of a closed unit, reached through the heritage rule: the unit of
    # the writer's scope it went through (a successor of the closed unit). The event keeps
    # the closed unit's own path.
    via_unit_id: uuid.UUID | None = Field(default=None)
    # The partner organisation the object belongs to (a report it supported): a partner
    # reads such events only for its own organisation (``core.events``).
    organisation: str | None = Field(default=None, max_length=200)
    changes: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    request_id: str | None = Field(default=None, max_length=128)

    __table_args__ = (
        sa.Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),
        sa.Index("ix_audit_event_feed", "xact_id", "sequence"),
        sa.Index(
            "ix_audit_event_unit_path",
            "unit_path",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
    )


class AuditSequence(SQLModel, table=True):
    """SQLite: the last sequence number given to an audit event, one row taken by the
    transaction that numbers its events (writers are serialised there anyway).
    PostgreSQL numbers events from the sequence ``audit_event_sequence`` instead."""

    __tablename__ = "audit_sequence"

    id: int = Field(default=1, primary_key=True)
    last_value: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
