"""Webhook endpoints of partners and dashboards, and the deliveries of events to them.

An endpoint belongs to the account that made it (a user or a partner's API client) and
receives the events that account may read (``core.events``), signed with its secret as
the Standard Webhooks specification says. The worker reads the change feed after the
endpoint's ``cursor`` (the sequence of the last audit event it looked at) and writes one
delivery per event; a delivery keeps the event's id, which is the ``webhook-id`` of
every attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import UTCDateTime, Versioned, enum_column, timestamp_column, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(Versioned, table=True):
    __tablename__ = "webhook_endpoint"
    __audited__ = ("url", "description", "event_types", "enabled", "disabled_reason")

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", index=True)
    owner_client_id: uuid.UUID | None = Field(default=None, foreign_key="api_client.id", index=True)
    # The owner's scope unit's path when the endpoint was made: where its audit rows go.
    unit_path: str = Field(max_length=200)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    # None: every type the owner may read.
    event_types: list[str] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=64)
    # Kept in clear: an HMAC is computed with it (it is never shown again after creation).
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    # The sequence of the last audit event the worker has looked at for this endpoint.
    cursor: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
        sa.Index("ix_webhook_delivery_finished", "status", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    # The audit event delivered: its id is the webhook-id of every attempt.
    event_id: uuid.UUID
    event_sequence: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    event_type: str = Field(max_length=100)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING,
        sa_column=enum_column(DeliveryStatus, nullable=False),
    )
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # A worker sending it holds it until then; past it, another worker may take it over.
    leased_until: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    lease_id: uuid.UUID | None = Field(default=None)
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
