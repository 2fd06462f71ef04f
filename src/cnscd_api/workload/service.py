"""The workload of a campaign in a unit's subtree.

- Per member: the days and reports of the campaign's approved reports that name them
  (``member_ids``), and the people those reports guided (``people_guided``); the members
  with more days than the threshold are listed apart.
- Silent teams: active teams without any report (whatever its status) in the last
  ``silent_days`` days of an open campaign, up to today.
- Timeliness (DHIS2's "reporting rate on time"): a report, whatever its status, is on time
  when recorded (its ``created_at`` in Vietnam's calendar) at most ``on_time_days`` days
  after its activity date; the rate per team and per child unit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.campaigns import service as campaign_service
from cnscd_api.core import clock
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import ancestor_ids
from cnscd_api.models import ActivityStatus, Campaign, CampaignStatus
from cnscd_api.units import service as unit_service
from cnscd_api.workload import repository
from cnscd_api.workload.schemas import (
    MemberLoad,
    SilentTeam,
    Timeliness,
    Workload,
    WorkloadQuery,
)


def _rate(on_time: int, reports: int) -> float | None:
    return round(on_time / reports, 4) if reports else None


def workload(session: Session, actor: Principal, query: WorkloadQuery) -> Workload:
    campaign = campaign_service.get_campaign(session, actor, query.campaign_id)
    path = (
        unit_service.get_unit(session, actor, query.unit_id).path
        if query.unit_id is not None
        else actor.scope_path
    )
    rows = repository.reports(session, actor, path, campaign.id)
    approved = [row for row in rows if row.status is ActivityStatus.APPROVED]
    people = repository.people_guided(session, [row.id for row in approved])
    report_of = {row.id: row for row in approved}
    days: dict[tuple[uuid.UUID, uuid.UUID], set[date]] = defaultdict(set)
    counts: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    served: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for activity_id, member_id in repository.members_of(session, list(report_of)):
        report = report_of[activity_id]
        key = (member_id, report.team_id)
        days[key].add(report.activity_date)
        counts[key] += 1
        served[key] += people.get(activity_id, 0)
    members = repository.members(session, sorted({m for m, _ in days}, key=str))
    teams = repository.team_names(session, sorted({row.team_id for row in rows}, key=str))
    loads = [
        MemberLoad(
            member_id=member_id,
            member_name=members[member_id].full_name if member_id in members else None,
            affiliation=members[member_id].affiliation if member_id in members else None,
            organisation=members[member_id].organisation if member_id in members else None,
            team_id=team_id,
            team_name=teams[team_id].name,
            days=len(worked),
            reports=counts[(member_id, team_id)],
            people_served=served[(member_id, team_id)],
        )
        for (member_id, team_id), worked in days.items()
    ]
    loads.sort(
        key=lambda load: (-load.days, -load.reports, load.member_name or "", str(load.member_id))
    )
    return Workload(
        campaign_id=campaign.id,
        unit_id=query.unit_id,
        campaign_open=campaign_service.status_of(campaign) is CampaignStatus.ACTIVE,
        threshold_days=query.threshold_days,
        silent_days=query.silent_days,
        on_time_days=query.on_time_days,
        members=loads,
        above_threshold=[load for load in loads if load.days > query.threshold_days],
        silent_teams=_silent(session, actor, path, campaign, rows, query.silent_days),
        teams_on_time=_teams_on_time(rows, teams, query.on_time_days),
        units_on_time=_units_on_time(session, rows, path, query.on_time_days),
    )


def _silent(
    session: Session,
    actor: Principal,
    path: str,
    campaign: Campaign,
    rows: list[Row[Any]],
    silent_days: int,
) -> list[SilentTeam]:
    if campaign_service.status_of(campaign) is not CampaignStatus.ACTIVE:
        return []
    today = min(clock.today(), campaign.ends_on)
    last: dict[uuid.UUID, date] = {}
    for row in rows:
        if row.activity_date <= today:
            last[row.team_id] = max(last.get(row.team_id, row.activity_date), row.activity_date)
    silent: list[SilentTeam] = []
    for team in sorted(
        repository.active_teams(session, actor, path), key=lambda t: (t.name_key, str(t.id))
    ):
        since = last.get(team.id)
        quiet = (today - since).days if since else (today - campaign.starts_on).days + 1
        if quiet >= silent_days:
            silent.append(
                SilentTeam(
                    team_id=team.id, team_name=team.name, last_report=since, days_silent=quiet
                )
            )
    return silent


def _on_time(row: Row[Any], on_time_days: int) -> bool:
    recorded: date = row.created_at.astimezone(clock.VIETNAM).date()
    late: int = (recorded - row.activity_date).days
    return late <= on_time_days


def _rates(
    keyed: list[tuple[uuid.UUID, bool]], names: dict[uuid.UUID, Row[Any]]
) -> list[Timeliness]:
    """Reports and those on time per key (a team, a unit), in the names' order."""
    reports: dict[uuid.UUID, int] = defaultdict(int)
    timely: dict[uuid.UUID, int] = defaultdict(int)
    for key, on_time in keyed:
        reports[key] += 1
        timely[key] += int(on_time)
    return [
        Timeliness(
            id=key,
            name=names[key].name,
            reports=reports[key],
            on_time=timely[key],
            rate=_rate(timely[key], reports[key]),
        )
        for key in sorted(reports, key=lambda k: (names[k].name_key, str(k)))
    ]


def _teams_on_time(
    rows: list[Row[Any]], teams: dict[uuid.UUID, Row[Any]], on_time_days: int
) -> list[Timeliness]:
    return _rates([(row.team_id, _on_time(row, on_time_days)) for row in rows], teams)


def _units_on_time(
    session: Session, rows: list[Row[Any]], path: str, on_time_days: int
) -> list[Timeliness]:
    """Per direct child of the unit asked for (a report at the unit itself counts in no
    child)."""
    depth = len(ancestor_ids(path))
    keyed = [
        (below[0], _on_time(row, on_time_days))
        for row in rows
        if (below := ancestor_ids(row.place_path)[depth:])
    ]
    return _rates(keyed, repository.unit_names(session, list({key for key, _ in keyed})))
