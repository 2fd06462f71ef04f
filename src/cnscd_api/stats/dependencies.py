"""Guards of ``/stats``: the permission to read dashboards, and a campaign loaded
through the scoped query (404) before it is checked (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.campaigns import service as campaign_service
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import Campaign

StatsReader = Annotated[Principal, Depends(require(Permission.STATS_READ))]

CampaignForStats = Annotated[
    Campaign,
    Depends(guarded(campaign_service.get_campaign, Permission.STATS_READ, "campaign_id")),
]
