"""Allowance rules and monthly statements.

- A province admin sets its province's rules; a rule is in force from its first day
  until the next one starts. Past months never change: a rule whose days reach a month
  with an approved statement is refused (409 ``allowance_rule_in_use``), and so is a new
  rule starting in or before such a month.
- A district or commune officer prepares the statement of its unit (or a commune below
  it) for a month; the tier above approves it. Approval recomputes the figures under
  lock and refuses when the approved reports changed since they were prepared (409
  ``allowance_statement_stale``); the approved month closes its reports
  (``allowances.closure``) until the statement is reopened, which is audited with its
  reason.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from cnscd_api.allowances import compute, repository
from cnscd_api.allowances.closure import first_of_month
from cnscd_api.allowances.schemas import (
    RuleBasis,
    RuleCreate,
    RuleRead,
    RuleUpdate,
    StatementCreate,
    StatementFilters,
    StatementRead,
    StatementSort,
    StatementSummary,
)
from cnscd_api.core import audit, clock, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, NotFound, Unprocessable
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal, PrincipalKind
from cnscd_api.models import (
    AllowanceRule,
    AllowanceStatement,
    AuditAction,
    StatementStatus,
    TeamStatus,
    Unit,
    UnitLevel,
    utcnow,
)
from cnscd_api.units import service as unit_service

# --- rules ------------------------------------------------------------------------------------


def get_rule(session: Session, actor: Principal, rule_id: uuid.UUID) -> AllowanceRule:
    return scope.get_or_404(session, actor, AllowanceRule, rule_id)


def get_rule_for_write(session: Session, actor: Principal, rule_id: uuid.UUID) -> AllowanceRule:
    """A rule the caller reads, locked (officers below its province read it and are then
    told 403 by the permission; the write itself goes through the province, in the
    caller's own subtree)."""
    return scope.get_or_404(session, actor, AllowanceRule, rule_id, lock=scope.Lock.UPDATE)


def _effective_to(rules: list[AllowanceRule], rule: AllowanceRule) -> date | None:
    later = [r.effective_from for r in rules if r.effective_from > rule.effective_from]
    return min(later) - timedelta(days=1) if later else None


def read_rule(session: Session, rule: AllowanceRule) -> RuleRead:
    rules = repository.rules_of(session, rule.province_id)
    return _rule_read(rule, _effective_to(rules, rule))


def _rule_read(rule: AllowanceRule, effective_to: date | None) -> RuleRead:
    return RuleRead.model_validate(
        {**rule.model_dump(), "effective_to": effective_to}, from_attributes=False
    )


def list_rules(session: Session, actor: Principal) -> list[RuleRead]:
    rules = repository.list_rules(session, actor)
    by_province: dict[uuid.UUID, list[AllowanceRule]] = {}
    for rule in rules:
        by_province.setdefault(rule.province_id, []).append(rule)
    return [_rule_read(r, _effective_to(by_province[r.province_id], r)) for r in rules]


def _refuse_closed_months(
    session: Session, province: Unit, first_day: date, last_day: date | None
) -> None:
    """409 when an approved statement of the province has a month from ``first_day``'s
    to ``last_day``'s (open-ended without it)."""
    last_month = first_of_month(last_day) if last_day is not None else None
    found = repository.approved_in(session, province.path, first_of_month(first_day), last_month)
    if found is not None:
        raise Conflict(
            "allowance_rule_in_use", statement_id=str(found.id), month=found.month.strftime("%Y-%m")
        )


def _check_amounts(values: dict[str, Any], province: Unit) -> None:
    if all(values.get(k) is None for k in ("per_team_month", "per_member_month", "per_person_day")):
        raise Unprocessable.at("body", "allowance_rule_empty")
    if province.valid_from is not None and values["effective_from"] < province.valid_from:
        raise Unprocessable.at(
            "body.effective_from",
            "allowance_rule_before_province",
            valid_from=province.valid_from.isoformat(),
        )


def create_rule(session: Session, actor: Principal, data: RuleCreate) -> AllowanceRule:
    """A rule of the caller's province."""
    assert actor.scope_unit_id is not None
    province = unit_service.get_unit_for_write(
        session, actor, actor.scope_unit_id, lock=scope.Lock.UPDATE
    )
    values = data.model_dump()
    _check_amounts(values, province)
    rules = repository.rules_of(session, province.id)
    if any(r.effective_from == data.effective_from for r in rules):
        raise Conflict("allowance_rule_exists")
    _refuse_closed_months(session, province, data.effective_from, None)
    rule = AllowanceRule(province_id=province.id, **values)
    session.add(rule)
    session.flush()
    audit.created(session, actor, rule, province.path)
    return rule


def update_rule(
    session: Session,
    actor: Principal,
    rule: AllowanceRule,
    data: RuleUpdate,
    expected: ExpectedVersion,
) -> AllowanceRule:
    expected.check(rule.version)
    province = unit_service.get_unit_for_write(
        session, actor, rule.province_id, lock=scope.Lock.UPDATE
    )
    # A null amount or note clears it; a null elsewhere leaves the field as it is.
    nullable = {"per_team_month", "per_member_month", "per_person_day", "note"}
    requested = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in nullable
    }
    merged = {**audit.snapshot(rule), **requested}
    _check_amounts(merged, province)
    rules = [r for r in repository.rules_of(session, province.id) if r.id != rule.id]
    if any(r.effective_from == merged["effective_from"] for r in rules):
        raise Conflict("allowance_rule_exists")
    # The days of the rule before and after the change: neither may reach a closed month.
    for start in {rule.effective_from, merged["effective_from"]}:
        later = [r.effective_from for r in rules if r.effective_from > start]
        end = min(later) - timedelta(days=1) if later else None
        _refuse_closed_months(session, province, start, end)
    before = audit.snapshot(rule)
    update_versioned(session, rule, requested)
    audit.updated(session, actor, rule, before, province.path)
    return rule


