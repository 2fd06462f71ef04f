"""Reports of a closed place are written by the officers of its successors: every route
that changes a report (edit, delete, approve, reject, reopen, approve a list, re-send in a
batch) reaches them through one scope rule, applies the rules of reports of one's own
units, and records the successor it went through; a caller none of whose units succeeded
the place answers 404 on every one of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.models import AuditEvent, Campaign, Member, Role, Team, Unit, User
from tests.factories import Tree, bearer, make_campaign, make_member, make_team, make_user

ACTIVITIES = "/api/v1/activities"
TODAY = date(2026, 3, 15)
MERGED_ON = TODAY - timedelta(days=5)
REPORTED_ON = TODAY - timedelta(days=8)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@dataclass
class Merged:
    team: Team
    member: Member
    campaign: Campaign
    successor: Unit  # the commune Xã Đắk Pék merged into
    reports: dict[str, dict[str, Any]]  # as recorded, before the merge
    headers: dict[str, dict[str, str]]
    officer: User  # commune officer of the successor


def _report(
    team: Team, member: Member, campaign: Campaign, place: Unit, people: int
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "team_id": str(team.id),
        "unit_id": str(place.id),
        "activity_date": REPORTED_ON.isoformat(),
        "categories": ["vneid"],
        "member_ids": [str(member.id)],
        "values": {"people_guided": people},
        "campaign_id": str(campaign.id),
    }


@pytest.fixture
def merged(session: Session, client: TestClient, settings: Settings, tree: Tree) -> Merged:
    """A commune team's reports, recorded at the commune; then the commune is merged into
    a new one, whose officer (and the team's leader, who followed the team) take over."""
    team = make_team(session, tree.dak_pek, "Tổ CNSCĐ xã Đắk Pék")
    member = make_member(session, team, "A Nhong")
    campaign = make_campaign(
        session,
        tree.kon_tum,
        categories=("vneid",),
        targets={"people_guided": 1000},
        starts_on=TODAY - timedelta(days=20),
        ends_on=TODAY + timedelta(days=10),
    )
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek, team_id=team.id)
    old_officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    untouched = session.exec(
        select(Unit).where(
            col(Unit.parent_id) == tree.dak_glei.id,
            col(Unit.id).not_in([tree.dak_pek.id, tree.dak_man.id]),
        )
    ).first()
    assert untouched is not None
    outsider = make_user(session, Role.COMMUNE_OFFICER, untouched)
    session.commit()
    as_leader = bearer(settings, leader)
    names = ["patch", "delete", "approve", "reject", "reopen", "many", "frozen", "date", "batch"]
    reports: dict[str, dict[str, Any]] = {}
    for people, name in enumerate(names, start=10):
        body = _report(team, member, campaign, tree.dak_pek, people)
        made = client.post(ACTIVITIES, json=body, headers=as_leader)
        assert made.status_code == 201, made.text
        reports[name] = body
    by_officer = _report(team, member, campaign, tree.dak_pek, 99)
    made = client.post(ACTIVITIES, json=by_officer, headers=bearer(settings, old_officer))
    assert made.status_code == 201, made.text
    reports["tier"] = by_officer
    merge = client.post(
        "/api/v1/units/reorganisations",
        json={
            "effective_date": MERGED_ON.isoformat(),
            "legal_act": "Nghị quyết 9/NQ-HĐND",
            "operations": [
                {
                    "op": "merge",
                    "unit_ids": [str(tree.dak_pek.id)],
                    "new": {"name": "Xã Đắk Pék Mới", "code": "99911"},
                }
            ],
        },
        headers=bearer(settings, admin),
    )
    assert merge.status_code == 201, merge.text
    successor = session.get(Unit, uuid.UUID(merge.json()["created"][0]["id"]))
    assert successor is not None
    officer = make_user(session, Role.COMMUNE_OFFICER, successor)
    session.commit()
    session.refresh(leader)  # followed the team: same sessions, new scope
    return Merged(
        team=team,
        member=member,
        campaign=campaign,
        successor=successor,
        reports=reports,
        headers={
            "officer": bearer(settings, officer),
            "leader": bearer(settings, leader),
            "outsider": bearer(settings, outsider),
        },
        officer=officer,
    )


