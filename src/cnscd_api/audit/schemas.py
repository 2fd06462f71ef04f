"""Models of ``/audit-events``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cnscd_api.core.fields import IsoDateTime, PlainText


class AuditFilters(BaseModel):
    """Query parameters of the audit log."""

    model_config = ConfigDict(populate_by_name=True)

    # Compared with stored values, so under the text rule (PostgreSQL refuses NUL).
    entity: Annotated[str, PlainText] | None = Field(
        default=None,
        max_length=64,
        examples=["user"],
        description="unit, user, api_client, team, member; for denials the permission.",
    )
    entity_id: Annotated[str, PlainText] | None = Field(default=None, max_length=64)
    actor: uuid.UUID | None = Field(default=None, description="User or API client id.")
    since: IsoDateTime | None = Field(
        default=None, alias="from", description="Inclusive, ISO 8601 (`2024-10-01T00:00:00+07:00`)."
    )
    until: IsoDateTime | None = Field(
        default=None, alias="to", description="Exclusive, ISO 8601 (`2024-10-02T00:00:00+07:00`)."
    )
    after_sequence: int | None = Field(
        default=None,
        ge=0,
        le=2**62,
        description="Only the events after this one, in commit order: read the log "
        "incrementally by passing the `sequence` of the last event you have read (`0` "
        "for the beginning). Events appear once their transaction and every older one "
        "have ended, so nothing committed later is listed before what you have read. "
        "A number that belongs to no event is answered 404 (`unknown_sequence`).",
    )


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sequence: int = Field(
        description="A unique number taken as the event's transaction commits. "
        "Resume reading with the number of the last event read, not the largest: with "
        "`after_sequence`, events are listed in commit order, and on PostgreSQL "
        "transactions that commit at the same moment may hold numbers out of that order."
    )
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_client_id: uuid.UUID | None
    actor_name: str | None
    action: str
    entity: str
    entity_id: str | None
    changes: dict[str, Any] | None
    via_unit_id: uuid.UUID | None = Field(
        default=None,
        description="A write on a report of a closed unit, made by an officer of one of its "
        "successors: the successor unit it went through (the event is filed under the "
        "closed unit).",
    )
    request_id: str | None
