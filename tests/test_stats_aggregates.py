"""The dashboard aggregates stay exact: after any sequence of creates, edits, approvals,
rejections, reopenings and deletions through the API, every aggregate equals a
recomputation from the raw rows (in SQL by ``rebuild``, and in Python here); rebuilding a
subtree changes nothing; approvals from many threads at once lose no count."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.db import Database
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.main import create_app
from cnscd_api.models import Campaign, Role, Team, Unit, User
from cnscd_api.models.stats import ALL, NATION
from cnscd_api.stats import aggregates
from cnscd_api.stats.aggregates import (
    REPORTING,
    TEAM_DAY,
    TEAM_TOTAL,
    UNIT_CAMPAIGN,
    UNIT_DAY,
    UNIT_DAY_HISTORY,
)
from cnscd_api.stats.rebuild import rebuild
from cnscd_api.units.seed import seed_units
from tests.conftest import GIA_LAI, KON_TUM
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import (
    Tree,
    bearer,
    make_activity,
    make_campaign,
    make_team,
    make_tree,
    make_user,
    make_village,
)

ACTIVITIES = "/api/v1/activities"
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@dataclass
class Place:
    teams: list[Team]
    campaign: Campaign
    headers: dict[str, dict[str, str]]
    officers: list[User] = field(default_factory=list)


@pytest.fixture
def place(session: Session, settings: Settings, tree: Tree) -> Place:
    return make_place(session, settings, tree)


def make_place(session: Session, settings: Settings, tree: Tree) -> Place:
    teams = [
        make_team(session, tree.dak_pek_village, "Tổ thôn Đắk Ung"),
        make_team(session, make_village(session, tree.dak_pek, "Thôn Peng Sang"), "Tổ Peng Sang"),
        make_team(session, make_village(session, tree.dak_man, "Thôn Bên Kia"), "Tổ Bên Kia"),
    ]
    campaign = make_campaign(
        session,
        tree.kon_tum,
        categories=("vneid", "online_public_services"),
        targets={"people_guided": 1000},
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY + timedelta(days=10),
    )
    users = {
        "district": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_glei),
        "admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
    }
    session.commit()
    return Place(teams, campaign, {name: bearer(settings, u) for name, u in users.items()})


def report(place: Place, team: int, day: int, people: int, vneid: int | None) -> dict[str, Any]:
    values = {"people_guided": people}
    if vneid is not None:
        values["vneid_level2_activated"] = vneid
    return {
        "team_id": str(place.teams[team].id),
        "activity_date": (TODAY - timedelta(days=day)).isoformat(),
        "categories": ["vneid"],
        "values": values,
        "campaign_id": str(place.campaign.id) if day <= 10 else None,
    }


Rows = dict[str, set[tuple[Any, ...]]]


def stored(session: Session) -> Rows:
    """Every aggregate that counts something, per key (the slots a key's rows are spread
    over, summed: how readers see them)."""
    found: Rows = {}
    for table in (UNIT_DAY, UNIT_CAMPAIGN, UNIT_DAY_HISTORY, TEAM_TOTAL, TEAM_DAY, REPORTING):
        keys = [c for c in table.primary_key.columns if c.name != "slot"]
        sums = [sa.func.sum(c) for c in table.columns if not c.primary_key]
        rows = session.execute(
            sa.select(*keys, *sums).group_by(*keys).having(sa.or_(*(m != 0 for m in sums)))
        )
        found[table.name] = {tuple(str(v) for v in row) for row in rows}
    return found


def recomputed(session: Session) -> Rows:
    """The aggregates computed here from the raw rows, without the database's help."""
    ids = list(session.execute(sa.text("SELECT id FROM activity")).scalars())
    delta = aggregates.Delta()
    for facts in aggregates.facts_of(session, [uuid.UUID(str(i)) for i in ids]).values():
        delta.add(facts, +1)
    delta.place(session)
    reporting = aggregates.Sums(REPORTING)
    for (team_id, campaign, day), (n,) in delta.team_day.by_key.items():
        if n > 0:
            aggregates.count_reporting(reporting, delta.team_paths[team_id], campaign, day, 1)
    found: Rows = {}
    for sums in (
        delta.unit_day,
        delta.unit_campaign,
        delta.history,
        delta.team_total,
        delta.team_day,
        reporting,
    ):
        # The slots of a key summed, as in ``stored``.
        folded: dict[tuple[Any, ...], list[int]] = {}
        for row in sums.rows():
            values = [v for name, v in row.items() if name != "slot"]
            key, measures = tuple(values[: -sums.width]), values[-sums.width :]
            total = folded.setdefault(key, [0] * sums.width)
            for index, value in enumerate(measures):
                total[index] += value
        found[sums.table.name] = {
            tuple(str(v) for v in (*key, *measures))
            for key, measures in folded.items()
            if any(measures)
        }
    return found


