"""``/device-needs`` and ``/device-referrals``: counts of households without a smartphone,
and single households a commune hands to an operator — minimum personal data, consent,
every read audited, retention, the operator's answers, and a rival operator that never
reads another's households."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cnscd_api import housekeeping
from cnscd_api.core import clock
from cnscd_api.models import DeviceReferral
from tests.factories import Tree
from tests.test_support_requests import VIETTEL, VNPT, Cast, cast_of, committed_world, race

NEEDS = "/api/v1/device-needs"
REFERRALS = "/api/v1/device-referrals"
YESTERDAY = (clock.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def cast(client: TestClient, session: Session, settings: Any, tree: Tree) -> Cast:
    return cast_of(client, session, settings, tree)


def need(cast: Cast, **fields: Any) -> dict[str, Any]:
    return {
        "unit_id": str(cast.tree.dak_pek_village.id),
        "counted_on": YESTERDAY,
        "households_without_smartphone": 42,
        "poor": 18,
        "near_poor": 9,
        "counted_by": "Tổ CNSCĐ thôn Đắk Ung",
        **fields,
    }


def referral(cast: Cast, **fields: Any) -> dict[str, Any]:
    return {
        "organisation": VNPT,
        "unit_id": str(cast.tree.dak_pek_village.id),
        "household_head": "A Nhong",
        "phone": "0912345678",
        "poverty": "poor",
        "consent_on": YESTERDAY,
        **fields,
    }


def refer(client: TestClient, cast: Cast, **fields: Any) -> dict[str, Any]:
    made = client.post(REFERRALS, json=referral(cast, **fields), headers=cast.headers["commune"])
    assert made.status_code == 201, made.text
    answer: dict[str, Any] = made.json()
    return answer


def act(
    client: TestClient, cast: Cast, referral_id: str, action: str, who: str, **body: Any
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"{REFERRALS}/{referral_id}/{action}", json=body, headers=cast.headers[who]
    )
    return response


DELIVERY = {"device": "Smartphone 4G", "package": "Gói 12 tháng", "delivered_on": YESTERDAY}


# --- needs ----------------------------------------------------------------------------------


def test_teams_and_officers_count_the_need_and_everyone_in_scope_reads_it(
    client: TestClient, cast: Cast
) -> None:
    made = client.post(NEEDS, json=need(cast), headers=cast.headers["leader"])
    assert made.status_code == 201, made.text
    assert made.json()["unit_name"] == cast.tree.dak_pek_village.name
    assert made.headers["ETag"] == '"1"'
    commune = client.post(
        NEEDS,
        json=need(
            cast,
            unit_id=str(cast.tree.dak_pek.id),
            households_without_smartphone=5,
            poor=0,
            near_poor=0,
        ),
        headers=cast.headers["commune"],
    )
    assert commune.status_code == 201
    for who in ("viewer", "vnpt", "viettel", "district", "commune"):
        listed = client.get(NEEDS, headers=cast.headers[who])
        assert listed.status_code == 200, who
        assert {i["id"] for i in listed.json()["items"]} >= {made.json()["id"]}, who
    neighbour = client.get(NEEDS, headers=cast.headers["neighbour"]).json()["items"]
    assert made.json()["id"] not in {i["id"] for i in neighbour}
    assert (
        client.get(f"{NEEDS}/{made.json()['id']}", headers=cast.headers["neighbour"]).status_code
        == 404
    )
    for who in ("viewer", "vnpt"):
        assert client.post(NEEDS, json=need(cast), headers=cast.headers[who]).status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"poor": 40, "near_poor": 5}, 422, "poor_exceeds_total"),
        ({"counted_on": (clock.today() + timedelta(days=1)).isoformat()}, 422, "date_in_future"),
        ({"households_without_smartphone": -1}, 422, "greater_than_equal"),
    ],
)
def test_a_count_that_cannot_be_is_refused(
    client: TestClient, cast: Cast, fields: dict[str, Any], status: int, code: str
) -> None:
    response = client.post(NEEDS, json=need(cast, **fields), headers=cast.headers["commune"])
    assert response.status_code == status, response.text
    problem = response.json()
    assert code in {problem["code"], *(e["code"] for e in problem["errors"])}


def test_one_count_per_unit_and_day_corrected_with_if_match(client: TestClient, cast: Cast) -> None:
    made = client.post(NEEDS, json=need(cast), headers=cast.headers["commune"]).json()
    again = client.post(NEEDS, json=need(cast), headers=cast.headers["commune"])
    assert again.status_code == 409
    assert again.json()["code"] == "device_need_exists"
    url = f"{NEEDS}/{made['id']}"
    stale = client.patch(
        url, json={"poor": 20}, headers={**cast.headers["commune"], "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    too_many = client.patch(url, json={"near_poor": 30}, headers=cast.headers["commune"])
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "poor_exceeds_total"
    fixed = client.patch(
        url, json={"poor": 20}, headers={**cast.headers["commune"], "If-Match": '"1"'}
    )
    assert fixed.status_code == 200
    assert (fixed.json()["poor"], fixed.json()["version"]) == (20, 2)
    assert client.delete(url, headers=cast.headers["viewer"]).status_code == 403
    gone = client.delete(url, headers={**cast.headers["commune"], "If-Match": '"2"'})
    assert gone.status_code == 204
    assert client.get(url, headers=cast.headers["commune"]).status_code == 404


# --- referrals ------------------------------------------------------------------------------


def test_only_the_operator_addressed_reads_the_households_handed_to_it(
    client: TestClient, cast: Cast
) -> None:
    made = refer(client, cast)
    assert made["status"] == "requested"
    assert made["retain_until"] == (clock.today() + timedelta(days=365)).isoformat()
    url = f"{REFERRALS}/{made['id']}"
    read = client.get(url, headers=cast.headers["vnpt"])
    assert read.status_code == 200
    assert (read.json()["household_head"], read.json()["phone"]) == ("A Nhong", "0912345678")
    listed = client.get(REFERRALS, headers=cast.headers["vnpt"]).json()
    assert [i["id"] for i in listed["items"]] == [made["id"]]
    # A rival operator, VNPT's client elsewhere and a neighbouring commune find nothing.
    for who in ("viettel", "vnpt_elsewhere", "neighbour"):
        assert client.get(url, headers=cast.headers[who]).status_code == 404, who
        assert client.get(REFERRALS, headers=cast.headers[who]).json()["total"] == 0, who
    assert act(client, cast, made["id"], "accept", "viettel").status_code == 404
    # Team leaders and viewers never read households.
    for who in ("leader", "viewer"):
        assert client.get(REFERRALS, headers=cast.headers[who]).status_code == 403, who
        assert client.get(url, headers=cast.headers[who]).status_code == 403, who
    # Only officers hand households over.
    for who in ("leader", "viewer", "vnpt"):
        refused = client.post(REFERRALS, json=referral(cast), headers=cast.headers[who])
        assert refused.status_code == 403, who


def test_every_read_of_referrals_is_in_the_audit_log_and_names_are_masked_there(
    client: TestClient, cast: Cast
) -> None:
    made = refer(client, cast)
    client.get(REFERRALS, headers=cast.headers["vnpt"])
    client.get(f"{REFERRALS}/{made['id']}", headers=cast.headers["commune"])
    events = client.get(
        "/api/v1/audit-events", params={"limit": 500}, headers=cast.headers["commune"]
    ).json()["items"]
    mine = [e for e in events if e["entity"] == "device_referral"]
    reads = [e for e in mine if e["action"] == "read"]
    assert len(reads) == 2
    assert all(e["changes"]["ids"]["after"] == [made["id"]] for e in reads)
    # The operator's client and the commune officer, each named.
    assert len({e["actor_name"] for e in reads}) == 2
    created = next(e for e in mine if e["action"] == "create")
    assert created["changes"]["household_head"]["after"] == "***"
    assert created["changes"]["phone"]["after"] == "09******78"


def test_the_operator_accepts_and_delivers_or_refuses(client: TestClient, cast: Cast) -> None:
    served = refer(client, cast)["id"]
    early = act(client, cast, served, "deliver", "vnpt", **DELIVERY)
    assert early.status_code == 409
    assert early.json()["code"] == "device_referral_state"
    assert act(client, cast, served, "accept", "commune").status_code == 403
    accepted = act(client, cast, served, "accept", "vnpt")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    delivered = act(client, cast, served, "deliver", "vnpt", **DELIVERY)
    assert delivered.status_code == 200, delivered.text
    assert (delivered.json()["status"], delivered.json()["device"]) == (
        "delivered",
        "Smartphone 4G",
    )
    for action, body in (("accept", {}), ("refuse", {"reason": "Đã nhận"}), ("deliver", DELIVERY)):
        assert act(client, cast, served, action, "vnpt", **body).status_code == 409, action
    paths: list[list[tuple[str, dict[str, Any]]]] = [[], [("accept", {})]]
    for state_steps in paths:
        other = refer(client, cast, household_head="Y Blong")["id"]
        for step, body in state_steps:
            assert act(client, cast, other, step, "vnpt", **body).status_code == 200
        refused = act(client, cast, other, "refuse", "vnpt", reason="Hộ đã có điện thoại")
        assert refused.status_code == 200
        assert (refused.json()["status"], refused.json()["reason"]) == (
            "refused",
            "Hộ đã có điện thoại",
        )
    assert act(client, cast, other, "refuse", "vnpt", reason="lần nữa").status_code == 409


def test_consent_is_required_and_cannot_be_in_the_future(client: TestClient, cast: Cast) -> None:
    body = referral(cast)
    del body["consent_on"]
    missing = client.post(REFERRALS, json=body, headers=cast.headers["commune"])
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.consent_on"
    future = client.post(
        REFERRALS,
        json=referral(cast, consent_on=(clock.today() + timedelta(days=2)).isoformat()),
        headers=cast.headers["commune"],
    )
    assert future.status_code == 422
    assert future.json()["code"] == "consent_in_future"
    # Nothing beyond the minimum: no ID number, no address.
    extra = client.post(
        REFERRALS, json=referral(cast, id_number="0123456789"), headers=cast.headers["commune"]
    )
    assert extra.status_code == 422


def test_a_re_sent_referral_is_made_once(client: TestClient, cast: Cast) -> None:
    headers = {**cast.headers["commune"], "Idempotency-Key": "refer-a-nhong"}
    first = client.post(REFERRALS, json=referral(cast), headers=headers)
    again = client.post(REFERRALS, json=referral(cast), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert client.get(REFERRALS, headers=cast.headers["commune"]).json()["total"] == 1


def test_referrals_past_their_retention_are_deleted(
    client: TestClient, cast: Cast, session: Session, app: Any, database: Any
) -> None:
    old, kept = refer(client, cast)["id"], refer(client, cast, organisation=VIETTEL)["id"]
    stored = session.get(DeviceReferral, uuid.UUID(old))
    assert stored is not None
    stored.retain_until = clock.today() - timedelta(days=1)
    session.add(stored)
    session.commit()
    deleted = housekeeping.run(database, app.state.settings)
    assert deleted["device_referral"] == 1
    session.expire_all()
    assert {str(i) for i in session.exec(select(DeviceReferral.id)).all()} == {kept}


def test_the_commune_withdraws_a_household(client: TestClient, cast: Cast) -> None:
    made = refer(client, cast)
    url = f"{REFERRALS}/{made['id']}"
    assert client.delete(url, headers=cast.headers["vnpt"]).status_code == 403
    assert (
        client.delete(url, headers={**cast.headers["commune"], "If-Match": '"4"'}).status_code
        == 412
    )
    assert client.delete(url, headers=cast.headers["commune"]).status_code == 204
    assert client.get(url, headers=cast.headers["vnpt"]).status_code == 404


@pytest.fixture
def committed_cast(backend: str, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    with committed_world(backend, tmp_path) as world:
        yield world


def test_deliver_and_refuse_at_once_one_wins_the_other_is_told(
    committed_cast: tuple[TestClient, Cast],
) -> None:
    client, cast = committed_cast
    for _ in range(6):
        made = refer(client, cast)["id"]
        assert act(client, cast, made, "accept", "vnpt").status_code == 200
        statuses = race(
            partial(act, client, cast, made, "deliver", "vnpt", **DELIVERY),
            partial(act, client, cast, made, "refuse", "vnpt", reason="Hết máy"),
        )
        assert statuses in ([200, 409], [200, 412]), statuses
        final = client.get(f"{REFERRALS}/{made}", headers=cast.headers["commune"]).json()
        assert (final["status"], final["version"]) in {("delivered", 3), ("refused", 3)}
