"""Partners' API clients: created by the province admin with a secret shown once,
exchanged for access tokens (form or HTTP Basic), rotated and revoked."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.models import Role, Unit
from tests.factories import Tree, bearer, make_user

CLIENTS = "/api/v1/api-clients"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def create_client(admin: TestClient, unit: Unit, **fields: Any) -> dict[str, Any]:
    body = {"name": "Đồng bộ bảng điều khiển", "organisation": "VNPT Kon Tum"}
    response = admin.post(CLIENTS, json={**body, "scope_unit_id": str(unit.id), **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def form_token(client: TestClient, client_id: str, secret: str) -> Response:
    response: Response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return response


def basic_token(client: TestClient, client_id: str, secret: str) -> Response:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response: Response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    return response


def access(response: Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_create_shows_the_secret_once(admin_client: TestClient, tree: Tree) -> None:
    created = create_client(admin_client, tree.dak_glei, name="  Bảng điều khiển  ")
    secret = created["client_secret"]
    assert isinstance(secret, str)
    assert len(secret) >= 32
    assert created["client_id"].startswith("cnscd_")
    assert created["name"] == "Bảng điều khiển"
    assert created["organisation"] == "VNPT Kon Tum"
    assert created["scope_unit_id"] == str(tree.dak_glei.id)
    assert created["revoked_at"] is None

    listed = admin_client.get(CLIENTS)
    assert listed.status_code == 200
    assert secret not in listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [created["id"]]
    assert "client_secret" not in items[0]
    expected = {k: v for k, v in created.items() if k != "client_secret"}
    assert items[0] == expected

    other = create_client(admin_client, tree.kon_tum)
    assert other["client_secret"] != secret
    assert other["client_id"] != created["client_id"]
    assert admin_client.get(CLIENTS).json()["total"] == 2


def test_partner_gets_a_token_by_form_or_basic_auth(admin_client: TestClient, tree: Tree) -> None:
    client = admin_client  # the admin's own bearer header is overridden per request
    created = create_client(admin_client, tree.dak_glei)
    for response in (
        form_token(client, created["client_id"], created["client_secret"]),
        basic_token(client, created["client_id"], created["client_secret"]),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] > 0
        assert body.get("refresh_token") is None
        assert body.get("refresh_expires_in") is None
        assert response.headers["cache-control"] == "no-store"

        me = client.get(ME, headers=access(response))
        assert me.status_code == 200, me.text
        assert me.json()["kind"] == "client"
        assert me.json()["id"] == created["id"]
        assert me.json()["username"] == created["client_id"]
        assert me.json()["role"] == "partner"
        assert me.json()["organisation"] == "VNPT Kon Tum"
        assert me.json()["scope_unit"]["path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]
        assert "api_clients:manage" not in me.json()["permissions"]
        assert "users:read" not in me.json()["permissions"]
        # A partner manages nothing: no users, no clients.
        assert client.get(CLIENTS, headers=access(response)).status_code == 403
        assert client.get("/api/v1/users", headers=access(response)).status_code == 403


@pytest.mark.parametrize(
    "credentials",
    ["wrong-secret", "secret-in-other-case", "unknown-client"],
)
def test_bad_client_credentials_are_401_invalid_client(
    admin_client: TestClient, tree: Tree, credentials: str
) -> None:
    created = create_client(admin_client, tree.dak_glei)
    client_id = created["client_id"]
    secret = created["client_secret"]
    if credentials == "wrong-secret":
        secret = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    elif credentials == "unknown-client":
        client_id = "cnscd_0000000000000000"
    else:
        secret = secret.upper() if secret.upper() != secret else secret.lower()
    for response in (
        form_token(admin_client, client_id, secret),
        basic_token(admin_client, client_id, secret),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_client"
        assert "access_token" not in response.json()


def test_client_credentials_without_a_secret_is_422(admin_client: TestClient, tree: Tree) -> None:
    created = create_client(admin_client, tree.dak_glei)
    response = admin_client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": created["client_id"]},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.client_secret"]


def test_rotating_the_secret_retires_the_old_one(admin_client: TestClient, tree: Tree) -> None:
    created = create_client(admin_client, tree.dak_glei)
    old_secret = created["client_secret"]
    assert form_token(admin_client, created["client_id"], old_secret).status_code == 200

    rotated = admin_client.post(f"{CLIENTS}/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret != old_secret
    assert rotated.json()["client_id"] == created["client_id"]
    assert rotated.json()["secret_rotated_at"] > created["secret_rotated_at"]

    for stale in (
        form_token(admin_client, created["client_id"], old_secret),
        basic_token(admin_client, created["client_id"], old_secret),
    ):
        assert stale.status_code == 401
        assert stale.json()["code"] == "invalid_client"
    fresh = basic_token(admin_client, created["client_id"], new_secret)
    assert admin_client.get(ME, headers=access(fresh)).json()["id"] == created["id"]
    assert new_secret not in admin_client.get(CLIENTS).text


def test_revoking_ends_existing_tokens_at_once(admin_client: TestClient, tree: Tree) -> None:
    created = create_client(admin_client, tree.dak_glei)
    kept = create_client(admin_client, tree.dak_glei, name="Vẫn dùng")
    token = access(form_token(admin_client, created["client_id"], created["client_secret"]))
    kept_token = access(form_token(admin_client, kept["client_id"], kept["client_secret"]))
    assert admin_client.get(ME, headers=token).status_code == 200

    revoked = admin_client.delete(f"{CLIENTS}/{created['id']}")
    assert revoked.status_code == 204
    assert revoked.content == b""

    me = admin_client.get(ME, headers=token)
    assert me.status_code == 401
    assert me.json()["code"] == "invalid_token"
    assert me.headers["www-authenticate"].startswith("Bearer")
    again = form_token(admin_client, created["client_id"], created["client_secret"])
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_client"
    assert admin_client.get(ME, headers=kept_token).status_code == 200

    listed = {item["id"]: item for item in admin_client.get(CLIENTS).json()["items"]}
    assert listed[created["id"]]["revoked_at"] is not None
    assert listed[kept["id"]]["revoked_at"] is None
    rotate = admin_client.post(f"{CLIENTS}/{created['id']}/rotate-secret")
    assert rotate.status_code == 409
    assert rotate.json()["code"] == "api_client_revoked"
    # Revoking twice changes nothing and says so quietly.
    assert admin_client.delete(f"{CLIENTS}/{created['id']}").status_code == 204


@pytest.mark.parametrize("role", [Role.DISTRICT_OFFICER, Role.COMMUNE_OFFICER, Role.VIEWER])
def test_only_the_province_admin_manages_clients(
    admin_client: TestClient, session: Session, settings: Settings, tree: Tree, role: Role
) -> None:
    created = create_client(admin_client, tree.dak_pek)
    unit = tree.dak_glei if role is Role.DISTRICT_OFFICER else tree.dak_pek
    headers = bearer(settings, make_user(session, role, unit))
    session.commit()
    attempts = [
        admin_client.get(CLIENTS, headers=headers),
        admin_client.post(
            CLIENTS,
            json={"name": "X", "organisation": "Y", "scope_unit_id": str(tree.dak_pek.id)},
            headers=headers,
        ),
        admin_client.post(f"{CLIENTS}/{created['id']}/rotate-secret", headers=headers),
        admin_client.delete(f"{CLIENTS}/{created['id']}", headers=headers),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    # Nothing happened: the original secret still works and no client was added.
    assert form_token(admin_client, created["client_id"], created["client_secret"]).is_success
    assert admin_client.get(CLIENTS).json()["total"] == 1


def test_a_client_outside_the_province_cannot_be_made_or_touched(
    admin_client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    response = admin_client.post(
        CLIENTS,
        json={
            "name": "Gia Lai",
            "organisation": "VNPT Gia Lai",
            "scope_unit_id": str(tree.gia_lai.id),
        },
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert admin_client.get(CLIENTS).json()["total"] == 0

    gia_lai_admin = make_user(session, Role.PROVINCE_ADMIN, tree.gia_lai)
    session.commit()
    theirs = admin_client.post(
        CLIENTS,
        json={
            "name": "Gia Lai",
            "organisation": "VNPT Gia Lai",
            "scope_unit_id": str(tree.gia_lai.id),
        },
        headers=bearer(settings, gia_lai_admin),
    )
    assert theirs.status_code == 201, theirs.text
    assert admin_client.get(CLIENTS).json()["items"] == []
    for attempt in (
        admin_client.post(f"{CLIENTS}/{theirs.json()['id']}/rotate-secret"),
        admin_client.delete(f"{CLIENTS}/{theirs.json()['id']}"),
        admin_client.delete(f"{CLIENTS}/{uuid.uuid4()}"),
    ):
        assert attempt.status_code == 404
        assert attempt.json()["code"] == "not_found"
    still = form_token(admin_client, theirs.json()["client_id"], theirs.json()["client_secret"])
    assert still.status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "body.name"),
        ({"organisation": "   "}, "body.organisation"),
        ({"client_secret": "mine"}, "body.client_secret"),
        ({"scope_unit_id": "62"}, "body.scope_unit_id"),
    ],
)
def test_invalid_client_body_is_422(
    admin_client: TestClient, tree: Tree, fields: dict[str, Any], field: str
) -> None:
    body = {"name": "N", "organisation": "O", "scope_unit_id": str(tree.kon_tum.id), **fields}
    response = admin_client.post(CLIENTS, json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_paths_take_the_id_or_the_client_id(admin_client: TestClient, tree: Tree) -> None:
    """An integrator holds the `client_id` it logs in with; the list shows the `id`."""
    first = create_client(admin_client, tree.kon_tum)
    second = create_client(admin_client, tree.kon_tum)
    by_client_id = admin_client.post(f"{CLIENTS}/{first['client_id']}/rotate-secret")
    assert by_client_id.status_code == 200
    assert by_client_id.json()["id"] == first["id"]
    assert admin_client.delete(f"{CLIENTS}/{second['id']}").status_code == 204
    assert admin_client.delete(f"{CLIENTS}/{first['client_id']}").status_code == 204
    unknown = admin_client.delete(f"{CLIENTS}/cnscd_0123456789abcdef")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    assert admin_client.delete(f"{CLIENTS}/not-a-client").status_code == 404
