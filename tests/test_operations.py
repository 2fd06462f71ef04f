"""The API as it runs in production: the image's command line, a real uvicorn process on
each database, what it adds to answers, bodies refused before they are sent whole, and
log output that holds no password, token, secret or phone number."""

from __future__ import annotations

import base64
import json
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cnscd_api.config import Settings
from cnscd_api.db import Database
from cnscd_api.models import Role, UnitLevel
from cnscd_api.units.seed import seed_units
from tests.databases import ROOT, TEST_SECRET, fresh_database, migrated_engine
from tests.factories import PASSWORD, make_team, make_user, unit_by_code
from tests.live_server import LiveServer, dockerfile_command, dockerfile_instructions, live_server

API = "/api/v1"


# --- the image --------------------------------------------------------------------------------


def test_the_image_serves_and_leaves_migrations_to_a_separate_command() -> None:
    """Replicas started together must not race to migrate: the image's command only
    serves; ``alembic upgrade head`` is the one-shot command run before a rollout."""
    command = dockerfile_command()
    assert command[:3] == ["uvicorn", "--factory", "cnscd_api.main:create_app"]
    assert not any("alembic" in part or "migrate" in part for part in command)
    assert "--no-server-header" in command
    assert "--no-access-log" in command  # uvicorn's prints query strings
    assert "--workers" not in command  # WEB_CONCURRENCY decides, per deployment
    instructions = dockerfile_instructions()
    copied = " ".join(rest for word, rest in instructions if word == "COPY")
    assert "alembic.ini" in copied
    assert "migrations" in copied  # the one-shot command runs from the same image
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "alembic upgrade head" in operations


def test_the_image_runs_as_a_user_and_checks_its_health() -> None:
    instructions = dockerfile_instructions()
    users = [rest for word, rest in instructions if word == "USER"]
    assert users
    assert users[-1] not in {"root", "0", "0:0"}
    healthchecks = [rest for word, rest in instructions if word == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0]
    assert "--interval" in healthchecks[0]


# --- one server per database ------------------------------------------------------------------


@dataclass
class Served:
    server: LiveServer
    database: Database
    admin_token: str
    commune_id: str
    team_id: str


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server run by the image's command line on a migrated database with Kon Tum, a
    province admin and a team; logging at DEBUG, the most it ever says."""
    work_dir = tmp_path_factory.mktemp(f"served-{backend}")
    with fresh_database(backend, work_dir) as url:
        engine = migrated_engine(url)
        database = Database(engine)
        with database.transaction() as session:
            seed_units(session, {62})
            commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
            province = unit_by_code(session, UnitLevel.PROVINCE, "62")
            make_user(session, Role.PROVINCE_ADMIN, province, username="tinh.admin")
            team = make_team(session, commune, "Tổ CNSCĐ xã Đắk Pék")
            commune_id, team_id = str(commune.id), str(team.id)
        try:
            with live_server(url, work_dir, env={"CNSCD_LOG_LEVEL": "DEBUG"}) as server:
                with server.client() as client:
                    token = client.post(
                        f"{API}/auth/token",
                        data={
                            "grant_type": "password",
                            "username": "tinh.admin",
                            "password": PASSWORD,
                        },
                    ).json()["access_token"]
                yield Served(server, database, token, commune_id, team_id)
        finally:
            engine.dispose()


def test_answers_carry_no_server_banner_and_are_not_sniffed_or_cached(served: Served) -> None:
    with served.server.client() as client:
        health = client.get("/healthz")
        members = client.get(
            f"{API}/members", headers={"Authorization": f"Bearer {served.admin_token}"}
        )
        missing = client.get(f"{API}/nothing-here")
    for response in (health, members, missing):
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers  # not configured
    assert members.status_code == 200
    assert members.headers["cache-control"] == "no-store"


def _raw_request(server: LiveServer, head: str, body_parts: Iterator[bytes]) -> str:
    """Send ``head`` and ``body_parts`` (not necessarily the whole body announced), then
    read the status line of the answer with the request still open."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(head.encode())
        for part in body_parts:
            connection.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def test_a_json_body_past_1_mb_is_refused_before_it_is_all_sent(served: Served) -> None:
    """The client announces 8 MB and sends 1.5 MB: the 413 comes without the rest."""
    head = (
        f"POST {API}/activities/batch HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {served.admin_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 8388608\r\n\r\n"
    )
    status_line = _raw_request(
        served.server, head, iter([b'{"activities": ['] + [b" " * 65536] * 23)
    )
    assert status_line.startswith("HTTP/1.1 413"), status_line


