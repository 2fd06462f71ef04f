"""Two officers editing one team at once never lose an update silently, on a real,
committed database (each request in its own connection and transaction)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import Role, UnitLevel
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import bearer, make_team, make_user, unit_by_code

OFFICERS = 6


@dataclass
class World:
    app: FastAPI
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
            yield World(create_app(settings, database), team_id, headers, usernames)
        finally:
            engine.dispose()


def race(world: World, body_for: list[dict[str, str]], if_match: str | None) -> list[int]:
    barrier = threading.Barrier(len(body_for))
    statuses: list[int] = [0] * len(body_for)

    def edit(index: int) -> None:
        headers = {**world.headers[index], **({"If-Match": if_match} if if_match else {})}
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
    with TestClient(world.app) as client:
        first = client.get(f"/api/v1/teams/{world.team_id}", headers=world.headers[0])
        etag = first.headers["etag"]
    bodies = [{"note": f"Ghi chú của cán bộ {i}"} for i in range(OFFICERS)]
    statuses = race(world, bodies, etag)
    assert sorted(statuses) == [200] + [412] * (OFFICERS - 1)
    winner = statuses.index(200)
    with TestClient(world.app) as client:
        final = client.get(f"/api/v1/teams/{world.team_id}", headers=world.headers[0])
    assert final.json()["note"] == bodies[winner]["note"]
    assert final.json()["version"] == 2
    assert final.headers["etag"] != etag


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