# --- statements: computing ----------------------------------------------------------------------


def parse_month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _reference_day(unit: Unit, month: date) -> date:
    last = compute.last_day(month)
    return min(last, unit.valid_to) if unit.valid_to is not None else last


def figures(
    session: Session, unit: Unit, month: date, statement_id: uuid.UUID | None
) -> tuple[list[dict[str, Any]], int, list[uuid.UUID]]:
    """The lines and total of ``unit``'s ``month`` from the approved reports, and the
    teams whose monthly amounts they pay."""
    first, last = month, compute.last_day(month)
    province_id = scope.ancestor_ids(unit.path)[0]
    rules = [
        compute.Rule(
            id=r.id,
            effective_from=r.effective_from,
            per_team_month=r.per_team_month,
            team_must_report=r.team_must_report,
            per_member_month=r.per_member_month,
            per_person_day=r.per_person_day,
        )
        for r in repository.rules_of(session, province_id)
    ]
    reports = [
        compute.Report(team_id=team_id, day=day, member_ids=tuple(members))
        for _, team_id, day, members in repository.approved_reports(session, unit.path, first, last)
    ]
    home = {row.id: row for row in repository.home_teams(session, unit.path)}
    visiting = {r.team_id for r in reports} - set(home)
    teams = [
        compute.TeamBasis(
            id=row.id,
            name=row.name,
            home=True,
            active=row.status is TeamStatus.ACTIVE
            and (row.decision_date is None or row.decision_date <= last),
        )
        for row in sorted(home.values(), key=lambda row: (row.name_key, str(row.id)))
    ]
    teams += [
        compute.TeamBasis(id=row.id, name=row.name, home=False, active=False)
        for row in sorted(
            repository.teams_named(session, visiting), key=lambda row: (row.name_key, str(row.id))
        )
    ]
    team_ids = [team.id for team in teams]
    in_month = repository.members_in_month(session, team_ids, first, last)
    named = set().union(*in_month.values()) if in_month else set()
    named |= {m for r in reports for m in r.member_ids}
    lines, total = compute.compute(
        month=month,
        reference_day=_reference_day(unit, month),
        rules=rules,
        teams=teams,
        reports=reports,
        members_in_month=in_month,
        member_names=repository.member_names(session, named),
        paid_elsewhere=repository.paid_elsewhere(session, team_ids, month, statement_id),
    )
    paid = [uuid.UUID(line["team_id"]) for line in lines if line["monthly_paid"]]
    return lines, total, paid


