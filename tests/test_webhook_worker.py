"""The webhook worker as it runs in production, on a committed database: a worker killed
mid-delivery loses nothing, and two workers on PostgreSQL never send one event twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from cnscd_api.config import Settings
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import DeliveryStatus, Role, WebhookDelivery
from cnscd_api.units.seed import seed_units
from cnscd_api.webhooks import worker
from tests.conftest import GIA_LAI, KON_TUM
from tests.databases import TEST_SECRET, fresh_database, migrated_engine, settings_for
from tests.factories import bearer, make_team, make_tree, make_user
from tests.webhook_receiver import SLOW, running_receiver

WAIT_SECONDS = 120
BIN_DIR = Path(sys.executable).parent


@dataclass
class Live:
    url: str
    database: Database
    settings: Settings
    client: TestClient
    headers: dict[str, str]
    team_id: str


@pytest.fixture
def live(backend: str, tmp_path: Path) -> Iterator[Live]:
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database, settings = Database(engine), settings_for(url)
        settings.webhook_allow_loopback = True
        try:
            with database.transaction() as session:
                seed_units(session, {KON_TUM, GIA_LAI})
                tree = make_tree(session)
                officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
                team = make_team(session, tree.dak_pek_village)
                headers, team_id = bearer(settings, officer), str(team.id)
            with TestClient(create_app(settings, database)) as client:
                yield Live(url, database, settings, client, headers, team_id)
        finally:
            engine.dispose()


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def deliveries(database: Database) -> list[WebhookDelivery]:
    with database.session() as session:
        return list(session.exec(select(WebhookDelivery)).all())


def start_worker(live: Live, **settings: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "CNSCD_DATABASE_URL": live.url,
        "CNSCD_ENVIRONMENT": "test",
        "CNSCD_SECRET_KEY": TEST_SECRET,
        "CNSCD_LOG_LEVEL": "WARNING",
        "CNSCD_WEBHOOK_ALLOW_LOOPBACK": "true",
        "CNSCD_WEBHOOK_POLL_SECONDS": "0.05",
        **settings,
    }
    return subprocess.Popen(  # noqa: S603 -- our own console script
        [str(BIN_DIR / "cnscd"), "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_delivery_loses_nothing(live: Live) -> None:
    with running_receiver() as receiver:
        endpoint = live.client.post(
            "/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=live.headers
        ).json()
        receiver.plan, receiver.pause_seconds = [SLOW], 60.0
        changed = live.client.patch(
            f"/api/v1/teams/{live.team_id}", json={"note": "kill -9"}, headers=live.headers
        )
        assert changed.status_code == 200, changed.text
        first = start_worker(
            live, CNSCD_WEBHOOK_LEASE_SECONDS="1", CNSCD_WEBHOOK_TIMEOUT_SECONDS="50"
        )
        try:
            assert receiver.arrived.wait(WAIT_SECONDS)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        # The attempt was never recorded: the delivery is still to do.
        [pending] = deliveries(live.database)
        assert (pending.status, pending.attempts) == (DeliveryStatus.PENDING, 0)

        second = start_worker(live)
        try:
            wait_for(lambda: deliveries(live.database)[0].status is DeliveryStatus.DELIVERED)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(WAIT_SECONDS) == 0
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert ids == [str(pending.event_id)] * 2
        last = receiver.received[-1]
        verified = Webhook(endpoint["secret"]).verify(last.body, last.headers)
        assert verified["data"]["changes"]["note"]["after"] == "kill -9"


def test_two_workers_never_send_one_event_twice(live: Live, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: one worker runs there (docs/operations.md)")
    with running_receiver() as receiver:
        live.client.post(
            "/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=live.headers
        )
        changes = 60
        for number in range(changes):
            live.client.patch(
                f"/api/v1/teams/{live.team_id}", json={"note": f"{number}"}, headers=live.headers
            )
        settings = live.settings.model_copy(update={"webhook_batch_size": 5})
        stop = threading.Event()
        workers = [
            threading.Thread(target=worker.run, args=(live.database, settings, stop))
            for _ in range(2)
        ]
        for thread in workers:
            thread.start()
        try:
            wait_for(lambda: len(receiver.received) >= changes)
            wait_for(
                lambda: all(d.status is DeliveryStatus.DELIVERED for d in deliveries(live.database))
            )
        finally:
            stop.set()
            for thread in workers:
                thread.join()
        sent = Counter(r.headers["webhook-id"] for r in receiver.received)
        assert len(sent) == changes
        assert set(sent.values()) == {1}


def test_concurrent_edits_of_an_endpoint_lose_nothing_silently(live: Live, backend: str) -> None:
    """Two edits sent with the same ETag at once: one applies, the other is a 412; an
    edit racing a delete is a 200 then 404, or a 412/404, never a 500."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the races need PostgreSQL")
    client, headers = live.client, live.headers
    made = client.post(
        "/api/v1/webhook-endpoints", json={"url": "https://93.184.215.14/hook"}, headers=headers
    )
    assert made.status_code == 201, made.text
    path = f"/api/v1/webhook-endpoints/{made.json()['id']}"
    etag = made.headers["ETag"]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def send(method: str, body: dict[str, str] | None) -> None:
        barrier.wait()
        answers.append(
            client.request(
                method, path, json=body, headers={**headers, "If-Match": etag}
            ).status_code
        )

    edits = [threading.Thread(target=send, args=("PATCH", {"description": d})) for d in "ab"]
    for thread in edits:
        thread.start()
    for thread in edits:
        thread.join()
    assert sorted(answers) == [200, 412]
    etag = client.get(path, headers=headers).headers["ETag"]
    answers.clear()
    racing = [
        threading.Thread(target=send, args=("PATCH", {"description": "c"})),
        threading.Thread(target=send, args=("DELETE", None)),
    ]
    for thread in racing:
        thread.start()
    for thread in racing:
        thread.join()
    assert sorted(answers) in ([200, 412], [204, 404], [204, 412]), answers
