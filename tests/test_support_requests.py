"""``/support-requests``: a commune officer or a team leader asks a partner for staff, the
partner's API client answers; every move of the state machine, who may make it, what a
rival partner and a viewer see, idempotent re-sends, ETags, the audit trail, and a race
between two answers on a committed PostgreSQL database."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.core import clock
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import Role, Team, User
from cnscd_api.units.seed import seed_units
from tests.conftest import GIA_LAI, KON_TUM
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import Tree, bearer, make_team, make_tree, make_user

REQUESTS = "/api/v1/support-requests"
ACTIVITIES = "/api/v1/activities"
VNPT, VIETTEL = "VNPT Kon Tum", "Viettel Kon Tum"


def partner_client(
    client: TestClient, admin: dict[str, str], unit_id: Any, organisation: str
) -> dict[str, str]:
    """A partner's API client scoped to ``unit_id``, logged in with client credentials."""
    created = client.post(
        "/api/v1/api-clients",
        json={"name": "Điều phối", "organisation": organisation, "scope_unit_id": str(unit_id)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    token = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass
class Cast:
    """Everyone who takes part, as request headers."""

    tree: Tree
    team: Team
    leader: User
    headers: dict[str, dict[str, str]]


def cast_of(client: TestClient, session: Session, settings: Any, tree: Tree) -> Cast:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    other_team = make_team(session, tree.dak_pek, "Tổ CNSCĐ xã")
    people = {
        "admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
        "district": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "neighbour": make_user(session, Role.COMMUNE_OFFICER, tree.dak_man),
        "leader": leader,
        "other_leader": make_user(session, Role.TEAM_LEADER, tree.dak_pek, team_id=other_team.id),
        "viewer": make_user(session, Role.VIEWER, tree.dak_glei),
        "vnpt_user": make_user(session, Role.PARTNER, tree.dak_glei, organisation=VNPT),
    }
    session.commit()
    headers = {name: bearer(settings, user) for name, user in people.items()}
    headers["vnpt"] = partner_client(client, headers["admin"], tree.dak_glei.id, VNPT)
    headers["viettel"] = partner_client(client, headers["admin"], tree.dak_glei.id, VIETTEL)
    # VNPT's client for another district: Đắk Pék is not in its scope.
    headers["vnpt_elsewhere"] = partner_client(client, headers["admin"], tree.ngoc_hoi.id, VNPT)
    return Cast(tree, team, leader, headers)


@pytest.fixture
def cast(client: TestClient, session: Session, settings: Any, tree: Tree) -> Cast:
    return cast_of(client, session, settings, tree)


def body(cast: Cast, **fields: Any) -> dict[str, Any]:
    return {
        "organisation": VNPT,
        "unit_id": str(cast.tree.dak_pek_village.id),
        "wanted_from": "2030-10-01",
        "wanted_to": "2030-10-05",
        "categories": ["vneid", "cashless_payment"],
        "expected_people": 60,
        "contact_name": "A Nhong",
        "phone": "0912345678",
        **fields,
    }


def ask(client: TestClient, cast: Cast, who: str = "commune", **fields: Any) -> dict[str, Any]:
    made = client.post(REQUESTS, json=body(cast, **fields), headers=cast.headers[who])
    assert made.status_code == 201, made.text
    answer: dict[str, Any] = made.json()
    return answer


def move(
    client: TestClient, cast: Cast, request_id: str, action: str, who: str, **payload: Any
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"{REQUESTS}/{request_id}/{action}", json=payload, headers=cast.headers[who]
    )
    return response


def listed(client: TestClient, cast: Cast, who: str, **params: Any) -> set[str]:
    response = client.get(REQUESTS, params=params, headers=cast.headers[who])
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


ACCEPT: dict[str, Any] = {"scheduled_on": "2030-10-02", "staff_count": 2}
REASON: dict[str, Any] = {"reason": "Không đủ nhân viên trong tuần này"}


# --- asking and reading -------------------------------------------------------------------


def test_an_officer_asks_and_only_the_organisation_asked_reads_it_with_its_contact(
    client: TestClient, cast: Cast
) -> None:
    made = ask(client, cast)
    assert made["status"] == "requested"
    assert made["unit_name"] == cast.tree.dak_pek_village.name
    assert made["requested_by_name"].startswith("commune.officer")
    url = f"{REQUESTS}/{made['id']}"
    for who in ("vnpt", "vnpt_user", "commune", "district", "admin"):
        read = client.get(url, headers=cast.headers[who])
        assert read.status_code == 200, (who, read.text)
        assert read.json()["phone"] == "0912345678", who
        assert made["id"] in listed(client, cast, who)
    # A viewer in scope reads it, the contact's phone masked.
    seen = client.get(url, headers=cast.headers["viewer"])
    assert seen.status_code == 200
    assert seen.json()["phone"] == "09******78"
    # A rival operator, VNPT's client of another district, a neighbouring commune and
    # another team's leader never see it: 404 and absent from their lists.
    for who in ("viettel", "vnpt_elsewhere", "neighbour", "other_leader"):
        assert client.get(url, headers=cast.headers[who]).status_code == 404, who
        assert made["id"] not in listed(client, cast, who), who


def test_a_team_leader_asks_for_their_own_team_and_reads_only_their_team_s(
    client: TestClient, cast: Cast
) -> None:
    own = ask(client, cast, "leader")
    assert own["team_id"] == str(cast.team.id)
    officers = ask(client, cast, "commune")
    assert listed(client, cast, "leader") == {own["id"]}
    assert officers["id"] in listed(client, cast, "commune")
    other = client.post(
        REQUESTS, json=body(cast, team_id=str(uuid.uuid4())), headers=cast.headers["leader"]
    )
    assert other.status_code == 422
    assert other.json()["code"] == "team_required_for_leader"


def test_who_may_ask(client: TestClient, cast: Cast) -> None:
    for who in ("vnpt", "viettel", "viewer"):
        refused = client.post(REQUESTS, json=body(cast), headers=cast.headers[who])
        assert refused.status_code == 403, who
    # A place outside the caller's subtree is not found.
    outside = client.post(
        REQUESTS,
        json=body(cast, unit_id=str(cast.tree.dak_man.id)),
        headers=cast.headers["commune"],
    )
    assert outside.status_code == 404
    for who in ("district", "admin"):
        ask(client, cast, who)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"wanted_to": "2030-09-30"}, "body.wanted_to", "ends_before_start"),
        ({"wanted_to": "2032-10-05"}, "body.wanted_to", "window_too_long"),
        ({"expected_people": 0}, "body.expected_people", "greater_than_equal"),
        ({"categories": []}, "body.categories", "too_short"),
        ({"categories": ["no_such_thing"]}, "body.categories.0", "unknown_category"),
        ({"phone": "12345"}, "body.phone", "phone_invalid"),
        ({"organisation": " "}, "body.organisation", "string_too_short"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    client: TestClient, cast: Cast, fields: dict[str, Any], field: str, code: str
) -> None:
    response = client.post(REQUESTS, json=body(cast, **fields), headers=cast.headers["commune"])
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)], errors


