"""Query parameters and answers of ``/stats``: counts only, never a member's name or
personal data."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cnscd_api.catalogue.schemas import CatalogueCode
from cnscd_api.core.fields import IsoDate
from cnscd_api.models import UnitLevel
from cnscd_api.workload.schemas import Days, Timeliness

Day = date  # for models with a field named ``date``

UNIT_DESCRIPTION = (
    "The unit whose subtree is counted; it must lie inside your scope. Defaults to your "
    "scope unit (the whole country for a national account)."
)


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


class Tree(StrEnum):
    CURRENT = "current"  # reports roll up through lineage to today's units
    HISTORICAL = "historical"  # each report counts on the map of its own day


TREE_DESCRIPTION = (
    "`current` (default): every report counts for the units it lies under on today's "
    "map, a report made in a unit since closed counting where that unit's default "
    "successors lead (a closed unit asked for is answered as the unit alive today it "
    "became). `historical`: every report counts for the units it lay under on its own "
    "day, so a closed unit (Huyện Đắk Glei) answers what it achieved while it existed. "
    "Team, member and coverage figures are today's registry in both."
)


class TreeQuery(BaseModel):
    tree: Tree = Field(default=Tree.CURRENT, description=TREE_DESCRIPTION)


class AreaQuery(BaseModel):
    unit_id: uuid.UUID | None = Field(default=None, description=UNIT_DESCRIPTION)


class PeriodQuery(AreaQuery, TreeQuery):
    campaign_id: uuid.UUID | None = Field(
        default=None, description="Only what counted for this campaign; all reports without."
    )
    date_from: IsoDate | None = Field(
        default=None, alias="from", description="First day (inclusive), Asia/Ho_Chi_Minh."
    )
    date_to: IsoDate | None = Field(
        default=None, alias="to", description="Last day (inclusive); not before `from`."
    )

    model_config = ConfigDict(populate_by_name=True)


class OverviewQuery(PeriodQuery):
    pass


class TimeseriesQuery(PeriodQuery):
    indicator: CatalogueCode = Field(
        description="The indicator's code.", examples=["people_guided"]
    )
    interval: Interval = Field(
        default=Interval.DAY, description="`day`, `week` (ISO, Monday first) or `month`."
    )


class RankingQuery(AreaQuery):
    indicator: CatalogueCode = Field(
        description="The indicator's code.", examples=["people_guided"]
    )
    campaign_id: uuid.UUID | None = Field(
        default=None, description="Only what counted for this campaign; all reports without."
    )
    limit: int = Field(default=20, ge=1, le=500, description="How many teams (at most 500).")


class CampaignAreaQuery(BaseModel):
    unit_id: uuid.UUID | None = Field(
        default=None,
        description="A unit inside the campaign's scope and yours; defaults to the "
        "campaign's scope unit, or to your own unit when the campaign's lies above it.",
    )


class ProgressQuery(CampaignAreaQuery, TreeQuery):
    pass


class CompletenessQuery(CampaignAreaQuery):
    date: IsoDate | None = Field(
        default=None,
        description="The day whose silent units are ranked; defaults to today, brought "
        "into the campaign's days.",
    )
    on_time_days: Days | None = Field(
        default=None,
        description="Also give the share of reports recorded on time per team and per child "
        "unit: at most this many days after their activity date (Vietnam's calendar). Read "
        "from the reports themselves, not the aggregates: ask for it at commune, district "
        "or province scope.",
    )


# --- answers ----------------------------------------------------------------------------


class Area(BaseModel):
    unit_id: uuid.UUID | None = Field(description="Null for the whole country.")
    unit_name: str
    level: UnitLevel | None


class IndicatorName(BaseModel):
    code: str
    name: str
    unit: str = Field(description="What is counted: people, households, accounts …")


class TeamCounts(BaseModel):
    total: int
    by_status: dict[str, int] = Field(description="`active`, `suspended`, `dissolved`.")


class MemberCounts(BaseModel):
    """Current members (who have not left), counted; no member is named."""

    total: int
    by_affiliation: dict[str, int]
    by_gender: dict[str, int] = Field(description="`unknown` counts members without one.")
    by_skill_level: dict[str, int]
    by_role: dict[str, int]


class ActivityCounts(BaseModel):
    total: int
    by_status: dict[str, int] = Field(description="`submitted`, `approved`, `rejected`.")


class IndicatorTotal(IndicatorName):
    approved: int
    submitted: int = Field(description="Reported and waiting for review.")
    approved_activities: int
    submitted_activities: int


class Coverage(BaseModel):
    """Units that exist today, and those an active team serves (a commune counts when an
    active team serves it or one of its villages)."""

    communes: int
    communes_with_team: int
    commune_percentage: float | None = Field(description="Null when there is no commune.")
    villages: int
    villages_with_team: int
    village_percentage: float | None = Field(description="Null when there is no village.")


class Overview(BaseModel):
    area: Area
    tree: Tree
    campaign_id: uuid.UUID | None
    date_from: date | None
    date_to: date | None
    teams: TeamCounts
    members: MemberCounts
    activities: ActivityCounts = Field(description="In the days and campaign asked for.")
    indicators: list[IndicatorTotal] = Field(description="Every indicator reported.")
    coverage: Coverage


class IndicatorProgress(BaseModel):
    indicator: str
    target: int | None
    achieved: int = Field(description="Approved.")
    submitted: int = Field(description="Reported and waiting for review.")
    percentage: float | None = Field(description="achieved / target × 100; null without target.")


class UnitProgress(BaseModel):
    unit_id: uuid.UUID
    unit_name: str
    indicators: list[IndicatorProgress]


class Progress(BaseModel):
    campaign_id: uuid.UUID
    indicators: list[IndicatorName] = Field(description="The indicators the campaign tracks.")
    tree: Tree
    unit: UnitProgress = Field(
        description="The unit asked for (on today's map: the unit alive today it became), "
        "with its own targets."
    )
    children: list[UnitProgress] = Field(
        description="Its direct children: existing today, or, asked historically, on the "
        "campaign's last day (or the unit's last, if it closed earlier)."
    )


class CompletenessDay(BaseModel):
    day: date
    expected: int = Field(description="Active teams in the unit (today's registry).")
    reported: int = Field(description="Teams that recorded an activity for that day.")
    silent: int = Field(description="expected − reported, never below zero.")


class SilentUnit(BaseModel):
    unit_id: uuid.UUID
    unit_name: str
    expected: int
    reported: int
    silent: int


class SilentTeam(BaseModel):
    team_id: uuid.UUID
    team_name: str
    unit_id: uuid.UUID
    unit_name: str


class Completeness(BaseModel):
    campaign_id: uuid.UUID
    area: Area
    expected_teams: int
    days: list[CompletenessDay] = Field(description="Each campaign day up to today.")
    date: Day = Field(description="The day the children and silent teams are ranked for.")
    children: list[SilentUnit] = Field(description="Most silent first, on `date`.")
    silent_teams: list[SilentTeam] | None = Field(
        description="At commune or village level: the active teams silent on `date`."
    )
    on_time_days: int | None = Field(default=None, description="As asked for.")
    teams_on_time: list[Timeliness] | None = Field(
        default=None, description="With `on_time_days`: per team of the area."
    )
    units_on_time: list[Timeliness] | None = Field(
        default=None, description="With `on_time_days`: per child unit."
    )


class Period(BaseModel):
    period: str = Field(description="`2024-10-05`, `2024-W40` or `2024-10`.")
    starts_on: date
    ends_on: date
    approved: int
    submitted: int


class Timeseries(BaseModel):
    area: Area
    tree: Tree
    indicator: IndicatorName
    campaign_id: uuid.UUID | None
    interval: Interval
    date_from: date
    date_to: date
    periods: list[Period] = Field(description="Every period, zeros included.")


class RankedTeam(BaseModel):
    rank: int
    team_id: uuid.UUID
    team_name: str
    unit_id: uuid.UUID
    unit_names: list[str] = Field(description="From the province down to the team's unit.")
    approved: int
    submitted: int


class Ranking(BaseModel):
    area: Area
    indicator: IndicatorName
    campaign_id: uuid.UUID | None
    items: list[RankedTeam]


# --- partners on the ground ----------------------------------------------------------------


class PartnerQuery(AreaQuery):
    pass


class DeviceQuery(AreaQuery, TreeQuery):
    pass


class SupportFigures(BaseModel):
    """Support requests of one organisation in one unit's subtree, and the reports its
    staff supported there."""

    unit_id: uuid.UUID | None = Field(description="Null on the rows of the whole area.")
    unit_name: str
    organisation: str
    requested: int = Field(description="Open: waiting for the partner's answer.")
    accepted: int = Field(description="Accepted, not yet done.")
    done: int
    declined: int
    cancelled: int
    median_hours_to_answer: float | None = Field(
        description="From asking to the partner's answer (accepted, declined or done); null "
        "when none was answered."
    )
    median_hours_to_serve: float | None = Field(
        description="From asking to done; null when none is done."
    )
    assisted_reports: int = Field(
        description="Approved reports made with the organisation's staff (staff above 0, "
        "or a support request named)."
    )
    people_served: int = Field(description="People those approved reports guided.")
    people_served_submitted: int = Field(
        description="People guided by such reports still waiting for review."
    )


class SupportDashboard(BaseModel):
    area: Area
    organisations: list[SupportFigures] = Field(
        description="Per organisation, the whole area (`unit_id` null)."
    )
    units: list[SupportFigures] = Field(
        description="Per direct child unit (or the area itself, for what lies on it) and "
        "organisation."
    )


class NeedFigures(BaseModel):
    unit_id: uuid.UUID | None = Field(description="Null on the row of the whole area.")
    unit_name: str
    households_without_smartphone: int = Field(
        description="The latest count of each unit counted, summed."
    )
    poor: int
    near_poor: int
    referred: int = Field(description="Households handed to an operator, in any state.")
    delivered: int = Field(description="Households that received a phone and a package.")


class ReferralFigures(BaseModel):
    unit_id: uuid.UUID | None = Field(description="Null on the rows of the whole area.")
    unit_name: str
    organisation: str
    referred: int
    requested: int
    accepted: int
    delivered: int
    refused: int


class DeviceDashboard(BaseModel):
    area: Area
    tree: Tree
    total: NeedFigures
    units: list[NeedFigures] = Field(
        description="Per direct child unit (or the area itself, for what lies on it)."
    )
    organisations: list[ReferralFigures] = Field(
        description="Referrals per organisation: the whole area (`unit_id` null), then per "
        "child unit."
    )
