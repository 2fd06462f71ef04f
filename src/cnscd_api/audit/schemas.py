"""Response model of ``/audit-events``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_client_id: uuid.UUID | None
    actor_name: str | None
    action: str
    entity: str
    entity_id: str | None
    changes: dict[str, Any] | None
    request_id: str | None