def test_a_chunked_json_body_past_1_mb_is_refused_while_it_arrives(served: Served) -> None:
    head = (
        f"POST {API}/members HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {served.admin_token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b" " * 65536
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 20  # 1.25 MB, and no last chunk
    status_line = _raw_request(served.server, head, iter(parts))
    assert status_line.startswith("HTTP/1.1 413"), status_line


def test_an_upload_announced_past_10_mb_is_refused_before_any_of_it_is_sent(
    served: Served,
) -> None:
    head = (
        f"POST {API}/members/import HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {served.admin_token}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 52428800\r\n\r\n"
    )
    status_line = _raw_request(served.server, head, iter([]))
    assert status_line.startswith("HTTP/1.1 413"), status_line


# --- logs -------------------------------------------------------------------------------------

PHONES = ("0912345678", "0987654321")
EMAIL = "y.thi.hoa@example.vn"
OFFICER_PASSWORD = "Kon-Plong-an-toan-2024"
NEW_PASSWORD = "Đắk-Pék-mới-2024!"
WRONG_PASSWORD = "Sai-mat-khau-99"


def _phone_forms(phone: str) -> set[str]:
    national = phone.removeprefix("0")
    return {phone, national, f"84{national}", f"+84{national}", f"{phone[:4]} {phone[4:7]}"}


def test_a_full_scenario_logs_no_password_token_secret_or_phone(served: Served) -> None:
    """Logins (one failed), a refresh, a member created with a phone, an import, an
    activity batch, an API client and its partner's tokens (form and Basic), searches by
    phone, a password change: the server's whole log output, at DEBUG, names none of the
    secrets or phone numbers that went through it."""
    secrets: set[str] = {PASSWORD, OFFICER_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, TEST_SECRET}
    with served.server.client() as client:
        officer_name = f"xa.dakpek.{uuid.uuid4().hex[:6]}"
        admin = {"Authorization": f"Bearer {served.admin_token}"}
        assert (
            client.post(
                f"{API}/users",
                json={
                    "username": officer_name,
                    "password": OFFICER_PASSWORD,
                    "full_name": "Cán bộ xã Đắk Pék",
                    "role": "commune_officer",
                    "scope_unit_id": served.commune_id,
                    "phone": PHONES[1],
                },
                headers=admin,
            ).status_code
            == 201
        )
        failed = client.post(
            f"{API}/auth/token",
            data={"grant_type": "password", "username": officer_name, "password": WRONG_PASSWORD},
        )
        assert failed.status_code == 401
        login = client.post(
            f"{API}/auth/token",
            data={"grant_type": "password", "username": officer_name, "password": OFFICER_PASSWORD},
        ).json()
        refreshed = client.post(
            f"{API}/auth/refresh", json={"refresh_token": login["refresh_token"]}
        ).json()
        secrets |= {login["access_token"], login["refresh_token"]}
        secrets |= {refreshed["access_token"], refreshed["refresh_token"]}
        officer = {"Authorization": f"Bearer {refreshed['access_token']}"}

        member = client.post(
            f"{API}/members",
            json={
                "team_id": served.team_id,
                "full_name": "Y Thị Hoa",
                "affiliation": "youth_union",
                "phone": PHONES[0],
                "email": EMAIL,
            },
            headers=officer,
        )
        assert member.status_code == 201, member.text
        rows = (
            "Họ và tên,Thành phần,Số điện thoại,Mã tổ\n"
            f"A Nhong,Công an,{PHONES[1]},{served.team_id}\n"
        )
        imported = client.post(
            f"{API}/members/import",
            files={"file": ("members.csv", rows.encode(), "text/csv")},
            headers=officer,
        )
        assert imported.status_code == 200, imported.text
        for query in (PHONES[0], PHONES[1][-6:]):
            assert (
                client.get(f"{API}/members", params={"q": query}, headers=officer).status_code
                == 200
            )

        batch = client.post(
            f"{API}/activities/batch",
            json={
                "activities": [
                    {
                        "id": str(uuid.uuid4()),
                        "team_id": served.team_id,
                        "activity_date": "2024-10-05",
                        "categories": ["vneid"],
                        "values": {"people_guided": count},
                        "description": f"Hướng dẫn VNeID, gọi {PHONES[0]}",
                    }
                    for count in (12, 30)
                ]
            },
            headers=officer,
        )
        assert batch.status_code == 200, batch.text

        created = client.post(
            f"{API}/api-clients",
            json={
                "name": "VNPT Kon Tum",
                "organisation": "VNPT",
                "scope_unit_id": served.commune_id,
            },
            headers=admin,
        ).json()
        secrets.add(created["client_secret"])
        partner = client.post(
            f"{API}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": created["client_id"],
                "client_secret": created["client_secret"],
            },
        ).json()
        basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode())
        by_basic = client.post(
            f"{API}/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic.decode()}"},
        ).json()
        secrets |= {partner["access_token"], by_basic["access_token"], basic.decode()}
        masked = client.get(
            f"{API}/members", headers={"Authorization": f"Bearer {partner['access_token']}"}
        )
        assert masked.status_code == 200
        assert PHONES[0] not in masked.text

        changed = client.post(
            f"{API}/auth/password",
            json={"current_password": OFFICER_PASSWORD, "new_password": NEW_PASSWORD},
            headers=officer,
        )
        assert changed.status_code == 204, changed.text

    log = served.server.log()
    lines = [line for line in log.splitlines() if line.strip()]
    assert len(lines) > 10  # the scenario was logged, as JSON lines with request ids
    assert all(json.loads(line).get("logger") for line in lines if line.startswith("{"))
    for secret in secrets:
        assert secret not in log, "a password, token or secret is in the log"
    # A token's signature alone is enough to forge nothing, but its payload is personal.
    for token in (login["access_token"], partner["access_token"]):
        for segment in token.split("."):
            assert segment not in log
    for phone in PHONES:
        for form in _phone_forms(phone):
            assert form not in log, f"a phone number ({form[:3]}…) is in the log"
    assert EMAIL not in log
    # Nor any other Vietnamese mobile number standing on its own.
    assert not re.search(r"(?<![0-9A-Za-z])0[35789]\d{8}(?![0-9A-Za-z])", log)


def test_every_setting_is_in_the_readme_table() -> None:
    """Operators configure from the README's table: every ``CNSCD_`` setting is there."""
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(CNSCD_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    settings = {f"CNSCD_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set()
    assert "CNSCD_HSTS_SECONDS" in documented
