"""Writes that must not break a documented rule: erasing a member leaves every report as
it was, attribution to a partner is fixed, campaign and unit edits do not strand reports,
and a team with reports is dissolved rather than deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.models import AuditEvent, Campaign, Role, Team, User
from tests.factories import Tree, bearer, make_campaign, make_member, make_team, make_user

ACTIVITIES = "/api/v1/activities"
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@dataclass
class Place:
    team: Team
    member_ids: list[str]
    campaign: Campaign
    leader: User
    headers: dict[str, dict[str, str]]


@pytest.fixture
def place(session: Session, settings: Settings, tree: Tree) -> Place:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    members = [make_member(session, team, name) for name in ("A Nhong", "Y Blih", "Y Hoa")]
    campaign = make_campaign(
        session,
        tree.kon_tum,
        categories=("vneid", "online_public_services"),
        targets={"people_guided": 1000},
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY + timedelta(days=10),
    )
    users = {
        "leader": make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id),
        "commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
    }
    session.commit()
    return Place(
        team=team,
        member_ids=[str(m.id) for m in members],
        campaign=campaign,
        leader=users["leader"],
        headers={name: bearer(settings, user) for name, user in users.items()},
    )


def report(place: Place, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "team_id": str(place.team.id),
        "activity_date": (TODAY - timedelta(days=1)).isoformat(),
        "categories": ["vneid"],
        "member_ids": place.member_ids[:2],
        "values": {"people_guided": 35},
        "campaign_id": str(place.campaign.id),
    }
    return body | overrides


def activity_events(session: Session, activity_id: str) -> list[tuple[int, str]]:
    session.expire_all()
    return [
        (event.sequence, event.action)
        for event in session.exec(
            select(AuditEvent).where(
                col(AuditEvent.entity) == "activity", col(AuditEvent.entity_id) == activity_id
            )
        ).all()
    ]


# --- erasing a member --------------------------------------------------------------------


def test_erasing_a_member_changes_no_report(
    client: TestClient, session: Session, tree: Tree, place: Place
) -> None:
    leader, commune, admin = (place.headers[k] for k in ("leader", "commune", "admin"))
    approved = client.post(ACTIVITIES, json=report(place), headers=leader).json()
    assert client.post(f"{ACTIVITIES}/{approved['id']}/approve", headers=commune).status_code == 200
    pending = client.post(ACTIVITIES, json=report(place), headers=leader).json()
    erased, member_ids = place.member_ids[0], place.member_ids
    seen = {
        activity_id: client.get(f"{ACTIVITIES}/{activity_id}", headers=commune)
        for activity_id in (approved["id"], pending["id"])
    }
    history = {a: activity_events(session, a) for a in seen}

    def figures() -> dict[str, Any]:
        """What the dashboard counts of the reports (the registry's member counts do
        change: the person is gone), and the campaign's progress."""
        overview = client.get(
            "/api/v1/stats/overview", params={"unit_id": str(tree.dak_pek.id)}, headers=admin
        ).json()
        progress = client.get(
            f"/api/v1/stats/campaigns/{place.campaign.id}/progress", headers=admin
        ).json()
        return {
            "activities": overview["activities"],
            "indicators": overview["indicators"],
            "progress": progress,
        }

    counted = figures()

    gone = client.delete(f"/api/v1/members/{erased}", headers=commune)
    assert gone.status_code == 204, gone.text
    assert client.get(f"/api/v1/members/{erased}", headers=commune).status_code == 404

    for activity_id, before in seen.items():
        after = client.get(f"{ACTIVITIES}/{activity_id}", headers=commune)
        # The report still says two members took part (the erased one as a bare id), at
        # the same version, with no event of its own.
        assert after.json() == before.json()
        assert after.json()["member_ids"] == sorted(member_ids[:2])
        assert after.headers["etag"] == before.headers["etag"]
        assert activity_events(session, activity_id) == history[activity_id]
    assert counted["activities"]["by_status"]["approved"] == 1
    assert figures() == counted

    # A report still open is edited with the erased member kept, whether the edit leaves
    # the members alone or sends the list it read back; a member who never was in the
    # team is refused as before.
    url = f"{ACTIVITIES}/{pending['id']}"
    edited = client.patch(url, json={"values": {"people_guided": 40}}, headers=leader)
    assert edited.status_code == 200, edited.text
    assert edited.json()["member_ids"] == pending["member_ids"]
    resent = client.patch(url, json={"member_ids": [str(erased), member_ids[2]]}, headers=leader)
    assert resent.status_code == 200, resent.text
    assert len(resent.json()["member_ids"]) == 2
    stranger = client.patch(url, json={"member_ids": [str(place.leader.id)]}, headers=leader)
    assert stranger.status_code == 422
    assert [e["code"] for e in stranger.json()["errors"]] == ["member_not_in_team"]
    # A new report cannot name the erased member.
    new = client.post(ACTIVITIES, json=report(place, member_ids=[str(erased)]), headers=leader)
    assert new.status_code == 422
    assert [e["code"] for e in new.json()["errors"]] == ["member_not_in_team"]