# --- statements: reading -----------------------------------------------------------------------


def get_statement(
    session: Session, actor: Principal, statement_id: uuid.UUID
) -> AllowanceStatement:
    return scope.get_or_404(session, actor, AllowanceStatement, statement_id)


def get_statement_for_write(
    session: Session, actor: Principal, statement_id: uuid.UUID
) -> AllowanceStatement:
    return scope.get_or_404(session, actor, AllowanceStatement, statement_id, write=True)


def list_statements(
    session: Session,
    actor: Principal,
    filters: StatementFilters,
    page: PageParams,
    sort: StatementSort | None,
) -> tuple[list[Any], int]:
    unit_path = (
        unit_service.get_unit(session, actor, filters.unit_id).path
        if filters.unit_id is not None
        else None
    )
    statement = repository.statement_columns(actor, filters, unit_path)
    month = parse_month(filters.month) if filters.month is not None else None
    rows, total = repository.list_statements(session, statement, month, page, sort)
    return [_summary(row._mapping) for row in rows], total


def _summary(values: Any) -> dict[str, Any]:
    return {**dict(values), "month": values["month"].strftime("%Y-%m")}


def read_statement(session: Session, statement: AllowanceStatement) -> StatementRead:
    unit = repository.unit_of(session, statement)
    rules = repository.rules_of(session, scope.ancestor_ids(unit.path)[0])
    first, last = statement.month, compute.last_day(statement.month)
    used = [
        r
        for r in rules
        if r.effective_from <= last and ((to := _effective_to(rules, r)) is None or to >= first)
    ]
    values = {
        **_summary(statement.model_dump()),
        "unit_name": unit.name,
        "unit_path_names": unit.path_names,
        "rules": [RuleBasis.model_validate(r, from_attributes=True) for r in used],
        "lines": statement.lines,
    }
    return StatementRead.model_validate(values)


# --- statements: writing -----------------------------------------------------------------------


def _check_unit_month(unit: Unit, month: date, session: Session) -> None:
    if unit.level not in (UnitLevel.DISTRICT, UnitLevel.COMMUNE):
        raise Unprocessable.at("body.unit_id", "allowance_unit_level")
    if month > clock.today():
        raise Unprocessable.at("body.month", "allowance_month_in_future")
    last = compute.last_day(month)
    if (unit.valid_from is not None and unit.valid_from > last) or (
        unit.valid_to is not None and unit.valid_to < month
    ):
        raise Unprocessable.at("body.month", "allowance_unit_not_valid")
    rules = repository.rules_of(session, scope.ancestor_ids(unit.path)[0])
    if not any(r.effective_from <= _reference_day(unit, month) for r in rules):
        raise Unprocessable.at("body.month", "allowance_no_rule")


def prepare(session: Session, actor: Principal, data: StatementCreate) -> AllowanceStatement:
    unit = unit_service.get_unit_for_write(session, actor, data.unit_id)
    month = parse_month(data.month)
    _check_unit_month(unit, month, session)
    existing = repository.overlapping(session, unit, month)
    if existing is not None and existing.unit_id == unit.id:
        raise Conflict("allowance_statement_exists", statement_id=str(existing.id))
    if existing is not None:
        raise Conflict("allowance_statement_overlaps", statement_id=str(existing.id))
    lines, total, _ = figures(session, unit, month, None)
    statement = AllowanceStatement(
        unit_id=unit.id,
        month=month,
        status=StatementStatus.PREPARED,
        total_amount=total,
        lines=lines,
        prepared_by_user_id=actor.id if actor.kind is PrincipalKind.USER else None,
        prepared_by_name=actor.name,
        prepared_role=actor.role,
        prepared_at=utcnow(),
    )
    session.add(statement)
    session.flush()
    audit.created(session, actor, statement, unit.path)
    return statement


