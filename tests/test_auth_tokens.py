"""Logging in, the access token's checks, refresh rotation and login throttling."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from cnscd_api.auth import service as auth_service
from cnscd_api.config import Settings
from cnscd_api.core import security
from cnscd_api.core.errors import ProblemError
from cnscd_api.core.security import create_access_token, verify_and_update_password
from cnscd_api.core.text import collation_key, fold
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import AuditEvent, Role, Unit, User, utcnow
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import PASSWORD, Tree, bearer, make_user, unit_by_code

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
USERS = "/api/v1/users"


class Clock:
    """The auth service's clock, moved by hand: throttles and grace windows are tested
    without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    controlled = Clock()
    monkeypatch.setattr(auth_service, "utcnow", controlled)
    return controlled


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


def private_key_pem(kind: str) -> str:
    """A freshly made RSA or EC private key: what an attacker signs with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def relabelled(settings: Settings, officer: User, algorithm: str) -> str:
    """A token whose header names ``algorithm`` but whose signature is HMAC-SHA256 with
    the server's own secret: the key-confusion attempt (a verifier that took the
    header's word and used the secret as the key of that algorithm)."""
    import base64
    import hashlib
    import hmac
    import json

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = jwt.get_unverified_claims(forged(settings, officer))
    header = encode(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    signed = f"{header}.{encode(json.dumps(claims).encode())}"
    mac = hmac.new(settings.signing_key().encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{encode(mac)}"


REJECTED_TOKENS: dict[str, Callable[[Settings, User], str]] = {
    "alg none": lambda s, u: unsigned(s, u),
    "HS512": lambda s, u: forged(s, u, algorithm="HS512"),
    "HS384": lambda s, u: forged(s, u, algorithm="HS384"),
    "RS256 with a key of its own": lambda s, u: forged(
        s, u, algorithm="RS256", key=private_key_pem("rsa")
    ),
    "ES256 with a key of its own": lambda s, u: forged(
        s, u, algorithm="ES256", key=private_key_pem("ec")
    ),
    "RS256 header, signed with the secret": lambda s, u: relabelled(s, u, "RS256"),
    "ES256 header, signed with the secret": lambda s, u: relabelled(s, u, "ES256"),
    "HS512 header, signed with the secret as HS256": lambda s, u: relabelled(s, u, "HS512"),
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


def test_a_password_hashed_with_older_parameters_is_hashed_again_on_login(
    client: TestClient, session: Session, officer: User
) -> None:
    """When the Argon2 parameters change, each account's hash is brought up to them at its
    next login (the password is known only then); the account's version does not move."""
    weak = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    officer.password_hash = weak
    session.add(officer)
    session.commit()
    version = officer.version
    assert login(client, "xa.officer").status_code == 200
    session.expire_all()
    stored = session.get(User, officer.id)
    assert stored is not None
    assert stored.password_hash != weak
    assert stored.password_hash is not None
    assert stored.password_hash.startswith(security.hash_password("x").rsplit("$", 2)[0] + "$")
    assert stored.version == version
    assert login(client, "xa.officer").status_code == 200
    session.expire_all()
    assert session.get(User, officer.id).password_hash == stored.password_hash  # type: ignore[union-attr]
    assert login(client, "xa.officer", "Wrong-password-1").status_code == 401


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
    client: TestClient, session: Session, officer: User, clock: Clock
) -> None:
    first = login(client, "xa.officer").json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer_of(second_tokens["access_token"])).status_code == 200
    # The first refresh token was used, past the retry grace: presenting it again is a
    # sign of theft.
    clock.advance(31)
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
    assert "refresh_token_reused" in audited_actions(session, officer)
    assert "refresh_token_grace_reuse" not in audited_actions(session, officer)


def audited_actions(session: Session, user: User) -> list[str]:
    return list(
        session.exec(
            select(AuditEvent.action).where(col(AuditEvent.entity_id) == str(user.id))
        ).all()
    )


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


def test_an_address_out_of_failure_budget_waits_a_little(
    app: Any, session: Session, officer: User, settings: Settings, clock: Clock
) -> None:
    settings.login_address_failure_budget = 3
    settings.login_address_refill_seconds = 60
    with TestClient(app, client=("203.0.113.9", 50000)) as client:
        for attempt in range(3):
            assert login(client, f"guess{attempt}", "Wrong-password-1").status_code == 401
        held = login(client, "guess-again", "Wrong-password-1")
        assert held.status_code == 429
        assert held.json()["code"] == "too_many_failed_logins_from_address"
        assert 1 <= int(held.headers["retry-after"]) <= 60
        # Nothing is checked while the address waits, not even a correct password ...
        assert login(client, "xa.officer").status_code == 429
        # ... and another address is not held back by this one.
        with TestClient(app, client=("198.51.100.20", 50000)) as elsewhere:
            assert login(elsewhere, "xa.officer").status_code == 200
        clock.advance(int(held.headers["retry-after"]))
        assert login(client, "xa.officer").status_code == 200


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


@pytest.mark.parametrize("grace", [30, 0])
def test_simultaneous_refreshes_of_one_token(backend: str, tmp_path: Path, grace: int) -> None:
    """Two requests of one phone racing with the same refresh token on a real, committed
    database: within the grace window both get working tokens; with the grace switched
    off exactly one does."""
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
            settings = settings_for(url)
            settings.refresh_reuse_grace_seconds = grace
            app = create_app(settings, database)
            with TestClient(app) as client:
                refresh = login(client, "racer").json()["refresh_token"]
                barrier = threading.Barrier(2)
                responses: list[Any] = []

                def race() -> None:
                    with TestClient(app) as racer:
                        barrier.wait()
                        responses.append(racer.post(REFRESH, json={"refresh_token": refresh}))

                threads = [threading.Thread(target=race) for _ in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                statuses = sorted(response.status_code for response in responses)
                if grace:
                    assert statuses == [200, 200]
                    for response in responses:
                        pair = response.json()
                        assert client.get(ME, headers=bearer_of(pair["access_token"])).is_success
                        renewed = client.post(
                            REFRESH, json={"refresh_token": pair["refresh_token"]}
                        )
                        assert renewed.status_code == 200
                else:
                    assert statuses == [200, 401]
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
    # Every session ends, the one that changed the password included.
    assert client.get(ME, headers=headers).status_code == 401
    assert login(client, "xa.officer", PASSWORD).status_code == 401
    assert login(client, "xa.officer", "Brand-new-pass-2025").status_code == 200
    # Other sessions end: the old refresh token no longer works.
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


# --- strict token form ----------------------------------------------------------------

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def access_token_mutations(token: str) -> dict[str, str]:
    """A valid token with characters added that a lenient base64 decoder would skip."""
    header, payload, signature = token.split(".")
    # The last of 43 characters carries two bits beyond the 32 bytes of an HS256
    # signature; flipping one gives another spelling of the same bytes.
    same_bytes = BASE64URL[BASE64URL.index(signature[-1]) ^ 1]
    return {
        "appended !!": f"{token}!!",
        "appended ==": f"{token}==",
        "appended =": f"{token}=",
        "! inserted in the signature": f"{header}.{payload}.{signature[:20]}!{signature[20:]}",
        "!! inserted in the signature": f"{header}.{payload}.{signature[:20]}!!{signature[20:]}",
        "trailing dot": f"{token}.",
        "space inside": f"{header}.{payload}.{signature[:20]} {signature[20:]}",
        "stray bits in the last character": f"{header}.{payload}.{signature[:-1]}{same_bytes}",
        "padded payload": f"{header}.{payload}{'=' * (-len(payload) % 4) or '===='}.{signature}",
        "very long": f"{header}.{payload}{'A' * 4000}.{signature}",
    }


MUTATIONS = list(access_token_mutations("aaaa.bbbb.cccc"))


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_access_tokens_with_extra_characters_are_refused(
    client: TestClient, officer: User, mutation: str
) -> None:
    token = login(client, "xa.officer").json()["access_token"]
    assert client.get(ME, headers=bearer_of(token)).status_code == 200
    response = client.get(ME, headers=bearer_of(access_token_mutations(token)[mutation]))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


def refresh_token_mutations(token: str) -> dict[str, str]:
    return {
        "appended !!": f"{token}!!",
        "appended ==": f"{token}==",
        "! inserted": f"{token[:20]}!{token[20:]}",
        "trailing dot": f"{token}.",
        "space inside": f"{token[:20]} {token[20:]}",
        "one character short": token[:-1],
        "one character more": f"{token}A",
    }


@contextmanager
def refresh_token_queries(connection: Connection) -> Iterator[list[str]]:
    """The SQL statements that read or write refresh tokens while the block runs."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "refresh_token" in statement:
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", listen)


@pytest.mark.parametrize("mutation", list(refresh_token_mutations("x" * 43)))
def test_malformed_refresh_tokens_are_refused_without_a_lookup(
    client: TestClient, connection: Connection, officer: User, mutation: str
) -> None:
    tokens = login(client, "xa.officer").json()
    malformed = refresh_token_mutations(tokens["refresh_token"])[mutation]
    with refresh_token_queries(connection) as queries:
        refreshed = client.post(REFRESH, json={"refresh_token": malformed})
        logged_out = client.post(
            LOGOUT,
            json={"refresh_token": malformed},
            headers=bearer_of(tokens["access_token"]),
        )
    for response in (refreshed, logged_out):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_refresh_token"
    assert queries == []
    # The genuine token was not touched.
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 200


# --- tokens issued before a session-ending change stay dead ---------------------------


def test_tokens_from_before_a_deactivation_stay_dead_after_reactivation(
    client: TestClient, settings: Settings, officer: User, province_admin: User
) -> None:
    old = login(client, "xa.officer").json()
    admin = bearer(settings, province_admin)
    assert client.patch(
        f"{USERS}/{officer.id}", json={"is_active": False}, headers=admin
    ).is_success
    assert client.get(ME, headers=bearer_of(old["access_token"])).status_code == 401
    assert client.patch(f"{USERS}/{officer.id}", json={"is_active": True}, headers=admin).is_success

    revived = client.get(ME, headers=bearer_of(old["access_token"]))
    assert revived.status_code == 401
    assert revived.json()["code"] == "invalid_token"
    assert client.post(REFRESH, json={"refresh_token": old["refresh_token"]}).status_code == 401
    new = login(client, "xa.officer").json()
    assert client.get(ME, headers=bearer_of(new["access_token"])).status_code == 200
    assert client.post(REFRESH, json={"refresh_token": new["refresh_token"]}).status_code == 200


NEW_PASSWORD = "Another-pass-2025!"
SESSION_ENDING_CHANGES: dict[str, Callable[[Tree], dict[str, str]]] = {
    "password reset": lambda tree: {"password": NEW_PASSWORD},
    "role change": lambda tree: {"role": "viewer"},
    "scope change": lambda tree: {"scope_unit_id": str(tree.dak_man.id)},
}


@pytest.mark.parametrize("change", list(SESSION_ENDING_CHANGES))
def test_a_session_ending_change_kills_the_tokens_issued_before(
    client: TestClient,
    settings: Settings,
    tree: Tree,
    officer: User,
    province_admin: User,
    change: str,
) -> None:
    old = login(client, "xa.officer").json()
    admin = bearer(settings, province_admin)
    body = SESSION_ENDING_CHANGES[change](tree)
    changed = client.patch(f"{USERS}/{officer.id}", json=body, headers=admin)
    assert changed.status_code == 200, changed.text

    assert client.get(ME, headers=bearer_of(old["access_token"])).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": old["refresh_token"]}).status_code == 401
    password = NEW_PASSWORD if change == "password reset" else PASSWORD
    new = login(client, "xa.officer", password).json()
    assert client.get(ME, headers=bearer_of(new["access_token"])).status_code == 200
    # Changing something else afterwards leaves the new session alone.
    renamed = client.patch(f"{USERS}/{officer.id}", json={"full_name": "Y Văn Mới"}, headers=admin)
    assert renamed.status_code == 200
    assert client.get(ME, headers=bearer_of(new["access_token"])).status_code == 200


def test_a_profile_change_keeps_the_session(
    client: TestClient, settings: Settings, officer: User, province_admin: User
) -> None:
    tokens = login(client, "xa.officer").json()
    admin = bearer(settings, province_admin)
    body = {"full_name": "A Văn Khác", "phone": "0912 345 678", "is_active": True}
    assert client.patch(f"{USERS}/{officer.id}", json=body, headers=admin).status_code == 200
    assert client.get(ME, headers=bearer_of(tokens["access_token"])).status_code == 200
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 200


# --- refresh retries within the grace window ------------------------------------------


def test_a_refresh_retried_within_the_grace_window_gets_a_working_pair(
    client: TestClient, session: Session, officer: User, clock: Clock
) -> None:
    first = login(client, "xa.officer").json()
    answered = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()
    clock.advance(29)  # the phone never got the answer and tries again
    retried = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert retried.status_code == 200
    retry = retried.json()
    assert retry["refresh_token"] not in {first["refresh_token"], answered["refresh_token"]}
    for pair in (answered, retry):
        assert client.get(ME, headers=bearer_of(pair["access_token"])).status_code == 200
        assert (
            client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}).status_code == 200
        )
    actions = audited_actions(session, officer)
    assert "refresh_token_grace_reuse" in actions
    assert "refresh_token_reused" not in actions


def test_a_refresh_retried_after_the_grace_window_revokes_the_family(
    client: TestClient, officer: User, clock: Clock
) -> None:
    first = login(client, "xa.officer").json()
    answered = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()
    clock.advance(31)
    reused = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_refresh_token"
    assert (
        client.post(REFRESH, json={"refresh_token": answered["refresh_token"]}).status_code == 401
    )


def test_the_grace_can_be_switched_off(
    client: TestClient, settings: Settings, officer: User
) -> None:
    settings.refresh_reuse_grace_seconds = 0
    first = login(client, "xa.officer").json()
    answered = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()
    assert client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).status_code == 401
    assert (
        client.post(REFRESH, json={"refresh_token": answered["refresh_token"]}).status_code == 401
    )


@pytest.mark.parametrize("ending", ["logout", "reuse detected", "deactivation"])
def test_a_revoked_family_gets_no_grace(
    client: TestClient,
    settings: Settings,
    officer: User,
    province_admin: User,
    clock: Clock,
    ending: str,
) -> None:
    first = login(client, "xa.officer").json()
    answered = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()
    if ending == "logout":
        out = client.post(
            LOGOUT,
            json={"refresh_token": answered["refresh_token"]},
            headers=bearer_of(answered["access_token"]),
        )
        assert out.status_code == 204
    elif ending == "reuse detected":
        # The newer token is stolen and used twice, past the grace: the family is revoked.
        assert client.post(REFRESH, json={"refresh_token": answered["refresh_token"]}).is_success
        clock.advance(31)
        assert (
            client.post(REFRESH, json={"refresh_token": answered["refresh_token"]}).status_code
            == 401
        )
        clock.advance(-31)
    else:
        admin = bearer(settings, province_admin)
        for active in (False, True):
            patched = client.patch(
                f"{USERS}/{officer.id}", json={"is_active": active}, headers=admin
            )
            assert patched.status_code == 200
    clock.advance(5)  # well within the grace window of the first token's use
    assert client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).status_code == 401


# --- login throttling at the scale of a district behind one address -------------------

GUESSER = "100.64.0.2"
CHEAP_HASHER = Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
_undo: list[Callable[[], None]] = []


@pytest.fixture(autouse=True)
def _restore_hashing() -> Iterator[None]:
    yield
    while _undo:
        _undo.pop()()


def cheap_users(session: Session, unit: Unit, count: int, prefix: str) -> list[str]:
    """Users whose password (PASSWORD) verifies in microseconds: the throttle is under
    test, not Argon2 (the app hashes with the same cheap parameters meanwhile, so a login
    does not store a costly hash in their place)."""
    cheap = PasswordHash((CHEAP_HASHER,))
    patch = pytest.MonkeyPatch()
    patch.setattr(security, "_password_hash", cheap)
    _undo.append(patch.undo)
    password_hash = CHEAP_HASHER.hash(PASSWORD)
    usernames = [f"{prefix}.{number:04d}" for number in range(count)]
    session.add_all(
        User(
            username=username,
            full_name=username,
            search_text=fold(username),
            name_key=collation_key(username),
            role=Role.VIEWER,
            scope_unit_id=unit.id,
            password_hash=password_hash,
        )
        for username in usernames
    )
    session.commit()
    return usernames


def test_a_district_behind_one_address_all_get_in(
    app: Any, session: Session, tree: Tree, clock: Clock
) -> None:
    """300 people behind one carrier-grade NAT address log in within ten minutes; one in
    ten mistypes their password once first. Nobody is held back."""
    usernames = cheap_users(session, tree.dak_glei, 300, "nat")
    random.Random(20241001).shuffle(usernames)
    statuses: list[int] = []
    with TestClient(app, client=("100.64.0.1", 40000)) as client:
        for number, username in enumerate(usernames):
            clock.advance(2)
            if number % 10 == 0:
                assert login(client, username, "Wrong-password-1").status_code == 401
            statuses.append(login(client, username).status_code)
    assert statuses == [200] * 300


def attempt(
    session: Session, settings: Settings, username: str, password: str, address: str = GUESSER
) -> str:
    """A password login, straight through the service and committed as the request would
    be: ``200``, or the status and code of the problem (with ``Retry-After``). Thousands
    of attempts are too many for the test client."""
    try:
        auth_service.login_with_password(session, settings, username, password, address)
    except ProblemError as error:
        if error.keep_changes:
            session.commit()
        else:
            session.rollback()
        retry_after = (error.headers or {}).get("Retry-After")
        return f"{error.status} {error.code}" + (f" {retry_after}" if retry_after else "")
    session.commit()
    return "200"


def test_a_peak_morning_behind_one_address(
    session: Session, tree: Tree, settings: Settings, clock: Clock
) -> None:
    """600 people behind one address in a quarter of an hour, one in ten mistyping once:
    60 failures, more than a fixed limit per address would have let through (the old
    one was 50 in 15 minutes), and still nobody waits."""
    usernames = cheap_users(session, tree.dak_glei, 600, "peak")
    outcomes: list[str] = []
    for number, username in enumerate(usernames):
        clock.advance(1.5)
        if number % 10 == 3:
            wrong = attempt(session, settings, username, "Wrong-password-1", "100.64.0.4")
            assert wrong == "401 invalid_credentials"
        outcomes.append(attempt(session, settings, username, PASSWORD, "100.64.0.4"))
    assert outcomes == ["200"] * 600


def test_one_address_guessing_is_held_to_a_few_checks_an_hour(
    session: Session, tree: Tree, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One address tries a password a second against many usernames for an hour: only a
    few dozen passwords are ever checked, the rest are refused with 429 up front."""
    targets = cheap_users(session, tree.dak_glei, 200, "target")
    checks: list[str] = []

    def counting_verify(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        checks.append(password)
        return verify_and_update_password(password, password_hash)

    monkeypatch.setattr("cnscd_api.auth.service.verify_and_update_password", counting_verify)
    outcomes: list[str] = []
    for second in range(3600):
        clock.advance(1)
        username = targets[second % len(targets)]
        outcomes.append(attempt(session, settings, username, f"Guess-{second:04d}!"))
    refused = [outcome.split() for outcome in outcomes if outcome.startswith("429")]
    assert {code for _, code, _ in refused} == {"too_many_failed_logins_from_address"}
    assert all(1 <= int(retry_after) <= 120 for _, _, retry_after in refused)
    verified = [outcome for outcome in outcomes if outcome == "401 invalid_credentials"]
    assert len(verified) + len(refused) == 3600
    assert len(verified) == len(checks)
    assert len(checks) <= 60


def test_one_known_account_does_not_buy_an_address_more_guesses(
    session: Session, tree: Tree, settings: Settings, clock: Clock
) -> None:
    """The guesser logs in with an account of its own between guesses: a username pays
    back its address once per window, so the guesses stay few."""
    own, *targets = cheap_users(session, tree.dak_glei, 101, "mixed")
    guesses_checked = 0
    for second in range(0, 3600, 2):
        clock.advance(2)
        if attempt(session, settings, own, PASSWORD) != "200":
            continue
        guess = attempt(session, settings, targets[second % len(targets)], "Wrong-password-1")
        guesses_checked += guess == "401 invalid_credentials"
    assert guesses_checked <= 60


def test_an_ipv6_client_counts_by_its_slash_64(
    app: Any, session: Session, tree: Tree, settings: Settings, clock: Clock
) -> None:
    settings.login_address_failure_budget = 2
    targets = cheap_users(session, tree.dak_glei, 5, "v6")
    with TestClient(app, client=("2001:db8:1:2::10", 40000)) as first:
        assert login(first, targets[0], "Wrong-password-1").status_code == 401
    with TestClient(app, client=("2001:db8:1:2:ffff::99", 40000)) as second:
        assert login(second, targets[1], "Wrong-password-1").status_code == 401
        assert login(second, targets[2]).status_code == 429
    with TestClient(app, client=("2001:db8:1:3::10", 40000)) as neighbour:
        assert login(neighbour, targets[2]).status_code == 200


def test_tokens_never_load_the_ecdsa_module() -> None:
    """``ecdsa`` (CVE-2024-23342, timing of ECDSA signing) comes with python-jose, but
    signing and verifying our tokens never imports it (docs/decisions.md)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pydantic import SecretStr\n"
        "from cnscd_api.config import Settings\n"
        "from cnscd_api.core.security import create_access_token, decode_access_token\n"
        "settings = Settings(secret_key=SecretStr('s' * 48), _env_file=None)\n"
        "token, _ = create_access_token(settings, 'user:00000000-0000-0000-0000-000000000001')\n"
        "decode_access_token(settings, token)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'ecdsa'], 'ecdsa loaded'\n"
    )
    done = subprocess.run(  # noqa: S603 -- our own interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
