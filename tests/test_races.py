"""Races on a real, committed PostgreSQL database (each request in its own connection and
transaction, from real threads): two writes that meet on one rule or one report leave
the rule whole and the figures exact, and the loser is told 404, 409, 412 or 422, never
500. SQLite lets one writer in at a time, so only PostgreSQL can show these races."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from cnscd_api.core import clock
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import (
    Activity,
    AuditEvent,
    Campaign,
    CampaignIndicator,
    CampaignTarget,
    Indicator,
    Unit,
)
from cnscd_api.units.seed import seed_units
from tests.conftest import GIA_LAI, KON_TUM
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import Tree, make_tree
from tests.test_stats_aggregates import (
    ACTIVITIES,
    TODAY,
    Place,
    assert_exact,
    make_place,
    report,
)

ROUNDS = 8
Request = Callable[[TestClient], httpx.Response]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The day the place's campaign runs (the threads read the same clock)."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@dataclass
class World:
    client: TestClient
    database: Database
    tree: Tree
    place: Place
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(backend: str, tmp_path: Path) -> Iterator[World]:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the races need PostgreSQL")
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database, settings = Database(engine), settings_for(url)
        try:
            with database.transaction() as session:
                seed_units(session, {KON_TUM, GIA_LAI})
                tree = make_tree(session)
                place = make_place(session, settings, tree)
            with TestClient(create_app(settings, database)) as client:
                yield World(client, database, tree, place, place.headers)
        finally:
            engine.dispose()


def race(world: World, first: Request, second: Request) -> list[int]:
    """Both requests at once, each from its own thread and connection."""
    barrier = threading.Barrier(2)
    answers: list[httpx.Response | None] = [None, None]

    def run(index: int, request: Request) -> None:
        barrier.wait()
        answers[index] = request(world.client)

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


# --- a report written twice at once ------------------------------------------------------------


def _new_report(world: World) -> str:
    made = world.client.post(
        ACTIVITIES, json=report(world.place, 0, 1, 10, 2), headers=world.headers["commune"]
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _delete(world: World, activity_id: str, if_match: str | None = None) -> Request:
    headers = {**world.headers["commune"], **({"If-Match": if_match} if if_match else {})}
    return lambda client: client.delete(f"{ACTIVITIES}/{activity_id}", headers=headers)


def _patch(world: World, activity_id: str) -> Request:
    body = {"values": {"people_guided": 77}, "categories": ["vneid"]}
    return lambda client: client.patch(
        f"{ACTIVITIES}/{activity_id}", json=body, headers=world.headers["commune"]
    )


def _reject(world: World, activity_id: str) -> Request:
    return lambda client: client.post(
        f"{ACTIVITIES}/{activity_id}/reject",
        json={"reason": "Thiếu số liệu"},
        headers=world.headers["district"],
    )


def _approve(world: World, activity_id: str) -> Request:
    return lambda client: client.post(
        f"{ACTIVITIES}/{activity_id}/approve", headers=world.headers["district"]
    )


Write = Callable[[World, str], Request]
# The two writes, and what they may answer (the first request's status first): the one
# that comes second finds the report gone (404), changed under its If-Match (412) or
# approved (409), or does its own write on what the first left.
PAIRS: dict[str, tuple[Write, Write, set[tuple[int, int]]]] = {
    "delete/patch": (_delete, _patch, {(204, 404), (204, 200)}),
    "delete/delete": (_delete, _delete, {(204, 404), (404, 204)}),
    "delete/reject": (_delete, _reject, {(204, 404), (204, 200)}),
    "delete/approve": (_delete, _approve, {(204, 404), (409, 200)}),
    "patch/approve": (_patch, _approve, {(200, 200), (409, 200)}),
}


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_two_writes_of_one_report_never_fail_and_keep_the_figures(world: World, pair: str) -> None:
    first, second, allowed = PAIRS[pair]
    for _ in range(ROUNDS):
        activity_id = _new_report(world)
        statuses = race(world, first(world, activity_id), second(world, activity_id))
        assert tuple(statuses) in allowed, (pair, statuses)
    with world.database.transaction() as session:
        assert_exact(session, world.tree)


def test_an_edit_and_a_delete_of_the_version_read(world: World) -> None:
    """With If-Match, whichever comes second is told: the delete that finds the report
    edited (412) or the edit that finds it gone (404)."""
    for _ in range(ROUNDS):
        activity_id = _new_report(world)
        statuses = race(world, _delete(world, activity_id, '"1"'), _patch(world, activity_id))
        assert tuple(statuses) in {(204, 404), (412, 200)}, statuses
    with world.database.transaction() as session:
        assert_exact(session, world.tree)


# --- the targets' cascade -------------------------------------------------------------------


def _targets(world: World, who: str, unit: Unit, *children: tuple[Unit, int]) -> Request:
    body = {
        "unit_id": str(unit.id),
        "targets": [
            {"unit_id": str(child.id), "indicator": "people_guided", "value": value}
            for child, value in children
        ],
    }
    url = f"/api/v1/campaigns/{world.place.campaign.id}/targets"
    return lambda client: client.put(url, json=body, headers=world.headers[who])


def _own_target(world: World, value: int) -> Request:
    url = f"/api/v1/campaigns/{world.place.campaign.id}"
    body = {"indicators": [{"code": "people_guided", "target": value}]}
    return lambda client: client.patch(url, json=body, headers=world.headers["admin"])


def _cascade_holds(session: Session, campaign_id: uuid.UUID, scope_unit_id: uuid.UUID) -> None:
    """Every unit's children sum to no more than the unit's own target."""
    people = session.exec(select(Indicator.id).where(col(Indicator.code) == "people_guided")).one()
    limits = {
        scope_unit_id: session.exec(
            select(CampaignIndicator.target).where(
                col(CampaignIndicator.campaign_id) == campaign_id,
                col(CampaignIndicator.indicator_id) == people,
            )
        ).one()
    }
    given: dict[uuid.UUID, int] = {}
    for target in session.exec(
        select(CampaignTarget).where(
            col(CampaignTarget.campaign_id) == campaign_id,
            col(CampaignTarget.indicator_id) == people,
        )
    ).all():
        limits[target.unit_id] = target.value
        given[target.parent_unit_id] = given.get(target.parent_unit_id, 0) + target.value
    for parent, total in given.items():
        assert total <= (limits.get(parent) or 0), (parent, total, limits.get(parent))


def test_a_parent_lowering_while_its_child_splits_keeps_the_cascade(world: World) -> None:
    tree, campaign = world.tree, world.place.campaign
    with world.database.session() as session:
        communes = list(
            session.exec(
                select(Unit)
                .where(col(Unit.parent_id) == tree.dak_glei.id)
                .order_by(col(Unit.code))
                .limit(2)
            ).all()
        )
        session.expunge_all()
    client = world.client
    assert _own_target(world, 10_000)(client).status_code == 200
    for _ in range(ROUNDS):
        # The district gives nothing, the province gives it 10,000 …
        assert _targets(world, "district", tree.dak_glei)(client).status_code == 200
        assert (
            _targets(world, "admin", tree.kon_tum, (tree.dak_glei, 10_000))(client).status_code
            == 200
        )
        # … then lowers it to 6,000 while the district splits 9,000 among its communes.
        statuses = race(
            world,
            _targets(world, "admin", tree.kon_tum, (tree.dak_glei, 6_000)),
            _targets(world, "district", tree.dak_glei, (communes[0], 4_500), (communes[1], 4_500)),
        )
        assert sorted(statuses) == [200, 422], statuses
        with world.database.session() as session:
            _cascade_holds(session, campaign.id, tree.kon_tum.id)


def test_the_campaign_lowering_its_own_target_while_the_province_splits(world: World) -> None:
    tree, campaign, client = world.tree, world.place.campaign, world.client
    for _ in range(ROUNDS):
        assert _targets(world, "district", tree.dak_glei)(client).status_code == 200
        assert _targets(world, "admin", tree.kon_tum)(client).status_code == 200
        assert _own_target(world, 10_000)(client).status_code == 200
        statuses = race(
            world,
            _own_target(world, 5_000),
            _targets(world, "admin", tree.kon_tum, (tree.dak_glei, 4_000), (tree.ngoc_hoi, 4_000)),
        )
        assert sorted(statuses) == [200, 422], statuses
        with world.database.session() as session:
            _cascade_holds(session, campaign.id, tree.kon_tum.id)


# --- a rule a report relies on, changed while the report is written ----------------------------


def _record(world: World, day: date) -> Request:
    body = report(world.place, 0, (TODAY - day).days, 10, None)
    return lambda client: client.post(ACTIVITIES, json=body, headers=world.headers["commune"])


def _patch_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> Request:
    return lambda client: client.patch(url, json=body, headers=headers)


def _clear_reports(world: World) -> None:
    listed = world.client.get(ACTIVITIES, headers=world.headers["commune"]).json()["items"]
    for item in listed:
        gone = world.client.delete(f"{ACTIVITIES}/{item['id']}", headers=world.headers["commune"])
        assert gone.status_code == 204, gone.text


def test_a_campaign_shortened_while_a_report_of_its_last_days_is_recorded(world: World) -> None:
    """The report is recorded before (the edit is refused, counting it) or after (the
    report is refused: its day is no longer the campaign's); never both."""
    campaign = world.place.campaign
    url = f"/api/v1/campaigns/{campaign.id}"
    last_day = TODAY - timedelta(days=1)
    for _ in range(ROUNDS):
        _clear_reports(world)
        widened = world.client.patch(
            url, json={"ends_on": campaign.ends_on.isoformat()}, headers=world.headers["admin"]
        )
        assert widened.status_code == 200, widened.text
        statuses = race(
            world,
            _patch_json(
                url,
                {"ends_on": (last_day - timedelta(days=1)).isoformat()},
                world.headers["admin"],
            ),
            _record(world, last_day),
        )
        assert tuple(statuses) in {(409, 201), (200, 422)}, statuses
        with world.database.session() as session:
            ends_on = session.exec(
                select(col(Campaign.ends_on)).where(col(Campaign.id) == campaign.id)
            ).one()
            stranded = session.exec(
                select(func.count())
                .select_from(Activity)
                .where(
                    col(Activity.campaign_id) == campaign.id, col(Activity.activity_date) > ends_on
                )
            ).one()
        assert stranded == 0


def test_a_place_closed_while_a_report_there_is_recorded(world: World) -> None:
    village = world.tree.dak_pek_village
    url = f"/api/v1/units/{village.id}"
    day = TODAY - timedelta(days=1)
    for _ in range(ROUNDS):
        _clear_reports(world)
        reopened = world.client.patch(
            url, json={"valid_to": None}, headers=world.headers["commune"]
        )
        assert reopened.status_code == 200, reopened.text
        statuses = race(
            world,
            _patch_json(
                url,
                {"valid_to": (day - timedelta(days=1)).isoformat()},
                world.headers["commune"],
            ),
            _record(world, day),
        )
        assert tuple(statuses) in {(409, 201), (200, 422)}, statuses
        with world.database.session() as session:
            valid_to = session.exec(
                select(col(Unit.valid_to)).where(col(Unit.id) == village.id)
            ).one()
            stranded = session.exec(
                select(func.count())
                .select_from(Activity)
                .where(
                    col(Activity.unit_id) == village.id,
                    col(Activity.activity_date) > (valid_to or date.max),
                )
            ).one()
        assert stranded == 0


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> Request:
    return lambda client: client.post(url, json=body, headers=headers)


def test_a_campaign_closed_while_a_report_of_it_is_approved(world: World) -> None:
    """A closed campaign takes no new or changed reports: a report approved at the moment
    the campaign closes commits before the close (its audit event is numbered first) or
    is refused with 409 `campaign_closed`; never after it."""
    campaign = world.place.campaign
    url = f"/api/v1/campaigns/{campaign.id}"
    admin = world.headers["admin"]
    for _ in range(ROUNDS):
        reopened = world.client.post(f"{url}/reopen", json={"reason": "Mở lại"}, headers=admin)
        assert reopened.status_code in (200, 409), reopened.text
        pending = _new_report(world)
        closed, approved = race(
            world,
            _post_json(f"{url}/close", {"reason": "Kết thúc"}, admin),
            _approve(world, pending),
        )
        assert closed == 200
        assert approved in (200, 409)
        with world.database.session() as session:
            close = session.exec(
                select(func.max(col(AuditEvent.sequence))).where(
                    col(AuditEvent.entity_id) == str(campaign.id),
                    col(AuditEvent.action) == "close",
                )
            ).one()
            approval = session.exec(
                select(col(AuditEvent.sequence)).where(
                    col(AuditEvent.entity_id) == pending, col(AuditEvent.action) == "approve"
                )
            ).first()
        if approved == 200:
            assert approval is not None
            assert approval < close
        else:
            assert approval is None
