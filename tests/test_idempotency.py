"""``Idempotency-Key`` on every POST: replay, reuse with another body, concurrent
duplicates, failures that release the key, and keys that are each caller's own."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, func, select

from cnscd_api.config import Settings
from cnscd_api.core import idempotency
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import Activity, IdempotencyRecord, Role, Team, UnitLevel, User
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import Tree, bearer, make_team, make_user, unit_by_code

ACTIVITIES = "/api/v1/activities"


def activity_body(team: Team, **overrides: Any) -> dict[str, Any]:
    return {
        "team_id": str(team.id),
        "activity_date": "2024-10-05",
        "categories": ["vneid"],
        "values": {"people_guided": 12},
        **overrides,
    }


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    made = make_team(session, tree.dak_pek_village)
    session.commit()
    return made


def test_a_retry_replays_the_first_answer(admin_client: TestClient, team: Team) -> None:
    headers = {"Idempotency-Key": "phone-42-report-7"}
    first = admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["idempotent-replayed"] == "false"
    again = admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert admin_client.get(ACTIVITIES).json()["total"] == 1


def test_the_same_key_with_another_body_is_refused(admin_client: TestClient, team: Team) -> None:
    headers = {"Idempotency-Key": "k-1"}
    assert (
        admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers).status_code == 201
    )
    other = admin_client.post(
        ACTIVITIES, json=activity_body(team, values={"people_guided": 13}), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert admin_client.get(ACTIVITIES).json()["total"] == 1


def test_a_failed_request_releases_its_key(admin_client: TestClient, team: Team) -> None:
    headers = {"Idempotency-Key": "k-2"}
    bad = admin_client.post(
        ACTIVITIES, json=activity_body(team, activity_date="2999-01-01"), headers=headers
    )
    assert bad.status_code == 422
    # The corrected request, with the same key, runs.
    good = admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers)
    assert good.status_code == 201, good.text
    assert good.headers["idempotent-replayed"] == "false"


def test_keys_are_each_caller_s_own(
    client: TestClient, session: Session, settings: Settings, tree: Tree, team: Team
) -> None:
    one = bearer(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    two = bearer(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    session.commit()
    key = {"Idempotency-Key": "same-key"}
    first = client.post(ACTIVITIES, json=activity_body(team), headers={**one, **key})
    second = client.post(ACTIVITIES, json=activity_body(team), headers={**two, **key})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert second.headers["idempotent-replayed"] == "false"


def test_a_malformed_key_is_refused(admin_client: TestClient, team: Team) -> None:
    response = admin_client.post(
        ACTIVITIES, json=activity_body(team), headers={"Idempotency-Key": "a b"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_kept_answers_are_sealed(admin_client: TestClient, session: Session, team: Team) -> None:
    """A kept answer may hold a token or personal data: it is not stored readable."""
    response = admin_client.post(
        "/api/v1/api-clients",
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(team.unit_id)},
        headers={"Idempotency-Key": "new-client"},
    )
    secret = response.json()["client_secret"]
    stored = session.exec(select(IdempotencyRecord)).one()
    assert stored.body is not None
    assert secret.encode() not in stored.body
    replay = admin_client.post(
        "/api/v1/api-clients",
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(team.unit_id)},
        headers={"Idempotency-Key": "new-client"},
    )
    assert replay.json()["client_secret"] == secret


def test_an_upload_retried_with_a_new_boundary_is_the_same_request(
    admin_client: TestClient, team: Team
) -> None:
    content = f"Họ và tên,Thành phần,Mã tổ\nA Nhong,Đoàn Thanh niên,{team.id}\n".encode()
    headers = {"Idempotency-Key": "import-1"}
    first = admin_client.post(
        "/api/v1/members/import", files={"file": ("list.csv", content)}, headers=headers
    )
    assert first.status_code == 200, first.text
    again = admin_client.post(
        "/api/v1/members/import", files={"file": ("list.csv", content)}, headers=headers
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert admin_client.get("/api/v1/members").json()["total"] == 1


# --- concurrency on a real database -----------------------------------------------------------


@pytest.fixture
def live(backend: str, tmp_path: Path) -> Iterator[tuple[FastAPI, Database, dict[str, str], str]]:
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database = Database(engine)
        settings = settings_for(url)
        with database.transaction() as session:
            seed_units(session, {62})
            commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
            made = make_team(session, commune)
            officer: User = make_user(session, Role.COMMUNE_OFFICER, commune)
            headers = bearer(settings, officer)
            team_id = str(made.id)
        try:
            yield create_app(settings, database), database, headers, team_id
        finally:
            engine.dispose()


def test_concurrent_duplicates_create_one_object_and_get_the_same_answer(
    live: tuple[FastAPI, Database, dict[str, str], str],
) -> None:
    """50 copies of one POST sent at once with one key (a phone retrying on a bad
    line): one activity, and every copy gets the same answer, status, ETag and body."""
    app, database, headers, team_id = live
    callers = 50
    barrier = threading.Barrier(callers)
    answers: list[tuple[int, str | None, Any]] = []
    body = {
        "team_id": team_id,
        "activity_date": "2024-10-05",
        "categories": ["vneid"],
        "values": {"people_guided": 12},
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}

    def send() -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(ACTIVITIES, json=body, headers={**headers, **key})
            answers.append((response.status_code, response.headers.get("etag"), response.json()))

    threads = [threading.Thread(target=send) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _, _ in answers] == [201] * callers, [s for s, _, _ in answers]
    assert len({(etag, json.dumps(answer, sort_keys=True)) for _, etag, answer in answers}) == 1
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Activity)).one() == 1
        records = session.exec(select(IdempotencyRecord)).all()
        assert [record.state for record in records] == ["done"]


def test_a_database_out_of_reach_while_claiming_is_a_503(
    admin_client: TestClient, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locked past its wait or unreachable: the client is told to retry, not a 500."""

    def locked(*args: object) -> None:
        raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked"))

    monkeypatch.setattr(idempotency, "_try_claim", locked)
    response = admin_client.post(
        ACTIVITIES, json=activity_body(team), headers={"Idempotency-Key": "k-locked"}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response.headers["retry-after"] == "1"
    assert "locked" not in response.text


def test_an_effect_refused_at_commit_is_answered_and_frees_its_key(
    admin_client: TestClient, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The effect commits with its kept answer, outside the app's error handlers: a
    conflict found then is the app's 409 (not a 500), and the key is free again."""
    real = idempotency.Claim.complete

    def refused(*args: object) -> None:
        raise IntegrityError("COMMIT", None, Exception("duplicate key"))

    monkeypatch.setattr(idempotency.Claim, "complete", refused)
    headers = {"Idempotency-Key": "k-commit"}
    response = admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    monkeypatch.setattr(idempotency.Claim, "complete", real)
    retried = admin_client.post(ACTIVITIES, json=activity_body(team), headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "false"


def test_one_length_for_keys_in_the_readme_the_document_and_the_server(
    app: FastAPI, admin_client: TestClient, team: Team
) -> None:
    """The README, the published pattern and the server agree on 1–200 characters."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"`Idempotency-Key` header \(1–(\d+) visible ASCII", readme)
    assert stated is not None
    parameter = next(
        p
        for p in app.openapi()["paths"][ACTIVITIES]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    published = re.search(r"\{1,(\d+)\}", parameter["schema"]["pattern"])
    assert published is not None
    longest = int(stated.group(1))
    assert int(published.group(1)) == longest == 200
    assert re.fullmatch(parameter["schema"]["pattern"], "k" * longest)
    at_limit = admin_client.post(
        ACTIVITIES, json=activity_body(team), headers={"Idempotency-Key": "k" * longest}
    )
    assert at_limit.status_code == 201, at_limit.text
    past = admin_client.post(
        ACTIVITIES, json=activity_body(team), headers={"Idempotency-Key": "k" * (longest + 1)}
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_every_first_success_of_a_post_says_it_is_not_a_replay(
    app: FastAPI, admin_client: TestClient, team: Team
) -> None:
    """The document declares `Idempotent-Replayed` on every POST success: first answers,
    with a key or without, carry `false`; a replay carries `true`."""
    declared = app.openapi()["components"]["headers"]["Idempotent-Replayed"]["schema"]
    assert declared["enum"] == ["true", "false"]
    without_key = admin_client.post(ACTIVITIES, json=activity_body(team))
    assert without_key.status_code == 201, without_key.text
    assert without_key.headers["idempotent-replayed"] == "false"
    keyed = {"Idempotency-Key": "first-answer"}
    first = admin_client.post(ACTIVITIES, json=activity_body(team), headers=keyed)
    assert first.headers["idempotent-replayed"] == "false"
    again = admin_client.post(ACTIVITIES, json=activity_body(team), headers=keyed)
    assert again.headers["idempotent-replayed"] == "true"
    login = admin_client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "x", "password": "y"}
    )
    assert login.status_code == 401
    assert "idempotent-replayed" not in login.headers  # only successes are declared
