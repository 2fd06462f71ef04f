"""``/stats/workload``: who carries a campaign's load, silent teams, reports on time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cnscd_api.core.errors import problem_responses
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.stats.dependencies import StatsReader
from cnscd_api.workload import service
from cnscd_api.workload.schemas import Workload, WorkloadQuery

router = APIRouter(
    route_class=ContractRoute,
    prefix="/stats",
    tags=["stats"],
    responses=problem_responses(401, 403),
)


@router.get(
    "/workload",
    response_model=Workload,
    summary="Members' load, silent teams and reports on time in a campaign",
    responses=problem_responses(404),
)
def stats_workload(
    session: SessionDep, actor: StatsReader, query: Annotated[WorkloadQuery, Query()]
) -> Workload:
    """Per member (and team): days with approved reports naming them, those reports and
    the people they guided, most days first; the members above `threshold_days`; the
    active teams silent for `silent_days` in an open campaign; and per team and per
    child unit the share of reports recorded within `on_time_days` of their date. The
    member's other duty is their affiliation (Youth Union, commune official, police …)."""
    return service.workload(session, actor, query)
