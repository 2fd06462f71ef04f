"""Guards of ``/support-requests``: the request loaded through the scoped query (404),
then the permission (403). Moves check their own permission (``service.TRANSITIONS``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import SupportRequest
from cnscd_api.support_requests import service

SupportRequestReader = Annotated[Principal, Depends(require(Permission.SUPPORT_REQUESTS_READ))]
SupportRequestWriter = Annotated[Principal, Depends(require(Permission.SUPPORT_REQUESTS_WRITE))]

SupportRequestForRead = Annotated[
    SupportRequest,
    Depends(guarded(service.get_request, Permission.SUPPORT_REQUESTS_READ, "request_id")),
]
# Loaded for a move and locked; the move checks the permission its transition needs.
SupportRequestForMove = Annotated[
    SupportRequest,
    Depends(guarded(service.get_request_for_write, Permission.SUPPORT_REQUESTS_READ, "request_id")),
]
