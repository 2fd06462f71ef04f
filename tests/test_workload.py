"""The workload of a campaign: members' days, reports and people served from approved
reports, the members above a threshold, silent teams of an open campaign, and the share
of reports recorded on time per team and unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityStatus,
    Affiliation,
    Campaign,
    Member,
    Role,
    Team,
    User,
)
from tests.factories import (
    Tree,
    bearer,
    make_activity,
    make_campaign,
    make_member,
    make_team,
    make_user,
    make_village,
)

WORKLOAD = "/api/v1/stats/workload"
TODAY = date(2024, 10, 8)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def report(
    session: Session,
    team: Team,
    recorder: User,
    campaign: Campaign,
    day: date,
    members: list[Member],
    *,
    status: ActivityStatus = ActivityStatus.APPROVED,
    recorded_days_later: int = 0,
) -> Activity:
    activity = make_activity(
        session,
        team,
        recorder,
        day=day,
        campaign=campaign,
        status=status,
        values={"people_guided": 10},
    )
    # Recorded at 20:00 in Vietnam, ``recorded_days_later`` days after the activity.
    activity.created_at = datetime(day.year, day.month, day.day, 13, tzinfo=UTC) + timedelta(
        days=recorded_days_later
    )
    session.add(activity)
    for member in members:
        session.add(ActivityMember(activity_id=activity.id, member_id=member.id))
    session.flush()
    return activity


@pytest.fixture
def world(session: Session, settings: Settings, tree: Tree) -> dict[str, Any]:
    campaign = make_campaign(
        session, tree.kon_tum, starts_on=date(2024, 10, 1), ends_on=date(2024, 10, 10)
    )
    peng = make_village(session, tree.dak_pek, "Thôn Peng Sang")
    first = make_team(session, tree.dak_pek_village, "Tổ Đắk Ung")
    second = make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    quiet = make_team(session, peng, "Tổ Peng Sang")
    a1 = make_member(session, first, "Y Thị Hoa", affiliation=Affiliation.COMMUNE_OFFICIAL)
    a2 = make_member(session, first, "A Văn Bình", affiliation=Affiliation.POLICE)
    b1 = make_member(session, second, "Nguyễn Thị Lan")
    recorder = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    report(session, first, recorder, campaign, date(2024, 10, 1), [a1])
    report(session, first, recorder, campaign, date(2024, 10, 2), [a1, a2], recorded_days_later=3)
    report(session, first, recorder, campaign, date(2024, 10, 3), [a1])
    report(session, first, recorder, campaign, date(2024, 10, 3), [a1], recorded_days_later=2)
    report(
        session,
        second,
        recorder,
        campaign,
        date(2024, 10, 5),
        [b1],
        status=ActivityStatus.SUBMITTED,
    )
    district = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_man, team_id=second.id)
    outsider = make_user(session, Role.VIEWER, tree.ngoc_hoi)
    session.commit()
    return {
        "campaign": campaign,
        "teams": (first, second, quiet),
        "members": (a1, a2, b1),
        "headers": {
            "district": bearer(settings, district),
            "leader": bearer(settings, leader),
            "outsider": bearer(settings, outsider),
        },
        "tree": tree,
    }


def test_members_load_from_approved_reports_and_those_above_the_threshold(
    client: TestClient, world: dict[str, Any]
) -> None:
    answer = client.get(
        WORKLOAD,
        params={"campaign_id": str(world["campaign"].id), "threshold_days": 2},
        headers=world["headers"]["district"],
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    a1, a2, b1 = world["members"]
    loads = {m["member_id"]: m for m in body["members"]}
    assert loads[str(a1.id)] | {} == {
        **loads[str(a1.id)],
        "days": 3,
        "reports": 4,
        "people_served": 40,
        "affiliation": "commune_official",
    }
    assert (loads[str(a2.id)]["days"], loads[str(a2.id)]["reports"]) == (1, 1)
    assert str(b1.id) not in loads  # only a submitted report names her
    assert [m["member_id"] for m in body["above_threshold"]] == [str(a1.id)]
    assert body["members"][0]["member_id"] == str(a1.id)


def test_silent_teams_of_an_open_campaign(client: TestClient, world: dict[str, Any]) -> None:
    first, second, quiet = world["teams"]
    answer = client.get(
        WORKLOAD,
        params={"campaign_id": str(world["campaign"].id), "silent_days": 4},
        headers=world["headers"]["district"],
    ).json()
    assert answer["campaign_open"] is True
    silent = {t["team_id"]: t for t in answer["silent_teams"]}
    assert silent[str(first.id)]["days_silent"] == 5  # last report on the 3rd
    assert silent[str(first.id)]["last_report"] == "2024-10-03"
    assert silent[str(quiet.id)]["last_report"] is None
    assert silent[str(quiet.id)]["days_silent"] == 8
    assert str(second.id) not in silent  # reported on the 5th (submitted counts)


def test_reports_on_time_per_team_and_unit(client: TestClient, world: dict[str, Any]) -> None:
    first, second, _ = world["teams"]
    tree: Tree = world["tree"]
    answer = client.get(
        WORKLOAD,
        params={
            "campaign_id": str(world["campaign"].id),
            "unit_id": str(tree.dak_glei.id),
            "on_time_days": 2,
        },
        headers=world["headers"]["district"],
    ).json()
    teams = {t["id"]: t for t in answer["teams_on_time"]}
    assert (teams[str(first.id)]["reports"], teams[str(first.id)]["on_time"]) == (4, 3)
    assert teams[str(first.id)]["rate"] == 0.75
    assert teams[str(second.id)]["rate"] == 1.0
    units = {u["name"]: u for u in answer["units_on_time"]}
    assert (units["Xã Đắk Pék"]["reports"], units["Xã Đắk Pék"]["on_time"]) == (4, 3)
    assert units["Xã Đắk Man"]["rate"] == 1.0


def test_scope_limits_the_workload(client: TestClient, world: dict[str, Any]) -> None:
    _, second, _ = world["teams"]
    tree: Tree = world["tree"]
    campaign_id = str(world["campaign"].id)
    own = client.get(
        WORKLOAD, params={"campaign_id": campaign_id}, headers=world["headers"]["leader"]
    ).json()
    assert {t["id"] for t in own["teams_on_time"]} == {str(second.id)}
    outside = client.get(
        WORKLOAD,
        params={"campaign_id": campaign_id, "unit_id": str(tree.dak_pek.id)},
        headers=world["headers"]["outsider"],
    )
    assert outside.status_code == 404
    invalid = client.get(
        WORKLOAD,
        params={"campaign_id": campaign_id, "threshold_days": -1},
        headers=world["headers"]["district"],
    )
    assert invalid.status_code == 422
