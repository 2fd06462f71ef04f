"""``/audit-events``: who did what, when, in the caller's subtree."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cnscd_api.audit import repository
from cnscd_api.audit.schemas import AuditEventRead
from cnscd_api.auth.dependencies import require
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep

router = APIRouter(prefix="/audit-events", tags=["audit"], responses=problem_responses(401, 403))

AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


@router.get(
    "", response_model=Page[AuditEventRead], summary="List audit events in your scope, newest first"
)
def list_audit_events(
    session: SessionDep,
    actor: AuditReader,
    page: PageParamsDep,
    entity: Annotated[str | None, Query(max_length=64, examples=["user"])] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[
        uuid.UUID | None, Query(alias="actor", description="User or API client id.")
    ] = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="Inclusive, ISO 8601.")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Exclusive, ISO 8601.")] = None,
) -> Page[AuditEventRead]:
    items, total = repository.list_events(
        session,
        actor,
        page,
        entity=entity,
        entity_id=entity_id,
        actor_id=actor_id,
        since=since,
        until=until,
    )
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(e) for e in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