def assert_exact(session: Session, tree: Tree) -> None:
    session.expire_all()
    maintained = stored(session)
    assert maintained == recomputed(session)
    # Rebuilding a commune, then the country, finds the same numbers.
    rebuild(session, session.get(Unit, tree.dak_pek.id))
    assert stored(session) == maintained
    rebuild(session, None)
    assert stored(session) == maintained
    session.commit()


def test_every_kind_of_write_keeps_the_aggregates_exact(
    client: TestClient, session: Session, tree: Tree, place: Place
) -> None:
    commune, admin = place.headers["commune"], place.headers["admin"]
    created = [
        client.post(ACTIVITIES, json=report(place, t, d, 10 + d, v), headers=commune).json()
        for t, d, v in [(0, 1, 3), (0, 1, None), (1, 2, 5), (2, 3, 1), (0, 20, 2)]
    ]
    batch = client.post(
        f"{ACTIVITIES}/batch",
        json={"activities": [{"id": str(uuid.uuid4()), **report(place, 1, 4, 7, 2)}]},
        headers=commune,
    )
    assert batch.status_code == 200, batch.text
    first, second, third, fourth, _ = created
    ok = client.post(f"{ACTIVITIES}/{first['id']}/approve", headers=place.headers["district"])
    assert ok.status_code == 200, ok.text
    reject = client.post(
        f"{ACTIVITIES}/{second['id']}/reject",
        json={"reason": "Thiếu số liệu"},
        headers=place.headers["district"],
    )
    assert reject.status_code == 200, reject.text
    edit = client.patch(
        f"{ACTIVITIES}/{third['id']}",
        json={
            "values": {"people_guided": 99},
            "activity_date": (TODAY - timedelta(days=5)).isoformat(),
        },
        headers={**commune, "If-Match": '"1"'},
    )
    assert edit.status_code == 200, edit.text
    gone = client.delete(f"{ACTIVITIES}/{fourth['id']}", headers={**commune, "If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    again = client.post(f"{ACTIVITIES}/{first['id']}/reopen", headers=admin)
    assert again.status_code == 200, again.text
    assert_exact(session, tree)
    # The country counts every non-deleted report's people once.
    people = session.execute(
        sa.select(sa.func.sum(UNIT_DAY.c.total)).where(
            UNIT_DAY.c.unit_key == NATION,
            UNIT_DAY.c.indicator_key
            == sa.select(sa.text("id"))
            .select_from(sa.text("indicator"))
            .where(sa.text("code = 'people_guided'"))
            .scalar_subquery(),
        )
    ).scalar_one()
    assert people == 11 + 11 + 99 + 30 + 7


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 2),
            st.integers(1, 12),
            st.integers(1, 50),  # a report counts something
            st.one_of(st.none(), st.integers(0, 9)),
        ),
        st.tuples(
            st.sampled_from(["approve", "reject", "reopen", "delete", "edit"]), st.integers(1, 20)
        ),
    ),
    min_size=1,
    max_size=12,
)


def act(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    op: tuple[Any, ...],
    path: str,
    etag: str,
) -> Any:
    district, commune = headers["district"], headers["commune"]
    match op[0]:
        case "approve":
            return client.post(f"{path}/approve", headers=district)
        case "reject":
            return client.post(f"{path}/reject", json={"reason": "Sai"}, headers=district)
        case "reopen":
            return client.post(f"{path}/reopen", headers=district)
        case "delete":
            return client.delete(path, headers={**commune, "If-Match": etag})
        case _:
            body = {"values": {"people_guided": op[1]}}
            return client.patch(path, json=body, headers={**commune, "If-Match": etag})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_random_sequences_keep_the_aggregates_exact(
    client: TestClient, session: Session, tree: Tree, place: Place, ops: list[tuple[Any, ...]]
) -> None:
    commune = place.headers["commune"]
    ids: list[str] = []
    for op in ops:
        if op[0] == "create":
            response = client.post(ACTIVITIES, json=report(place, *op[1:]), headers=commune)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
            continue
        if not ids:
            continue
        activity_id = ids[op[1] % len(ids)]
        current = client.get(f"{ACTIVITIES}/{activity_id}", headers=commune)
        if current.status_code == 404:
            continue
        response = act(
            client, place.headers, op, f"{ACTIVITIES}/{activity_id}", current.headers["etag"]
        )
        # Refusals (approving an approved report, editing one…) are part of the game.
        assert response.status_code < 500, response.text
    assert_exact(session, tree)


