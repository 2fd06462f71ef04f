"""Models of ``/webhook-endpoints``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cnscd_api.core.fields import PlainText
from cnscd_api.models import DeliveryStatus

EventTypeName = Annotated[str, PlainText, Field(min_length=1, max_length=100)]
# http(s), with a host: checked by the server with what the host resolves to (422).
Url = Annotated[str, PlainText, Field(min_length=1, max_length=2000)]
Description = Annotated[str, PlainText, Field(max_length=500)]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.partner.example/cnscd",
                    "event_types": ["activity.approved", "team.*"],
                    "description": "Đồng bộ báo cáo",
                }
            ]
        },
    )

    url: Url = Field(
        description="Where events are POSTed: https (in production), resolving to a public "
        "address only."
    )
    event_types: list[EventTypeName] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The types to receive (`GET /event-types`; `activity.*` for every type "
        "of one object); omitted or null: every type you may read.",
    )
    description: Description | None = None


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False}]},
    )

    url: Url | None = None
    event_types: list[EventTypeName] | None = Field(
        default=None, min_length=1, max_length=100, description="null: every type you may read."
    )
    description: Description | None = None
    enabled: bool | None = Field(
        default=None,
        description="`false` pauses deliveries; `true` resumes them from now on (read the "
        "feed for what happened in between).",
    )


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str] | None
    enabled: bool
    disabled_reason: str | None = Field(
        description="`gone`: the endpoint answered 410, which disables it; null otherwise."
    )
    previous_secret_until: datetime | None = Field(
        description="After a rotation: until when the old secret still signs (a second "
        "signature in `webhook-signature`)."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(
        description="`whsec_…`: verify deliveries with it (Standard Webhooks). Shown this once.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID = Field(description="The event, and the `webhook-id` of every attempt.")
    event_sequence: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = Field(description="The answer of the last attempt, if any.")
    last_error: str | None = Field(description="Why the last attempt got no answer.")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="While pending: when it is tried next.")
    delivered_at: datetime | None
    created_at: datetime


class DeliveryFilters(BaseModel):
    status: DeliveryStatus | None = None
