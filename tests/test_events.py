"""The change feed: an event for every committed change, scoped like its object, resumable
in commit order; nothing for a change that rolled back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.core.permissions import permissions_for
from cnscd_api.models import Role
from cnscd_api.teams import service as team_service
from cnscd_api.teams.schemas import TeamCreate
from tests.factories import (
    Tree,
    bearer,
    make_campaign,
    make_member,
    make_team,
    make_user,
    make_village,
)

EVENTS = "/api/v1/events"


def feed(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every event the caller reads, page after page."""
    events: list[dict[str, Any]] = []
    after = params.pop("after", 0)
    while True:
        page = client.get(EVENTS, params={"after": after, "limit": 7, **params}, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        events += body["items"]
        if not body["items"]:
            assert body["next_after"] == after
            return events
        after = body["next_after"]


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def test_every_kind_of_change_is_an_event(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    as_admin, as_officer = bearer(settings, admin), bearer(settings, officer)
    session.commit()
    start = feed(client, as_admin)
    after = start[-1]["sequence"] if start else 0

    village = ok(
        client.post(
            "/api/v1/units",
            json={"parent_id": str(tree.dak_pek.id), "name": "Thôn Sự Kiện"},
            headers=as_officer,
        ),
        201,
    )
    ok(client.patch(f"/api/v1/units/{village['id']}", json={"households": 120}, headers=as_officer))
    team = ok(
        client.post(
            "/api/v1/teams",
            json={"unit_id": village["id"], "name": "Tổ Sự Kiện"},
            headers=as_officer,
        ),
        201,
    )
    ok(
        client.patch(
            f"/api/v1/teams/{team['id']}", json={"note": "họp thứ Hai"}, headers=as_officer
        )
    )
    member = ok(
        client.post(
            "/api/v1/members",
            json={
                "team_id": team["id"],
                "full_name": "Y Blúp",
                "phone": "0912345678",
                "affiliation": "youth_union",
                "joined_on": (clock.today() - timedelta(days=30)).isoformat(),
            },
            headers=as_officer,
        ),
        201,
    )
    ok(
        client.patch(
            f"/api/v1/members/{member['id']}", json={"phone": "0987654321"}, headers=as_officer
        )
    )
    campaign = make_campaign(session, tree.kon_tum)
    session.commit()
    made = ok(
        client.post(
            "/api/v1/campaigns",
            json={
                "code": "su-kien-2030",
                "name": "Đợt sự kiện",
                "scope_unit_id": str(tree.kon_tum.id),
                "starts_on": clock.today().isoformat(),
                "ends_on": (clock.today() + timedelta(days=9)).isoformat(),
                "categories": ["vneid"],
                "indicators": [{"code": "people_guided", "target": 100}],
            },
            headers=as_admin,
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/campaigns/{made['id']}/close", json={"reason": "Thử"}, headers=as_admin
        )
    )
    spare = ok(
        client.post(
            "/api/v1/teams", json={"unit_id": village["id"], "name": "Tổ thừa"}, headers=as_officer
        ),
        201,
    )
    ok(client.delete(f"/api/v1/teams/{spare['id']}", headers=as_officer), 204)
    ok(
        client.put(
            f"/api/v1/campaigns/{campaign.id}/targets",
            json={
                "unit_id": str(tree.kon_tum.id),
                "targets": [
                    {"unit_id": str(tree.dak_glei.id), "indicator": "people_guided", "value": 10}
                ],
            },
            headers=as_admin,
        )
    )
    ok(
        client.patch(
            f"/api/v1/campaigns/{campaign.id}", json={"name": "Đợt đổi tên"}, headers=as_admin
        )
    )
    report = ok(
        client.post(
            "/api/v1/activities",
            json={
                "team_id": team["id"],
                "activity_date": (clock.today() - timedelta(days=1)).isoformat(),
                "categories": ["vneid"],
                "values": {"people_guided": 5},
            },
            headers=as_officer,
        ),
        201,
    )
    path = f"/api/v1/activities/{report['id']}"
    ok(client.post(f"{path}/reject", json={"reason": "Thiếu ảnh"}, headers=as_admin))
    ok(client.patch(path, json={"description": "Có ảnh"}, headers=as_officer))
    ok(client.post(f"{path}/approve", headers=as_admin))
    ok(client.post(f"{path}/reopen", json={"reason": "Sai số"}, headers=as_admin))
    ok(client.delete(path, headers=as_officer), 204)
    ok(client.delete(f"/api/v1/members/{member['id']}", headers=as_officer), 204)
    ok(
        client.post(
            "/api/v1/units/reorganisations",
            json={
                "effective_date": clock.today().isoformat(),
                "legal_act": "Nghị quyết 1/NQ-HĐND",
                "operations": [
                    {"op": "rename", "unit_id": str(tree.dak_man.id), "name": "Xã Đắk Man Mới"}
                ],
            },
            headers=as_admin,
        ),
        201,
    )

    events = feed(client, as_admin, after=after)
    types = [event["type"] for event in events]
    assert set(types) >= {
        "unit.created",
        "unit.updated",
        "team.created",
        "team.updated",
        "member.created",
        "member.updated",
        "member.deleted",
        "campaign_targets.updated",
        "campaign.created",
        "campaign.updated",
        "campaign.closed",
        "team.deleted",
        "activity.created",
        "activity.rejected",
        "activity.updated",
        "activity.approved",
        "activity.reopened",
        "activity.deleted",
        "unit.reorganised",
    }, types
    listed = ok(client.get("/api/v1/event-types", headers=as_admin))["items"]
    assert set(types) <= set(listed)
    # In commit order, each with a stable id and the shape partners code against.
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)
    assert len({e["id"] for e in events}) == len(events)
    phone_change = next(e for e in events if e["type"] == "member.updated")
    assert phone_change["data"]["id"] == member["id"]
    assert phone_change["data"]["changes"]["phone"] == {
        "before": "09******78",
        "after": "09******21",
    }
    assert set(phone_change) == {"id", "sequence", "type", "timestamp", "data"}
    # Logins, accounts and denials are no events.
    assert not [t for t in types if t.startswith(("user.", "api_client."))]


def test_a_change_that_rolled_back_leaves_no_event(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()
    as_admin = bearer(settings, admin)
    before = feed(client, as_admin)
    actor = _principal(admin, tree)
    team_service.create_team(
        session, actor, TeamCreate(unit_id=tree.dak_pek.id, name="Tổ không thành")
    )
    session.rollback()
    assert feed(client, as_admin) == before
    kept = team_service.create_team(
        session, actor, TeamCreate(unit_id=tree.dak_pek.id, name="Tổ thành")
    )
    session.commit()
    after = feed(client, as_admin)
    assert [(e["type"], e["data"]["id"]) for e in after[len(before) :]] == [
        ("team.created", str(kept.id))
    ]


def _principal(user: Any, tree: Tree) -> Any:
    from cnscd_api.core.permissions import Principal, PrincipalKind

    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        name=user.username,
        role=user.role,
        scope_unit_id=tree.kon_tum.id,
        scope_path=tree.kon_tum.path,
        permissions=permissions_for(user.role),
    )


def test_the_feed_is_scoped_like_the_objects(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    other_team = make_team(session, tree.dak_man, "Tổ xã bên")
    make_member(session, team)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    neighbour = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    vnpt = make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT")
    viettel = make_user(session, Role.PARTNER, tree.dak_glei, organisation="Viettel")
    viewer = make_user(session, Role.VIEWER, tree.dak_glei)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    session.commit()
    heads = {
        name: feed(client, bearer(settings, user))
        for name, user in {
            "officer": officer,
            "neighbour": neighbour,
            "vnpt": vnpt,
            "viettel": viettel,
            "viewer": viewer,
        }.items()
    }
    day = (clock.today() - timedelta(days=1)).isoformat()
    body = {"activity_date": day, "categories": ["vneid"], "values": {"people_guided": 3}}
    own = ok(
        client.post(
            "/api/v1/activities",
            json={**body, "team_id": str(team.id)},
            headers=bearer(settings, vnpt),
        ),
        201,
    )
    officer_report = ok(
        client.post(
            "/api/v1/activities",
            json={**body, "team_id": str(team.id)},
            headers=bearer(settings, officer),
        ),
        201,
    )
    ok(
        client.patch(
            f"/api/v1/teams/{other_team.id}",
            json={"note": "bên kia"},
            headers=bearer(settings, neighbour),
        )
    )

    def new(name: str, user: Any) -> set[tuple[str, str]]:
        after = heads[name][-1]["sequence"] if heads[name] else 0
        return {
            (e["type"], e["data"]["id"]) for e in feed(client, bearer(settings, user), after=after)
        }

    assert new("officer", officer) == {
        ("activity.created", own["id"]),
        ("activity.created", officer_report["id"]),
    }
    assert new("neighbour", neighbour) == {("team.updated", str(other_team.id))}
    # A partner reads its own organisation's reports, never another's nor the officers'.
    assert new("vnpt", vnpt) == {
        ("activity.created", own["id"]),
        ("team.updated", str(other_team.id)),
    }
    assert new("viettel", viettel) == {("team.updated", str(other_team.id))}
    assert new("viewer", viewer) == {("team.updated", str(other_team.id))}
    # A team leader reads no feed (its team's changes are in the app).
    denied = client.get(EVENTS, headers=bearer(settings, leader))
    assert denied.status_code == 403


def test_types_filter_and_bad_positions(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()
    as_admin = bearer(settings, admin)
    start = feed(client, as_admin)
    after = start[-1]["sequence"] if start else 0
    team = ok(
        client.post(
            "/api/v1/teams",
            json={"unit_id": str(tree.dak_pek.id), "name": "Tổ lọc"},
            headers=as_admin,
        ),
        201,
    )
    ok(client.patch(f"/api/v1/teams/{team['id']}", json={"note": "x"}, headers=as_admin))
    assert [e["type"] for e in feed(client, as_admin, after=after, types="team.updated")] == [
        "team.updated"
    ]
    assert [e["type"] for e in feed(client, as_admin, after=after, types=["team.*"])] == [
        "team.created",
        "team.updated",
    ]
    unknown = client.get(EVENTS, params={"types": "team.exploded"}, headers=as_admin)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "event_type_unknown"
    private = client.get(EVENTS, params={"types": "user.created"}, headers=as_admin)
    assert private.status_code == 422
    nowhere = client.get(EVENTS, params={"after": 2**60}, headers=as_admin)
    assert nowhere.status_code == 404
    assert nowhere.json()["code"] == "unknown_sequence"
    listed = ok(client.get("/api/v1/event-types", headers=as_admin))["items"]
    assert {"activity.approved", "unit.reorganised", "member.updated"} <= set(listed)
    assert "unit_reorganisation.created" not in listed
    # Only what an entity is audited with: a campaign is closed, never approved.
    assert {"campaign.closed", "member.imported", "device_referral.delivered"} <= set(listed)
    impossible = [
        "campaign.approved",
        "indicator.rejected",
        "member.reopened",
        "activity.closed",
        "device_referral.updated",
        "unit_reorganisation.created",
    ]
    assert not set(impossible) & set(listed)
    for name in impossible:
        refused = client.get(EVENTS, params={"types": ["team.*", name]}, headers=as_admin)
        assert refused.status_code == 422, name
        assert refused.json()["code"] == "event_type_unknown"
    for name in listed:
        assert client.get(EVENTS, params={"types": name}, headers=as_admin).status_code == 200


def test_the_history_of_a_merged_commune_reaches_its_successors_officers(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    village = make_village(session, tree.dak_man, "Thôn Sáp Nhập")
    team = make_team(session, village)
    man_officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    pek_officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()
    before = feed(client, bearer(settings, pek_officer))
    after = before[-1]["sequence"] if before else 0
    day = (clock.today() - timedelta(days=1)).isoformat()
    report = ok(
        client.post(
            "/api/v1/activities",
            json={
                "team_id": str(team.id),
                "activity_date": day,
                "categories": ["vneid"],
                "values": {"people_guided": 2},
            },
            headers=bearer(settings, man_officer),
        ),
        201,
    )
    seen = {e["data"]["id"] for e in feed(client, bearer(settings, pek_officer), after=after)}
    assert report["id"] not in seen  # another commune's, for now
    ok(
        client.post(
            "/api/v1/units/reorganisations",
            json={
                "effective_date": clock.today().isoformat(),
                "legal_act": "Nghị quyết 3/NQ-HĐND",
                "operations": [
                    {
                        "op": "merge",
                        "unit_ids": [str(tree.dak_man.id)],
                        "into_id": str(tree.dak_pek.id),
                    }
                ],
            },
            headers=bearer(settings, admin),
        ),
        201,
    )
    history = feed(client, bearer(settings, pek_officer), after=after)
    assert ("activity.created", report["id"]) in {(e["type"], e["data"]["id"]) for e in history}
    # The report itself is read there too: the feed shows what the objects show.
    assert (
        client.get(
            f"/api/v1/activities/{report['id']}", headers=bearer(settings, pek_officer)
        ).status_code
        == 200
    )
