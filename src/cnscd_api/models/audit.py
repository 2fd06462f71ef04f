"""The audit log: one row per write, login and denial, written in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import timestamp_column, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(index=True))
    actor_user_id: uuid.UUID | None = Field(default=None, index=True)
    actor_client_id: uuid.UUID | None = Field(default=None)
    actor_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    # Path of the unit the event concerns, so that reads are scoped like everything else.
    unit_path: str | None = Field(default=None, max_length=200)
    changes: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    request_id: str | None = Field(default=None, max_length=128)

    __table_args__ = (
        sa.Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),
        sa.Index(
            "ix_audit_event_unit_path",
            "unit_path",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
    )
