"""Request and response models of ``/stats/workload``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from cnscd_api.models import Affiliation

Days = Annotated[int, Field(ge=0, le=366)]


class WorkloadQuery(BaseModel):
    campaign_id: uuid.UUID
    unit_id: uuid.UUID | None = Field(
        default=None, description="That unit's subtree; by default your whole scope."
    )
    threshold_days: Days = Field(
        default=5,
        description="A member with more days of approved reports than this in the campaign "
        "is listed as carrying a heavy load.",
    )
    silent_days: Days = Field(
        default=3,
        description="An active team without any report in this many days of an open "
        "campaign (up to today) is listed as silent.",
    )
    on_time_days: Days = Field(
        default=2,
        description="A report is on time when recorded at most this many days after its "
        "activity date (Vietnam's calendar).",
    )


class MemberLoad(BaseModel):
    member_id: uuid.UUID
    member_name: str | None = Field(description="Empty for a member erased since.")
    affiliation: Affiliation | None = Field(description="The member's other duty.")
    organisation: str | None
    team_id: uuid.UUID
    team_name: str
    days: int = Field(description="Days with an approved report naming the member.")
    reports: int = Field(description="Approved reports naming the member.")
    people_served: int = Field(description="`people_guided` of those reports, summed.")


class SilentTeam(BaseModel):
    team_id: uuid.UUID
    team_name: str
    last_report: date | None
    days_silent: int


class Timeliness(BaseModel):
    id: uuid.UUID
    name: str
    reports: int
    on_time: int
    rate: float | None = Field(description="`on_time / reports`, empty without reports.")


class Workload(BaseModel):
    campaign_id: uuid.UUID
    unit_id: uuid.UUID | None
    campaign_open: bool
    threshold_days: int
    silent_days: int
    on_time_days: int
    members: list[MemberLoad] = Field(description="Most days first.")
    above_threshold: list[MemberLoad]
    silent_teams: list[SilentTeam] = Field(description="Empty unless the campaign is open.")
    teams_on_time: list[Timeliness]
    units_on_time: list[Timeliness] = Field(description="The unit's direct children.")
