"""What ``cnscd units reform-2025`` prints: the counts, then what a person should review
(teams and users that went to a divided commune's default successor, users deactivated,
API clients revoked)."""

from __future__ import annotations

from collections import Counter

from cnscd_api.flows.reform2025 import ReformResult
from cnscd_api.flows.reorganise import Outcome, UnitRef
from cnscd_api.models import UnitLevel


def _unit(unit: UnitRef | None) -> str:
    if unit is None:
        return "-"
    return f"{unit.name} ({unit.code})" if unit.code else unit.name


def describe(result: ReformResult, *, dry_run: bool) -> list[str]:
    plan, outcome = result.plan, result.outcome
    head = "would apply" if dry_run else "applied"
    if outcome is None:
        return [
            f"province {plan.old_province_code}: the 2025 reform is already applied;"
            " nothing changed"
        ]
    created = Counter(unit.level for unit in outcome.created)
    closed = Counter(unit.level for unit in outcome.closed)
    province = next(
        (u for u in outcome.created + outcome.reused if u.level is UnitLevel.PROVINCE), None
    )
    villages = sum(1 for unit, _, _ in outcome.moved_units if unit.level is UnitLevel.VILLAGE)
    rehomed = Counter((item.entity, item.action) for item in outcome.rehomed)
    lines = [
        f"{head}: 2025 reform of province {plan.old_province_code}, valid from"
        f" {outcome.effective_date.isoformat()} ({plan.legal_act})",
        f"  province: {_unit(province)}"
        f" ({'created' if province in outcome.created else 'existing'})",
        f"  communes created: {created[UnitLevel.COMMUNE]}",
        f"  closed: {closed[UnitLevel.PROVINCE]} province, {closed[UnitLevel.DISTRICT]}"
        f" districts, {closed[UnitLevel.COMMUNE]} communes",
        f"  lineage rows: {len(outcome.links)}",
        f"  villages moved: {villages}",
        f"  teams re-homed: {rehomed['team', 'moved']} moved to a successor,"
        f" {outcome.teams_carried} with their village",
        f"  users: {rehomed['user', 'followed_team']} team leaders followed their team,"
        f" {rehomed['user', 'moved']} moved, {rehomed['user', 'deactivated']} deactivated"
        " pending review",
        f"  API clients: {rehomed['api_client', 'moved']} moved,"
        f" {rehomed['api_client', 'revoked']} revoked",
        "  new communes:",
    ]
    for link_group in _by_successor(outcome):
        lines.append(f"    {link_group}")
    review = [item for item in outcome.rehomed if item.review]
    lines.append(f"  to review: {len(review)}")
    for item in review:
        role = f", {item.role_before} → {item.role_after}" if item.role_before else ""
        lines.append(
            f"    {item.entity} {item.name}: {item.action}, {_unit(item.from_unit)}"
            f" → {_unit(item.to_unit)}{role}"
        )
    return lines


def _by_successor(outcome: Outcome) -> list[str]:
    groups: dict[UnitRef, list[str]] = {}
    for link in outcome.links:
        if link.successor.level is UnitLevel.COMMUNE:
            mark = "" if link.is_default else " (part)"
            groups.setdefault(link.successor, []).append(
                f"{_unit(link.predecessor)} [{link.kind.value}]{mark}"
            )
    return [
        f"{_unit(successor)} ← {', '.join(olds)}"
        for successor, olds in sorted(groups.items(), key=lambda item: item[0].code or "")
    ]