def test_the_place_is_a_commune_or_a_village(client: TestClient, cast: Cast) -> None:
    district = client.post(
        REQUESTS, json=body(cast, unit_id=str(cast.tree.dak_glei.id)), headers=cast.headers["admin"]
    )
    assert district.status_code == 422
    assert district.json()["code"] == "support_place_level"
    commune = ask(client, cast, "commune", unit_id=str(cast.tree.dak_pek.id))
    assert commune["unit_id"] == str(cast.tree.dak_pek.id)


# --- the state machine ----------------------------------------------------------------------


def test_the_partner_accepts_reschedules_and_completes(client: TestClient, cast: Cast) -> None:
    made = ask(client, cast)
    accepted = move(client, cast, made["id"], "accept", "vnpt", **ACCEPT)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["date_proposed"] is False
    assert accepted.json()["staff_count"] == 2
    assert accepted.json()["answered_at"] is not None
    assert accepted.headers["ETag"] == '"2"'
    moved = move(client, cast, made["id"], "schedule", "vnpt", scheduled_on="2030-10-09")
    assert moved.status_code == 200
    assert (moved.json()["scheduled_on"], moved.json()["date_proposed"]) == ("2030-10-09", True)
    assert moved.json()["staff_count"] == 2
    done = move(client, cast, made["id"], "complete", "vnpt", staff_count=3)
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["staff_count"]) == ("done", 3)
    assert done.json()["done_at"] is not None
    assert made["id"] in listed(client, cast, "commune", status="done")
    assert made["id"] not in listed(client, cast, "commune", status="requested")


