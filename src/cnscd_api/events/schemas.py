"""Models of ``/events``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventData(BaseModel):
    object: str = Field(description="The kind of object that changed.", examples=["activity"])
    id: str | None = Field(description="The object's id.")
    unit_id: uuid.UUID | None = Field(description="The unit the object belongs to.")
    changes: dict[str, Any] = Field(
        description="`{field: {before, after}}` for the fields that changed; personal data "
        "(phone, e-mail, birth year) masked, secrets never shown."
    )


class EventRead(BaseModel):
    id: uuid.UUID = Field(description="Stable: the `webhook-id` of its deliveries too.")
    sequence: int = Field(description="Its position: pass the last one read as `after`.")
    type: str = Field(examples=["activity.approved"])
    timestamp: datetime
    data: EventData


class EventFeed(BaseModel):
    items: list[EventRead]
    next_after: int = Field(
        description="Pass it as `after` to read on: the sequence of the last event listed, "
        "or the `after` you sent when nothing new is readable yet."
    )
    limit: int


class EventTypes(BaseModel):
    items: list[str] = Field(description="Every event type; `<object>.*` names all of one.")