def _url(merged: Merged, name: str, action: str = "") -> str:
    return f"{ACTIVITIES}/{merged.reports[name]['id']}{action}"


def _events(session: Session, activity_id: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.entity) == "activity", col(AuditEvent.entity_id) == activity_id)
            .order_by(col(AuditEvent.sequence))
        ).all()
    )


def test_the_successor_s_officers_write_a_closed_place_s_reports(
    client: TestClient, session: Session, tree: Tree, merged: Merged
) -> None:
    officer = merged.headers["officer"]
    # The place is closed, and not in the officer's subtree: they read it through lineage.
    session.expire_all()
    closed = session.get(Unit, tree.dak_pek.id)
    assert closed is not None
    assert closed.valid_to == MERGED_ON - timedelta(days=1)
    assert not closed.path.startswith(merged.successor.path)
    edited = client.patch(
        _url(merged, "patch"),
        json={"values": {"people_guided": 44}},
        headers={**officer, "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["values"] == {"people_guided": 44}
    assert edited.json()["unit_id"] == str(tree.dak_pek.id)  # the report keeps its place
    assert edited.headers["etag"] == '"2"'

    deleted = client.delete(_url(merged, "delete"), headers={**officer, "If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text
    assert client.get(_url(merged, "delete"), headers=officer).status_code == 404

    approved = client.post(_url(merged, "approve", "/approve"), headers=officer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    rejected = client.post(
        _url(merged, "reject", "/reject"), json={"reason": "Thiếu danh sách"}, headers=officer
    )
    assert rejected.status_code == 200, rejected.text

    assert client.post(_url(merged, "reopen", "/approve"), headers=officer).status_code == 200
    reopened = client.post(_url(merged, "reopen", "/reopen"), headers=officer)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "submitted"

    many = client.post(
        f"{ACTIVITIES}/approve", json={"ids": [merged.reports["many"]["id"]]}, headers=officer
    )
    assert many.status_code == 200, many.text
    assert many.json()["items"][0]["status"] == "approved"

    # Re-sent from a phone: the same content is unchanged, other content a conflict, both
    # with the stored version (the caller reaches it).
    same = merged.reports["batch"]
    changed = {**merged.reports["patch"], "values": {"people_guided": 1}}
    batch = client.post(
        f"{ACTIVITIES}/batch",
        json={"activities": [same, changed]},
        headers=merged.headers["leader"],
    )
    assert batch.status_code == 200, batch.text
    assert [(i["status"], i["version"]) for i in batch.json()["items"]] == [
        ("unchanged", 1),
        ("conflict", 2),
    ]

    # The team's leader, who followed the team to the new commune, edits too.
    by_leader = client.patch(
        _url(merged, "reject"), json={"description": "Đã bổ sung"}, headers=merged.headers["leader"]
    )
    assert by_leader.status_code == 200, by_leader.text
    assert by_leader.json()["status"] == "submitted"

    # Every write is filed at the place's own path and names the successor it went through.
    for name in ("patch", "delete", "approve", "reject", "reopen", "many"):
        written = [e for e in _events(session, merged.reports[name]["id"]) if e.action != "create"]
        assert written, name
        for event in written:
            assert event.unit_path == tree.dak_pek.path, (name, event.action)
            assert event.via_unit_id == merged.successor.id, (name, event.action)
    created = _events(session, merged.reports["patch"]["id"])[0]
    assert (created.action, created.via_unit_id) == ("create", None)


def test_the_rules_of_one_s_own_reports_apply(
    client: TestClient, merged: Merged, tree: Tree
) -> None:
    officer = merged.headers["officer"]
    # Frozen once approved.
    assert client.post(_url(merged, "frozen", "/approve"), headers=officer).status_code == 200
    frozen = client.patch(_url(merged, "frozen"), json={"description": "x"}, headers=officer)
    assert (frozen.status_code, frozen.json()["code"]) == (409, "activity_approved")
    gone = client.delete(_url(merged, "frozen"), headers=officer)
    assert (gone.status_code, gone.json()["code"]) == (409, "activity_approved")
    # The place must be valid on the report's date: not after it closed.
    late = client.patch(
        _url(merged, "date"), json={"activity_date": TODAY.isoformat()}, headers=officer
    )
    assert late.status_code == 422, late.text
    assert [e["code"] for e in late.json()["errors"]] == ["place_not_valid_on_date"]
    # Review goes up the tiers: a commune officer does not review a commune officer's.
    tier = client.post(_url(merged, "tier", "/approve"), headers=officer)
    assert (tier.status_code, tier.json()["code"]) == (403, "review_tier")
    # The team leader records; reviewing is not theirs.
    leader = client.post(_url(merged, "date", "/approve"), headers=merged.headers["leader"])
    assert leader.status_code == 403


def test_a_closed_campaign_freezes_them_too(
    client: TestClient, session: Session, merged: Merged
) -> None:
    campaign = session.get(Campaign, merged.campaign.id)
    assert campaign is not None
    campaign.closed_at = campaign.created_at
    session.add(campaign)
    session.commit()
    officer = merged.headers["officer"]
    for response in (
        client.patch(_url(merged, "patch"), json={"description": "x"}, headers=officer),
        client.delete(_url(merged, "delete"), headers=officer),
        client.post(_url(merged, "approve", "/approve"), headers=officer),
        client.post(_url(merged, "reject", "/reject"), json={"reason": "Sai số"}, headers=officer),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "campaign_closed")


def test_no_successor_in_scope_is_404_on_every_route(client: TestClient, merged: Merged) -> None:
    outsider = merged.headers["outsider"]
    assert client.get(_url(merged, "patch"), headers=outsider).status_code == 404
    answers = {
        "patch": client.patch(_url(merged, "patch"), json={"description": "x"}, headers=outsider),
        "delete": client.delete(_url(merged, "delete"), headers=outsider),
        "approve": client.post(_url(merged, "approve", "/approve"), headers=outsider),
        "reject": client.post(
            _url(merged, "reject", "/reject"), json={"reason": "Sai số"}, headers=outsider
        ),
        "reopen": client.post(_url(merged, "reopen", "/reopen"), headers=outsider),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    many = client.post(
        f"{ACTIVITIES}/approve", json={"ids": [merged.reports["many"]["id"]]}, headers=outsider
    )
    assert many.json()["items"][0]["status"] == "not_found"
    batch = client.post(
        f"{ACTIVITIES}/batch", json={"activities": [merged.reports["batch"]]}, headers=outsider
    )
    (item,) = batch.json()["items"]
    assert (item["status"], item.get("version")) == ("conflict", None)


def test_the_successor_s_officers_read_the_history_of_what_they_took_over(
    client: TestClient, merged: Merged
) -> None:
    """The audit log follows the same rule: the events of a closed place's reports —
    recorded there before the merge, and the successor's own writes since — are read by
    the successor's officers, and by nobody the lineage does not lead to."""
    officer = merged.headers["officer"]
    approved = client.post(_url(merged, "approve", "/approve"), headers=officer)
    assert approved.status_code == 200, approved.text
    report = merged.reports["approve"]["id"]

    def history(headers: dict[str, str]) -> list[str]:
        answer = client.get(
            "/api/v1/audit-events",
            params={"entity": "activity", "entity_id": report},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        return sorted(event["action"] for event in answer.json()["items"])

    assert history(officer) == ["approve", "create"]
    assert history(merged.headers["outsider"]) == []