def refresh(
    session: Session, actor: Principal, statement: AllowanceStatement, expected: ExpectedVersion
) -> AllowanceStatement:
    """Compute a prepared statement again from today's approved reports."""
    expected.check(statement.version)
    if statement.status is StatementStatus.APPROVED:
        raise Conflict("allowance_statement_approved")
    unit = repository.unit_of(session, statement)
    lines, total, _ = figures(session, unit, statement.month, statement.id)
    before = audit.snapshot(statement)
    update_versioned(
        session,
        statement,
        {
            "lines": lines,
            "total_amount": total,
            "prepared_by_user_id": actor.id if actor.kind is PrincipalKind.USER else None,
            "prepared_by_name": actor.name,
            "prepared_role": actor.role,
            "prepared_at": utcnow(),
        },
    )
    audit.updated(session, actor, statement, before, unit.path)
    return statement


def _may_review(session: Session, actor: Principal, statement: AllowanceStatement) -> Unit:
    """The tier above the statement's unit, and not its preparer."""
    unit = repository.unit_of(session, statement)
    if actor.kind is PrincipalKind.USER and statement.prepared_by_user_id == actor.id:
        raise audit.denied(session, actor, Permission.ALLOWANCE_STATEMENTS_APPROVE, "own_statement")
    if not scope.path_in_subtree_text(unit.path, actor.scope_path) or unit.path == actor.scope_path:
        raise audit.denied(
            session, actor, Permission.ALLOWANCE_STATEMENTS_APPROVE, "statement_review_tier"
        )
    return unit


def approve(
    session: Session, actor: Principal, statement: AllowanceStatement, expected: ExpectedVersion
) -> AllowanceStatement:
    """Close the month: the figures recomputed now must be those prepared."""
    unit = _may_review(session, actor, statement)
    # The month's reports first, then the statement: a report's change holds its row and
    # then reads the statement, so this order cannot deadlock with it.
    repository.lock_reports(session, unit.path, statement.month, compute.last_day(statement.month))
    locked = repository.lock_statement(session, actor, statement.id)
    if locked is None:
        raise NotFound(resource="allowance_statement")
    statement = locked
    expected.check(statement.version)
    if statement.status is StatementStatus.APPROVED:
        raise Conflict("allowance_statement_approved")
    lines, total, paid = figures(session, unit, statement.month, statement.id)
    if lines != statement.lines or total != statement.total_amount:
        raise Conflict("allowance_statement_stale")
    before = audit.snapshot(statement)
    update_versioned(
        session,
        statement,
        {
            "status": StatementStatus.APPROVED,
            "approved_by_user_id": actor.id if actor.kind is PrincipalKind.USER else None,
            "approved_by_name": actor.name,
            "approved_at": utcnow(),
            "reopen_reason": None,
        },
    )
    repository.mark_paid(session, statement.id, statement.month, paid)
    audit.updated(session, actor, statement, before, unit.path, action=AuditAction.APPROVE)
    return statement


def reopen(
    session: Session,
    actor: Principal,
    statement: AllowanceStatement,
    reason: str,
    expected: ExpectedVersion,
) -> AllowanceStatement:
    """Back to prepared, with the reason (audited): the month's reports open again."""
    unit = _may_review(session, actor, statement)
    locked = repository.lock_statement(session, actor, statement.id)
    if locked is None:
        raise NotFound(resource="allowance_statement")
    statement = locked
    expected.check(statement.version)
    if statement.status is not StatementStatus.APPROVED:
        raise Conflict("allowance_statement_not_approved")
    before = audit.snapshot(statement)
    update_versioned(
        session,
        statement,
        {
            "status": StatementStatus.PREPARED,
            "approved_by_user_id": None,
            "approved_by_name": None,
            "approved_at": None,
            "reopen_reason": reason,
        },
    )
    repository.unmark_paid(session, statement.id)
    audit.updated(session, actor, statement, before, unit.path, action=AuditAction.REOPEN)
    return statement


__all__ = ["StatementSummary"]
