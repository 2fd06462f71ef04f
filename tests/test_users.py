"""/users as an officer meets it: creating accounts that can log in, the anti-escalation
rules, reads limited to the scope, deactivation that ends sessions at once, and an audit
trail that records changes to personal data without revealing it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.models import AuditEvent, Role, Unit, UnitLevel, User
from tests.factories import Tree, bearer, make_team, make_user

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"
AUDIT = "/api/v1/audit-events"
STRONG_PASSWORD = "Đak-Glei-2025!"


def user_body(role: str, unit: Unit, **fields: Any) -> dict[str, Any]:
    return {
        "username": f"u.{uuid.uuid4().hex[:10]}",
        "full_name": "Nguyễn Văn A",
        "role": role,
        "scope_unit_id": str(unit.id),
        "password": STRONG_PASSWORD,
        **fields,
    }


def login(client: TestClient, username: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
    response = client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def token_headers(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def ngoc_hoi_commune(session: Session, tree: Tree) -> Unit:
    return session.exec(
        select(Unit)
        .where(col(Unit.parent_id) == tree.ngoc_hoi.id, col(Unit.level) == UnitLevel.COMMUNE)
        .order_by(col(Unit.name))
    ).first() or pytest.fail("Ngọc Hồi has no commune in the seed")


def unit_named(session: Session, tree: Tree, name: str) -> Unit:
    if name == "ngoc_hoi_commune":
        return ngoc_hoi_commune(session, tree)
    unit: Unit = getattr(tree, name)
    return unit


def usernames_in_scope(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get(USERS, params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["username"] for item in response.json()["items"]}


# --- creating an account ------------------------------------------------------------


def test_province_admin_creates_district_officer_who_can_log_in(
    admin_client: TestClient, tree: Tree
) -> None:
    body = user_body(
        "district_officer",
        tree.dak_glei,
        username="Huyen.DakGlei",
        phone="+84 912 345 678",
        email="huyen.dakglei@kontum.gov.vn",
    )
    response = admin_client.post(USERS, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == "huyen.dakglei"
    assert created["role"] == "district_officer"
    assert created["scope_unit_id"] == str(tree.dak_glei.id)
    assert created["phone"] == "0912345678"
    assert created["email"] == "huyen.dakglei@kontum.gov.vn"
    assert created["is_active"] is True
    assert not {"password", "password_hash"} & set(created)
    assert STRONG_PASSWORD not in response.text
    assert admin_client.get(f"{USERS}/{created['id']}").json() == created

    tokens = login(admin_client, "huyen.dakglei")
    assert tokens["token_type"] == "bearer"
    assert tokens["refresh_token"]
    me = admin_client.get(ME, headers=token_headers(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == created["id"]
    assert me.json()["role"] == "district_officer"
    assert me.json()["scope_unit"]["id"] == str(tree.dak_glei.id)
    assert me.json()["scope_unit"]["path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]


ACTORS: dict[str, tuple[Role, str]] = {
    "province_admin": (Role.PROVINCE_ADMIN, "kon_tum"),
    "district_officer": (Role.DISTRICT_OFFICER, "dak_glei"),
    "commune_officer": (Role.COMMUNE_OFFICER, "dak_pek"),
    "team_leader": (Role.TEAM_LEADER, "dak_pek_village"),
    "partner": (Role.PARTNER, "dak_glei"),
    "viewer": (Role.VIEWER, "kon_tum"),
}


@pytest.mark.parametrize(
    ("actor", "role", "unit", "status", "code"),
    [
        # What each officer may grant.
        ("province_admin", "province_admin", "kon_tum", 201, None),
        ("province_admin", "partner", "dak_pek", 201, None),
        ("district_officer", "commune_officer", "dak_pek", 201, None),
        ("district_officer", "viewer", "dak_glei", 201, None),
        ("commune_officer", "team_leader", "dak_pek_village", 201, None),
        ("commune_officer", "team_leader", "dak_pek", 201, None),
        ("commune_officer", "viewer", "dak_pek", 201, None),
        # Never a rank at or above one's own (province admins excepted).
        ("district_officer", "district_officer", "dak_glei", 403, "role_not_grantable"),
        ("district_officer", "province_admin", "kon_tum", 403, "role_not_grantable"),
        ("district_officer", "partner", "dak_glei", 403, "role_not_grantable"),
        ("commune_officer", "commune_officer", "dak_pek", 403, "role_not_grantable"),
        ("commune_officer", "district_officer", "dak_glei", 403, "role_not_grantable"),
        # Never a scope outside one's own subtree: it does not exist for the caller.
        ("district_officer", "commune_officer", "ngoc_hoi_commune", 404, "not_found"),
        ("commune_officer", "team_leader", "dak_man", 404, "not_found"),
        ("province_admin", "province_admin", "gia_lai", 404, "not_found"),
        # Roles without the permission at all.
        ("team_leader", "viewer", "dak_pek_village", 403, "forbidden"),
        ("partner", "viewer", "dak_glei", 403, "forbidden"),
        ("viewer", "viewer", "kon_tum", 403, "forbidden"),
        # The scope unit must have the role's level.
        ("province_admin", "district_officer", "dak_pek", 422, "scope_level_mismatch"),
        ("province_admin", "commune_officer", "dak_glei", 422, "scope_level_mismatch"),
        ("province_admin", "team_leader", "dak_glei", 422, "scope_level_mismatch"),
        ("district_officer", "commune_officer", "dak_glei", 422, "scope_level_mismatch"),
    ],
)
def test_who_may_create_whom(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    province_admin: User,
    actor: str,
    role: str,
    unit: str,
    status: int,
    code: str | None,
) -> None:
    actor_role, actor_unit = ACTORS[actor]
    caller = (
        province_admin
        if actor_role is Role.PROVINCE_ADMIN
        else make_user(session, actor_role, getattr(tree, actor_unit))
    )
    target = unit_named(session, tree, unit)
    body = user_body(role, target)
    if role == "team_leader":
        # A team leader is placed by the team they lead, which serves the unit.
        del body["scope_unit_id"]
        body["team_id"] = str(make_team(session, target).id)
    session.commit()
    response = client.post(USERS, json=body, headers=bearer(settings, caller))
    assert response.status_code == status, response.text
    created = client.get(
        USERS, params={"q": body["username"]}, headers=bearer(settings, province_admin)
    ).json()["total"]
    if code is None:
        assert response.json()["role"] == role
        assert created == 1
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert created == 0


def test_commune_officer_cannot_promote_a_team_leader_to_its_own_rank(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village)
    session.commit()
    headers = bearer(settings, officer)
    promoted = client.patch(
        f"{USERS}/{leader.id}",
        json={"role": "commune_officer", "scope_unit_id": str(tree.dak_pek.id)},
        headers=headers,
    )
    assert promoted.status_code == 403
    assert promoted.json()["code"] == "role_not_grantable"
    assert client.get(f"{USERS}/{leader.id}", headers=headers).json()["role"] == "team_leader"
    renamed = client.patch(f"{USERS}/{leader.id}", json={"full_name": "Y Bloan"}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["full_name"] == "Y Bloan"


@pytest.mark.parametrize(
    "change",
    [
        {"role": "viewer"},
        {"role": "district_officer"},
        {"scope_unit_id": "dak_glei"},
        {"is_active": False},
    ],
)
def test_province_admin_cannot_change_own_role_scope_or_deactivate(
    admin_client: TestClient, tree: Tree, province_admin: User, change: dict[str, Any]
) -> None:
    if "scope_unit_id" in change:
        change = {"scope_unit_id": str(tree.dak_glei.id)}
    response = admin_client.patch(f"{USERS}/{province_admin.id}", json=change)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "own_account_change"
    me = admin_client.get(f"{USERS}/{province_admin.id}").json()
    assert me["role"] == "province_admin"
    assert me["scope_unit_id"] == str(tree.kon_tum.id)
    assert me["is_active"] is True


def test_nobody_deletes_or_deactivates_themselves(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    session.commit()
    for user in (province_admin, officer):
        headers = bearer(settings, user)
        deleted = client.delete(f"{USERS}/{user.id}", headers=headers)
        assert deleted.status_code == 403, deleted.text
        assert deleted.json()["code"] == "own_account_change"
        deactivated = client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=headers)
        assert deactivated.status_code == 403, deactivated.text
        assert deactivated.json()["code"] == "own_account_change"
        assert client.get(ME, headers=headers).status_code == 200


def test_province_admin_may_edit_own_contact_details(
    admin_client: TestClient, province_admin: User
) -> None:
    response = admin_client.patch(
        f"{USERS}/{province_admin.id}",
        json={"phone": "0987 654 321", "role": "province_admin", "is_active": True},
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "0987654321"


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "Short-1a",  # too short
        "onlylowercase",  # one character class, under 16 characters
        "Aaaaaaaaaaaaaaaa1",  # repetitive
        "Password1",  # common, and short
        "Xa.Pek-2025!",  # contains the username
    ],
)
def test_weak_password_is_422(admin_client: TestClient, tree: Tree, password: str) -> None:
    body = user_body("commune_officer", tree.dak_pek, username="xa.pek", password=password)
    response = admin_client.post(USERS, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "weak_password"
    assert password not in response.text
    assert admin_client.get(USERS, params={"q": "xa.pek"}).json()["total"] == 0


def test_password_reset_is_checked_and_takes_effect(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.reset")
    session.commit()
    weak = admin_client.patch(f"{USERS}/{officer.id}", json={"password": "abc"})
    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"
    reset = admin_client.patch(f"{USERS}/{officer.id}", json={"password": STRONG_PASSWORD})
    assert reset.status_code == 200, reset.text
    assert STRONG_PASSWORD not in reset.text
    assert login(admin_client, "xa.reset")["access_token"]


def test_duplicate_username_is_409(
    admin_client: TestClient, session: Session, tree: Tree, province_admin: User
) -> None:
    taken = admin_client.post(
        USERS, json=user_body("district_officer", tree.dak_glei, username="Tinh.Admin")
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["code"] == "username_taken"
    # A deleted user's name is not handed out again either.
    gone = make_user(session, Role.VIEWER, tree.kon_tum, username="da.xoa")
    session.commit()
    assert admin_client.delete(f"{USERS}/{gone.id}").status_code == 204
    reused = admin_client.post(USERS, json=user_body("viewer", tree.kon_tum, username="da.xoa"))
    assert reused.status_code == 409
    assert reused.json()["code"] == "username_taken"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"is_superuser": True}, "body.is_superuser", "extra_forbidden"),
        ({"password_hash": "x"}, "body.password_hash", "extra_forbidden"),
        ({"phone": "12345"}, "body.phone", "phone_invalid"),
        ({"phone": "+1 202 555 0143"}, "body.phone", "phone_invalid"),
        ({"phone": "0260 3862 111"}, "body.phone", "phone_invalid"),
        ({"role": "superadmin"}, "body.role", "enum"),
        ({"scope_unit_id": "kon-tum"}, "body.scope_unit_id", "uuid_parsing"),
        ({"username": "a b"}, "body.username", "string_pattern_mismatch"),
        ({"email": "not-an-email"}, "body.email", "string_pattern_mismatch"),
    ],
)
def test_invalid_create_body_is_422_naming_the_field(
    admin_client: TestClient, tree: Tree, fields: dict[str, Any], field: str, code: str
) -> None:
    response = admin_client.post(USERS, json={**user_body("viewer", tree.dak_glei), **fields})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in body["errors"]
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"username": "doi.ten"}, "body.username"), ({"phone": "0123"}, "body.phone")],
)
def test_invalid_update_body_is_422_naming_the_field(
    admin_client: TestClient,
    session: Session,
    tree: Tree,
    fields: dict[str, Any],
    field: str,
) -> None:
    viewer = make_user(session, Role.VIEWER, tree.dak_glei)
    session.commit()
    response = admin_client.patch(f"{USERS}/{viewer.id}", json=fields)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert admin_client.get(f"{USERS}/{viewer.id}").json()["username"] == viewer.username


# --- reads --------------------------------------------------------------------------


def test_district_officer_reads_only_its_subtree(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei, username="huyen.glei")
    commune = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.pek")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, username="to.ung")
    neighbour = make_user(session, Role.DISTRICT_OFFICER, tree.ngoc_hoi, username="huyen.hoi")
    elsewhere = make_user(session, Role.PROVINCE_ADMIN, tree.gia_lai, username="tinh.gialai")
    session.commit()
    headers = bearer(settings, officer)

    assert usernames_in_scope(client, headers) == {"huyen.glei", "xa.pek", "to.ung"}
    assert usernames_in_scope(client, bearer(settings, province_admin)) >= {
        "tinh.admin",
        "huyen.glei",
        "xa.pek",
        "to.ung",
        "huyen.hoi",
    }
    assert "tinh.gialai" not in usernames_in_scope(client, bearer(settings, province_admin))

    for visible in (commune, leader):
        response = client.get(f"{USERS}/{visible.id}", headers=headers)
        assert response.status_code == 200
        assert response.json()["username"] == visible.username
    for hidden in (neighbour, province_admin, elsewhere):
        response = client.get(f"{USERS}/{hidden.id}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    # Writes to a user out of scope are 404 as well, not 403.
    assert (
        client.patch(f"{USERS}/{neighbour.id}", json={"full_name": "X"}, headers=headers)
    ).status_code == 404
    assert client.delete(f"{USERS}/{neighbour.id}", headers=headers).status_code == 404


def test_user_list_filters_and_search(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.pek")
    make_user(session, Role.COMMUNE_OFFICER, tree.dak_man, username="xa.man")
    make_user(session, Role.VIEWER, tree.dak_pek, username="xem.pek")
    session.commit()
    by_role = admin_client.get(USERS, params={"role": "commune_officer"}).json()
    assert {u["username"] for u in by_role["items"]} == {"xa.pek", "xa.man"}
    by_unit = admin_client.get(USERS, params={"scope_unit_id": str(tree.dak_pek.id)}).json()
    assert {u["username"] for u in by_unit["items"]} == {"xa.pek", "xem.pek"}
    found = admin_client.get(USERS, params={"q": "XA MAN"}).json()
    assert [u["username"] for u in found["items"]] == ["xa.man"]
    ordered = admin_client.get(USERS, params={"sort": "-username"}).json()["items"]
    assert [u["username"] for u in ordered] == sorted(
        (u["username"] for u in ordered), reverse=True
    )


@pytest.mark.parametrize("role", [Role.TEAM_LEADER, Role.PARTNER, Role.VIEWER])
def test_roles_without_user_access_get_403(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    province_admin: User,
    role: Role,
) -> None:
    caller = make_user(session, role, tree.dak_pek_village)
    colleague = make_user(session, Role.VIEWER, tree.dak_pek_village)
    session.commit()
    headers = bearer(settings, caller)
    listed = client.get(USERS, headers=headers)
    assert listed.status_code == 403
    assert listed.json()["code"] == "forbidden"
    assert "items" not in listed.json()
    assert client.get(f"{USERS}/{colleague.id}", headers=headers).status_code == 403
    patched = client.patch(f"{USERS}/{colleague.id}", json={"full_name": "X"}, headers=headers)
    assert patched.status_code == 403
    assert client.delete(f"{USERS}/{colleague.id}", headers=headers).status_code == 403
    assert client.get(f"{USERS}/{colleague.id}", headers=bearer(settings, province_admin)).json()[
        "is_active"
    ]


def test_anonymous_gets_401(client: TestClient, province_admin: User) -> None:
    response = client.get(USERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert client.get(f"{USERS}/{province_admin.id}").status_code == 401


# --- deactivation and deletion ------------------------------------------------------


def test_deactivation_ends_access_and_refresh_tokens_at_once(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(
        session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.nghi", password=STRONG_PASSWORD
    )
    session.commit()
    tokens = login(client, "xa.nghi")
    assert client.get(ME, headers=token_headers(tokens["access_token"])).status_code == 200
    admin = bearer(settings, province_admin)

    response = client.patch(f"{USERS}/{officer.id}", json={"is_active": False}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    me = client.get(ME, headers=token_headers(tokens["access_token"]))
    assert me.status_code == 401
    assert me.json()["code"] == "invalid_token"
    assert client.get(USERS, headers=token_headers(tokens["access_token"])).status_code == 401
    refreshed = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "invalid_refresh_token"
    relogin = client.post(
        TOKEN, data={"grant_type": "password", "username": "xa.nghi", "password": STRONG_PASSWORD}
    )
    assert relogin.status_code == 401
    # Still listed, as inactive, for the officers who manage the account.
    listed = client.get(USERS, params={"q": "xa.nghi"}, headers=admin).json()["items"]
    assert [(u["username"], u["is_active"]) for u in listed] == [("xa.nghi", False)]

    reactivated = client.patch(f"{USERS}/{officer.id}", json={"is_active": True}, headers=admin)
    assert reactivated.status_code == 200
    # The old refresh token stays dead; a new login works.
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert (
        client.get(ME, headers=token_headers(login(client, "xa.nghi")["access_token"])).json()[
            "username"
        ]
        == "xa.nghi"
    )


def test_deletion_ends_tokens_and_hides_the_user(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    officer = make_user(
        session,
        Role.DISTRICT_OFFICER,
        tree.dak_glei,
        username="huyen.xoa",
        password=STRONG_PASSWORD,
    )
    session.commit()
    tokens = login(client, "huyen.xoa")
    assert client.get(ME, headers=token_headers(tokens["access_token"])).status_code == 200
    admin = bearer(settings, province_admin)

    deleted = client.delete(f"{USERS}/{officer.id}", headers=admin)
    assert deleted.status_code == 204
    assert deleted.content == b""

    assert client.get(ME, headers=token_headers(tokens["access_token"])).status_code == 401
    refreshed = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert client.get(f"{USERS}/{officer.id}", headers=admin).status_code == 404
    assert "huyen.xoa" not in usernames_in_scope(client, admin)
    assert client.delete(f"{USERS}/{officer.id}", headers=admin).status_code == 404
    patched = client.patch(f"{USERS}/{officer.id}", json={"is_active": True}, headers=admin)
    assert patched.status_code == 404


def test_district_officer_may_deactivate_commune_officer_but_not_a_peer(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    peer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    commune = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    session.commit()
    headers = bearer(settings, officer)
    denied = client.patch(f"{USERS}/{peer.id}", json={"is_active": False}, headers=headers)
    assert denied.status_code == 403
    assert denied.json()["code"] == "role_not_grantable"
    assert client.get(ME, headers=bearer(settings, peer)).status_code == 200
    assert client.delete(f"{USERS}/{peer.id}", headers=headers).status_code == 403
    allowed = client.patch(f"{USERS}/{commune.id}", json={"is_active": False}, headers=headers)
    assert allowed.status_code == 200, allowed.text
    assert client.get(ME, headers=bearer(settings, commune)).status_code == 401


# --- audit --------------------------------------------------------------------------


def test_changes_to_a_user_are_audited_with_personal_data_masked(
    admin_client: TestClient, session: Session, tree: Tree, province_admin: User
) -> None:
    created = admin_client.post(
        USERS, json=user_body("commune_officer", tree.dak_pek, phone="+84 912 345 678")
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    patched = admin_client.patch(f"{USERS}/{user_id}", json={"phone": "0987.654.321"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "0987654321"
    new_password = "Mat-khau-moi-2025"
    assert admin_client.patch(f"{USERS}/{user_id}", json={"password": new_password}).is_success

    response = admin_client.get(AUDIT, params={"entity": "user", "entity_id": user_id})
    assert response.status_code == 200, response.text
    events = response.json()["items"]
    assert [e["action"] for e in events] == ["update", "update", "create"]
    assert all(e["actor_user_id"] == str(province_admin.id) for e in events)
    assert all(e["entity_id"] == user_id for e in events)
    password_change, phone_change, creation = events
    assert phone_change["changes"] == {"phone": {"before": "09******78", "after": "09******21"}}
    assert phone_change["request_id"] == patched.headers["x-request-id"]
    assert set(password_change["changes"]) == {"password"}
    assert creation["changes"]["phone"] == {"before": None, "after": "09******78"}
    assert creation["changes"]["role"] == {"before": None, "after": "commune_officer"}

    every_event = admin_client.get(AUDIT, params={"limit": 500}).text
    stored = json.dumps(
        [e.model_dump(mode="json") for e in session.exec(select(AuditEvent)).all()],
        ensure_ascii=False,
    )
    for text in (every_event, stored):
        for secret in ("912345678", "987654321", STRONG_PASSWORD, new_password):
            assert secret not in text