def test_the_partner_declines_with_a_reason(client: TestClient, cast: Cast) -> None:
    made = ask(client, cast)
    declined = move(client, cast, made["id"], "decline", "vnpt", **REASON)
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["reason"]) == ("declined", REASON["reason"])
    no_reason = move(client, cast, ask(client, cast)["id"], "decline", "vnpt")
    assert no_reason.status_code == 422


def test_the_requesting_side_edits_while_waiting_and_cancels(
    client: TestClient, cast: Cast
) -> None:
    made = ask(client, cast, "leader")
    url = f"{REQUESTS}/{made['id']}"
    edited = client.patch(
        url, json={"expected_people": 80, "notes": None}, headers=cast.headers["leader"]
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["expected_people"] == 80
    backwards = client.patch(url, json={"wanted_to": "2030-09-01"}, headers=cast.headers["leader"])
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "ends_before_start"
    assert move(client, cast, made["id"], "accept", "vnpt", **ACCEPT).status_code == 200
    cancelled = move(client, cast, made["id"], "cancel", "commune", **REASON)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


# Every move from every state: (state reached by the steps, action, who) → allowed?
STEPS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "requested": [],
    "accepted": [("accept", "vnpt", ACCEPT)],
    "declined": [("decline", "vnpt", REASON)],
    "done": [("accept", "vnpt", ACCEPT), ("complete", "vnpt", {})],
    "cancelled": [("cancel", "commune", REASON)],
}
MOVES: dict[str, tuple[str, dict[str, Any], set[str]]] = {
    "accept": ("vnpt", ACCEPT, {"requested"}),
    "decline": ("vnpt", REASON, {"requested"}),
    "schedule": ("vnpt", {"staff_count": 4}, {"accepted"}),
    "complete": ("vnpt", {}, {"accepted"}),
    "cancel": ("commune", REASON, {"requested", "accepted"}),
}


@pytest.mark.parametrize("state", list(STEPS))
def test_every_move_from_every_state(client: TestClient, cast: Cast, state: str) -> None:
    for action, (who, payload, allowed_from) in MOVES.items():
        made = ask(client, cast)
        for step, step_who, step_payload in STEPS[state]:
            assert move(client, cast, made["id"], step, step_who, **step_payload).status_code == 200
        response = move(client, cast, made["id"], action, who, **payload)
        if state in allowed_from:
            assert response.status_code == 200, (state, action, response.text)
        else:
            assert response.status_code == 409, (state, action, response.text)
            problem = response.json()
            assert problem["code"] == "support_request_state"
            assert state in problem["detail"]
            assert action in problem["detail"]
    edit = client.patch(
        f"{REQUESTS}/{ask_in(client, cast, state)}",
        json={"expected_people": 5},
        headers=cast.headers["commune"],
    )
    assert edit.status_code == (200 if state == "requested" else 409)


def ask_in(client: TestClient, cast: Cast, state: str) -> str:
    made = ask(client, cast)
    for step, who, payload in STEPS[state]:
        assert move(client, cast, made["id"], step, who, **payload).status_code == 200
    return str(made["id"])


def test_who_may_make_each_move(client: TestClient, cast: Cast) -> None:
    # The team's own request, which its leader reads.
    waiting = ask(client, cast, "leader")["id"]
    # The requesting side cannot answer for the partner, nor a viewer do anything.
    for who in ("commune", "leader", "admin", "viewer"):
        for action, payload in (("accept", ACCEPT), ("decline", REASON)):
            assert move(client, cast, waiting, action, who, **payload).status_code == 403
    # The partner cannot edit nor withdraw the request.
    assert move(client, cast, waiting, "cancel", "vnpt", **REASON).status_code == 403
    patched = client.patch(
        f"{REQUESTS}/{waiting}", json={"expected_people": 5}, headers=cast.headers["vnpt"]
    )
    assert patched.status_code == 403
    # A rival operator is told the request does not exist.
    for action, payload in (("accept", ACCEPT), ("decline", REASON)):
        assert move(client, cast, waiting, action, "viettel", **payload).status_code == 404
    # The partner's users answer as its API clients do.
    assert move(client, cast, waiting, "accept", "vnpt_user", **ACCEPT).status_code == 200
    accepted = ask(client, cast, "leader")["id"]
    assert move(client, cast, accepted, "accept", "vnpt", **ACCEPT).status_code == 200
    answers: list[tuple[str, dict[str, Any]]] = [("schedule", {"staff_count": 1}), ("complete", {})]
    for action, payload in answers:
        for who in ("commune", "leader"):
            assert move(client, cast, accepted, action, who, **payload).status_code == 403


