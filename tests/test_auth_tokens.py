"""Logging in, the access token's checks, refresh rotation and login throttling."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core.security import create_access_token
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import AuditEvent, Role, User, utcnow
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import PASSWORD, Tree, make_user, unit_by_code

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


@pytest.fixture
def officer(session: Session, tree: Tree) -> User:
    user = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.officer")
    session.commit()
    return user


def test_password_login_gives_both_tokens_and_me(client: TestClient, officer: User) -> None:
    response = login(client, "XA.Officer ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "commune_officer"
    assert me.json()["scope_unit"]["path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Pék"]
    assert "villages:write" in me.json()["permissions"]
    assert "users:write" in me.json()["permissions"]
    assert "api_clients:manage" not in me.json()["permissions"]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"grant_type": "password", "password": "x"}, "body.username"),
        ({"grant_type": "password", "username": "x"}, "body.password"),
        ({"grant_type": "client_credentials", "client_id": "x"}, "body.client_secret"),
        ({"grant_type": "authorization_code", "username": "x", "password": "y"}, "body.grant_type"),
    ],
)
def test_incomplete_token_requests_are_422(
    client: TestClient, form: dict[str, str], field: str
) -> None:
    response = client.post(TOKEN, data=form)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient, officer: User) -> None:
    wrong = login(client, "xa.officer", "Wrong-password-1")
    unknown = login(client, "nobody.here", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


def test_inactive_and_deleted_users_cannot_log_in(
    client: TestClient, session: Session, officer: User
) -> None:
    officer.is_active = False
    session.add(officer)
    session.commit()
    assert login(client, "xa.officer").status_code == 401


def bearer_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged(settings: Settings, officer: User, **overrides: Any) -> str:
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": f"user:{officer.id}",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "x",
        "typ": "access",
    }
    algorithm = overrides.pop("algorithm", "HS256")
    key = overrides.pop("key", settings.signing_key())
    claims.update(overrides)
    for name in [name for name, value in claims.items() if value is None]:
        del claims[name]
    token: str = jwt.encode(claims, key, algorithm=algorithm)
    return token


def unsigned(settings: Settings, officer: User) -> str:
    """A token with ``alg: none``, as an attacker would write it by hand."""
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    valid = jwt.get_unverified_claims(forged(settings, officer))
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(valid)}."


REJECTED_TOKENS: dict[str, Callable[[Settings, User], str]] = {
    "alg none": lambda s, u: unsigned(s, u),
    "HS512": lambda s, u: forged(s, u, algorithm="HS512"),
    "HS384": lambda s, u: forged(s, u, algorithm="HS384"),
    "bad signature": lambda s, u: forged(s, u, key="another-secret-that-is-32-bytes-long!!"),
    "expired": lambda s, u: create_access_token(
        s, f"user:{u.id}", now=utcnow() - timedelta(hours=1)
    )[0],
    "not yet valid": lambda s, u: create_access_token(
        s, f"user:{u.id}", now=utcnow() + timedelta(hours=1)
    )[0],
    "wrong issuer": lambda s, u: forged(s, u, iss="someone-else"),
    "wrong audience": lambda s, u: forged(s, u, aud="another-api"),
    "refresh type": lambda s, u: forged(s, u, typ="refresh"),
    "no type": lambda s, u: forged(s, u, typ=None),
    "no jti": lambda s, u: forged(s, u, jti=None),
    "no expiry": lambda s, u: forged(s, u, exp=None),
    "unknown subject": lambda s, u: forged(s, u, sub="user:00000000-0000-0000-0000-000000000000"),
    "subject not a uuid": lambda s, u: forged(s, u, sub="user:admin"),
    "subject of another kind": lambda s, u: forged(s, u, sub=f"robot:{u.id}"),
    "garbage": lambda s, u: "not.a.token",
}


@pytest.mark.parametrize("case", list(REJECTED_TOKENS))
def test_rejected_access_tokens(
    client: TestClient, settings: Settings, officer: User, case: str
) -> None:
    token = REJECTED_TOKENS[case](settings, officer)
    response = client.get(ME, headers=bearer_of(token))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")
    # The same user's genuine token works, so the rejection is about the token.
    assert (
        client.get(
            ME, headers=bearer_of(create_access_token(settings, f"user:{officer.id}")[0])
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer", "Bearer a b"]
)
def test_missing_or_malformed_authorization_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_refresh_token_is_not_an_access_token(client: TestClient, officer: User) -> None:
    refresh = login(client, "xa.officer").json()["refresh_token"]
    assert client.get(ME, headers=bearer_of(refresh)).status_code == 401


def test_deactivated_users_tokens_stop_at_once(
    client: TestClient, session: Session, officer: User, settings: Settings
) -> None:
    tokens = login(client, "xa.officer").json()
    assert client.get(ME, headers=bearer_of(tokens["access_token"])).status_code == 200
    officer.is_active = False
    session.add(officer)
    session.commit()
    assert client.get(ME, headers=bearer_of(tokens["access_token"])).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, session: Session, officer: User
) -> None:
    first = login(client, "xa.officer").json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer_of(second_tokens["access_token"])).status_code == 200
    # The first refresh token was used: presenting it again is a sign of theft.
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_refresh_token"
    # ... which also kills the newer token of the same family.
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": second_tokens["refresh_token"]}
        ).status_code
        == 401
    )
    actions = session.exec(
        select(AuditEvent.action).where(col(AuditEvent.entity_id) == str(officer.id))
    ).all()
    assert "refresh_token_reused" in actions


def test_unknown_refresh_token_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401


def test_logout_revokes_the_family(client: TestClient, officer: User) -> None:
    tokens = login(client, "xa.officer").json()
    anonymous = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert anonymous.status_code == 401
    out = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=bearer_of(tokens["access_token"]),
    )
    assert out.status_code == 204
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )


def test_five_failures_lock_the_username_for_fifteen_minutes(
    client: TestClient, session: Session, officer: User
) -> None:
    for _ in range(5):
        assert login(client, "xa.officer", "Wrong-password-1").status_code == 401
    locked = login(client, "xa.officer")  # even the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_failed_logins"
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    # Another user from the same address is not locked out by someone else's failures.
    other = make_user(session, Role.VIEWER, officer_unit(session), username="xa.viewer")
    session.commit()
    assert login(client, other.username).status_code == 200


def officer_unit(session: Session) -> Any:
    from cnscd_api.models import UnitLevel

    return unit_by_code(session, UnitLevel.COMMUNE, "23353")


def test_a_success_resets_the_failure_count(client: TestClient, officer: User) -> None:
    for _ in range(4):
        login(client, "xa.officer", "Wrong-password-1")
    assert login(client, "xa.officer").status_code == 200
    for _ in range(4):
        assert login(client, "xa.officer", "Wrong-password-1").status_code == 401
    assert login(client, "xa.officer").status_code == 200


def test_failures_per_address_are_limited_across_usernames(
    session: Session, tree: Tree, database: Database, engine: Any
) -> None:
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    settings.login_max_failures_per_address = 3
    with TestClient(create_app(settings, database)) as client:
        for attempt in range(3):
            assert login(client, f"guess{attempt}", "Wrong-password-1").status_code == 401
        assert login(client, "guess-again", "Wrong-password-1").status_code == 429


def test_expired_window_starts_counting_again(
    client: TestClient, session: Session, officer: User
) -> None:
    from cnscd_api.models import LoginThrottle

    for _ in range(4):
        login(client, "xa.officer", "Wrong-password-1")
    throttle = session.get(LoginThrottle, "user:xa.officer")
    assert throttle is not None
    assert throttle.failures == 4
    throttle.window_started_at = utcnow() - timedelta(minutes=16)
    session.add(throttle)
    session.commit()
    for _ in range(4):
        assert login(client, "xa.officer", "Wrong-password-1").status_code == 401
    assert login(client, "xa.officer").status_code == 200


def test_concurrent_refreshes_cannot_both_win(backend: str, tmp_path: Path) -> None:
    """Two processes' requests racing with the same refresh token on a real, committed
    database: exactly one gets new tokens."""
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        try:
            database = Database(engine)
            with database.transaction() as session:
                seed_units(session, {62})
                from cnscd_api.models import UnitLevel

                make_user(
                    session,
                    Role.VIEWER,
                    unit_by_code(session, UnitLevel.PROVINCE, "62"),
                    username="racer",
                )
            app = create_app(settings_for(url), database)
            with TestClient(app) as client:
                refresh = login(client, "racer").json()["refresh_token"]
                barrier = threading.Barrier(2)
                statuses: list[int] = []

                def race() -> None:
                    with TestClient(app) as racer:
                        barrier.wait()
                        statuses.append(
                            racer.post(
                                "/api/v1/auth/refresh", json={"refresh_token": refresh}
                            ).status_code
                        )

                threads = [threading.Thread(target=race) for _ in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            assert sorted(statuses) == [200, 401]
        finally:
            engine.dispose()


def test_any_user_changes_their_own_password(client: TestClient, officer: User) -> None:
    tokens = login(client, "xa.officer").json()
    headers = bearer_of(tokens["access_token"])
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "Not-my-password-1", "new_password": "Brand-new-pass-2025"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.current_password"
    weak = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=headers,
    )
    assert weak.json()["code"] == "weak_password"
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "Brand-new-pass-2025"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert login(client, "xa.officer", PASSWORD).status_code == 401
    assert login(client, "xa.officer", "Brand-new-pass-2025").status_code == 200
    # Other sessions end: the old refresh token no longer works.
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
