"""Officers editing one team at once never lose an update silently, on a real, committed
database (each request in its own connection and transaction, from real threads); two
server processes writing one SQLite file at once never hand a client "database is
locked"."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import func, select

from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import Activity, Member, Role, Team, UnitLevel
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import bearer, make_team, make_user, unit_by_code
from tests.live_server import LiveServer, live_server

OFFICERS = 6
RACERS = 50


@dataclass
class World:
    app: FastAPI
    database: Database
    team_id: str
    headers: list[dict[str, str]]
    usernames: list[str]


@pytest.fixture
def world(backend: str, tmp_path: Path) -> Iterator[World]:
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database = Database(engine)
        settings = settings_for(url)
        with database.transaction() as session:
            seed_units(session, {62})
            commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
            team = make_team(session, commune, "Tổ CNSCĐ xã Đắk Pék")
            officers = [make_user(session, Role.COMMUNE_OFFICER, commune) for _ in range(OFFICERS)]
            team_id = str(team.id)
            headers = [bearer(settings, officer) for officer in officers]
            usernames = [officer.username for officer in officers]
        try:
            yield World(create_app(settings, database), database, team_id, headers, usernames)
        finally:
            engine.dispose()


def race(world: World, body_for: list[dict[str, str]], if_match: str | None) -> list[int]:
    barrier = threading.Barrier(len(body_for))
    statuses: list[int] = [0] * len(body_for)

    def edit(index: int) -> None:
        own = world.headers[index % len(world.headers)]
        headers = {**own, **({"If-Match": if_match} if if_match else {})}
        with TestClient(world.app) as client:
            barrier.wait()
            response = client.patch(
                f"/api/v1/teams/{world.team_id}", json=body_for[index], headers=headers
            )
            statuses[index] = response.status_code

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(len(body_for))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_edits_with_the_same_etag_have_one_winner(world: World) -> None:
    """50 edits sent at once with the ETag all of them read: one is applied, the 49
    others are told 412, and the stored team is the winner's edit, whole."""
    with TestClient(world.app) as client:
        first = client.get(f"/api/v1/teams/{world.team_id}", headers=world.headers[0])
        etag = first.headers["etag"]
    bodies = [
        {"note": f"Ghi chú của cán bộ {i}", "decision_number": f"{100 + i}/QĐ-UBND"}
        for i in range(RACERS)
    ]
    statuses = race(world, bodies, etag)
    assert sorted(statuses) == [200] + [412] * (RACERS - 1)
    winner = bodies[statuses.index(200)]
    with world.database.session() as session:
        stored = session.get(Team, uuid.UUID(world.team_id))
        assert stored is not None
        assert (stored.note, stored.decision_number) == (winner["note"], winner["decision_number"])
        assert stored.version == 2
    with TestClient(world.app) as client:
        final = client.get(f"/api/v1/teams/{world.team_id}", headers=world.headers[0])
    assert final.json()["note"] == winner["note"]
    assert final.headers["etag"] == '"2"' != etag


def test_concurrent_edits_of_different_fields_all_land(world: World) -> None:
    """Without If-Match, edits of different fields apply one after the other; a writer
    that read an old version is refused (412) rather than overwriting, and nothing
    reported as saved is missing at the end."""
    bodies = [{"note": "Họp thứ hai"}, {"decision_number": "125/QĐ-UBND"}]
    statuses = race(world, bodies, None)
    assert all(status in (200, 412) for status in statuses)
    with TestClient(world.app) as client:
        final = client.get(f"/api/v1/teams/{world.team_id}", headers=world.headers[0]).json()
    for body, status in zip(bodies, statuses, strict=True):
        key, value = next(iter(body.items()))
        assert (final[key] == value) == (status == 200)
    assert final["version"] == 1 + statuses.count(200)


def test_stale_if_match_on_delete_changes_nothing(world: World) -> None:
    with TestClient(world.app) as client:
        url = f"/api/v1/teams/{world.team_id}"
        etag = client.get(url, headers=world.headers[0]).headers["etag"]
        assert client.patch(url, json={"note": "mới"}, headers=world.headers[1]).status_code == 200
        stale = client.delete(url, headers={**world.headers[0], "If-Match": etag})
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        assert client.get(url, headers=world.headers[0]).status_code == 200