def test_a_state_conflict_speaks_vietnamese(client: TestClient, cast: Cast) -> None:
    done = ask_in(client, cast, "declined")
    response = client.post(
        f"{REQUESTS}/{done}/accept",
        json=ACCEPT,
        headers={**cast.headers["vnpt"], "Accept-Language": "vi"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("Yêu cầu hỗ trợ đang ở trạng thái declined")


def test_if_match_guards_every_write(client: TestClient, cast: Cast) -> None:
    made = ask(client, cast)
    stale = {**cast.headers["vnpt"], "If-Match": '"7"'}
    answer = client.post(f"{REQUESTS}/{made['id']}/accept", json=ACCEPT, headers=stale)
    assert answer.status_code == 412
    fresh = {**cast.headers["vnpt"], "If-Match": '"1"'}
    assert (
        client.post(f"{REQUESTS}/{made['id']}/accept", json=ACCEPT, headers=fresh).status_code
        == 200
    )
    edit = client.patch(
        f"{REQUESTS}/{made['id']}",
        json={"notes": "x"},
        headers={**cast.headers["commune"], "If-Match": '"1"'},
    )
    assert edit.status_code == 412


def test_an_idempotent_re_send_asks_once(client: TestClient, cast: Cast) -> None:
    headers = {**cast.headers["commune"], "Idempotency-Key": "ask-vnpt-dak-pek-1"}
    first = client.post(REQUESTS, json=body(cast), headers=headers)
    again = client.post(REQUESTS, json=body(cast), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert listed(client, cast, "commune") == {first.json()["id"]}
    other = client.post(REQUESTS, json=body(cast, expected_people=7), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # An answer re-sent with its key is answered once, not refused as a state conflict.
    key = {**cast.headers["vnpt"], "Idempotency-Key": "vnpt-accept-1"}
    url = f"{REQUESTS}/{first.json()['id']}/accept"
    assert client.post(url, json=ACCEPT, headers=key).status_code == 200
    replay = client.post(url, json=ACCEPT, headers=key)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_every_change_is_in_the_audit_log(client: TestClient, cast: Cast) -> None:
    made = ask(client, cast)
    move(client, cast, made["id"], "accept", "vnpt", **ACCEPT)
    move(client, cast, made["id"], "complete", "vnpt")
    events = client.get(
        "/api/v1/audit-events", params={"limit": 500}, headers=cast.headers["commune"]
    ).json()["items"]
    mine = [e for e in events if e["entity"] == "support_request" and e["entity_id"] == made["id"]]
    assert [e["action"] for e in sorted(mine, key=lambda e: e["sequence"])] == [
        "create",
        "accept",
        "complete",
    ]
    created = next(e for e in mine if e["action"] == "create")
    # The contact's phone is personal data: the log records it masked.
    assert created["changes"]["phone"]["after"] == "09******78"
    accepted = next(e for e in mine if e["action"] == "accept")
    assert accepted["changes"]["status"] == {"before": "requested", "after": "accepted"}
    assert accepted["actor_name"]


# --- a race between two answers ---------------------------------------------------------------


@contextmanager
def committed_world(backend: str, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    """The cast on a real database where every request commits (threads see each other's
    work); PostgreSQL only, as SQLite lets one writer in at a time."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database, settings = Database(engine), settings_for(url)
        try:
            with database.transaction() as session:
                seed_units(session, {KON_TUM, GIA_LAI})
                tree = make_tree(session)
            with (
                TestClient(create_app(settings, database)) as client,
                database.session(write=True) as session,
            ):
                yield client, cast_of(client, session, settings, tree)
        finally:
            engine.dispose()


@pytest.fixture
def committed_cast(backend: str, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    with committed_world(backend, tmp_path) as world:
        yield world


def race(*calls: Callable[[], httpx.Response]) -> list[int]:
    """The calls at once, each from its own thread (and so its own connection)."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call: Callable[[], httpx.Response]) -> None:
        barrier.wait()
        statuses.append(call().status_code)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_accept_and_decline_at_once_one_wins_the_other_is_told(
    committed_cast: tuple[TestClient, Cast],
) -> None:
    client, cast = committed_cast
    for _ in range(6):
        made = ask(client, cast)
        statuses = race(
            partial(move, client, cast, made["id"], "accept", "vnpt", **ACCEPT),
            partial(move, client, cast, made["id"], "decline", "vnpt", **REASON),
        )
        assert statuses in ([200, 409], [200, 412]), statuses
        final = client.get(f"{REQUESTS}/{made['id']}", headers=cast.headers["commune"]).json()
        assert final["status"] in {"accepted", "declined"}
        assert final["version"] == 2


# --- reports that name the request they served ---------------------------------------------


def report(cast: Cast, request_id: Any, **fields: Any) -> dict[str, Any]:
    return {
        "team_id": str(cast.team.id),
        "activity_date": (clock.today() - timedelta(days=1)).isoformat(),
        "categories": ["vneid"],
        "values": {"people_guided": 30},
        "organisation": VNPT,
        "partner_staff": 2,
        "support_request_id": str(request_id),
        **fields,
    }


def test_a_report_names_the_accepted_request_it_served(client: TestClient, cast: Cast) -> None:
    served = ask_in(client, cast, "accepted")
    made = client.post(ACTIVITIES, json=report(cast, served), headers=cast.headers["leader"])
    assert made.status_code == 201, made.text
    assert made.json()["support_request_id"] == served
    read = client.get(f"{ACTIVITIES}/{made.json()['id']}", headers=cast.headers["commune"])
    assert read.json()["support_request_id"] == served
    # The partner's own report of the same visit names it too, once it is done.
    assert move(client, cast, served, "complete", "vnpt").status_code == 200
    by_partner = client.post(
        ACTIVITIES, json=report(cast, served, organisation=None), headers=cast.headers["vnpt"]
    )
    assert by_partner.status_code == 201, by_partner.text
    # An edit may take the request off again.
    edited = client.patch(
        f"{ACTIVITIES}/{made.json()['id']}",
        json={"support_request_id": None},
        headers=cast.headers["leader"],
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["support_request_id"] is None


def test_a_report_cannot_name_a_request_it_did_not_serve(client: TestClient, cast: Cast) -> None:
    waiting = ask_in(client, cast, "requested")
    declined = ask_in(client, cast, "declined")
    viettel = ask(client, cast, organisation=VIETTEL)
    assert move(client, cast, viettel["id"], "accept", "viettel", **ACCEPT).status_code == 200
    elsewhere = ask(client, cast, "neighbour", unit_id=str(cast.tree.dak_man.id))
    assert move(client, cast, elsewhere["id"], "accept", "vnpt", **ACCEPT).status_code == 200
    for request_id, code in [
        (waiting, "support_request_not_served"),
        (declined, "support_request_not_served"),
        (viettel["id"], "support_request_other_organisation"),
        (elsewhere["id"], "support_request_other_place"),
        (uuid.uuid4(), "unknown_support_request"),
    ]:
        refused = client.post(
            ACTIVITIES, json=report(cast, request_id), headers=cast.headers["leader"]
        )
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("body.support_request_id", code)]


def test_the_partner_asked_learns_of_it_from_the_change_feed(
    client: TestClient, cast: Cast
) -> None:
    """`support_request.*` events: the organisation asked reads them (a dispatch system
    picks requests up from the feed or a webhook), a rival operator and a viewer do not,
    and the contact's phone comes masked."""

    def feed(who: str) -> list[dict[str, Any]]:
        answer = client.get(
            "/api/v1/events", params={"types": "support_request.*"}, headers=cast.headers[who]
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return [item for item in items if item["data"]["id"] == made["id"]]

    made = ask(client, cast)
    assert move(client, cast, made["id"], "accept", "vnpt", **ACCEPT).status_code == 200
    seen = feed("vnpt")
    assert [event["type"] for event in seen] == [
        "support_request.created",
        "support_request.accepted",
    ]
    created = seen[0]["data"]["changes"]
    assert created["organisation"]["after"] == VNPT
    assert created["phone"]["after"] != "0912345678"
    assert [event["type"] for event in feed("commune")] == [e["type"] for e in seen]
    assert feed("viettel") == []
    assert feed("viewer") == []
