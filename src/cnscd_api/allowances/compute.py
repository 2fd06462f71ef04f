"""The arithmetic of a statement, apart from the database: what each team and member of
a unit is owed for a month under the rules of its province (whole VND, integers only).

- The monthly amounts (per team, per member) follow the rule in force on the month's
  last day the unit existed; a team earns them when it is active and established by the
  month's end (and, if the rule says so, reported that month), each member of it with a
  membership during the month earns the member amount. A team's monthly amounts are
  paid by one approved statement a month (``paid_elsewhere``).
- The daily amount follows the rule in force on each day: every member named in an
  approved report of the team, at a place of the unit, earns it once per day.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    effective_from: date
    per_team_month: int | None
    team_must_report: bool
    per_member_month: int | None
    per_person_day: int | None


@dataclass(frozen=True)
class TeamBasis:
    id: uuid.UUID
    name: str
    home: bool  # the team's unit lies in the statement's unit
    active: bool  # active, and established by the month's end


@dataclass(frozen=True)
class Report:
    team_id: uuid.UUID
    day: date
    member_ids: tuple[uuid.UUID, ...]


def last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def rule_on(rules: list[Rule], day: date) -> Rule | None:
    """The rule in force on ``day``: the latest to start on or before it."""
    found = None
    for rule in sorted(rules, key=lambda r: r.effective_from):
        if rule.effective_from <= day:
            found = rule
    return found


def compute(
    *,
    month: date,
    reference_day: date,
    rules: list[Rule],
    teams: list[TeamBasis],
    reports: list[Report],
    members_in_month: dict[uuid.UUID, set[uuid.UUID]],
    member_names: dict[uuid.UUID, str],
    paid_elsewhere: set[uuid.UUID],
) -> tuple[list[dict[str, Any]], int]:
    """The statement's lines (one per team, sorted as ``teams``) and its total."""
    monthly = rule_on(rules, reference_day)
    days: dict[uuid.UUID, dict[uuid.UUID, set[date]]] = defaultdict(lambda: defaultdict(set))
    reported: set[uuid.UUID] = set()
    for report in reports:
        reported.add(report.team_id)
        for member_id in report.member_ids:
            days[report.team_id][member_id].add(report.day)
    lines: list[dict[str, Any]] = []
    total = 0
    for team in teams:
        earns_monthly = (
            monthly is not None
            and team.home
            and team.active
            and team.id not in paid_elsewhere
            and (not monthly.team_must_report or team.id in reported)
        )
        team_amount = (monthly.per_team_month or 0) if earns_monthly and monthly else 0
        paid_members = members_in_month.get(team.id, set()) if earns_monthly else set()
        member_month = (monthly.per_member_month or 0) if monthly else 0
        member_lines: list[dict[str, Any]] = []
        for member_id in sorted(paid_members | set(days[team.id]), key=str):
            worked = sorted(days[team.id].get(member_id, set()))
            day_amount = sum(
                (r.per_person_day or 0) if (r := rule_on(rules, d)) else 0 for d in worked
            )
            month_amount = member_month if member_id in paid_members else 0
            member_lines.append(
                {
                    "member_id": str(member_id),
                    "member_name": member_names.get(member_id),
                    "member_in_month": member_id in paid_members,
                    "person_days": len(worked),
                    "month_amount": month_amount,
                    "day_amount": day_amount,
                    "amount": month_amount + day_amount,
                }
            )
        amount = team_amount + sum(int(line["amount"]) for line in member_lines)
        total += amount
        lines.append(
            {
                "team_id": str(team.id),
                "team_name": team.name,
                "active": team.active,
                "reported": team.id in reported,
                "monthly_paid": bool(earns_monthly),
                "members": len(members_in_month.get(team.id, set())),
                "person_days": sum(int(line["person_days"]) for line in member_lines),
                "team_amount": team_amount,
                "amount": amount,
                "member_lines": member_lines,
            }
        )
    return lines, total
