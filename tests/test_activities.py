"""Activity reports: who records what, the checks against teams, places, members and
campaigns, review up the tiers, and offline batches."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from cnscd_api.activities import repository as activity_repository
from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.models import ActivityStatus, Campaign, Member, Role, Team, User
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
from tests.test_teams import count_statements

ACTIVITIES = "/api/v1/activities"
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@dataclass
class World:
    team: Team
    other_team: Team  # in the sibling commune
    member: Member
    campaign: Campaign
    leader: User
    commune_officer: User
    other_commune_officer: User
    district_officer: User
    admin: User
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(session: Session, settings: Settings, tree: Tree) -> World:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    other_team = make_team(session, make_village(session, tree.dak_man, "Thôn Bên Kia"))
    member = make_member(session, team, "A Nhong")
    campaign = make_campaign(
        session,
        tree.kon_tum,
        categories=("vneid", "online_public_services"),
        targets={"people_guided": 1000, "vneid_level2_activated": 100},
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY + timedelta(days=10),
    )
    users = {
        "leader": make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id),
        "commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "other_commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "district": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
    }
    session.commit()
    return World(
        team=team,
        other_team=other_team,
        member=member,
        campaign=campaign,
        leader=users["leader"],
        commune_officer=users["commune"],
        other_commune_officer=users["other_commune"],
        district_officer=users["district"],
        admin=users["admin"],
        headers={name: bearer(settings, user) for name, user in users.items()},
    )


def report(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "team_id": str(world.team.id),
        "activity_date": (TODAY - timedelta(days=1)).isoformat(),
        "categories": ["vneid"],
        "member_ids": [str(world.member.id)],
        "values": {"people_guided": 35, "vneid_level2_activated": 12},
        "campaign_id": str(world.campaign.id),
        "description": "Hướng dẫn cài VNeID tại nhà văn hoá thôn",
    }
    body.update(overrides)
    return body


def codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json().get("errors", [])]


# --- recording ------------------------------------------------------------------------------


def test_a_team_leader_records_their_team_s_activity(client: TestClient, world: World) -> None:
    response = client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"])
    assert response.status_code == 201, response.text
    activity = response.json()
    assert activity["status"] == "submitted"
    assert activity["values"] == {"people_guided": 35, "vneid_level2_activated": 12}
    assert activity["categories"] == ["vneid"]
    assert activity["member_ids"] == [str(world.member.id)]
    assert activity["unit_name"] == "Thôn Đắk Ung"
    assert activity["recorded_by"]["role"] == "team_leader"
    assert response.headers["etag"] == '"1"'
    # Not for another team.
    other = client.post(
        ACTIVITIES,
        json=report(world, team_id=str(world.other_team.id), member_ids=[], campaign_id=None),
        headers=world.headers["leader"],
    )
    assert other.status_code == 404


def test_a_client_chosen_id_is_kept_and_not_reused(client: TestClient, world: World) -> None:
    chosen = str(uuid.uuid4())
    first = client.post(ACTIVITIES, json=report(world, id=chosen), headers=world.headers["leader"])
    assert first.json()["id"] == chosen
    again = client.post(ACTIVITIES, json=report(world, id=chosen), headers=world.headers["leader"])
    assert again.status_code == 409
    assert again.json()["code"] == "activity_exists"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"activity_date": "2026-03-16"}, "body.activity_date", "date_in_future"),
        (
            {"values": {"public_service_dossiers": 3}},
            "body.values.public_service_dossiers",
            "indicator_outside_categories",
        ),
        ({"categories": ["nope"]}, "body.categories.0", "unknown_category"),
        (
            {"activity_date": "2026-01-01", "member_ids": []},
            "body.activity_date",
            "date_outside_campaign",
        ),
        (
            {"categories": ["cashless_payment"], "values": {"people_guided": 5}},
            "body.categories.0",
            "category_not_in_campaign",
        ),
        ({"partner_staff": 2}, "body.partner_staff", "partner_staff_without_partner"),
        ({"values": {"people_guided": -1}}, "body.values.people_guided", "greater_than_equal"),
    ],
)
def test_invalid_reports_are_refused_naming_the_field(
    client: TestClient, world: World, overrides: dict[str, Any], field: str, code: str
) -> None:
    response = client.post(
        ACTIVITIES, json=report(world, **overrides), headers=world.headers["leader"]
    )
    assert response.status_code == 422, response.text
    assert {"field": field, "code": code}.items() <= next(
        e for e in response.json()["errors"] if e["field"] == field
    ).items()


def test_members_must_belong_to_the_team_that_day(
    client: TestClient, session: Session, world: World
) -> None:
    stranger = make_member(session, world.other_team, "Y Blin")
    session.commit()
    response = client.post(
        ACTIVITIES,
        json=report(world, member_ids=[str(world.member.id), str(stranger.id)]),
        headers=world.headers["commune"],
    )
    assert response.status_code == 422
    assert codes(response) == ["member_not_in_team"]
    assert response.json()["errors"][0]["field"] == "body.member_ids.1"
    # The team's own member had not joined yet on a day before their joining.
    early = client.post(
        ACTIVITIES,
        json=report(world, activity_date="2024-08-01", campaign_id=None),
        headers=world.headers["commune"],
    )
    assert codes(early) == ["member_not_in_team"]


def test_the_place_lies_in_the_team_s_commune(client: TestClient, world: World, tree: Tree) -> None:
    elsewhere = client.post(
        ACTIVITIES,
        json=report(world, unit_id=str(tree.dak_man.id)),
        headers=world.headers["district"],
    )
    assert elsewhere.status_code == 422
    assert codes(elsewhere) == ["place_outside_commune"]
    at_commune = client.post(
        ACTIVITIES,
        json=report(world, unit_id=str(tree.dak_pek.id)),
        headers=world.headers["district"],
    )
    assert at_commune.status_code == 201, at_commune.text


def test_a_closed_campaign_takes_no_reports(
    client: TestClient, session: Session, world: World, tree: Tree
) -> None:
    closed = make_campaign(session, tree.kon_tum, categories=("vneid",), closed=True)
    session.commit()
    response = client.post(
        ACTIVITIES, json=report(world, campaign_id=str(closed.id)), headers=world.headers["leader"]
    )
    assert response.status_code == 409
    assert response.json()["code"] == "campaign_closed"


# --- partners --------------------------------------------------------------------------------


def test_partners_record_support_for_their_organisation_and_read_only_theirs(
    client: TestClient, session: Session, settings: Settings, world: World, tree: Tree
) -> None:
    vnpt = make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT Kon Tum")
    viettel = make_user(session, Role.PARTNER, tree.dak_glei, organisation="Viettel Kon Tum")
    session.commit()
    as_vnpt, as_viettel = bearer(settings, vnpt), bearer(settings, viettel)
    made = client.post(
        ACTIVITIES, json=report(world, member_ids=[], partner_staff=3), headers=as_vnpt
    )
    assert made.status_code == 201, made.text
    assert made.json()["organisation"] == "VNPT Kon Tum"
    assert made.json()["recorded_by"]["role"] == "partner"
    other = client.post(
        ACTIVITIES, json=report(world, organisation="Viettel Kon Tum"), headers=as_vnpt
    )
    assert codes(other) == ["organisation_not_yours"]
    client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"])
    mine = client.get(ACTIVITIES, headers=as_vnpt).json()
    assert [a["organisation"] for a in mine["items"]] == ["VNPT Kon Tum"]
    assert client.get(ACTIVITIES, headers=as_viettel).json()["total"] == 0
    assert client.get(f"{ACTIVITIES}/{made.json()['id']}", headers=as_viettel).status_code == 404
    # A commune officer sees both, and approves the partner's report.
    assert client.get(ACTIVITIES, headers=world.headers["commune"]).json()["total"] == 2
    approved = client.post(
        f"{ACTIVITIES}/{made.json()['id']}/approve", headers=world.headers["commune"]
    )
    assert approved.status_code == 200, approved.text


# --- review ---------------------------------------------------------------------------------


def test_review_goes_up_the_tiers_and_never_to_oneself(client: TestClient, world: World) -> None:
    by_leader = client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"]).json()
    by_commune = client.post(
        ACTIVITIES, json=report(world), headers=world.headers["commune"]
    ).json()
    # A commune officer approves a team leader's report, not a fellow commune officer's.
    assert (
        client.post(
            f"{ACTIVITIES}/{by_commune['id']}/approve", headers=world.headers["other_commune"]
        ).json()["code"]
        == "review_tier"
    )
    own = client.post(f"{ACTIVITIES}/{by_commune['id']}/approve", headers=world.headers["commune"])
    assert own.status_code == 403
    assert own.json()["code"] == "own_report"
    approved = client.post(
        f"{ACTIVITIES}/{by_leader['id']}/approve", headers=world.headers["commune"]
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"]["role"] == "commune_officer"
    # A district officer approves the commune officer's.
    district = client.post(
        f"{ACTIVITIES}/{by_commune['id']}/approve", headers=world.headers["district"]
    )
    assert district.status_code == 200
    # The team leader cannot review at all.
    assert (
        client.post(
            f"{ACTIVITIES}/{by_leader['id']}/reopen", headers=world.headers["leader"]
        ).status_code
        == 403
    )


def test_an_approved_report_is_frozen_until_reopened(client: TestClient, world: World) -> None:
    made = client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"]).json()
    path = f"{ACTIVITIES}/{made['id']}"
    client.post(f"{path}/approve", headers=world.headers["commune"])
    edit = client.patch(path, json={"description": "Sửa"}, headers=world.headers["leader"])
    assert edit.status_code == 409
    assert edit.json()["code"] == "activity_approved"
    assert client.delete(path, headers=world.headers["commune"]).status_code == 409
    # Another officer of the same tier did not approve it: no.
    peer = client.post(f"{path}/reopen", headers=world.headers["other_commune"])
    assert peer.status_code == 403
    # The tier above may.
    reopened = client.post(f"{path}/reopen", headers=world.headers["district"])
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "submitted"
    assert reopened.json()["reviewed_by"] is None
    edited = client.patch(
        path,
        json={"values": {"people_guided": 40}},
        headers={**world.headers["leader"], "If-Match": reopened.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["values"] == {"people_guided": 40}
    # The edit's audit event holds the parts before and after, as stored.
    events = client.get(
        "/api/v1/audit-events",
        params={"entity": "activity", "entity_id": made["id"]},
        headers=world.headers["district"],
    ).json()["items"]
    (parts,) = [e["changes"]["parts"] for e in events if e["action"] == "update"]
    stored = client.get(path, headers=world.headers["district"]).json()
    assert parts["after"] == {
        "categories": sorted(stored["categories"]),
        "member_ids": sorted(stored["member_ids"]),
        "values": {"people_guided": 40},
    }
    assert parts["before"]["values"] != parts["after"]["values"]


def test_a_rejected_report_goes_back_to_its_recorder(client: TestClient, world: World) -> None:
    made = client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"]).json()
    path = f"{ACTIVITIES}/{made['id']}"
    no_reason = client.post(f"{path}/reject", json={}, headers=world.headers["commune"])
    assert no_reason.status_code == 422
    rejected = client.post(
        f"{path}/reject",
        json={"reason": "Thiếu danh sách ký nhận"},
        headers=world.headers["commune"],
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Thiếu danh sách ký nhận"
    assert client.post(f"{path}/approve", headers=world.headers["commune"]).status_code == 409
    resubmitted = client.patch(
        path, json={"description": "Đã bổ sung danh sách"}, headers=world.headers["leader"]
    )
    assert resubmitted.json()["status"] == "submitted"
    assert resubmitted.json()["rejection_reason"] is None
    stale = client.patch(
        path,
        json={"description": "Lần nữa"},
        headers={**world.headers["leader"], "If-Match": '"1"'},
    )
    assert stale.status_code == 412


def test_a_day_of_reports_is_approved_at_once(
    client: TestClient, session: Session, world: World
) -> None:
    ids = [
        client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"]).json()["id"]
        for _ in range(3)
    ]
    own = client.post(ACTIVITIES, json=report(world), headers=world.headers["commune"]).json()["id"]
    unknown = str(uuid.uuid4())
    response = client.post(
        f"{ACTIVITIES}/approve",
        json={"ids": [*ids, own, unknown]},
        headers=world.headers["commune"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["approved"] == 3
    assert [item["status"] for item in body["items"]] == [
        "approved",
        "approved",
        "approved",
        "own_report",
        "not_found",
    ]


def test_approving_a_list_costs_one_update_per_report(
    client: TestClient, session: Session, world: World, connection: Connection
) -> None:
    """The list is read, counted and its aggregates moved at once: approving twelve
    reports costs ten statements more than approving two (each one's versioned UPDATE),
    and the dashboards count every approval."""

    def approve(count: int) -> int:
        ids = [
            client.post(ACTIVITIES, json=report(world), headers=world.headers["leader"]).json()[
                "id"
            ]
            for _ in range(count)
        ]
        body, headers = {"ids": ids}, world.headers["commune"]
        return count_statements(
            connection, lambda: client.post(f"{ACTIVITIES}/approve", json=body, headers=headers)
        )

    two, twelve = approve(2), approve(12)
    assert twelve - two == 10, (two, twelve)
    overview = client.get(
        "/api/v1/stats/overview",
        params={"unit_id": str(world.team.unit_id)},
        headers=world.headers["commune"],
    ).json()
    assert overview["activities"]["by_status"]["approved"] == 14


# --- batches ---------------------------------------------------------------------------------


def test_a_batch_is_answered_item_by_item_and_can_be_resent(
    client: TestClient, world: World
) -> None:
    items = [report(world, id=str(uuid.uuid4())) for _ in range(3)]
    items.append(report(world, id=str(uuid.uuid4()), activity_date="2026-12-01"))
    items.append({"team_id": "not-a-uuid"})
    first = client.post(
        f"{ACTIVITIES}/batch", json={"activities": items}, headers=world.headers["leader"]
    )
    assert first.status_code == 200, first.text
    result = first.json()
    assert (result["created"], result["invalid"]) == (3, 2)
    assert [item["status"] for item in result["items"]] == [
        "created",
        "created",
        "created",
        "invalid",
        "invalid",
    ]
    assert result["items"][3]["errors"][0]["field"] == "body.activities.3.activity_date"
    assert result["items"][4]["errors"][0]["field"].startswith("body.activities.4")
    # Sent again, with one item changed since: nothing is created twice.
    items[1] = {**items[1], "values": {"people_guided": 99}}
    again = client.post(
        f"{ACTIVITIES}/batch", json={"activities": items[:3]}, headers=world.headers["leader"]
    ).json()
    assert [item["status"] for item in again["items"]] == ["unchanged", "conflict", "unchanged"]
    assert again["items"][1]["version"] == 1
    assert client.get(ACTIVITIES, headers=world.headers["leader"]).json()["total"] == 3


def test_a_batch_item_stored_by_another_request_meanwhile_is_answered_as_resent(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two phones sending one batch at once: the one that loses the race on an id is
    told ``unchanged`` for it (not an error for the whole batch)."""
    items = [report(world, id=str(uuid.uuid4())) for _ in range(2)]
    headers = world.headers["leader"]
    first = client.post(f"{ACTIVITIES}/batch", json={"activities": items[:1]}, headers=headers)
    assert first.json()["created"] == 1
    # As if the first request had not committed yet when this one looked.
    monkeypatch.setattr(activity_repository, "existing", lambda session, ids: set())
    again = client.post(f"{ACTIVITIES}/batch", json={"activities": items}, headers=headers)
    assert again.status_code == 200, again.text
    assert [item["status"] for item in again.json()["items"]] == ["unchanged", "created"]
    assert client.get(ACTIVITIES, headers=headers).json()["total"] == 2


def test_a_batch_over_500_items_is_too_large(client: TestClient, world: World) -> None:
    items = [report(world, id=str(uuid.uuid4())) for _ in range(501)]
    response = client.post(
        f"{ACTIVITIES}/batch", json={"activities": items}, headers=world.headers["leader"]
    )
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert client.get(ACTIVITIES, headers=world.headers["leader"]).json()["total"] == 0


# --- reading ----------------------------------------------------------------------------------


def test_lists_filter_and_export(
    client: TestClient, session: Session, world: World, tree: Tree
) -> None:
    make_activity(session, world.team, world.leader, day=date(2026, 3, 1), categories=("vneid",))
    make_activity(
        session,
        world.team,
        world.leader,
        day=date(2026, 3, 5),
        categories=("online_public_services",),
        values={"public_service_dossiers": 4},
        status=ActivityStatus.APPROVED,
    )
    make_activity(session, world.other_team, world.commune_officer, day=date(2026, 3, 7))
    session.commit()
    headers = world.headers["district"]

    def total(**params: Any) -> int:
        response = client.get(ACTIVITIES, params=params, headers=headers)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    assert total() == 3
    assert total(unit_id=str(tree.dak_pek.id)) == 2
    assert total(category="online_public_services") == 1
    assert total(indicator="public_service_dossiers") == 1
    assert total(status="approved") == 1
    assert total(**{"from": "2026-03-02", "to": "2026-03-06"}) == 1
    assert total(recorded_by=str(world.commune_officer.id)) == 1
    assert client.get(ACTIVITIES, params={"category": "nope"}, headers=headers).status_code == 422
    newest = client.get(ACTIVITIES, headers=headers).json()["items"][0]
    assert newest["activity_date"] == "2026-03-07"
    export = client.get(
        f"{ACTIVITIES}/export",
        params={"format": "csv"},
        headers={**headers, "Accept-Language": "vi"},
    )
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã hoạt động", "Ngày", "Tổ"]
    assert len(rows) == 4
    assert {row[14] for row in rows[1:]} == {"Chờ duyệt", "Đã duyệt"}
    # Contents and figures by their names, in the same language as the rest.
    (dossiers,) = [row for row in rows[1:] if row[1] == "2026-03-05"]
    assert dossiers[8] == "Hướng dẫn sử dụng dịch vụ công trực tuyến"
    assert dossiers[9] == "Số hồ sơ dịch vụ công trực tuyến được nộp: 4"
    english = client.get(f"{ACTIVITIES}/export", params={"format": "csv"}, headers=headers)
    rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Activity id", "Date", "Team"]
    assert {row[14] for row in rows[1:]} == {"Submitted", "Approved"}
    (dossiers,) = [row for row in rows[1:] if row[1] == "2026-03-05"]
    assert dossiers[8] == "Using online public services"
    assert dossiers[9] == "Online public-service dossiers submitted: 4"
    for row in rows[1:]:
        assert "online_public_services" not in row, row
        assert "_" not in row[9], row


def test_an_export_cell_separates_names_that_hold_commas(
    client: TestClient, session: Session, world: World
) -> None:
    """Several contents in one cell are joined by ` | `: the names hold commas."""
    make_activity(
        session,
        world.team,
        world.leader,
        day=date(2026, 3, 1),
        categories=("business_ecommerce", "payment_accounts"),
        values={"people_guided": 3},
    )
    session.commit()
    export = client.get(
        f"{ACTIVITIES}/export",
        params={"format": "csv"},
        headers={**world.headers["district"], "Accept-Language": "vi"},
    )
    (row,) = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))[1:]
    assert row[8].split(" | ") == [
        "Đưa doanh nghiệp, hợp tác xã, hộ kinh doanh lên sàn thương mại điện tử",
        "Mở tài khoản ngân hàng, tài khoản thanh toán và ví điện tử",
    ]


