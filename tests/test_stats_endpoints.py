"""``/stats``: the numbers asserted against what was recorded and approved through the
API, scope (404 outside, a district sees its communes), CSV, ETag and 304, time series
with zeros and ISO weeks, campaign progress and completeness, the team ranking, and
what partners, viewers and team leaders read."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session, col, func, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.core.permissions import Principal, PrincipalKind, permissions_for
from cnscd_api.models import (
    Affiliation,
    Campaign,
    Role,
    Team,
    TeamRole,
    TeamStatus,
    Unit,
    UnitLevel,
)
from cnscd_api.models.stats import NATION
from cnscd_api.stats import service
from cnscd_api.stats.schemas import OverviewQuery, TimeseriesQuery
from tests.factories import (
    Tree,
    bearer,
    give_target,
    make_campaign,
    make_member,
    make_team,
    make_user,
    make_village,
)

STATS = "/api/v1/stats"
ACTIVITIES = "/api/v1/activities"
TODAY = date(2026, 3, 15)  # a Sunday


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@dataclass
class World:
    tree: Tree
    teams: dict[str, Team]
    villages: dict[str, Unit]
    campaign: Campaign
    headers: dict[str, dict[str, str]]


def record(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = client.post(ACTIVITIES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def approve(client: TestClient, headers: dict[str, str], activity_id: str) -> None:
    response = client.post(f"{ACTIVITIES}/{activity_id}/approve", headers=headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings, tree: Tree) -> World:
    """Four active teams and a suspended one in Đắk Glei, a province campaign with targets
    down to the communes, and five reports (four approved)."""
    villages = {
        "ung": tree.dak_pek_village,
        "peng": make_village(session, tree.dak_pek, "Thôn Peng Sang"),
        "ben": make_village(session, tree.dak_man, "Thôn Bên Kia"),
    }
    teams = {
        "a": make_team(session, villages["ung"], "Tổ Đắk Ung"),
        "b": make_team(session, villages["peng"], "Tổ Peng Sang"),
        "c": make_team(session, villages["ben"], "Tổ Bên Kia"),
        "d": make_team(session, tree.dak_man, "Tổ xã Đắk Man"),
        "e": make_team(session, villages["peng"], "Tổ tạm dừng", status=TeamStatus.SUSPENDED),
    }
    make_member(session, teams["a"], "Y Thị Hoa", role=TeamRole.LEADER)
    make_member(session, teams["a"], "A Văn Bình", affiliation=Affiliation.POLICE)
    make_member(session, teams["c"], "Nguyễn Thị Lan", affiliation=Affiliation.WOMENS_UNION)
    make_member(session, teams["c"], "Đã Rời Đi", left_on=date(2025, 1, 1))
    campaign = make_campaign(
        session,
        tree.kon_tum,
        categories=("vneid",),
        targets={"people_guided": 1000, "vneid_level2_activated": None},
        starts_on=TODAY - timedelta(days=5),
        ends_on=TODAY + timedelta(days=5),
    )
    give_target(session, campaign, tree.kon_tum, tree.dak_glei, "people_guided", 600)
    give_target(session, campaign, tree.dak_glei, tree.dak_pek, "people_guided", 400)
    give_target(session, campaign, tree.dak_glei, tree.dak_man, "people_guided", 200)
    users = {
        "admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
        "district": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "dak_pek": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "dak_man": make_user(session, Role.COMMUNE_OFFICER, tree.dak_man),
        "viewer": make_user(session, Role.VIEWER, tree.dak_glei),
        "partner": make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT Kon Tum"),
        "leader": make_user(session, Role.TEAM_LEADER, villages["ung"], team_id=teams["a"].id),
    }
    session.commit()
    headers = {name: bearer(settings, user) for name, user in users.items()}

    def body(team: str, days_ago: int, people: int, **more: int) -> dict[str, Any]:
        return {
            "team_id": str(teams[team].id),
            "activity_date": (TODAY - timedelta(days=days_ago)).isoformat(),
            "categories": ["vneid"],
            "values": {"people_guided": people, **more},
            "campaign_id": str(campaign.id) if days_ago <= 5 else None,
        }

    district = headers["district"]
    approve(
        client,
        district,
        record(client, headers["dak_pek"], body("a", 1, 30, vneid_level2_activated=5)),
    )
    record(client, headers["dak_pek"], body("a", 2, 20))  # left waiting for review
    approve(client, district, record(client, headers["dak_pek"], body("b", 1, 50)))
    approve(client, district, record(client, headers["dak_man"], body("c", 1, 50)))
    approve(client, district, record(client, headers["dak_man"], body("c", 20, 7)))
    return World(tree, teams, villages, campaign, headers)


def get(client: TestClient, world: World, who: str, path: str, **params: Any) -> Any:
    response = client.get(f"{STATS}{path}", params=params, headers=world.headers[who])
    assert response.status_code == 200, response.text
    return response.json()


def indicator(overview: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in overview["indicators"] if i["code"] == code)


# --- overview -------------------------------------------------------------------------------


def test_overview_counts_what_was_recorded(client: TestClient, world: World) -> None:
    overview = get(client, world, "admin", "/overview")
    assert overview["area"]["unit_id"] == str(world.tree.kon_tum.id)
    assert overview["teams"]["by_status"] == {"active": 4, "suspended": 1, "dissolved": 0}
    assert overview["activities"]["by_status"] == {"submitted": 1, "approved": 4, "rejected": 0}
    people = indicator(overview, "people_guided")
    assert (people["approved"], people["submitted"]) == (137, 20)
    assert (people["approved_activities"], people["submitted_activities"]) == (4, 1)
    assert indicator(overview, "vneid_level2_activated")["approved"] == 5
    members = overview["members"]
    assert members["total"] == 3  # the member who left is not counted
    assert members["by_affiliation"]["police"] == 1
    assert members["by_affiliation"]["youth_union"] == 1
    assert members["by_role"] == {"leader": 1, "deputy": 0, "member": 2}
    assert sum(members["by_gender"].values()) == 3


def test_overview_by_campaign_and_days(client: TestClient, world: World) -> None:
    in_campaign = get(client, world, "admin", "/overview", campaign_id=str(world.campaign.id))
    assert indicator(in_campaign, "people_guided")["approved"] == 130
    assert in_campaign["activities"]["total"] == 4
    one_day = get(
        client,
        world,
        "admin",
        "/overview",
        **{"from": (TODAY - timedelta(days=2)).isoformat(), "to": TODAY.isoformat()},
    )
    assert indicator(one_day, "people_guided")["approved"] == 130
    assert indicator(one_day, "people_guided")["submitted"] == 20


def test_overview_coverage(client: TestClient, session: Session, world: World) -> None:
    overview = get(client, world, "district", "/overview")
    communes = session.exec(
        select(func.count())
        .select_from(Unit)
        .where(
            col(Unit.level) == UnitLevel.COMMUNE,
            col(Unit.path).startswith(world.tree.dak_glei.path),
        )
    ).one()
    villages = session.exec(
        select(func.count())
        .select_from(Unit)
        .where(
            col(Unit.level) == UnitLevel.VILLAGE,
            col(Unit.path).startswith(world.tree.dak_glei.path),
        )
    ).one()
    coverage = overview["coverage"]
    assert coverage["communes"] == communes
    assert coverage["communes_with_team"] == 2  # Đắk Pék and Đắk Man
    assert coverage["commune_percentage"] == round(200 / communes, 1)
    assert coverage["villages"] == villages
    assert coverage["villages_with_team"] == 3  # the suspended team adds none
    assert coverage["village_percentage"] == round(300 / villages, 1)


def test_a_commune_reads_its_own_and_not_its_sibling(client: TestClient, world: World) -> None:
    own = get(client, world, "dak_pek", "/overview")
    assert own["area"]["unit_id"] == str(world.tree.dak_pek.id)
    assert indicator(own, "people_guided")["approved"] == 80
    assert own["teams"]["by_status"]["active"] == 2
    sibling = client.get(
        f"{STATS}/overview",
        params={"unit_id": str(world.tree.dak_man.id)},
        headers=world.headers["dak_pek"],
    )
    assert sibling.status_code == 404
    assert sibling.json()["code"] == "not_found"
    # The district above is not theirs to count either.
    above = client.get(
        f"{STATS}/timeseries",
        params={"unit_id": str(world.tree.dak_glei.id), "indicator": "people_guided"},
        headers=world.headers["dak_pek"],
    )
    assert above.status_code == 404


def test_a_district_reads_its_communes(client: TestClient, world: World) -> None:
    dak_man = get(client, world, "district", "/overview", unit_id=str(world.tree.dak_man.id))
    assert indicator(dak_man, "people_guided")["approved"] == 57
    assert dak_man["teams"]["by_status"]["active"] == 2


def test_viewers_and_partners_read_counts_without_names(client: TestClient, world: World) -> None:
    for who in ("viewer", "partner"):
        response = client.get(f"{STATS}/overview", headers=world.headers[who])
        assert response.status_code == 200, response.text
        assert indicator(response.json(), "people_guided")["approved"] == 137
        for name in ("Y Thị Hoa", "A Văn Bình", "Nguyễn Thị Lan"):
            assert name not in response.text
        # A partner ranks every team, whatever organisation supported the reports.
        ranking = get(client, world, who, "/teams/ranking", indicator="people_guided")
        assert [t["approved"] for t in ranking["items"]] == [57, 50, 30]


def test_a_team_leader_counts_their_own_team(client: TestClient, world: World) -> None:
    overview = get(client, world, "leader", "/overview")
    assert overview["area"]["unit_id"] == str(world.villages["ung"].id)
    assert overview["teams"]["total"] == 1
    assert overview["members"]["total"] == 2
    ranking = get(client, world, "leader", "/teams/ranking", indicator="people_guided")
    assert [t["team_id"] for t in ranking["items"]] == [str(world.teams["a"].id)]


def test_a_team_leader_s_completeness_counts_their_own_team_only(
    client: TestClient, session: Session, world: World
) -> None:
    """Another team of the same village reporting does not count for the leader's team."""
    neighbour = make_team(session, world.villages["ung"], "Tổ hàng xóm")
    session.commit()
    three_days_ago = (TODAY - timedelta(days=3)).isoformat()
    record(
        client,
        world.headers["dak_pek"],
        {
            "team_id": str(neighbour.id),
            "activity_date": three_days_ago,
            "categories": ["vneid"],
            "values": {"people_guided": 4},
            "campaign_id": str(world.campaign.id),
        },
    )
    own = get(client, world, "leader", f"/campaigns/{world.campaign.id}/completeness")
    days = {d["day"]: (d["expected"], d["reported"], d["silent"]) for d in own["days"]}
    assert own["expected_teams"] == 1
    assert days[three_days_ago] == (1, 0, 1)
    assert days[(TODAY - timedelta(days=1)).isoformat()] == (1, 1, 0)


