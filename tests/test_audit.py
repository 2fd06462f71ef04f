"""/audit-events: its filters, its scoping, and the events of requests that failed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.models import AuditAction, AuditEvent, Role, Team, Unit, User
from tests.factories import PASSWORD, Tree, bearer, make_team, make_user

AUDIT = "/api/v1/audit-events"
USERS = "/api/v1/users"
CLIENTS = "/api/v1/api-clients"
TOKEN = "/api/v1/auth/token"
STRONG_PASSWORD = "Kon-Tum-2025!x"


def events(
    client: TestClient, headers: dict[str, str] | None = None, /, **params: Any
) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def create_user(
    client: TestClient,
    role: str,
    unit: Unit,
    headers: dict[str, str] | None = None,
    team: Team | None = None,
) -> str:
    body = {
        "username": f"u.{uuid.uuid4().hex[:10]}",
        "full_name": "Trần Thị B",
        "role": role,
        "password": STRONG_PASSWORD,
    }
    # A team leader is placed by the team they lead; everyone else by a unit.
    if team is not None:
        body["team_id"] = str(team.id)
    else:
        body["scope_unit_id"] = str(unit.id)
    response = client.post(USERS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


def add_event(session: Session, unit: Unit, occurred_at: str, entity_id: str) -> None:
    row = audit.event_row(
        actor=None,
        action=AuditAction.UPDATE,
        entity="clock_test",
        entity_id=entity_id,
        unit_path=unit.path,
        occurred_at=datetime.fromisoformat(occurred_at),
    )
    audit.add_rows(session, [row])


# --- filters ------------------------------------------------------------------------


def test_filter_by_entity_and_entity_id(admin_client: TestClient, tree: Tree) -> None:
    pek = create_user(admin_client, "commune_officer", tree.dak_pek)
    man = create_user(admin_client, "commune_officer", tree.dak_man)
    api_client = admin_client.post(
        CLIENTS,
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(tree.dak_glei.id)},
    ).json()

    only_pek = events(admin_client, entity="user", entity_id=pek)
    assert [(e["action"], e["entity"], e["entity_id"]) for e in only_pek] == [
        ("create", "user", pek)
    ]
    assert [e["entity_id"] for e in events(admin_client, entity_id=man)] == [man]
    user_events = events(admin_client, entity="user")
    assert {e["entity"] for e in user_events} == {"user"}
    assert {pek, man} <= {e["entity_id"] for e in user_events}
    assert api_client["id"] not in {e["entity_id"] for e in user_events}
    client_events = events(admin_client, entity="api_client")
    assert [(e["action"], e["entity_id"]) for e in client_events] == [("create", api_client["id"])]
    assert events(admin_client, entity="api_client", entity_id=pek) == []
    assert events(admin_client, entity_id=str(uuid.uuid4())) == []


def test_filter_by_actor_user_or_client(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    session.commit()
    admin = bearer(settings, province_admin)
    by_officer = create_user(client, "commune_officer", tree.dak_pek, bearer(settings, officer))
    by_admin = create_user(client, "viewer", tree.dak_glei, admin)

    officer_events = events(client, admin, actor=str(officer.id))
    assert [(e["action"], e["entity_id"]) for e in officer_events] == [("create", by_officer)]
    assert officer_events[0]["actor_user_id"] == str(officer.id)
    assert officer_events[0]["actor_name"] == officer.username
    admin_events = events(client, admin, actor=str(province_admin.id))
    assert by_admin in {e["entity_id"] for e in admin_events}
    assert by_officer not in {e["entity_id"] for e in admin_events}

    partner = client.post(
        CLIENTS,
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(tree.dak_glei.id)},
        headers=admin,
    ).json()
    token = client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": partner["client_id"],
            "client_secret": partner["client_secret"],
        },
    ).json()["access_token"]
    denied = client.get(USERS, headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    partner_events = events(client, admin, actor=partner["id"])
    assert [(e["action"], e["entity"]) for e in partner_events] == [
        ("permission_denied", "users:read")
    ]
    assert partner_events[0]["actor_client_id"] == partner["id"]
    assert partner_events[0]["actor_user_id"] is None
    assert partner_events[0]["actor_name"] == partner["client_id"]

    bad = client.get(AUDIT, params={"actor": "tinh.admin"}, headers=admin)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["query.actor"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["11:00", "10:00", "09:00"]),
        # `from` is inclusive, `to` exclusive.
        ({"from": "2024-03-01T10:00:00Z"}, ["11:00", "10:00"]),
        ({"to": "2024-03-01T11:00:00Z"}, ["10:00", "09:00"]),
        ({"from": "2024-03-01T09:30:00Z", "to": "2024-03-01T10:30:00Z"}, ["10:00"]),
        # A zone is honoured: 17:00 in Vietnam is 10:00 UTC.
        ({"from": "2024-03-01T17:00:00+07:00"}, ["11:00", "10:00"]),
        ({"to": "2024-03-01T17:00:00+07:00"}, ["09:00"]),
        # Without a zone the time is read as UTC, not as local time.
        ({"from": "2024-03-01T10:30:00"}, ["11:00"]),
        ({"to": "2024-03-01T10:30:00"}, ["10:00", "09:00"]),
        ({"from": "2024-03-01T10:30:00.5"}, ["11:00"]),
        ({"from": "2024-03-01"}, ["11:00", "10:00", "09:00"]),
        ({"from": "2024-03-02T00:00:00Z"}, []),
        ({"from": "2024-03-01T11:00:00Z", "to": "2024-03-01T10:00:00Z"}, []),
    ],
)
def test_filter_by_time(
    admin_client: TestClient,
    session: Session,
    tree: Tree,
    params: dict[str, str],
    expected: list[str],
) -> None:
    for hour in ("09:00", "10:00", "11:00"):
        add_event(session, tree.dak_pek, f"2024-03-01T{hour}:00+00:00", hour)
    session.commit()
    found = events(admin_client, entity="clock_test", **params)
    assert [e["entity_id"] for e in found] == expected
    for event in found:
        moment = datetime.fromisoformat(event["occurred_at"])
        assert moment == datetime.fromisoformat(f"2024-03-01T{event['entity_id']}:00+00:00")


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00", "1709280000x"])
def test_bad_time_filter_is_422(admin_client: TestClient, value: str) -> None:
    for name in ("from", "to"):
        response = admin_client.get(AUDIT, params={name: value})
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [f"query.{name}"]


def test_pages_are_newest_first_and_complete(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    for minute in range(12):
        add_event(session, tree.dak_pek, f"2024-03-01T10:{minute:02d}:00+00:00", f"{minute:02d}")
    # Two events at the same moment still get a stable order.
    add_event(session, tree.dak_pek, "2024-03-01T10:05:00+00:00", "05b")
    session.commit()
    seen: list[str] = []
    for offset in range(0, 13, 5):
        page = admin_client.get(
            AUDIT, params={"entity": "clock_test", "limit": 5, "offset": offset}
        ).json()
        assert page["total"] == 13
        seen.extend(e["entity_id"] for e in page["items"])
    assert len(seen) == len(set(seen)) == 13
    assert [s[:2] for s in seen] == sorted((s[:2] for s in seen), reverse=True)
    stamps = [datetime(2024, 3, 1, 10, int(s[:2]), tzinfo=UTC) for s in seen]
    assert stamps == sorted(stamps, reverse=True)


# --- scoping ------------------------------------------------------------------------


def test_district_officer_sees_only_events_of_its_district(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    ngoc_hoi = bearer(settings, make_user(session, Role.DISTRICT_OFFICER, tree.ngoc_hoi))
    dak_glei = bearer(settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei))
    session.commit()
    admin = bearer(settings, province_admin)
    in_dak_glei = create_user(client, "commune_officer", tree.dak_pek, admin)
    in_ngoc_hoi = create_user(client, "viewer", tree.ngoc_hoi, admin)
    patched = client.patch(f"{USERS}/{in_dak_glei}", json={"phone": "0912345678"}, headers=admin)
    assert patched.status_code == 200

    assert [e["action"] for e in events(client, admin, entity_id=in_dak_glei)] == [
        "update",
        "create",
    ]
    assert [e["action"] for e in events(client, dak_glei, entity_id=in_dak_glei)] == [
        "update",
        "create",
    ]
    assert events(client, ngoc_hoi, entity_id=in_dak_glei) == []
    seen_in_ngoc_hoi = {e["entity_id"] for e in events(client, ngoc_hoi)}
    assert in_ngoc_hoi in seen_in_ngoc_hoi
    assert in_dak_glei not in seen_in_ngoc_hoi
    assert in_ngoc_hoi not in {e["entity_id"] for e in events(client, dak_glei)}


def test_commune_officer_sees_events_of_its_commune_only(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    commune = bearer(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    village_team = make_team(session, tree.dak_pek_village)
    session.commit()
    admin = bearer(settings, province_admin)
    in_commune = create_user(client, "viewer", tree.dak_pek, admin)
    in_village = create_user(client, "team_leader", tree.dak_pek_village, admin, village_team)
    elsewhere = [
        create_user(client, "commune_officer", tree.dak_man, admin),
        create_user(client, "viewer", tree.dak_glei, admin),
        create_user(client, "viewer", tree.kon_tum, admin),
    ]
    by_commune = create_user(client, "viewer", tree.dak_pek_village, commune)

    seen = events(client, commune)
    assert {e["entity_id"] for e in seen} == {in_commune, in_village, by_commune}
    everything = {e["entity_id"] for e in events(client, admin)}
    assert set(elsewhere) <= everything
    for user_id in elsewhere:
        assert events(client, commune, entity_id=user_id) == []


def test_events_about_an_api_client_follow_its_unit(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    dak_glei = bearer(settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei))
    ngoc_hoi = bearer(settings, make_user(session, Role.DISTRICT_OFFICER, tree.ngoc_hoi))
    session.commit()
    admin = bearer(settings, province_admin)
    created = client.post(
        CLIENTS,
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(tree.dak_glei.id)},
        headers=admin,
    ).json()
    assert client.post(f"{CLIENTS}/{created['id']}/rotate-secret", headers=admin).is_success
    assert client.delete(f"{CLIENTS}/{created['id']}", headers=admin).status_code == 204

    expected = ["revoke", "rotate_secret", "create"]
    for headers in (admin, dak_glei):
        found = events(client, headers, entity="api_client", entity_id=created["id"])
        assert [e["action"] for e in found] == expected
    assert events(client, ngoc_hoi, entity="api_client") == []
    stored = session.exec(select(AuditEvent).where(col(AuditEvent.entity) == "api_client")).all()
    assert created["client_secret"] not in repr([e.changes for e in stored])


@pytest.mark.parametrize("role", [Role.TEAM_LEADER, Role.PARTNER, Role.VIEWER])
def test_roles_without_audit_access_get_403(
    client: TestClient, session: Session, settings: Settings, tree: Tree, role: Role
) -> None:
    caller = make_user(session, role, tree.dak_pek_village)
    session.commit()
    response = client.get(AUDIT, headers=bearer(settings, caller))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "items" not in response.json()


# --- failed requests leave a trace --------------------------------------------------


def test_permission_denials_are_recorded(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    viewer = make_user(session, Role.VIEWER, tree.dak_glei)
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    session.commit()
    admin = bearer(settings, province_admin)
    body = {
        "username": "leo.thang",
        "full_name": "Leo Thang",
        "role": "province_admin",
        "scope_unit_id": str(tree.kon_tum.id),
        "password": STRONG_PASSWORD,
    }

    as_viewer = client.post(USERS, json=body, headers=bearer(settings, viewer))
    assert as_viewer.status_code == 403
    assert client.get(AUDIT, headers=bearer(settings, viewer)).status_code == 403
    viewer_events = events(client, admin, actor=str(viewer.id))
    assert [(e["action"], e["entity"]) for e in viewer_events] == [
        ("permission_denied", "audit:read"),
        ("permission_denied", "users:write"),
    ]
    assert viewer_events[1]["request_id"] == as_viewer.headers["x-request-id"]
    assert viewer_events[1]["actor_name"] == viewer.username

    escalation = client.post(USERS, json=body, headers=bearer(settings, officer))
    assert escalation.status_code == 403
    assert escalation.json()["code"] == "role_not_grantable"
    own = client.delete(f"{USERS}/{officer.id}", headers=bearer(settings, officer))
    assert own.json()["code"] == "own_account_change"
    officer_events = events(client, admin, actor=str(officer.id))
    assert [(e["action"], e["request_id"]) for e in officer_events] == [
        ("permission_denied", own.headers["x-request-id"]),
        ("permission_denied", escalation.headers["x-request-id"]),
    ]
    # The denied write itself did not happen.
    assert client.get(USERS, params={"q": "leo.thang"}, headers=admin).json()["total"] == 0
    assert client.get(f"{USERS}/{officer.id}", headers=admin).json()["is_active"] is True


def test_failed_logins_are_recorded(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.dangnhap")
    session.commit()
    wrong = "Sai-mat-khau-2025"
    for username in ("xa.dangnhap", "khong.ton.tai"):
        response = client.post(
            TOKEN, data={"grant_type": "password", "username": username, "password": wrong}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    bad_client = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": "cnscd_x", "client_secret": wrong},
    )
    assert bad_client.status_code == 401
    good = client.post(
        TOKEN, data={"grant_type": "password", "username": "xa.dangnhap", "password": PASSWORD}
    )
    assert good.status_code == 200

    stored = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action).in_(["login", "login_failed"]))
        .order_by(col(AuditEvent.occurred_at), col(AuditEvent.action).desc())
    ).all()
    assert [(e.action, e.entity, e.entity_id, e.actor_name) for e in stored] == [
        ("login_failed", "user", str(officer.id), "xa.dangnhap"),
        ("login_failed", "user", None, "khong.ton.tai"),
        ("login_failed", "api_client", None, "cnscd_x"),
        ("login", "user", str(officer.id), "xa.dangnhap"),
    ]
    assert all(e.actor_user_id is None and e.changes is None for e in stored)
    assert wrong not in repr([e.model_dump() for e in stored])
    assert PASSWORD not in repr([e.model_dump() for e in stored])
    # The successful login is visible to the officers of the user's unit.
    logins = events(client, bearer(settings, province_admin), entity_id=str(officer.id))
    assert "login" in [e["action"] for e in logins]


@pytest.mark.parametrize("value", ["user\x00", "us\u202eer"])
def test_filters_compared_with_stored_values_follow_the_text_rule(
    admin_client: TestClient, value: str
) -> None:
    """The same 422 on both databases (PostgreSQL cannot even compare with a NUL)."""
    for name in ("entity", "entity_id"):
        response = admin_client.get(AUDIT, params={name: value})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == f"query.{name}"
