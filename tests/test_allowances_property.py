"""A property of the allowances, on both databases: for random reports, approvals and
reopenings, rule changes, team moves, and statements prepared, approved and reopened,
every approved statement equals a recomputation written here apart from the service —
from the reports as they stand now and the rule in force on each day — and the reports
of its month are those it was approved on (closing a month freezes them)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from cnscd_api.activities import service as activity_service
from cnscd_api.activities.schemas import ActivityCreate
from cnscd_api.allowances import service as allowance_service
from cnscd_api.allowances.schemas import RuleCreate, StatementCreate
from cnscd_api.core import clock
from cnscd_api.core.concurrency import ANY_VERSION
from cnscd_api.core.errors import ProblemError
from cnscd_api.core.permissions import Principal, PrincipalKind, permissions_for
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityStatus,
    AllowanceRule,
    AllowanceStatement,
    Member,
    Role,
    StatementStatus,
    Team,
    Unit,
)
from tests.factories import Tree, make_member, make_team, make_user

TODAY = date(2024, 12, 15)
MONTHS = (date(2024, 9, 1), date(2024, 10, 1), date(2024, 11, 1))


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def principal(session: Session, role: Role, unit: Unit) -> Principal:
    user = make_user(session, role, unit)
    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        name=user.username,
        role=role,
        scope_unit_id=unit.id,
        scope_path=unit.path,
        permissions=permissions_for(role),
    )


@dataclass
class Approval:
    """What an approved statement was computed on, apart from reports and rules."""

    homes: dict[uuid.UUID, str]  # team → its unit's path then
    paid_elsewhere: set[uuid.UUID]
    reports: frozenset[tuple[Any, ...]]


@dataclass
class Game:
    session: Session
    communes: list[Unit]
    teams: list[Team]
    members: dict[uuid.UUID, list[Member]]
    district: Principal
    admin: Principal
    reports: list[uuid.UUID] = field(default_factory=list)
    approvals: dict[uuid.UUID, Approval] = field(default_factory=dict)

    def statement(self, commune: Unit, month: date) -> AllowanceStatement | None:
        return self.session.exec(
            select(AllowanceStatement).where(
                col(AllowanceStatement.unit_id) == commune.id,
                col(AllowanceStatement.month) == month,
            )
        ).first()

    def paid_elsewhere(self, statement: AllowanceStatement) -> set[uuid.UUID]:
        others = self.session.exec(
            select(AllowanceStatement).where(
                col(AllowanceStatement.month) == statement.month,
                col(AllowanceStatement.status) == StatementStatus.APPROVED,
                col(AllowanceStatement.id) != statement.id,
            )
        ).all()
        return {
            uuid.UUID(line["team_id"])
            for other in others
            for line in other.lines
            if line["monthly_paid"]
        }

    def month_reports(self, commune: Unit, month: date) -> frozenset[tuple[Any, ...]]:
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        rows = self.session.exec(
            select(Activity)
            .join(Unit, col(Unit.id) == col(Activity.unit_id))
            .where(
                col(Unit.path).startswith(commune.path),
                col(Activity.activity_date) >= month,
                col(Activity.activity_date) <= last,
            )
        ).all()
        return frozenset(
            (row.id, row.team_id, row.activity_date, row.status, row.version) for row in rows
        )


def recompute(game: Game, statement: AllowanceStatement, approval: Approval) -> dict[str, Any]:
    """The statement's figures by the rules of ``docs/decisions.md``, written apart."""
    session = game.session
    unit = session.get(Unit, statement.unit_id)
    assert unit is not None
    month = statement.month
    last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    rules = sorted(session.exec(select(AllowanceRule)).all(), key=lambda rule: rule.effective_from)

    def in_force(day: date) -> AllowanceRule | None:
        found = [rule for rule in rules if rule.effective_from <= day]
        return found[-1] if found else None

    worked: dict[uuid.UUID, dict[uuid.UUID, set[date]]] = defaultdict(lambda: defaultdict(set))
    reported: set[uuid.UUID] = set()
    for row in session.exec(
        select(Activity).where(
            col(Activity.status) == ActivityStatus.APPROVED,
            col(Activity.activity_date) >= month,
            col(Activity.activity_date) <= last,
        )
    ).all():
        place = session.get(Unit, row.unit_id)
        assert place is not None
        if not place.path.startswith(unit.path):
            continue
        reported.add(row.team_id)
        for link in session.exec(
            select(ActivityMember).where(col(ActivityMember.activity_id) == row.id)
        ).all():
            worked[row.team_id][link.member_id].add(row.activity_date)
    monthly = in_force(last)
    figures: dict[str, Any] = {}
    home = {team for team, path in approval.homes.items() if path.startswith(unit.path)}
    for team in home | reported:
        paid = (
            monthly is not None
            and team in home
            and team not in approval.paid_elsewhere
            and (not monthly.team_must_report or team in reported)
        )
        members = {m.id for m in game.members[team]} if paid else set()
        lines = {}
        for member in members | set(worked[team]):
            days = worked[team].get(member, set())
            month_amount = (monthly.per_member_month or 0) if paid and monthly else 0
            day_amount = sum(((r.per_person_day or 0) if (r := in_force(d)) else 0) for d in days)
            lines[str(member)] = (len(days), month_amount, day_amount)
        team_amount = (monthly.per_team_month or 0) if paid and monthly else 0
        amount = team_amount + sum(m + d for _, m, d in lines.values())
        figures[str(team)] = (team_amount, amount, lines)
    return figures


