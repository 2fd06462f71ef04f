"""Allowances: a province's rules, a unit's monthly statement computed from approved
reports, its approval closing the month, reopening, exports, and the refusals that keep
past months as they were paid."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityStatus,
    Member,
    Role,
    Team,
    Unit,
    UnitLevel,
    User,
)
from tests.factories import Tree, bearer, make_activity, make_member, make_team, make_user

RULES = "/api/v1/allowance-rules"
STATEMENTS = "/api/v1/allowance-statements"
ACTIVITIES = "/api/v1/activities"
TODAY = date(2024, 11, 20)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@dataclass
class World:
    tree: Tree
    team: Team
    members: list[Member]
    leader: User
    headers: dict[str, dict[str, str]]

    def report(
        self, session: Session, day: date, members: list[Member], status: ActivityStatus
    ) -> Activity:
        activity = make_activity(session, self.team, self.leader, day=day, status=status)
        for member in members:
            session.add(ActivityMember(activity_id=activity.id, member_id=member.id))
        session.flush()
        return activity


@pytest.fixture
def world(session: Session, settings: Settings, tree: Tree) -> World:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    members = [make_member(session, team, name) for name in ("A Nhong", "Y Hoa", "A Blương")]
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    users = {
        "province": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
        "district": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "district2": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "commune": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "leader": leader,
    }
    session.commit()
    headers = {name: bearer(settings, user) for name, user in users.items()}
    return World(tree, team, members, leader, headers)


RULE = {
    "effective_from": "2024-01-01",
    "resolution_number": "15/2023/NQ-HĐND",
    "resolution_date": "2023-12-08",
    "per_team_month": 600000,
    "per_member_month": 60000,
    "per_person_day": 150000,
}


def make_rule(client: TestClient, world: World, **overrides: Any) -> dict[str, Any]:
    made = client.post(RULES, json={**RULE, **overrides}, headers=world.headers["province"])
    assert made.status_code == 201, made.text
    return dict(made.json())


def prepare(client: TestClient, world: World, month: str = "2024-10") -> dict[str, Any]:
    made = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_pek.id), "month": month},
        headers=world.headers["commune"],
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def approve(client: TestClient, world: World, statement: dict[str, Any], who: str = "district"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{STATEMENTS}/{statement['id']}/approve",
        headers={**world.headers[who], "If-Match": f'"{statement["version"]}"'},
    )


def test_a_province_admin_sets_rules_with_their_legal_basis(
    client: TestClient, world: World
) -> None:
    first = make_rule(client, world)
    later = make_rule(client, world, effective_from="2025-01-01", per_person_day=120000)
    listed = client.get(RULES, headers=world.headers["commune"]).json()
    by_id = {rule["id"]: rule for rule in listed["items"]}
    assert by_id[first["id"]]["effective_to"] == "2024-12-31"
    assert by_id[later["id"]]["effective_to"] is None
    assert by_id[first["id"]]["resolution_number"] == "15/2023/NQ-HĐND"
    denied = client.post(RULES, json=RULE, headers=world.headers["district"])
    assert denied.status_code == 403
    same_day = client.post(RULES, json=RULE, headers=world.headers["province"])
    assert same_day.status_code == 409
    assert same_day.json()["code"] == "allowance_rule_exists"
    empty = client.post(
        RULES,
        json={k: v for k, v in RULE.items() if not k.startswith("per_")},
        headers=world.headers["province"],
    )
    assert empty.status_code == 422
    assert empty.json()["code"] == "allowance_rule_empty"
    fractional = client.post(
        RULES,
        json={**RULE, "effective_from": "2026-01-01", "per_person_day": 1.5},
        headers=world.headers["province"],
    )
    assert fractional.status_code == 422


def test_a_statement_pays_teams_members_and_person_days_from_approved_reports_only(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world)
    a, b, _ = world.members
    world.report(session, date(2024, 10, 3), [a, b], ActivityStatus.APPROVED)
    # The same member twice on one day is one person-day.
    world.report(session, date(2024, 10, 3), [a], ActivityStatus.APPROVED)
    world.report(session, date(2024, 10, 9), [a], ActivityStatus.APPROVED)
    world.report(session, date(2024, 10, 12), [b], ActivityStatus.SUBMITTED)
    world.report(session, date(2024, 9, 30), [b], ActivityStatus.APPROVED)
    session.commit()
    statement = prepare(client, world)
    assert statement["status"] == "prepared"
    (line,) = [x for x in statement["lines"] if x["team_id"] == str(world.team.id)]
    assert line["members"] == 3
    assert line["person_days"] == 3  # a on the 3rd and 9th, b on the 3rd
    assert line["team_amount"] == 600000
    days = {m["member_name"]: m["person_days"] for m in line["member_lines"]}
    assert days == {"A Nhong": 2, "Y Hoa": 1, "A Blương": 0}
    assert line["amount"] == 600000 + 3 * 60000 + 3 * 150000
    assert statement["total_amount"] == sum(x["amount"] for x in statement["lines"])
    assert [r["resolution_number"] for r in statement["rules"]] == ["15/2023/NQ-HĐND"]


def test_the_team_amount_may_require_a_report_that_month(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world, team_must_report=True, per_member_month=None, per_person_day=None)
    statement = prepare(client, world)
    (line,) = [x for x in statement["lines"] if x["team_id"] == str(world.team.id)]
    assert line["amount"] == 0
    assert statement["total_amount"] == 0


def test_an_approved_month_closes_its_reports_until_the_statement_is_reopened(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world)
    a = world.members[0]
    pending = world.report(session, date(2024, 10, 5), [a], ActivityStatus.SUBMITTED)
    done = world.report(session, date(2024, 10, 6), [a], ActivityStatus.APPROVED)
    session.commit()
    statement = prepare(client, world)
    # The commune officer prepared it: the tier above approves, never the preparer's tier.
    assert approve(client, world, statement, "commune").status_code == 403
    approved = approve(client, world, statement)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    closed = client.patch(
        f"{ACTIVITIES}/{pending.id}",
        json={"description": "Bổ sung"},
        headers={**world.headers["commune"], "Accept-Language": "vi"},
    )
    assert closed.status_code == 409
    assert closed.json()["code"] == "allowance_month_closed"
    assert statement["id"] in closed.json()["detail"]
    assert "Tháng 2024-10" in closed.json()["detail"]
    for path, who in (
        (f"{ACTIVITIES}/{pending.id}/approve", "district"),
        (f"{ACTIVITIES}/{done.id}/reopen", "province"),
    ):
        refused = client.post(path, headers=world.headers[who])
        assert refused.status_code == 409, path
        assert refused.json()["code"] == "allowance_month_closed"
    recorded = client.post(
        ACTIVITIES,
        json={
            "team_id": str(world.team.id),
            "activity_date": "2024-10-20",
            "categories": ["vneid"],
            "values": {"people_guided": 5},
        },
        headers=world.headers["leader"],
    )
    assert recorded.status_code == 409
    assert recorded.json()["code"] == "allowance_month_closed"
    # November stays open.
    november = client.post(
        ACTIVITIES,
        json={
            "team_id": str(world.team.id),
            "activity_date": "2024-11-02",
            "categories": ["vneid"],
            "values": {"people_guided": 5},
        },
        headers=world.headers["leader"],
    )
    assert november.status_code == 201, november.text
    reopened = client.post(
        f"{STATEMENTS}/{statement['id']}/reopen",
        json={"reason": "Bổ sung báo cáo bị sót"},
        headers=world.headers["district"],
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "prepared"
    assert reopened.json()["reopen_reason"] == "Bổ sung báo cáo bị sót"
    edited = client.patch(
        f"{ACTIVITIES}/{pending.id}",
        json={"description": "Bổ sung"},
        headers=world.headers["commune"],
    )
    assert edited.status_code == 200, edited.text
    events = client.get(
        "/api/v1/audit-events",
        params={"entity": "allowance_statement", "entity_id": statement["id"]},
        headers=world.headers["province"],
    ).json()["items"]
    assert {"create", "approve", "reopen"} <= {event["action"] for event in events}


def test_approval_refuses_figures_that_changed_since_they_were_prepared(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world)
    pending = world.report(session, date(2024, 10, 5), world.members[:1], ActivityStatus.SUBMITTED)
    session.commit()
    statement = prepare(client, world)
    approved_report = client.post(
        f"{ACTIVITIES}/{pending.id}/approve", headers=world.headers["commune"]
    )
    assert approved_report.status_code == 200, approved_report.text
    stale = approve(client, world, statement)
    assert stale.status_code == 409
    assert stale.json()["code"] == "allowance_statement_stale"
    refreshed = client.post(
        f"{STATEMENTS}/{statement['id']}/refresh",
        headers={**world.headers["commune"], "If-Match": f'"{statement["version"]}"'},
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["total_amount"] == statement["total_amount"] + 150000
    old_version = approve(client, world, statement)
    assert old_version.status_code == 412
    assert approve(client, world, refreshed.json()).status_code == 200


def test_past_months_never_change_a_new_rule_is_the_way(
    client: TestClient, session: Session, world: World
) -> None:
    rule = make_rule(client, world)
    statement = prepare(client, world)
    assert approve(client, world, statement).status_code == 200
    edit = client.patch(
        f"{RULES}/{rule['id']}",
        json={"per_person_day": 200000},
        headers={**world.headers["province"], "If-Match": f'"{rule["version"]}"'},
    )
    assert edit.status_code == 409
    assert edit.json()["code"] == "allowance_rule_in_use"
    assert statement["id"] in edit.json()["detail"]
    inside = client.post(
        RULES, json={**RULE, "effective_from": "2024-10-15"}, headers=world.headers["province"]
    )
    assert inside.status_code == 409
    assert inside.json()["code"] == "allowance_rule_in_use"
    later = client.post(
        RULES, json={**RULE, "effective_from": "2024-11-01"}, headers=world.headers["province"]
    )
    assert later.status_code == 201
    # The approved statement reads as it was approved.
    again = client.get(f"{STATEMENTS}/{statement['id']}", headers=world.headers["province"])
    assert again.json()["lines"] == statement["lines"]


def test_statements_do_not_overlap_and_need_a_rule_and_a_past_month(
    client: TestClient, world: World
) -> None:
    no_rule = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_pek.id), "month": "2024-10"},
        headers=world.headers["commune"],
    )
    assert no_rule.status_code == 422
    assert no_rule.json()["code"] == "allowance_no_rule"
    make_rule(client, world)
    statement = prepare(client, world)
    district = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_glei.id), "month": "2024-10"},
        headers=world.headers["district"],
    )
    assert district.status_code == 409
    assert district.json()["code"] == "allowance_statement_overlaps"
    assert statement["id"] in district.json()["detail"]
    future = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_pek.id), "month": "2024-12"},
        headers=world.headers["commune"],
    )
    assert future.status_code == 422
    assert future.json()["code"] == "allowance_month_in_future"
    bad_month = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_pek.id), "month": "2024-13"},
        headers=world.headers["commune"],
    )
    assert bad_month.status_code == 422
    village = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_pek_village.id), "month": "2024-10"},
        headers=world.headers["commune"],
    )
    assert village.status_code == 422
    assert village.json()["code"] == "allowance_unit_level"
    outside = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_man.id), "month": "2024-10"},
        headers=world.headers["commune"],
    )
    assert outside.status_code == 404
    listed = client.get(STATEMENTS, params={"month": "2024-10"}, headers=world.headers["district"])
    assert [item["id"] for item in listed.json()["items"]] == [statement["id"]]


def test_a_district_statement_is_approved_by_the_province(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world)
    made = client.post(
        STATEMENTS,
        json={"unit_id": str(world.tree.dak_glei.id), "month": "2024-10"},
        headers=world.headers["district"],
    )
    assert made.status_code == 201, made.text
    statement = made.json()
    assert str(world.team.id) in {line["team_id"] for line in statement["lines"]}
    assert approve(client, world, statement, "district2").status_code == 403
    assert approve(client, world, statement, "province").status_code == 200


def test_the_finance_office_downloads_xlsx_and_csv_with_integer_amounts(
    client: TestClient, session: Session, world: World
) -> None:
    make_rule(client, world)
    world.report(session, date(2024, 10, 3), world.members[:2], ActivityStatus.APPROVED)
    session.commit()
    statement = prepare(client, world)
    xlsx = client.get(f"{STATEMENTS}/{statement['id']}/export", headers=world.headers["district"])
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "STT"
    assert rows[0][-1] == "Thành tiền (đồng)"
    assert rows[-1][1] == "Tổng cộng"
    assert rows[-1][-1] == statement["total_amount"]
    assert isinstance(rows[-1][-1], int)
    team_rows = [row for row in rows[1:-1] if row[0] is not None]
    assert sum(int(row[-1]) for row in team_rows) == statement["total_amount"]
    csv = client.get(
        f"{STATEMENTS}/{statement['id']}/export",
        params={"format": "csv"},
        headers=world.headers["district"],
    )
    last = csv.content.decode("utf-8-sig").strip().splitlines()[-1].split(",")
    assert last[1] == "Tổng cộng"
    assert last[-1] == str(statement["total_amount"])


def test_a_team_s_monthly_amount_is_paid_once_whichever_unit_it_moved_to(
    client: TestClient, session: Session, world: World, tree: Tree
) -> None:
    make_rule(client, world, per_member_month=None, per_person_day=None)
    statement = prepare(client, world)
    assert statement["total_amount"] == 600000
    assert approve(client, world, statement).status_code == 200
    # The team moves to Đắk Man; Đắk Man's October pays its other teams, not this one.
    world.team.unit_id = tree.dak_man.id
    session.add(world.team)
    other = make_team(session, tree.dak_man, "Tổ CNSCĐ xã Đắk Man")
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    session.commit()
    settings_headers = bearer(client.app.state.settings, officer)  # type: ignore[attr-defined]
    made = client.post(
        STATEMENTS,
        json={"unit_id": str(tree.dak_man.id), "month": "2024-10"},
        headers=settings_headers,
    )
    assert made.status_code == 201, made.text
    paid = {line["team_id"]: line["team_amount"] for line in made.json()["lines"]}
    assert paid[str(world.team.id)] == 0
    assert paid[str(other.id)] == 600000


def test_unknown_statement_is_404(client: TestClient, world: World) -> None:
    missing = client.get(f"{STATEMENTS}/{uuid.uuid4()}", headers=world.headers["commune"])
    assert missing.status_code == 404


def test_after_the_2025_reform_closed_units_keep_their_statements_and_the_new_province_its_rules(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_rule(client, world)
    world.report(session, date(2024, 10, 3), world.members[:1], ActivityStatus.APPROVED)
    session.commit()
    statement = prepare(client, world)
    assert approve(client, world, statement).status_code == 200
    monkeypatch.setattr(clock, "today", lambda: date(2025, 9, 10))
    admin = make_user(session, Role.PROVINCE_ADMIN, world.tree.kon_tum)
    session.commit()
    apply_reform(session, "62")
    session.commit()
    session.refresh(admin)  # now the admin of the province Kon Tum joined
    headers = bearer(settings, admin)
    province = session.get(Unit, admin.scope_unit_id)
    assert province is not None
    assert province.valid_from == date(2025, 7, 1)
    kept = client.get(f"{STATEMENTS}/{statement['id']}", headers=headers)
    assert kept.status_code == 200
    assert kept.json()["lines"] == statement["lines"]
    assert kept.json()["status"] == "approved"
    early = client.post(RULES, json={**RULE, "effective_from": "2025-06-01"}, headers=headers)
    assert early.status_code == 422
    assert early.json()["code"] == "allowance_rule_before_province"
    rule = client.post(
        RULES,
        json={**RULE, "effective_from": "2025-07-01", "per_team_month": 300000},
        headers=headers,
    )
    assert rule.status_code == 201, rule.text
    commune = next(
        unit
        for unit in session.exec(select(Unit).where(col(Unit.valid_from) == date(2025, 7, 1)))
        if unit.level is UnitLevel.COMMUNE and unit.path.startswith(province.path)
    )
    before = client.post(
        STATEMENTS, json={"unit_id": str(commune.id), "month": "2025-06"}, headers=headers
    )
    assert before.status_code == 422
    assert before.json()["code"] == "allowance_unit_not_valid"
    july = client.post(
        STATEMENTS, json={"unit_id": str(commune.id), "month": "2025-07"}, headers=headers
    )
    assert july.status_code == 201, july.text
    assert [r["resolution_number"] for r in july.json()["rules"]] == ["15/2023/NQ-HĐND"]
    assert july.json()["rules"][0]["effective_from"] == "2025-07-01"


def test_a_retried_preparation_replays_and_a_stale_rule_edit_is_refused(
    client: TestClient, world: World
) -> None:
    rule = make_rule(client, world)
    headers = {**world.headers["commune"], "Idempotency-Key": str(uuid.uuid4())}
    body = {"unit_id": str(world.tree.dak_pek.id), "month": "2024-10"}
    first = client.post(STATEMENTS, json=body, headers=headers)
    again = client.post(STATEMENTS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    edited = client.patch(
        f"{RULES}/{rule['id']}",
        json={"per_person_day": 120000},
        headers={**world.headers["province"], "If-Match": f'"{rule["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == f'"{rule["version"] + 1}"'
    stale = client.patch(
        f"{RULES}/{rule['id']}",
        json={"per_person_day": 110000},
        headers={**world.headers["province"], "If-Match": f'"{rule["version"]}"'},
    )
    assert stale.status_code == 412
    events = client.get(
        "/api/v1/audit-events",
        params={"entity": "allowance_rule", "entity_id": rule["id"]},
        headers=world.headers["province"],
    ).json()["items"]
    changed = [e for e in events if e["action"] == "update"]
    assert changed[0]["changes"]["per_person_day"] == {"before": 150000, "after": 120000}


def test_a_month_outside_the_calendar_is_invalid_input(client: TestClient, world: World) -> None:
    for month in ("0000-10", "0999-01", "10000-01"):
        made = client.post(
            STATEMENTS,
            json={"unit_id": str(world.tree.dak_pek.id), "month": month},
            headers=world.headers["commune"],
        )
        assert made.status_code == 422, (month, made.text)
        listed = client.get(STATEMENTS, params={"month": month}, headers=world.headers["commune"])
        assert listed.status_code == 422, (month, listed.text)
    far = client.post(
        RULES,
        json={**RULE, "effective_from": "9999-12-31", "resolution_date": "0001-01-01"},
        headers=world.headers["province"],
    )
    assert far.status_code == 201, far.text
    early = client.post(
        RULES, json={**RULE, "effective_from": "0001-01-01"}, headers=world.headers["province"]
    )
    assert early.status_code == 201, early.text
    assert client.get(RULES, headers=world.headers["commune"]).status_code == 200


def test_a_rule_and_a_statement_s_approval_are_events_read_below_the_province(
    client: TestClient, world: World
) -> None:
    """The finance office's systems learn of a new rule and an approved month from the
    change feed: a commune officer reads the province's rule and its own statement."""
    rule = make_rule(client, world)
    statement = prepare(client, world)
    assert approve(client, world, statement).status_code == 200
    answer = client.get(
        "/api/v1/events",
        params={"types": "allowance_rule.*,allowance_statement.*"},
        headers=world.headers["commune"],
    )
    assert answer.status_code == 200, answer.text
    seen = [(e["type"], e["data"]["id"]) for e in answer.json()["items"]]
    assert seen == [
        ("allowance_rule.created", rule["id"]),
        ("allowance_statement.created", statement["id"]),
        ("allowance_statement.approved", statement["id"]),
    ]
