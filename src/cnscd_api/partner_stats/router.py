"""``/stats/support-requests`` and ``/stats/device-needs``: the dashboards of partners on
the ground, as JSON or CSV, with ETags, like the other ``/stats`` routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from cnscd_api.core.errors import problem_responses
from cnscd_api.core.representation import REPRESENTATION_RESPONSES, RepresentationDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.partner_stats import service as partners
from cnscd_api.stats import tables
from cnscd_api.stats.dependencies import StatsReader
from cnscd_api.stats.schemas import DeviceDashboard, DeviceQuery, PartnerQuery, SupportDashboard

router = APIRouter(
    route_class=ContractRoute,
    prefix="/stats",
    tags=["stats"],
    responses={**REPRESENTATION_RESPONSES, **problem_responses(401, 403, 404)},
)


@router.get(
    "/support-requests",
    response_model=SupportDashboard,
    summary="Support requests and assisted reports, per unit and organisation",
)
def stats_support_requests(
    session: SessionDep,
    actor: StatsReader,
    query: Annotated[PartnerQuery, Query()],
    representation: RepresentationDep,
) -> Response:
    """Per organisation over the area, then per direct child unit and organisation:
    requests open, accepted, done, declined and cancelled; the median hours from asking
    to the answer and to done; and the reports made with the organisation's staff
    (`partner_staff` above 0 or a support request named) with the people they guided.
    A partner counts its own organisation's; a team leader their own team's requests."""
    dashboard = partners.support_dashboard(session, actor, query)
    return representation.answer(dashboard, tables.support_table)


@router.get(
    "/device-needs",
    response_model=DeviceDashboard,
    summary="Households without a smartphone: in need, referred, served",
)
def stats_device_needs(
    session: SessionDep,
    actor: StatsReader,
    query: Annotated[DeviceQuery, Query()],
    representation: RepresentationDep,
) -> Response:
    """The latest count of each unit counted, summed over the area and per direct child
    unit (households without a smartphone, poor, near-poor), with the households handed
    to operators and those delivered; then referrals per organisation (area, then per
    child unit). Counts only: no household is named. A partner counts its own
    organisation's referrals."""
    dashboard = partners.device_dashboard(session, actor, query)
    return representation.answer(dashboard, tables.device_table)