# --- attribution ---------------------------------------------------------------------------


def partner_client(
    client: TestClient, place: Place, tree: Tree, organisation: str
) -> dict[str, str]:
    """A partner's API client in Đắk Glei, logged in with the client credentials grant."""
    created = client.post(
        "/api/v1/api-clients",
        json={
            "name": "Đồng bộ",
            "organisation": organisation,
            "scope_unit_id": str(tree.dak_glei.id),
        },
        headers=place.headers["admin"],
    )
    assert created.status_code == 201, created.text
    token = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_nobody_re_attributes_a_partner_s_report(
    client: TestClient, tree: Tree, place: Place
) -> None:
    vnpt = partner_client(client, place, tree, "VNPT Kon Tum")
    viettel = partner_client(client, place, tree, "Viettel Kon Tum")
    made = client.post(ACTIVITIES, json=report(place, member_ids=[], partner_staff=2), headers=vnpt)
    assert made.status_code == 201, made.text
    url = f"{ACTIVITIES}/{made.json()['id']}"
    recorded_by = made.json()["recorded_by"]
    # The team leader (and an officer, and the partner itself) cannot move it to another
    # organisation, nor take the organisation off.
    for who, organisation in [
        ("leader", "Viettel Kon Tum"),
        ("commune", "Viettel Kon Tum"),
        ("leader", None),
    ]:
        moved = client.patch(url, json={"organisation": organisation}, headers=place.headers[who])
        assert moved.status_code == 422, moved.text
        assert moved.json()["code"] == "attribution_fixed"
        assert [(e["field"], e["code"]) for e in moved.json()["errors"]] == [
            ("body.organisation", "attribution_fixed")
        ]
    by_vnpt = client.patch(url, json={"organisation": "Viettel Kon Tum"}, headers=vnpt)
    assert by_vnpt.status_code == 422
    # The rest of it is edited as before, the organisation sent unchanged included.
    edited = client.patch(
        url,
        json={"organisation": "VNPT Kon Tum", "partner_staff": 3},
        headers=place.headers["leader"],
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["organisation"], edited.json()["recorded_by"]) == (
        "VNPT Kon Tum",
        recorded_by,
    )
    # VNPT still reads it; Viettel never does.
    assert client.get(url, headers=vnpt).status_code == 200
    assert client.get(url, headers=viettel).status_code == 404
    assert client.get(ACTIVITIES, headers=viettel).json()["total"] == 0


def test_a_user_s_report_names_and_changes_its_supporting_partner(
    client: TestClient, tree: Tree, place: Place
) -> None:
    viettel = partner_client(client, place, tree, "Viettel Kon Tum")
    made = client.post(
        ACTIVITIES, json=report(place, organisation="VNPT Kon Tum"), headers=place.headers["leader"]
    )
    assert made.status_code == 201, made.text
    url = f"{ACTIVITIES}/{made.json()['id']}"
    assert client.get(url, headers=viettel).status_code == 404
    moved = client.patch(
        url, json={"organisation": "Viettel Kon Tum"}, headers=place.headers["leader"]
    )
    assert moved.status_code == 200, moved.text
    # Viettel supported it, so Viettel reads it: a report its organisation is named on.
    assert client.get(url, headers=viettel).json()["organisation"] == "Viettel Kon Tum"


# --- campaigns, places and teams do not strand their reports --------------------------------


