"""Guards of ``/activities``: the activity loaded through the scoped query (404), then
the permission (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.activities import service
from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import Activity

ActivityReader = Annotated[Principal, Depends(require(Permission.ACTIVITIES_READ))]
ActivityRecorder = Annotated[Principal, Depends(require(Permission.ACTIVITIES_RECORD))]
ActivityReviewer = Annotated[Principal, Depends(require(Permission.ACTIVITIES_APPROVE))]

ActivityForRead = Annotated[
    Activity, Depends(guarded(service.get_activity, Permission.ACTIVITIES_READ, "activity_id"))
]
ActivityForWrite = Annotated[
    Activity,
    Depends(guarded(service.get_activity_for_write, Permission.ACTIVITIES_RECORD, "activity_id")),
]
ActivityForReview = Annotated[
    Activity,
    Depends(guarded(service.get_activity_for_write, Permission.ACTIVITIES_APPROVE, "activity_id")),
]