def stored(statement: AllowanceStatement) -> dict[str, Any]:
    return {
        line["team_id"]: (
            line["team_amount"],
            line["amount"],
            {
                m["member_id"]: (m["person_days"], m["month_amount"], m["day_amount"])
                for m in line["member_lines"]
            },
        )
        for line in statement.lines
    }


def check(game: Game) -> None:
    for statement_id, approval in game.approvals.items():
        statement = game.session.get(AllowanceStatement, statement_id)
        assert statement is not None
        if statement.status is not StatementStatus.APPROVED:
            continue
        unit = game.session.get(Unit, statement.unit_id)
        assert unit is not None
        assert game.month_reports(unit, statement.month) == approval.reports
        figures = recompute(game, statement, approval)
        assert stored(statement) == figures
        assert statement.total_amount == sum(amount for _, amount, _ in figures.values())


def play(game: Game, op: tuple[Any, ...]) -> None:
    session = game.session
    kind = op[0]
    if kind == "report":
        _, team_index, month_index, day, mask, approve = op
        team = game.teams[team_index % len(game.teams)]
        members = game.members[team.id]
        chosen = [m.id for i, m in enumerate(members) if mask >> i & 1]
        body = ActivityCreate(
            team_id=team.id,
            activity_date=MONTHS[month_index].replace(day=day),
            categories=["vneid"],
            values={"people_guided": 5},
            member_ids=chosen,
        )
        made = activity_service.record_activity(session, game.district, body)
        game.reports.append(made.id)
        if approve:
            activity = activity_service.get_activity_for_write(session, game.admin, made.id)
            activity_service.approve(session, game.admin, activity)
    elif kind in ("approve_report", "reopen_report") and game.reports:
        activity = activity_service.get_activity_for_write(
            session, game.admin, game.reports[op[1] % len(game.reports)]
        )
        if kind == "approve_report":
            activity_service.approve(session, game.admin, activity)
        else:
            activity_service.reopen(session, game.admin, activity)
    elif kind == "rule":
        _, offset, team_amount, member_amount, day_amount, must_report = op
        rule = RuleCreate(
            effective_from=date(2024, 9, 1) + timedelta(days=offset),
            resolution_number=f"{offset}/NQ-HĐND",
            resolution_date=date(2024, 8, 1),
            per_team_month=team_amount,
            team_must_report=must_report,
            per_member_month=member_amount,
            per_person_day=day_amount,
        )
        allowance_service.create_rule(session, game.admin, rule)
    elif kind == "move":
        team = game.teams[op[1] % len(game.teams)]
        team.unit_id = game.communes[op[2] % len(game.communes)].id
        session.add(team)
        session.flush()
    elif kind == "statement":
        _, commune_index, month_index, action = op
        commune = game.communes[commune_index % len(game.communes)]
        month = MONTHS[month_index]
        statement = game.statement(commune, month)
        if statement is None:
            wanted = StatementCreate(unit_id=commune.id, month=month.strftime("%Y-%m"))
            statement = allowance_service.prepare(session, game.district, wanted)
        if action == "approve":
            if statement.status is StatementStatus.PREPARED:
                allowance_service.refresh(session, game.district, statement, ANY_VERSION)
            homes = {}
            for team in game.teams:
                unit = session.get(Unit, team.unit_id)
                assert unit is not None
                homes[team.id] = unit.path
            approval = Approval(
                homes=homes,
                paid_elsewhere=game.paid_elsewhere(statement),
                reports=game.month_reports(commune, month),
            )
            allowance_service.approve(session, game.admin, statement, ANY_VERSION)
            game.approvals[statement.id] = approval
        elif action == "reopen":
            allowance_service.reopen(session, game.admin, statement, "Bổ sung", ANY_VERSION)