def test_a_campaign_edit_that_would_strand_reports_is_refused(
    client: TestClient, session: Session, place: Place
) -> None:
    leader, admin = place.headers["leader"], place.headers["admin"]
    days = [TODAY - timedelta(days=9), TODAY - timedelta(days=8), TODAY - timedelta(days=1)]
    for day in days:
        made = client.post(
            ACTIVITIES,
            json=report(
                place,
                activity_date=day.isoformat(),
                categories=["vneid", "online_public_services"],
                values={"people_guided": 5, "public_service_dossiers": 1},
            ),
            headers=leader,
        )
        assert made.status_code == 201, made.text
    url = f"/api/v1/campaigns/{place.campaign.id}"
    before = client.get(url, headers=admin).json()

    def refused(change: dict[str, Any], code: str, count: int) -> None:
        response = client.patch(url, json=change, headers=admin)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == code
        assert f"{count} " in response.json()["detail"]
        vietnamese = client.patch(url, json=change, headers={**admin, "Accept-Language": "vi"})
        assert f"{count} " in vietnamese.json()["detail"]

    # Starting after two of them, or ending before the last one.
    refused({"starts_on": (TODAY - timedelta(days=7)).isoformat()}, "campaign_reports_outside", 2)
    refused({"ends_on": (TODAY - timedelta(days=2)).isoformat()}, "campaign_reports_outside", 1)
    # Dropping a category, or an indicator, that its reports count.
    refused({"categories": ["vneid"]}, "campaign_category_in_use", 3)
    refused(
        {"indicators": [{"code": "households_visited", "target": 500}]},
        "campaign_indicator_in_use",
        3,
    )
    assert client.get(url, headers=admin).json() == before  # nothing changed
    # What leaves every report where it is goes through.
    wider = client.patch(
        url,
        json={
            "starts_on": (TODAY - timedelta(days=9)).isoformat(),
            "ends_on": (TODAY - timedelta(days=1)).isoformat(),
            "categories": ["vneid", "online_public_services", "cashless_payment"],
        },
        headers=admin,
    )
    assert wider.status_code == 200, wider.text
    # The reports stay editable.
    listed = client.get(ACTIVITIES, headers=leader).json()["items"]
    edited = client.patch(
        f"{ACTIVITIES}/{listed[0]['id']}", json={"description": "Đã đối chiếu"}, headers=leader
    )
    assert edited.status_code == 200, edited.text


def test_a_place_cannot_close_before_its_reports(
    client: TestClient, tree: Tree, place: Place
) -> None:
    leader, commune = place.headers["leader"], place.headers["commune"]
    for days_ago in (6, 2):
        made = client.post(
            ACTIVITIES,
            json=report(place, activity_date=(TODAY - timedelta(days=days_ago)).isoformat()),
            headers=leader,
        )
        assert made.status_code == 201, made.text
    village = f"/api/v1/units/{tree.dak_pek_village.id}"
    closing = client.patch(
        village, json={"valid_to": (TODAY - timedelta(days=3)).isoformat()}, headers=commune
    )
    assert closing.status_code == 409, closing.text
    assert closing.json()["code"] == "unit_has_later_reports"
    assert "1 " in closing.json()["detail"]
    # Its commune neither: the report lies below it.
    commune_closing = client.patch(
        f"/api/v1/units/{tree.dak_pek.id}",
        json={"valid_to": (TODAY - timedelta(days=7)).isoformat()},
        headers=place.headers["admin"],
    )
    assert commune_closing.status_code == 409, commune_closing.text
    assert "2 " in commune_closing.json()["detail"]
    # Nor can it start after a report made in it.
    late_start = client.patch(
        village, json={"valid_from": (TODAY - timedelta(days=4)).isoformat()}, headers=commune
    )
    assert (late_start.status_code, late_start.json()["code"]) == (409, "unit_has_earlier_reports")
    assert "1 " in late_start.json()["detail"]
    # After the last report is fine, and the reports stay editable.
    fine = client.patch(village, json={"valid_to": TODAY.isoformat()}, headers=commune)
    assert fine.status_code == 200, fine.text
    listed = client.get(ACTIVITIES, headers=leader).json()["items"]
    for item in listed:
        edited = client.patch(
            f"{ACTIVITIES}/{item['id']}", json={"description": "Kiểm tra"}, headers=leader
        )
        assert edited.status_code == 200, edited.text


def test_a_team_with_reports_is_dissolved_not_deleted(
    client: TestClient, session: Session, tree: Tree, place: Place
) -> None:
    team = make_team(session, tree.dak_pek, "Tổ chưa có thành viên")
    session.commit()
    for _ in range(2):
        made = client.post(
            ACTIVITIES,
            json=report(place, team_id=str(team.id), member_ids=[], campaign_id=None),
            headers=place.headers["commune"],
        )
        assert made.status_code == 201, made.text
    gone = client.delete(f"/api/v1/teams/{team.id}", headers=place.headers["commune"])
    assert gone.status_code == 409, gone.text
    assert gone.json()["code"] == "team_has_history"
    assert "2 activity reports" in gone.json()["detail"]
    vietnamese = client.delete(
        f"/api/v1/teams/{team.id}", headers={**place.headers["commune"], "Accept-Language": "vi"}
    )
    assert "2 báo cáo" in vietnamese.json()["detail"]
    assert (
        client.get(f"/api/v1/teams/{team.id}", headers=place.headers["commune"]).status_code == 200
    )
