"""``/audit-events``: who did what, when, in the caller's subtree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from cnscd_api.audit import repository
from cnscd_api.audit.schemas import AuditEventRead, AuditFilters
from cnscd_api.auth.dependencies import require
from cnscd_api.core.errors import NotFound, problem_responses
from cnscd_api.core.feed import UnknownPosition
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep

router = APIRouter(
    route_class=ContractRoute,
    prefix="/audit-events",
    tags=["audit"],
    responses=problem_responses(401, 403),
)

AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


@router.get(
    "",
    response_model=Page[AuditEventRead],
    summary="List audit events in your scope, newest first",
    responses=problem_responses(codes=["unknown_sequence"]),
)
def list_audit_events(
    session: SessionDep,
    actor: AuditReader,
    page: PageParamsDep,
    filters: Annotated[AuditFilters, Query()],
) -> Response:
    """Newest first; with `after_sequence`, the events after that number, oldest first."""
    try:
        rows, total = repository.list_events(session, actor, page, filters)
    except UnknownPosition:
        raise NotFound("unknown_sequence") from None
    return page.response(AuditEventRead, rows, total)