def test_parallel_wrong_passwords_cannot_pass_the_lockout(world: World) -> None:
    """Attempts are counted before the password is checked, so a burst of guesses gets no
    more than the allowed five checked, whatever the timing."""
    attempts = 16
    barrier = threading.Barrier(attempts)
    statuses: list[int] = [0] * attempts
    form = {"grant_type": "password", "username": world.usernames[0], "password": "Wrong-guess-1"}

    def guess(index: int) -> None:
        with TestClient(world.app) as client:
            barrier.wait()
            statuses[index] = client.post("/api/v1/auth/token", data=form).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(401) <= 5
    assert statuses.count(429) >= attempts - 5
    assert set(statuses) <= {401, 429}


def test_two_processes_writing_one_sqlite_file_never_answer_locked(
    backend: str, tmp_path: Path
) -> None:
    """Two server processes (as two workers run) on one SQLite file, each with eight
    clients creating members, recording activities and editing the team at once: every
    write waits for the lock instead of failing, so no client is told "database is
    locked" (a 503 or 500), and every create reported is stored."""
    if backend != "sqlite":
        pytest.skip("SQLite's single writer only")
    with fresh_database("sqlite", tmp_path) as url:
        engine = migrated_engine(url)
        settings = settings_for(url)
        with Database(engine).transaction() as session:
            seed_units(session, {62})
            commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
            team_id = str(make_team(session, commune).id)
            headers = [
                bearer(settings, make_user(session, Role.COMMUNE_OFFICER, commune))
                for _ in range(2)
            ]
        with (
            live_server(url, tmp_path, name="one") as one,
            live_server(url, tmp_path, name="two") as two,
        ):
            answers = _write_from_both(one, two, team_id, headers)
            logs = one.log() + two.log()
        with Database(engine).session() as session:
            members = session.exec(select(func.count()).select_from(Member)).one()
            activities = session.exec(select(func.count()).select_from(Activity)).one()
        engine.dispose()
    statuses = Counter((kind, status) for kind, status, _ in answers)
    assert {status for _, status, _ in answers} <= {200, 201, 412}, statuses
    assert not [body for _, _, body in answers if "locked" in body.lower()]
    assert "locked" not in logs.lower()
    assert members == statuses[("member", 201)] == 2 * WRITERS * ROUNDS
    assert activities == statuses[("activity", 201)] == 2 * WRITERS * ROUNDS
    assert statuses[("team", 200)] >= 1


WRITERS = 8  # per process
ROUNDS = 3


def _write_from_both(
    one: LiveServer, two: LiveServer, team_id: str, headers: list[dict[str, str]]
) -> list[tuple[str, int, str]]:
    answers: list[tuple[str, int, str]] = []
    barrier = threading.Barrier(2 * WRITERS)

    def write(server: LiveServer, auth: dict[str, str], writer: int) -> None:
        with server.client(headers=auth) as client:
            barrier.wait()
            for round_ in range(ROUNDS):
                name = f"Y {server.url[-5:]} {writer} {round_}"
                member = client.post(
                    "/api/v1/members",
                    json={"team_id": team_id, "full_name": name, "affiliation": "police"},
                )
                activity = client.post(
                    "/api/v1/activities",
                    json={
                        "team_id": team_id,
                        "activity_date": "2024-10-05",
                        "categories": ["vneid"],
                        "values": {"people_guided": writer + round_ + 1},
                    },
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                team = client.patch(f"/api/v1/teams/{team_id}", json={"note": name})
                answers.extend(
                    (kind, response.status_code, response.text)
                    for kind, response in (
                        ("member", member),
                        ("activity", activity),
                        ("team", team),
                    )
                )

    threads = [
        threading.Thread(target=write, args=(server, auth, writer))
        for server, auth in ((one, headers[0]), (two, headers[1]))
        for writer in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
