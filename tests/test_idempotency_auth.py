"""An ``Idempotency-Key`` replays an answer only to a caller the request itself would
accept: a deactivated user, a revoked API client or a token from sessions that were
ended get 401, as ``/auth/me`` does, never the stored answer."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.models import Role, Team, User
from tests.factories import PASSWORD, Tree, bearer, make_team, make_user

ACTIVITIES = "/api/v1/activities"
KEY = {"Idempotency-Key": "phone-7-report-1"}


def body(team: Team) -> dict[str, Any]:
    return {
        "team_id": str(team.id),
        "activity_date": "2024-10-05",
        "categories": ["vneid"],
        "values": {"people_guided": 12},
    }


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    made = make_team(session, tree.dak_pek_village)
    session.commit()
    return made


def assert_refused_like_me(client: TestClient, headers: dict[str, str], team: Team) -> None:
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    again = client.post(ACTIVITIES, json=body(team), headers={**headers, **KEY})
    assert again.status_code == 401, again.text
    assert again.json()["code"] == "invalid_token"
    assert "idempotent-replayed" not in again.headers
    assert again.headers["www-authenticate"].startswith("Bearer")


def test_a_deactivated_user_gets_no_replay(
    client: TestClient, settings: Settings, session: Session, tree: Tree, team: Team
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()
    headers = bearer(settings, officer)
    first = client.post(ACTIVITIES, json=body(team), headers={**headers, **KEY})
    assert first.status_code == 201, first.text
    replayed = client.post(ACTIVITIES, json=body(team), headers={**headers, **KEY})
    assert replayed.headers["idempotent-replayed"] == "true"  # while the account is active
    off = client.patch(
        f"/api/v1/users/{officer.id}", json={"is_active": False}, headers=bearer(settings, admin)
    )
    assert off.status_code == 200, off.text
    assert_refused_like_me(client, headers, team)


def test_a_revoked_api_client_gets_no_replay(
    client: TestClient, settings: Settings, session: Session, tree: Tree, team: Team
) -> None:
    admin = bearer(settings, make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum))
    session.commit()
    created = client.post(
        "/api/v1/api-clients",
        json={
            "name": "Đồng bộ",
            "organisation": "VNPT Kon Tum",
            "scope_unit_id": str(tree.dak_glei.id),
        },
        headers=admin,
    ).json()
    token = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post(ACTIVITIES, json=body(team), headers={**headers, **KEY})
    assert first.status_code == 201, first.text
    revoked = client.delete(f"/api/v1/api-clients/{created['id']}", headers=admin)
    assert revoked.status_code == 204, revoked.text
    assert_refused_like_me(client, headers, team)


def test_ended_sessions_get_no_replay(
    client: TestClient, settings: Settings, session: Session, tree: Tree, team: Team
) -> None:
    leader: User = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    session.commit()
    headers = bearer(settings, leader)
    first = client.post(ACTIVITIES, json=body(team), headers={**headers, **KEY})
    assert first.status_code == 201, first.text
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "Another-password-2025"},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    assert_refused_like_me(client, headers, team)