def test_viewers_do_not_read_reports(
    client: TestClient, session: Session, settings: Settings, world: World, tree: Tree
) -> None:
    viewer = make_user(session, Role.VIEWER, tree.dak_glei)
    session.commit()
    assert client.get(ACTIVITIES, headers=bearer(settings, viewer)).status_code == 403


# --- values: a report counts something ---------------------------------------------------------


@pytest.mark.parametrize(
    "values", [{}, {"people_guided": 0}, {"people_guided": 0, "vneid_level2_activated": 0}]
)
def test_a_report_that_counts_nothing_is_refused_everywhere(
    client: TestClient, world: World, values: dict[str, int]
) -> None:
    """A report, a batch item and an edit must count at least one indicator above 0: a
    client that lost the values on the way (as openapi-python-client's did) is told so
    instead of storing a report of nothing, or wiping the stored counts."""
    headers = world.headers["leader"]
    created = client.post(ACTIVITIES, json=report(world, values=values), headers=headers)
    assert created.status_code == 422, created.text
    assert [(e["field"], e["code"]) for e in created.json()["errors"]] == [
        ("body.values", "values_required")
    ]
    missing = report(world)
    del missing["values"]
    assert codes(client.post(ACTIVITIES, json=missing, headers=headers)) == ["missing"]
    batch = client.post(
        f"{ACTIVITIES}/batch",
        json={"activities": [report(world, id=str(uuid.uuid4()), values=values)]},
        headers=headers,
    ).json()
    assert batch["invalid"] == 1
    assert [(e["field"], e["code"]) for e in batch["items"][0]["errors"]] == [
        ("body.activities.0.values", "values_required")
    ]
    assert client.get(ACTIVITIES, headers=headers).json()["total"] == 0
    made = client.post(ACTIVITIES, json=report(world), headers=headers).json()
    edit = client.patch(f"{ACTIVITIES}/{made['id']}", json={"values": values}, headers=headers)
    assert edit.status_code == 422, edit.text
    stored = client.get(f"{ACTIVITIES}/{made['id']}", headers=headers).json()
    assert stored["values"] == {"people_guided": 35, "vneid_level2_activated": 12}
    assert stored["version"] == 1


def test_values_are_published_as_maps_generators_understand(client: TestClient) -> None:
    """`additionalProperties` holds the count's schema (generators make a map of it), the
    key rule is `propertyNames`; no `patternProperties` with `additionalProperties:
    false`, which openapi-python-client 0.29 turned into an empty class."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ActivityCreate", "ActivityBatchItem", "ActivityUpdate"):
        field = schemas[name]["properties"]["values"]
        (values,) = [b for b in field.get("anyOf", [field]) if b.get("type") == "object"]
        assert "patternProperties" not in values, name
        assert values["additionalProperties"]["type"] == "integer", name
        assert values["additionalProperties"]["minimum"] == 0, name
        assert values["propertyNames"] == {"pattern": "^[a-z][a-z0-9_]{1,63}$"}, name
        assert values["minProperties"] == 1, name
    assert "values" in schemas["ActivityCreate"]["required"]
    assert "values" in schemas["ActivityBatchItem"]["required"]
