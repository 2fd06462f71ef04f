"""Guards of ``/campaigns``: the campaign loaded through the scoped query (404), then the
permission (403); editing also needs the campaign to lie in the caller's own subtree."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.campaigns import service
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import Campaign

CampaignReader = Annotated[Principal, Depends(require(Permission.CAMPAIGNS_READ))]
CampaignWriter = Annotated[Principal, Depends(require(Permission.CAMPAIGNS_WRITE))]

CampaignForRead = Annotated[
    Campaign, Depends(guarded(service.get_campaign, Permission.CAMPAIGNS_READ, "campaign_id"))
]
CampaignForWrite = Annotated[
    Campaign,
    Depends(guarded(service.get_campaign_for_write, Permission.CAMPAIGNS_WRITE, "campaign_id")),
]
CampaignForReopen = Annotated[
    Campaign,
    Depends(guarded(service.get_campaign_for_write, Permission.CAMPAIGNS_REOPEN, "campaign_id")),
]
CampaignForTargets = Annotated[
    Campaign,
    Depends(guarded(service.get_campaign, Permission.CAMPAIGN_TARGETS_WRITE, "campaign_id")),
]