day_of_month = st.integers(1, 30)
OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("report"),
            st.integers(0, 5),
            st.integers(0, 2),
            day_of_month,
            st.integers(0, 7),
            st.booleans(),
        ),
        st.tuples(st.sampled_from(["approve_report", "reopen_report"]), st.integers(0, 30)),
        st.tuples(
            st.just("rule"),
            st.integers(0, 75),
            st.one_of(st.none(), st.integers(0, 900_000)),
            st.one_of(st.none(), st.integers(0, 90_000)),
            st.integers(0, 200_000),
            st.booleans(),
        ),
        st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 5)),
        st.tuples(
            st.just("statement"),
            st.integers(0, 5),
            st.integers(0, 2),
            st.sampled_from(["prepare", "approve", "approve", "approve", "reopen"]),
        ),
    ),
    min_size=4,
    max_size=25,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_every_approved_statement_is_its_recomputation_and_freezes_its_month(
    session: Session, tree: Tree, ops: list[tuple[Any, ...]]
) -> None:
    savepoint = session.begin_nested()
    try:
        communes = [tree.dak_pek, tree.dak_man]
        teams = [make_team(session, communes[i % 2], f"Tổ {i}") for i in range(3)]
        members = {
            team.id: [make_member(session, team, f"Thành viên {team.name} {n}") for n in range(3)]
            for team in teams
        }
        game = Game(
            session=session,
            communes=communes,
            teams=teams,
            members=members,
            district=principal(session, Role.DISTRICT_OFFICER, tree.dak_glei),
            admin=principal(session, Role.PROVINCE_ADMIN, tree.kon_tum),
        )
        allowance_service.create_rule(
            session,
            game.admin,
            RuleCreate(
                effective_from=date(2024, 1, 1),
                resolution_number="1/NQ-HĐND",
                resolution_date=date(2023, 12, 1),
                per_team_month=600_000,
                per_member_month=60_000,
                per_person_day=150_000,
            ),
        )
        for op in ops:
            inner = session.begin_nested()
            refused: ProblemError | None = None
            try:
                play(game, op)
                inner.commit()
            except ProblemError as problem:
                refused = problem
                inner.rollback()
            # Refusals are part of the game (a closed month refuses its reports), never
            # an error of the server.
            assert refused is None or refused.status in (403, 404, 409, 412, 422)
            session.expire_all()
            check(game)
    finally:
        savepoint.rollback()
