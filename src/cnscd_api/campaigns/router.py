"""``/campaigns``: peak campaigns, closing and reopening them, and their targets."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.campaigns import service
from cnscd_api.campaigns.dependencies import (
    CampaignForRead,
    CampaignForReopen,
    CampaignForTargets,
    CampaignForWrite,
    CampaignReader,
    CampaignWriter,
)
from cnscd_api.campaigns.schemas import (
    CampaignClose,
    CampaignCreate,
    CampaignFilters,
    CampaignRead,
    CampaignReopen,
    CampaignSort,
    CampaignSummary,
    CampaignUpdate,
    TargetSetRead,
    TargetSetWrite,
)
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import LanguageDep, SessionDep

router = APIRouter(
    route_class=ContractRoute,
    prefix="/campaigns",
    tags=["campaigns"],
    responses=problem_responses(401, 403),
)


@router.get(
    "",
    response_model=Page[CampaignSummary],
    summary="List campaigns in, or above, your scope",
    responses=problem_responses(404),
)
def list_campaigns(
    session: SessionDep,
    actor: CampaignReader,
    page: PageParamsDep,
    filters: Annotated[CampaignFilters, Query()],
    sort: CampaignSort | None = None,
) -> Response:
    """Newest first. A commune officer sees its district's and its province's campaigns."""
    rows, total = service.list_campaigns(session, actor, filters, page, sort)
    return page.response(CampaignSummary, rows, total)


@router.post(
    "",
    response_model=CampaignRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a province-wide or district campaign",
    responses=problem_responses(404, codes=["campaign_code_taken"]),
)
def create_campaign(
    body: CampaignCreate,
    session: SessionDep,
    actor: CampaignWriter,
    language: LanguageDep,
    response: Response,
) -> CampaignRead:
    """The province admin creates campaigns for its province or one of its districts; a
    district officer for its district. Each indicator must be reportable under one of the
    campaign's categories; an indicator's `target` is the campaign's own (its scope
    unit's) target, which every tier then splits among the tier below."""
    campaign = service.create_campaign(session, actor, body)
    set_etag(response, campaign.version)
    return service.read_campaign(session, campaign, language)


@router.get(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Get a campaign with its categories, indicators and own targets",
    responses=problem_responses(404),
)
def get_campaign(
    campaign: CampaignForRead, session: SessionDep, language: LanguageDep, response: Response
) -> CampaignRead:
    """Its status today, its reporting days, and its own (scope unit's) target per
    indicator. The ETag is its version."""
    set_etag(response, campaign.version)
    return service.read_campaign(session, campaign, language)


@router.patch(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Edit a campaign",
    responses=problem_responses(
        404,
        412,
        codes=[
            "campaign_category_in_use",
            "campaign_closed",
            "campaign_indicator_in_use",
            "campaign_not_yours",
            "campaign_reports_outside",
            "campaign_scope_closed",
        ],
    ),
)
def update_campaign(
    body: CampaignUpdate,
    campaign: CampaignForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    language: LanguageDep,
    response: Response,
) -> CampaignRead:
    """A closed campaign keeps its dates, categories and indicators (409
    `campaign_closed`); its name and description may still change."""
    updated = service.update_campaign(session, actor, campaign, body, expected)
    set_etag(response, updated.version)
    return service.read_campaign(session, updated, language)


@router.post(
    "/{campaign_id}/close",
    response_model=CampaignRead,
    summary="Close a campaign early (no more reports or changes)",
    responses=problem_responses(
        404, codes=["campaign_closed", "campaign_not_yours", "campaign_scope_closed"]
    ),
)
def close_campaign(
    body: CampaignClose,
    campaign: CampaignForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    language: LanguageDep,
    response: Response,
) -> CampaignRead:
    """With a reason. A closed campaign takes no more reports and its dates, categories,
    indicators and targets stay as they were; the province admin may reopen it."""
    closed = service.close_campaign(session, actor, campaign, body)
    set_etag(response, closed.version)
    return service.read_campaign(session, closed, language)


@router.post(
    "/{campaign_id}/reopen",
    response_model=CampaignRead,
    summary="Reopen a closed campaign (province admin)",
    responses=problem_responses(
        404, codes=["campaign_not_closed", "campaign_not_yours", "campaign_scope_closed"]
    ),
)
def reopen_campaign(
    body: CampaignReopen,
    campaign: CampaignForReopen,
    session: SessionDep,
    actor: CurrentPrincipal,
    language: LanguageDep,
    response: Response,
) -> CampaignRead:
    """When the campaign's own reporting days are over, `until` says until when reports
    are accepted again."""
    reopened = service.reopen_campaign(session, actor, campaign, body)
    set_etag(response, reopened.version)
    return service.read_campaign(session, reopened, language)


@router.get(
    "/{campaign_id}/targets",
    response_model=TargetSetRead,
    summary="The targets a unit gave its direct children",
    responses=problem_responses(404),
)
def get_campaign_targets(
    campaign: CampaignForRead,
    session: SessionDep,
    actor: CurrentPrincipal,
    response: Response,
    unit_id: Annotated[
        uuid.UUID | None,
        Query(description="The parent unit; defaults to the campaign's scope unit."),
    ] = None,
) -> TargetSetRead:
    """`limits` are the unit's own targets (what its children's sum may reach); every
    child is listed, with the targets it was given. The ETag is the set's version."""
    targets = service.read_targets(session, actor, campaign, unit_id)
    set_etag(response, targets.version)
    return targets


@router.put(
    "/{campaign_id}/targets",
    response_model=TargetSetRead,
    summary="Set the targets of a unit's direct children (the whole set)",
    responses=problem_responses(404, 412, codes=["campaign_closed", "targets_invalid"]),
)
def put_campaign_targets(
    body: TargetSetWrite,
    campaign: CampaignForTargets,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> TargetSetRead:
    """Each tier splits its targets among its direct children: the province among its
    districts (and communes directly under it), a district among its communes, a commune
    among its villages. For each indicator the children's sum may not exceed the unit's
    own target (422 `target_exceeds_parent` naming unit, indicator, sum and limit), and no
    child's target may fall below what that child already gave its own children."""
    targets = service.write_targets(session, actor, campaign, body, expected)
    set_etag(response, targets.version)
    return targets
