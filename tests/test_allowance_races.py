"""An approval of a month's statement racing a change of one of its reports, on a real,
committed PostgreSQL database (each request in its own thread, connection and
transaction): one of the two wins, the other is told 409, and an approved statement
always equals a recomputation from the reports as they stand. SQLite lets one writer in
at a time, so only PostgreSQL can show the race."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cnscd_api.allowances import service as allowance_service
from cnscd_api.core import clock
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityStatus,
    AllowanceStatement,
    Role,
    StatementStatus,
    Team,
    Unit,
    User,
)
from cnscd_api.units.seed import seed_units
from tests.conftest import GIA_LAI, KON_TUM
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import (
    bearer,
    make_activity,
    make_allowance_rule,
    make_member,
    make_team,
    make_tree,
    make_user,
)

STATEMENTS = "/api/v1/allowance-statements"
ACTIVITIES = "/api/v1/activities"
TODAY = date(2024, 11, 20)
Request = Callable[[TestClient], httpx.Response]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@dataclass
class World:
    client: TestClient
    database: Database
    commune_id: uuid.UUID
    team_id: uuid.UUID
    member_id: uuid.UUID
    leader_id: uuid.UUID
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(backend: str, tmp_path: Path) -> Iterator[World]:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database, settings = Database(engine), settings_for(url)
        try:
            with database.transaction() as session:
                seed_units(session, {KON_TUM, GIA_LAI})
                tree = make_tree(session)
                make_allowance_rule(session, tree.kon_tum)
                team = make_team(session, tree.dak_pek_village)
                member = make_member(session, team)
                leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
                headers = {
                    "commune": bearer(
                        settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
                    ),
                    "district": bearer(
                        settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
                    ),
                }
                ids = (tree.dak_pek.id, team.id, member.id, leader.id)
            with TestClient(create_app(settings, database)) as client:
                yield World(client, database, *ids, headers)
        finally:
            engine.dispose()


def race(first: Request, second: Request, client: TestClient) -> list[int]:
    barrier = threading.Barrier(2)
    answers: list[httpx.Response | None] = [None, None]

    def run(index: int, request: Request) -> None:
        barrier.wait()
        answers[index] = request(client)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = []
    for answer in answers:
        assert answer is not None
        assert answer.status_code < 500, answer.text
        statuses.append(answer.status_code)
    return statuses


def post(url: str, headers: dict[str, str]) -> Request:
    return lambda client: client.post(url, headers=headers)


def _setup_month(world: World, month: date) -> tuple[str, str]:
    """A submitted report of the month naming the member, and the month's statement."""
    with world.database.transaction() as session:
        team = session.get(Team, world.team_id)
        leader = session.get(User, world.leader_id)
        assert team is not None
        assert leader is not None
        report = make_activity(session, team, leader, day=month.replace(day=5))
        session.add(ActivityMember(activity_id=report.id, member_id=world.member_id))
        report_id = str(report.id)
    made = world.client.post(
        STATEMENTS,
        json={"unit_id": str(world.commune_id), "month": month.strftime("%Y-%m")},
        headers=world.headers["commune"],
    )
    assert made.status_code == 201, made.text
    return report_id, str(made.json()["id"])


def test_approving_a_report_and_closing_its_month_at_once(world: World) -> None:
    for number in range(1, 9):
        month = date(2024, number, 1)
        report_id, statement_id = _setup_month(world, month)
        statuses = race(
            post(f"{ACTIVITIES}/{report_id}/approve", world.headers["commune"]),
            post(f"{STATEMENTS}/{statement_id}/approve", world.headers["district"]),
            world.client,
        )
        # Either the report was approved first and the statement's figures are stale,
        # or the month closed first and the report waits for a reopening.
        assert tuple(statuses) in {(200, 409), (409, 200)}, statuses
        with world.database.transaction() as session:
            statement = session.get(AllowanceStatement, uuid.UUID(statement_id))
            assert statement is not None
            unit = session.get(Unit, world.commune_id)
            assert unit is not None
            lines, total, _ = allowance_service.figures(session, unit, month, statement.id)
            if statement.status is StatementStatus.APPROVED:
                assert (statement.lines, statement.total_amount) == (lines, total)
            else:
                assert statuses == [200, 409]
            report = session.get(Activity, uuid.UUID(report_id))
            assert report is not None
            assert (report.status is ActivityStatus.APPROVED) == (statuses[0] == 200)
