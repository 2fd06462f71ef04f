"""Webhook endpoints and the worker, against a real HTTP receiver on loopback: signed
deliveries verified with ``standardwebhooks``, retries, 410, redelivery, rotation, scope."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cnscd_api import housekeeping
from cnscd_api.config import Environment, Settings
from cnscd_api.core import clock
from cnscd_api.core.errors import Unprocessable
from cnscd_api.core.security import create_access_token, opaque_token, token_digest
from cnscd_api.db import Database
from cnscd_api.models import ApiClient, Role, User, WebhookDelivery, utcnow
from cnscd_api.webhooks import worker
from cnscd_api.webhooks.urls import check_url
from tests.factories import Tree, bearer, make_team, make_user
from tests.webhook_receiver import SLOW, Receiver, running_receiver

ENDPOINTS = "/api/v1/webhook-endpoints"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def hooks(settings: Settings) -> Settings:
    """Settings under which the worker sends to loopback quickly and retries at once."""
    settings.webhook_allow_loopback = True
    settings.webhook_timeout_seconds = 0.5
    settings.webhook_retry_schedule = [0, 0]
    settings.webhook_concurrency = 1
    return settings


def drain(database: Database, settings: Settings) -> None:
    """Rounds of the worker until nothing is left to do now."""
    with worker.http_client(settings) as client, ThreadPoolExecutor(1) as pool:
        for _ in range(20):
            if not worker.work_once(database, settings, client, pool):
                return
    raise AssertionError("the worker never ran out of work")


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


@pytest.fixture
def officer(session: Session, tree: Tree) -> User:
    user = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    return user


def create_endpoint(
    client: TestClient, headers: dict[str, str], url: str, **body: Any
) -> dict[str, Any]:
    return ok(client.post(ENDPOINTS, json={"url": url, **body}, headers=headers), 201)


def touch_team(client: TestClient, headers: dict[str, str], team_id: Any, note: str) -> None:
    ok(client.patch(f"/api/v1/teams/{team_id}", json={"note": note}, headers=headers))


def test_a_change_arrives_signed_and_verifiable(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url, description="Bảng điều khiển")
    assert endpoint["secret"].startswith("whsec_")
    assert "secret" not in ok(client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=headers))
    touch_team(client, headers, team.id, "họp thứ Hai")
    drain(database, hooks)

    assert len(receiver.received) == 1
    delivery = receiver.received[0]
    payload = Webhook(endpoint["secret"]).verify(delivery.body, delivery.headers)
    assert payload["type"] == "team.updated"
    assert payload["id"] == delivery.headers["webhook-id"]
    assert payload["data"]["id"] == str(team.id)
    assert payload["data"]["changes"]["note"]["after"] == "họp thứ Hai"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(delivery.body, delivery.headers)
    # The same event in the feed, with the same id.
    events = ok(client.get("/api/v1/events", headers=headers))["items"]
    assert payload["id"] in {e["id"] for e in events}
    listed = ok(client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers))
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in listed["items"]] == [
        ("delivered", 1, 200)
    ]
    # Delivered once: another round sends nothing more.
    drain(database, hooks)
    assert len(receiver.received) == 1


def test_failures_are_retried_with_the_same_webhook_id(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    receiver.plan = [500, SLOW, 200]
    touch_team(client, headers, team.id, "thử lại")
    drain(database, hooks)

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 3
    assert len(set(ids)) == 1
    listed = ok(client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers))["items"]
    assert [(d["status"], d["attempts"]) for d in listed] == [("delivered", 3)]


def test_a_delivery_is_given_up_when_the_schedule_ends(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    receiver.plan = [503, 503, 503, 503]
    touch_team(client, headers, team.id, "hỏng")
    drain(database, hooks)
    assert len(receiver.received) == 3  # the first attempt and the schedule's two retries
    listed = ok(client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers))["items"]
    assert [
        (d["status"], d["attempts"], d["last_status_code"], d["next_attempt_at"]) for d in listed
    ] == [("failed", 3, 503, None)]


def test_the_default_schedule_backs_off(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    hooks.webhook_retry_schedule = Settings().webhook_retry_schedule
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    receiver.plan = [500]
    touch_team(client, headers, team.id, "chờ")
    drain(database, hooks)
    assert len(receiver.received) == 1
    listed = ok(client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers))["items"]
    assert listed[0]["status"] == "pending"
    assert listed[0]["next_attempt_at"] > listed[0]["last_attempt_at"]
    total = sum(hooks.webhook_retry_schedule)
    assert timedelta(hours=40) < timedelta(seconds=total) < timedelta(hours=56)
    delays = [worker.retry_delay(hooks, n) for n in range(1, len(hooks.webhook_retry_schedule) + 2)]
    assert delays[-1] is None
    assert all(d is not None for d in delays[:-1])


def test_410_disables_the_endpoint_until_it_is_enabled_again(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    path = f"{ENDPOINTS}/{endpoint['id']}"
    receiver.plan = [410]
    touch_team(client, headers, team.id, "một")
    drain(database, hooks)
    read = ok(client.get(path, headers=headers))
    assert (read["enabled"], read["disabled_reason"]) == (False, "gone")
    touch_team(client, headers, team.id, "hai")
    drain(database, hooks)
    assert len(receiver.received) == 1
    ok(client.patch(path, json={"enabled": True}, headers=headers))
    touch_team(client, headers, team.id, "ba")
    drain(database, hooks)
    notes = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.received]
    # Resumed from then on: the change made while it was disabled is in the feed only.
    assert [n["data"]["changes"]["note"]["after"] for n in notes] == ["một", "ba"]


def test_redelivery_sends_the_same_event_again(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    touch_team(client, headers, team.id, "gửi lại")
    drain(database, hooks)
    deliveries = f"{ENDPOINTS}/{endpoint['id']}/deliveries"
    delivery = ok(client.get(deliveries, headers=headers))["items"][0]
    assert delivery["delivered_at"] is not None
    assert delivery["last_status_code"] == 200
    again = ok(client.post(f"{deliveries}/{delivery['id']}/redeliver", headers=headers), 202)
    # A new delivery: nothing of the earlier one's answer is left on it.
    assert again["status"] == "pending"
    assert again["attempts"] == 0
    assert again["delivered_at"] is None
    assert again["last_status_code"] is None
    assert again["last_attempt_at"] is None
    drain(database, hooks)
    sent = ok(client.get(deliveries, headers=headers))["items"][0]
    assert sent["status"] == "delivered"
    assert sent["attempts"] == 1
    assert sent["delivered_at"] is not None
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery["event_id"]] * 2
    missing = client.post(f"{deliveries}/{endpoint['id']}/redeliver", headers=headers)
    assert missing.status_code == 404


def test_a_rotated_secret_signs_beside_the_old_one_during_the_grace_period(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    rotated = ok(client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=headers))
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_until"] is not None
    touch_team(client, headers, team.id, "xoay")
    drain(database, hooks)
    delivery = receiver.received[0]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], rotated["secret"]):
        assert Webhook(secret).verify(delivery.body, delivery.headers)["type"] == "team.updated"
    # Without a grace period the old secret stops at once.
    hooks.webhook_rotation_grace_hours = 0
    third = ok(client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=headers))
    touch_team(client, headers, team.id, "xoay nữa")
    drain(database, hooks)
    last = receiver.received[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    Webhook(third["secret"]).verify(last.body, last.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(rotated["secret"]).verify(last.body, last.headers)


def test_a_partner_endpoint_never_receives_another_organisations_report(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    vnpt = make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT")
    viettel = make_user(session, Role.PARTNER, tree.dak_glei, organisation="Viettel")
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    endpoint = create_endpoint(
        client, bearer(hooks, vnpt), receiver.url, event_types=["activity.*"]
    )
    day = (clock.today() - timedelta(days=1)).isoformat()
    body = {
        "team_id": str(team.id),
        "activity_date": day,
        "categories": ["vneid"],
        "values": {"people_guided": 4},
    }
    own = ok(client.post("/api/v1/activities", json=body, headers=bearer(hooks, vnpt)), 201)
    ok(client.post("/api/v1/activities", json=body, headers=bearer(hooks, viettel)), 201)
    ok(client.post("/api/v1/activities", json=body, headers=bearer(hooks, officer)), 201)
    drain(database, hooks)
    received = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.received]
    assert [(e["type"], e["data"]["id"]) for e in received] == [("activity.created", own["id"])]


def test_event_types_choose_what_arrives(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url, event_types=["team.created"])
    assert endpoint["event_types"] == ["team.created"]
    both = create_endpoint(
        client, headers, receiver.url, event_types=["team.updated, team.created", "team.created"]
    )
    assert both["event_types"] == ["team.created", "team.updated"]
    ok(client.delete(f"{ENDPOINTS}/{both['id']}", headers=headers), 204)
    team = ok(
        client.post(
            "/api/v1/teams",
            json={"unit_id": str(tree.dak_pek.id), "name": "Tổ mới"},
            headers=headers,
        ),
        201,
    )
    touch_team(client, headers, team["id"], "không gửi")
    drain(database, hooks)
    types = [
        Webhook(endpoint["secret"]).verify(r.body, r.headers)["type"] for r in receiver.received
    ]
    assert types == ["team.created"]
    refused = client.post(
        ENDPOINTS, json={"url": receiver.url, "event_types": ["team.exploded"]}, headers=headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "event_type_unknown")
    viewer = make_user(session, Role.VIEWER, tree.dak_pek)
    session.commit()
    unreadable = client.post(
        ENDPOINTS,
        json={"url": receiver.url, "event_types": ["activity.*"]},
        headers=bearer(hooks, viewer),
    )
    assert (unreadable.status_code, unreadable.json()["code"]) == (422, "event_type_unknown")


def test_endpoints_belong_to_their_owner(
    client: TestClient,
    session: Session,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    path = f"{ENDPOINTS}/{endpoint['id']}"
    colleague = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village)
    session.commit()
    others = bearer(hooks, colleague)
    assert client.get(path, headers=others).status_code == 404
    assert client.delete(path, headers=others).status_code == 404
    assert ok(client.get(ENDPOINTS, headers=others))["items"] == []
    assert [e["id"] for e in ok(client.get(ENDPOINTS, headers=headers))["items"]] == [
        endpoint["id"]
    ]
    assert (
        client.post(
            ENDPOINTS, json={"url": receiver.url}, headers=bearer(hooks, leader)
        ).status_code
        == 403
    )
    # ETags: a stale If-Match changes nothing.
    first = client.get(path, headers=headers)
    ok(client.patch(path, json={"description": "một"}, headers=headers))
    stale = client.patch(
        path, json={"description": "hai"}, headers={**headers, "If-Match": first.headers["ETag"]}
    )
    assert stale.status_code == 412
    current = client.get(path, headers=headers).headers["ETag"]
    ok(client.delete(path, headers={**headers, "If-Match": current}), 204)
    assert client.get(path, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://hooks.example/x", "webhook_url_invalid"),
        ("not a url", "webhook_url_invalid"),
        ("http://10.1.2.3/hook", "webhook_url_forbidden_address"),
        ("http://169.254.169.254/latest/meta-data", "webhook_url_forbidden_address"),
        ("http://[::1]:8080/hook", "webhook_url_forbidden_address"),
        ("http://127.0.0.1:9/hook", "webhook_url_forbidden_address"),
        ("http://192.168.1.10/hook", "webhook_url_forbidden_address"),
    ],
)
def test_urls_that_lead_inside_are_refused(
    client: TestClient, settings: Settings, officer: User, url: str, code: str
) -> None:
    settings.webhook_allow_loopback = False
    refused = client.post(ENDPOINTS, json={"url": url}, headers=bearer(settings, officer))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code


def fake_resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_names_are_checked_after_resolution(settings: Settings) -> None:
    settings.webhook_allow_loopback = False
    check_url("https://hooks.example/x", settings, fake_resolver("93.184.215.14"))
    for inside in ("10.0.0.5", "127.0.0.1", "169.254.169.254", "100.100.100.200", "0.0.0.0"):  # noqa: S104
        with pytest.raises(Unprocessable) as refused:
            check_url("https://hooks.example/x", settings, fake_resolver("93.184.215.14", inside))
        assert refused.value.code == "webhook_url_forbidden_address"
    settings.webhook_allow_loopback = True
    check_url("http://localhost:8000/x", settings, fake_resolver("127.0.0.1"))
    with pytest.raises(Unprocessable):
        check_url("http://localhost:8000/x", settings, fake_resolver("10.0.0.1"))

    def unknown(*_: Any, **__: Any) -> list[Any]:
        raise socket.gaierror("no such name")

    with pytest.raises(Unprocessable) as unresolved:
        check_url("https://nowhere.example/x", settings, unknown)
    assert unresolved.value.code == "webhook_url_unresolvable"


def test_production_takes_https_only(settings: Settings) -> None:
    settings.environment = Environment.PRODUCTION
    settings.webhook_allow_loopback = False
    with pytest.raises(Unprocessable) as refused:
        check_url("http://hooks.example/x", settings, fake_resolver("93.184.215.14"))
    assert refused.value.code == "webhook_url_not_https"
    check_url("https://hooks.example/x", settings, fake_resolver("93.184.215.14"))
    settings.environment = Environment.DEVELOPMENT
    check_url("http://127.0.0.1:8000/x", settings, fake_resolver("127.0.0.1"))


def test_deleting_an_endpoint_removes_its_deliveries(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    touch_team(client, headers, team.id, "xoá")
    drain(database, hooks)
    ok(client.delete(f"{ENDPOINTS}/{endpoint['id']}", headers=headers), 204)
    assert session.exec(select(WebhookDelivery)).all() == []


def test_housekeeping_prunes_old_finished_deliveries(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    create_endpoint(client, headers, receiver.url)
    receiver.plan = [200, 500, 500, 500, 500]
    for note in ("cũ giao", "cũ hỏng", "mới chờ"):
        touch_team(client, headers, team.id, note)
        drain(database, hooks)
        if note == "cũ hỏng":
            hooks.webhook_retry_schedule = [3600]  # the next one stays pending
    by_status = {d.status.value: d for d in session.exec(select(WebhookDelivery)).all()}
    assert set(by_status) == {"delivered", "failed", "pending"}
    old = utcnow() - timedelta(days=hooks.webhook_retention_days + 1)
    for delivery in by_status.values():
        delivery.created_at = old
        session.add(delivery)
    session.commit()
    assert housekeeping.run(database, hooks)["webhook_delivery"] == 2
    session.expire_all()
    assert [d.status.value for d in session.exec(select(WebhookDelivery)).all()] == ["pending"]


def test_an_address_refused_at_send_time_is_never_contacted(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    hooks.webhook_allow_loopback = False  # as if the name now resolved to loopback
    touch_team(client, headers, team.id, "không gửi")
    drain(database, hooks)
    assert receiver.received == []
    listed = ok(client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers))["items"]
    assert listed[0]["last_error"].startswith("refused: webhook_url_forbidden_address")
    assert listed[0]["last_status_code"] is None


def test_endpoint_changes_are_audited_without_their_secret(
    client: TestClient, hooks: Settings, officer: User, receiver: Receiver
) -> None:
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    rotated = ok(client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=headers))
    log = ok(
        client.get(
            "/api/v1/audit-events",
            params={"entity": "webhook_endpoint", "entity_id": endpoint["id"]},
            headers=headers,
        )
    )["items"]
    assert [e["action"] for e in log] == ["rotate_secret", "create"]
    text = str(log)
    assert endpoint["secret"] not in text
    assert rotated["secret"] not in text
    assert log[0]["changes"]["secret"] == {"before": "***", "after": "***"}


def test_a_partners_api_client_owns_an_endpoint_in_its_organisations_name(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    api_client = ApiClient(
        client_id="cnscd_0123456789abcdef",
        name="VNPT sync",
        organisation="VNPT",
        scope_unit_id=tree.dak_glei.id,
        secret_hash=token_digest(opaque_token()),
    )
    other = make_user(session, Role.PARTNER, tree.dak_glei, organisation="Viettel")
    session.add(api_client)
    session.commit()
    token, _ = create_access_token(hooks, f"client:{api_client.id}")
    as_client = {"Authorization": f"Bearer {token}"}
    endpoint = create_endpoint(client, as_client, receiver.url, event_types=["activity.created"])
    day = (clock.today() - timedelta(days=1)).isoformat()
    body = {
        "team_id": str(team.id),
        "activity_date": day,
        "categories": ["vneid"],
        "values": {"people_guided": 4},
    }
    own = ok(client.post("/api/v1/activities", json=body, headers=as_client), 201)
    ok(client.post("/api/v1/activities", json=body, headers=bearer(hooks, other)), 201)
    drain(database, hooks)
    received = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.received]
    assert [e["data"]["id"] for e in received] == [own["id"]]
    # Revoked, the client's endpoint sends nothing more.
    api_client.revoked_at = utcnow()
    session.add(api_client)
    session.commit()
    colleague = make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT")
    session.commit()
    ok(client.post("/api/v1/activities", json=body, headers=bearer(hooks, colleague)), 201)
    drain(database, hooks)
    assert len(receiver.received) == 1


def test_a_delivery_under_way_or_of_a_disabled_endpoint_is_not_redelivered(
    client: TestClient,
    session: Session,
    database: Database,
    hooks: Settings,
    tree: Tree,
    officer: User,
    receiver: Receiver,
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    headers = bearer(hooks, officer)
    endpoint = create_endpoint(client, headers, receiver.url)
    touch_team(client, headers, team.id, "đang gửi")
    worker.dispatch(database, hooks)
    [job] = worker.claim(database, hooks)  # a worker holds it now
    deliveries = f"{ENDPOINTS}/{endpoint['id']}/deliveries"
    busy = client.post(f"{deliveries}/{job.delivery_id}/redeliver", headers=headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "webhook_delivery_in_progress")
    ok(client.patch(f"{ENDPOINTS}/{endpoint['id']}", json={"enabled": False}, headers=headers))
    paused = client.post(f"{deliveries}/{job.delivery_id}/redeliver", headers=headers)
    assert (paused.status_code, paused.json()["code"]) == (409, "webhook_endpoint_disabled")