def test_approvals_from_many_threads_lose_no_count(backend: str, tmp_path: Path) -> None:
    """On a real, committed database: each request in its own connection and transaction."""
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database, settings = Database(engine), settings_for(url)
        try:
            with database.transaction() as session:
                seed_units(session, {KON_TUM, GIA_LAI})
                tree = make_tree(session)
                place = make_place(session, settings, tree)
            app = create_app(settings, database)
            commune, district = place.headers["commune"], place.headers["district"]
            with TestClient(app) as client:
                ids = [
                    client.post(
                        ACTIVITIES, json=report(place, i % 2, 1 + i % 5, 10, 1), headers=commune
                    ).json()["id"]
                    for i in range(24)
                ]
            barrier = threading.Barrier(6)
            answers: list[int] = []

            def approve(chunk: list[str]) -> None:
                with TestClient(app) as client:
                    barrier.wait()
                    for activity_id in chunk:
                        response = client.post(
                            f"{ACTIVITIES}/{activity_id}/approve", headers=district
                        )
                        answers.append(response.status_code)

            threads = [threading.Thread(target=approve, args=(ids[i::6],)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert answers.count(200) == 24, answers
            with database.transaction() as session:
                approved = session.execute(
                    sa.select(sa.func.sum(UNIT_DAY.c.activities)).where(
                        UNIT_DAY.c.unit_key == tree.dak_pek.id,
                        UNIT_DAY.c.status == "approved",
                        UNIT_DAY.c.indicator_key == ALL,
                    )
                ).scalar_one()
                assert approved == 24
                assert_exact(session, tree)
        finally:
            engine.dispose()


def test_a_team_that_moves_reports_in_its_new_unit(
    client: TestClient, session: Session, tree: Tree, place: Place
) -> None:
    commune, admin = place.headers["commune"], place.headers["admin"]
    response = client.post(ACTIVITIES, json=report(place, 0, 1, 5, None), headers=commune)
    assert response.status_code == 201, response.text
    team = place.teams[0]
    moved = client.patch(
        f"/api/v1/teams/{team.id}",
        json={"unit_id": str(tree.dak_man.id)},
        headers={**admin, "If-Match": f'"{team.version}"'},
    )
    assert moved.status_code == 200, moved.text
    assert_exact(session, tree)
    reporting = dict(
        session.execute(
            sa.select(REPORTING.c.unit_key, REPORTING.c.teams).where(
                REPORTING.c.unit_key.in_([tree.dak_pek.id, tree.dak_man.id])
            )
        ).all()
    )
    assert reporting.get(tree.dak_man.id) == 1
    assert reporting.get(tree.dak_pek.id, 0) == 0


def test_the_2025_reform_keeps_every_report_counted(
    client: TestClient, session: Session, tree: Tree, place: Place
) -> None:
    """Re-keyed for the new map, the aggregates still equal the raw rows, and the
    country's totals are what they were."""
    commune = place.headers["commune"]
    for team, day in [(0, 1), (1, 2), (2, 3), (0, 4)]:
        created = client.post(ACTIVITIES, json=report(place, team, day, 10, 2), headers=commune)
        assert created.status_code == 201, created.text

    def national() -> list[Any]:
        return sorted(
            session.execute(
                sa.select(UNIT_DAY.c.indicator_key, sa.func.sum(UNIT_DAY.c.total))
                .where(UNIT_DAY.c.unit_key == NATION)
                .group_by(UNIT_DAY.c.indicator_key)
            ).all()
        )

    before = national()
    apply_reform(session, "62")
    session.commit()
    assert national() == before
    session.expire_all()
    assert stored(session) == recomputed(session)


def test_changes_are_written_at_commit_and_a_savepoint_takes_its_own_back(
    session: Session, tree: Tree, place: Place
) -> None:
    """The aggregates move when the transaction commits, by everything it kept: a report
    made inside a savepoint that rolls back counts nowhere, the ones around it count."""
    team = place.teams[0]
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    before = stored(session)[UNIT_CAMPAIGN.name]
    make_activity(session, team, officer, values={"people_guided": 3}, campaign=place.campaign)
    savepoint = session.begin_nested()
    make_activity(session, team, officer, values={"people_guided": 50})
    savepoint.rollback()
    make_activity(session, team, officer, values={"people_guided": 4}, campaign=place.campaign)
    assert stored(session)[UNIT_CAMPAIGN.name] == before  # nothing written before the commit
    session.commit()
    nation = {
        row[-2]
        for row in stored(session)[UNIT_CAMPAIGN.name]
        if row[:3] == (str(NATION), str(place.campaign.id), str(ALL))
    }
    assert nation  # the campaign's reports counted for the country
    assert_exact(session, tree)  # and exactly: the rolled-back report nowhere


def test_savepoints_released_or_rolled_back_around_pending_changes(
    session: Session, tree: Tree, place: Place
) -> None:
    """Changes made before a savepoint survive its rollback, whether the savepoint was
    released inside another one or wrote them itself (as a rebuild or a team's move
    does): they are pending again, and counted once."""
    team = place.teams[0]
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    make_activity(session, team, officer, values={"people_guided": 3}, campaign=place.campaign)
    outer = session.begin_nested()
    session.begin_nested().commit()  # released: nothing is written yet
    outer.rollback()
    make_activity(session, team, officer, values={"people_guided": 5})
    savepoint = session.begin_nested()
    aggregates.write_pending(session)  # written inside it…
    savepoint.rollback()  # …and undone with it
    session.commit()
    session.expire_all()
    assert stored(session) == recomputed(session)
    counted = sum(
        int(row[-1])
        for row in stored(session)[UNIT_CAMPAIGN.name]
        if row[0] == str(NATION) and row[2] == str(ALL)
    )
    assert counted == 2  # both reports, once each