def test_a_national_caller_reads_the_whole_country(session: Session, world: World) -> None:
    national = Principal(
        kind=PrincipalKind.USER,
        id=uuid.uuid4(),
        name="quoc.gia",
        role=Role.VIEWER,
        scope_unit_id=None,
        scope_path="/",
        permissions=permissions_for(Role.VIEWER),
    )
    assert service.place_of(session, national, None).key == NATION
    overview = service.overview(session, national, OverviewQuery(), "vi")
    assert overview.area.unit_id is None
    people = next(i for i in overview.indicators if i.code == "people_guided")
    assert people.approved == 137
    series = service.timeseries(
        session, national, TimeseriesQuery(indicator="people_guided", interval="month"), "en"
    )
    assert sum(p.approved for p in series.periods) == 137
    # Without from and to: the last 12 months (30 days, 12 weeks) up to today.
    assert [series.periods[0].period, series.periods[-1].period] == ["2025-04", "2026-03"]
    days = service.timeseries(session, national, TimeseriesQuery(indicator="people_guided"), "en")
    assert (days.date_from, days.date_to, len(days.periods)) == (
        TODAY - timedelta(days=29),
        TODAY,
        30,
    )


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field", "code"),
    [
        ("/overview", {"from": "2026-03-10", "to": "2026-03-01"}, "query.from", "from_after_to"),
        ("/timeseries", {"indicator": "no_such_thing"}, "query.indicator", "unknown_indicator"),
        ("/teams/ranking", {"indicator": "no_such_thing"}, "query.indicator", "unknown_indicator"),
        (
            "/timeseries",
            {"indicator": "people_guided", "from": "2000-01-01", "to": "2026-03-15"},
            "query.from",
            "too_many_periods",
        ),
        ("/timeseries", {"indicator": "people_guided", "interval": "year"}, "query.interval", None),
        ("/overview", {"from": "15/03/2026"}, "query.from", None),
        ("/teams/ranking", {"indicator": "people_guided", "limit": "501"}, "query.limit", None),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient,
    world: World,
    path: str,
    params: dict[str, str],
    field: str,
    code: str | None,
) -> None:
    response = client.get(
        f"{STATS}{path}", params=params, headers={**world.headers["admin"], "Accept-Language": "vi"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    if code is not None:
        assert errors[0]["code"] == code


# --- time series ----------------------------------------------------------------------------


def test_timeseries_days_with_zeros(client: TestClient, world: World) -> None:
    series = get(
        client,
        world,
        "admin",
        "/timeseries",
        indicator="people_guided",
        **{"from": (TODAY - timedelta(days=21)).isoformat(), "to": TODAY.isoformat()},
    )
    periods = series["periods"]
    assert len(periods) == 22
    assert periods[0]["period"] == (TODAY - timedelta(days=21)).isoformat()
    by_day = {p["period"]: (p["approved"], p["submitted"]) for p in periods}
    assert by_day[(TODAY - timedelta(days=1)).isoformat()] == (130, 0)
    assert by_day[(TODAY - timedelta(days=2)).isoformat()] == (0, 20)
    assert by_day[(TODAY - timedelta(days=20)).isoformat()] == (7, 0)
    assert by_day[TODAY.isoformat()] == (0, 0)
    assert sum(1 for value in by_day.values() if value == (0, 0)) == 19


def test_timeseries_iso_weeks_and_months(client: TestClient, world: World) -> None:
    weeks = get(
        client,
        world,
        "district",
        "/timeseries",
        indicator="people_guided",
        interval="week",
        **{"from": "2026-02-20", "to": TODAY.isoformat()},
    )["periods"]
    # 2026-02-20 is in ISO week 8 (Monday 16 February); today, a Sunday, ends week 11.
    assert [p["period"] for p in weeks] == ["2026-W08", "2026-W09", "2026-W10", "2026-W11"]
    assert weeks[0]["starts_on"] == "2026-02-16"
    assert weeks[-1]["ends_on"] == "2026-03-15"
    assert [(p["approved"], p["submitted"]) for p in weeks] == [(0, 0), (7, 0), (0, 0), (130, 20)]
    months = get(
        client,
        world,
        "district",
        "/timeseries",
        indicator="people_guided",
        interval="month",
        **{"from": "2025-12-15", "to": "2026-03-31"},
    )["periods"]
    assert [(p["period"], p["approved"]) for p in months] == [
        ("2025-12", 0),
        ("2026-01", 0),
        ("2026-02", 7),
        ("2026-03", 130),
    ]
    campaign = get(
        client,
        world,
        "dak_man",
        "/timeseries",
        indicator="people_guided",
        campaign_id=str(world.campaign.id),
    )
    assert campaign["date_from"] == world.campaign.starts_on.isoformat()
    assert len(campaign["periods"]) == 11
    assert sum(p["approved"] for p in campaign["periods"]) == 50


# --- campaigns ------------------------------------------------------------------------------


def progress_of(unit: dict[str, Any], code: str) -> dict[str, Any]:
    return next(v for v in unit["indicators"] if v["indicator"] == code)


def test_progress_against_targets(client: TestClient, world: World) -> None:
    url = f"/campaigns/{world.campaign.id}/progress"
    province = get(client, world, "admin", url)
    assert province["unit"]["unit_id"] == str(world.tree.kon_tum.id)
    assert progress_of(province["unit"], "people_guided") == {
        "indicator": "people_guided",
        "target": 1000,
        "achieved": 130,
        "submitted": 20,
        "percentage": 13.0,
    }
    assert progress_of(province["unit"], "vneid_level2_activated")["percentage"] is None
    dak_glei = next(c for c in province["children"] if c["unit_id"] == str(world.tree.dak_glei.id))
    assert progress_of(dak_glei, "people_guided")["target"] == 600
    assert progress_of(dak_glei, "people_guided")["percentage"] == 21.7
    assert {i["code"] for i in province["indicators"]} == {
        "people_guided",
        "vneid_level2_activated",
    }
    district = get(client, world, "district", url)
    assert district["unit"]["unit_id"] == str(world.tree.dak_glei.id)
    communes = {c["unit_id"]: progress_of(c, "people_guided") for c in district["children"]}
    assert communes[str(world.tree.dak_pek.id)] == {
        "indicator": "people_guided",
        "target": 400,
        "achieved": 80,
        "submitted": 20,
        "percentage": 20.0,
    }
    assert communes[str(world.tree.dak_man.id)]["percentage"] == 25.0
    commune = get(client, world, "dak_pek", url)
    assert progress_of(commune["unit"], "people_guided")["target"] == 400
    villages = {c["unit_name"]: progress_of(c, "people_guided") for c in commune["children"]}
    assert villages["Thôn Peng Sang"]["achieved"] == 50
    assert villages["Thôn Peng Sang"]["target"] is None


def test_progress_scope(client: TestClient, session: Session, world: World) -> None:
    url = f"{STATS}/campaigns/{world.campaign.id}/progress"
    sibling = client.get(
        url, params={"unit_id": str(world.tree.dak_man.id)}, headers=world.headers["dak_pek"]
    )
    assert sibling.status_code == 404
    other = make_campaign(session, world.tree.ngoc_hoi)
    session.commit()
    unseen = client.get(f"{STATS}/campaigns/{other.id}/progress", headers=world.headers["district"])
    assert unseen.status_code == 404
    outside = client.get(
        f"{STATS}/campaigns/{other.id}/progress",
        params={"unit_id": str(world.tree.dak_glei.id)},
        headers=world.headers["admin"],
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "query.unit_id"


def test_completeness_ranks_silent_units(client: TestClient, world: World) -> None:
    url = f"/campaigns/{world.campaign.id}/completeness"
    district = get(client, world, "admin", url, unit_id=str(world.tree.dak_glei.id))
    assert district["expected_teams"] == 4
    days = {d["day"]: (d["expected"], d["reported"], d["silent"]) for d in district["days"]}
    assert len(days) == 6  # five days ago up to today
    assert days[(TODAY - timedelta(days=1)).isoformat()] == (4, 3, 1)
    assert days[(TODAY - timedelta(days=2)).isoformat()] == (4, 1, 3)
    assert days[TODAY.isoformat()] == (4, 0, 4)
    assert district["date"] == TODAY.isoformat()
    assert district["silent_teams"] is None
    yesterday = get(
        client,
        world,
        "admin",
        url,
        unit_id=str(world.tree.dak_glei.id),
        date=(TODAY - timedelta(days=1)).isoformat(),
    )
    first = yesterday["children"][0]
    assert (first["unit_id"], first["expected"], first["reported"], first["silent"]) == (
        str(world.tree.dak_man.id),
        2,
        1,
        1,
    )
    dak_pek = next(c for c in yesterday["children"] if c["unit_id"] == str(world.tree.dak_pek.id))
    assert dak_pek["silent"] == 0
    commune = get(client, world, "dak_man", url, date=(TODAY - timedelta(days=1)).isoformat())
    assert [t["team_name"] for t in commune["silent_teams"]] == ["Tổ xã Đắk Man"]
    outside = client.get(
        f"{STATS}{url}", params={"date": "2026-01-01"}, headers=world.headers["admin"]
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "query.date"


# --- ranking --------------------------------------------------------------------------------


def test_ranking_order_ties_and_limit(client: TestClient, world: World) -> None:
    overall = get(client, world, "admin", "/teams/ranking", indicator="people_guided")
    assert [(t["rank"], t["team_name"], t["approved"]) for t in overall["items"]] == [
        (1, "Tổ Bên Kia", 57),
        (2, "Tổ Peng Sang", 50),
        (3, "Tổ Đắk Ung", 30),
    ]
    assert overall["items"][2]["submitted"] == 20
    assert overall["items"][0]["unit_names"][-1] == "Thôn Bên Kia"
    # In the campaign Bên Kia and Peng Sang tie at 50: by name.
    campaign = get(
        client,
        world,
        "admin",
        "/teams/ranking",
        indicator="people_guided",
        campaign_id=str(world.campaign.id),
        limit=2,
    )
    assert [(t["team_name"], t["approved"]) for t in campaign["items"]] == [
        ("Tổ Bên Kia", 50),
        ("Tổ Peng Sang", 50),
    ]
    commune = get(client, world, "dak_pek", "/teams/ranking", indicator="people_guided")
    assert [t["team_name"] for t in commune["items"]] == ["Tổ Peng Sang", "Tổ Đắk Ung"]


# --- CSV and caching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/overview", {}),
        ("/timeseries", {"indicator": "people_guided"}),
        ("/teams/ranking", {"indicator": "people_guided"}),
        ("/campaigns/{campaign}/progress", {}),
        ("/campaigns/{campaign}/completeness", {}),
    ],
)
def test_every_endpoint_answers_csv_and_etags(
    client: TestClient, world: World, path: str, params: dict[str, str]
) -> None:
    url = STATS + path.format(campaign=world.campaign.id)
    headers = world.headers["district"]
    as_json = client.get(url, params=params, headers=headers)
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["cache-control"] == "private, max-age=60"
    etag = as_json.headers["etag"]
    same = client.get(url, params=params, headers={**headers, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    as_csv = client.get(url, params=params, headers={**headers, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith("\ufeff".encode())
    assert as_csv.headers["etag"] != etag
    assert "Đắk Glei" in as_csv.content.decode("utf-8") or path.startswith("/teams")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/overview", {}),
        ("/timeseries", {"indicator": "people_guided"}),
        ("/teams/ranking", {"indicator": "people_guided"}),
        ("/campaigns/{campaign}/progress", {}),
        ("/campaigns/{campaign}/completeness", {}),
    ],
)
def test_format_in_the_query_chooses_csv_or_json_whatever_accept_says(
    client: TestClient, world: World, path: str, params: dict[str, str]
) -> None:
    """A generated client (or a link) cannot pick `Accept`: `format=csv` asks for the CSV
    that `Accept: text/csv` gets, `format=json` for JSON even when `Accept` prefers CSV;
    the document declares the parameter on every such operation."""
    url = STATS + path.format(campaign=world.campaign.id)
    headers = world.headers["district"]
    negotiated = client.get(url, params=params, headers={**headers, "Accept": "text/csv"})
    as_csv = client.get(url, params={**params, "format": "csv"}, headers=headers)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content == negotiated.content
    assert as_csv.headers["etag"] == negotiated.headers["etag"]
    as_json = client.get(
        url, params={**params, "format": "json"}, headers={**headers, "Accept": "text/csv"}
    )
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == client.get(url, params=params, headers=headers).json()
    wrong = client.get(url, params={**params, "format": "xlsx"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "query.format"
    template = f"/api/v1/stats{path.replace('{campaign}', '{campaign_id}')}"
    operation = client.get("/openapi.json").json()["paths"][template]["get"]
    (declared,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert declared["in"] == "query"


def test_csv_keeps_vietnamese_and_the_etag_follows_the_data(
    client: TestClient, world: World
) -> None:
    headers = world.headers["district"]
    url = f"{STATS}/teams/ranking"
    params = {"indicator": "people_guided"}
    csv = client.get(url, params=params, headers={**headers, "Accept": "text/csv, */*;q=0.1"})
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "rank,team_id,team_name,unit_id,unit_names,indicator,approved,submitted"
    assert lines[1].startswith(f"1,{world.teams['c'].id},Tổ Bên Kia,")
    first = client.get(url, params=params, headers=headers)
    etag = first.headers["etag"]
    body = {
        "team_id": str(world.teams["d"].id),
        "activity_date": (TODAY - timedelta(days=3)).isoformat(),
        "categories": ["vneid"],
        "values": {"people_guided": 3},
    }
    approve(client, headers, record(client, world.headers["dak_man"], body))
    changed = client.get(url, params=params, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["items"][-1]["team_name"] == "Tổ xã Đắk Man"


def test_max_age_is_a_setting(client: TestClient, world: World, settings: Settings) -> None:
    settings.stats_max_age_seconds = 5
    response = client.get(f"{STATS}/overview", headers=world.headers["admin"])
    assert response.headers["cache-control"] == "private, max-age=5"


# --- the shape of the reads -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "most"),
    [
        ("/overview", {}, 8),
        ("/timeseries", {"indicator": "people_guided", "interval": "week"}, 4),
        ("/teams/ranking", {"indicator": "people_guided"}, 4),
        # The caller's reach of campaigns and units below the country is a plain SELECT
        # (the heritage rule reads ``unit_heritage``), no longer a recursive WITH.
        ("/campaigns/{campaign}/progress", {}, 9),
        ("/campaigns/{campaign}/completeness", {"unit_id": "{dak_man}"}, 8),
    ],
)
def test_reads_are_a_few_queries_on_the_aggregates(
    client: TestClient,
    connection: Connection,
    world: World,
    path: str,
    params: dict[str, str],
    most: int,
) -> None:
    """A handful of statements per answer (the caller's own lookup included), none of them
    on the raw reports."""
    url = STATS + path.format(campaign=world.campaign.id)
    sent = {k: v.format(dak_man=world.tree.dak_man.id) for k, v in params.items()}
    headers = world.headers["dak_man"]
    client.get(url, params=sent, headers=headers)  # warm-up: per-process caches
    statements: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):  # not savepoints
            statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    try:
        response = client.get(url, params=sent, headers=headers)
    finally:
        event.remove(connection, "before_cursor_execute", before_cursor_execute)
    assert response.status_code == 200, response.text
    assert 0 < len(statements) <= most, statements
    raw = [s for s in statements if re.search(r"\b(activity|activity_value)\b(?!_)", s)]
    assert raw == []
