"""``/stats``: dashboards of a unit's subtree, as JSON or CSV, with ETags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.representation import REPRESENTATION_RESPONSES, RepresentationDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import LanguageDep, SessionDep
from cnscd_api.stats import service, tables
from cnscd_api.stats.dependencies import CampaignForStats, StatsReader
from cnscd_api.stats.schemas import (
    Completeness,
    CompletenessQuery,
    Overview,
    OverviewQuery,
    Progress,
    ProgressQuery,
    Ranking,
    RankingQuery,
    Timeseries,
    TimeseriesQuery,
)

router = APIRouter(
    route_class=ContractRoute,
    prefix="/stats",
    tags=["stats"],
    responses={**REPRESENTATION_RESPONSES, **problem_responses(401, 403, 404)},
)


@router.get("/overview", response_model=Overview, summary="Teams, members, activities and coverage")
def stats_overview(
    session: SessionDep,
    actor: StatsReader,
    query: Annotated[OverviewQuery, Query()],
    language: LanguageDep,
    representation: RepresentationDep,
) -> Response:
    """Teams by status; current members by affiliation, gender, skill level and role;
    activities by status and indicator totals (approved and submitted apart) in the days
    and campaign asked for; the share of today's communes and villages an active team
    serves. Counts only: no member is named."""
    overview = service.overview(session, actor, query, language)
    return representation.answer(overview, tables.overview_table)


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=Progress,
    summary="A campaign's results against its targets, per child unit",
)
def stats_campaign_progress(
    campaign: CampaignForStats,
    session: SessionDep,
    actor: CurrentPrincipal,
    query: Annotated[ProgressQuery, Query()],
    language: LanguageDep,
    representation: RepresentationDep,
) -> Response:
    """For the unit and each of its direct children, per indicator the campaign tracks:
    the target the unit was given, what was approved (`achieved`), what waits for review
    (`submitted`), and `achieved` as a percentage of the target. A unit outside the
    campaign's scope is 422 `unit_outside_campaign`."""
    progress = service.progress(session, actor, campaign, query, language)
    return representation.answer(progress, tables.progress_table)


@router.get(
    "/campaigns/{campaign_id}/completeness",
    response_model=Completeness,
    summary="Which teams and units have not reported, day by day",
)
def stats_campaign_completeness(
    campaign: CampaignForStats,
    session: SessionDep,
    actor: CurrentPrincipal,
    query: Annotated[CompletenessQuery, Query()],
    representation: RepresentationDep,
) -> Response:
    """For each campaign day up to today: the active teams expected to report and how
    many recorded an activity for that day. For `date`, the child units ranked by silent
    teams, most silent first; at commune or village level also the silent teams."""
    completeness = service.completeness(session, actor, campaign, query)
    return representation.answer(completeness, tables.completeness_table)


@router.get(
    "/timeseries", response_model=Timeseries, summary="An indicator per day, ISO week or month"
)
def stats_timeseries(
    session: SessionDep,
    actor: StatsReader,
    query: Annotated[TimeseriesQuery, Query()],
    language: LanguageDep,
    representation: RepresentationDep,
) -> Response:
    """Approved and submitted apart; every period listed, zeros included, at most 3660.
    Without `from` and `to`: the campaign's days, else the last 30 days, 12 weeks or 12
    months up to today."""
    series = service.timeseries(session, actor, query, language)
    return representation.answer(series, tables.timeseries_table)


@router.get("/teams/ranking", response_model=Ranking, summary="Teams ranked by an indicator")
def stats_team_ranking(
    session: SessionDep,
    actor: StatsReader,
    query: Annotated[RankingQuery, Query()],
    language: LanguageDep,
    representation: RepresentationDep,
) -> Response:
    """The teams of the unit's subtree that counted the indicator, by approved total
    (ties by team name, then id), with the names of the units above each team."""
    ranking = service.ranking(session, actor, query, language)
    return representation.answer(ranking, tables.ranking_table)
