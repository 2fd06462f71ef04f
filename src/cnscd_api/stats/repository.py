"""Queries of ``/stats``.

Activity figures come from the aggregate tables only (``models/stats.py``), filtered in
their primary-key order (unit, campaign, indicator, day, status); no request groups raw
activity rows. Teams and members come from ``StatRegistry`` (a team leader's, from
their own team through the scoped statements of ``core.scope``), and so does coverage,
except while a unit of the subtree has a date still ahead (``dates_ahead``): then it is
counted for today, one grouped query over indexed columns each.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select

from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import among_ids, path_in_subtree, scoped_columns, unscoped
from cnscd_api.models import (
    ActivityStatus,
    Campaign,
    Indicator,
    Member,
    Team,
    TeamStatus,
    Unit,
    UnitLevel,
)
from cnscd_api.models.stats import NONE
from cnscd_api.stats.aggregates import (
    REGISTRY,
    REPORTING,
    TEAM_DAY,
    TEAM_TOTAL,
    UNIT_CAMPAIGN,
    UNIT_DAY,
    UNIT_DAY_HISTORY,
)
from cnscd_api.stats.placement import SEGMENT
from cnscd_api.units.repository import parent_on, valid_on_clause

COUNTED = (ActivityStatus.APPROVED, ActivityStatus.SUBMITTED)


def children(
    session: Session, actor: Principal, parent_id: uuid.UUID | None, on: date, today: date
) -> list[Any]:
    """(id, name, path) of the units directly under ``parent_id`` (the provinces under
    the whole country) on the map of ``on``, in the caller's reach."""
    parent_then = parent_on(on, today)
    parent = parent_then.is_(None) if parent_id is None else parent_then == parent_id
    statement = (
        scoped_columns(actor, Unit, Unit.id, Unit.name, Unit.path)
        .where(parent, valid_on_clause(on))
        .order_by(col(Unit.code).asc().nulls_last(), col(Unit.name))
    )
    return list(session.execute(statement).all())


# --- the registry ---------------------------------------------------------------------


def registry_counts(session: Session, unit_key: uuid.UUID) -> dict[str, int]:
    """The registry's aggregates of one unit (``StatRegistry``): item → count."""
    statement = sa.select(REGISTRY.c.item, REGISTRY.c.count).where(
        REGISTRY.c.unit_key == unit_key, REGISTRY.c.count != 0
    )
    return {item: int(count) for item, count in session.execute(statement).all()}


def team_counts(session: Session, actor: Principal, path: str) -> dict[TeamStatus, int]:
    statement = (
        scoped_columns(actor, Team, Team.status, func.count())
        .where(path_in_subtree(Unit.path, path))
        .group_by(col(Team.status))
    )
    return {status: int(count) for status, count in session.execute(statement).all()}


def member_counts(session: Session, actor: Principal, path: str) -> list[Any]:
    """(affiliation, gender, skill level, role, count) of current members."""
    keys = (Member.affiliation, Member.gender, Member.skill_level, Member.role)
    statement = (
        scoped_columns(actor, Member, *keys, func.count())
        .where(path_in_subtree(Unit.path, path), col(Member.left_on).is_(None))
        .group_by(*(col(k) for k in keys))
    )
    return list(session.execute(statement).all())


def unit_counts(session: Session, actor: Principal, path: str, today: date) -> dict[UnitLevel, int]:
    """Communes and villages existing today in the subtree."""
    statement = (
        scoped_columns(actor, Unit, Unit.level, func.count())
        .where(
            path_in_subtree(Unit.path, path),
            col(Unit.level).in_([UnitLevel.COMMUNE, UnitLevel.VILLAGE]),
            valid_on_clause(today),
        )
        .group_by(col(Unit.level))
    )
    return {level: int(count) for level, count in session.execute(statement).all()}


@unscoped("whether any unit of a subtree the caller reached has a date still ahead")
def dates_ahead(session: Session, path: str, today: date) -> bool:
    """Whether a unit of the subtree begins after today or ends today or later: its
    coverage today then differs from the open units the aggregates keep (two ranges of
    the validity indexes, filtered by path)."""
    ahead = or_(col(Unit.valid_from) > today, col(Unit.valid_to) >= today)
    statement = select(sa.exists().where(path_in_subtree(Unit.path, path), ahead))
    return bool(session.execute(statement).scalar())


def served_counts(session: Session, actor: Principal, path: str, today: date) -> tuple[int, int]:
    """Communes and villages existing today that an active team serves (a village's team
    serves its commune)."""
    village = col(Unit.level) == UnitLevel.VILLAGE
    commune = sa.case((village, col(Unit.parent_id)), else_=col(Unit.id))
    statement = scoped_columns(
        actor,
        Team,
        func.count(sa.distinct(commune)),
        func.count(sa.distinct(sa.case((village, col(Unit.id))))),
    ).where(
        path_in_subtree(Unit.path, path),
        col(Team.status) == TeamStatus.ACTIVE,
        valid_on_clause(today),
    )
    communes, villages = session.execute(statement).one()
    return int(communes), int(villages)


def registry_item(session: Session, unit_keys: list[uuid.UUID], item: str) -> dict[uuid.UUID, int]:
    """One item of the registry's aggregates for several units: unit key → count."""
    statement = sa.select(REGISTRY.c.unit_key, REGISTRY.c.count).where(
        REGISTRY.c.unit_key.in_(unit_keys), REGISTRY.c.item == item
    )
    return {unit_key: int(count) for unit_key, count in session.execute(statement).all()}


def active_teams_by_child(session: Session, actor: Principal, path: str) -> list[Any]:
    """(path prefix of the child of ``path`` above the team, active teams): the teams of
    the subtree grouped by the child they lie under (the unit itself for its own)."""
    prefix = func.substr(col(Unit.path), 1, len(path) + SEGMENT)
    statement = (
        scoped_columns(actor, Team, prefix, func.count())
        .where(path_in_subtree(Unit.path, path), col(Team.status) == TeamStatus.ACTIVE)
        .group_by(prefix)
    )
    return list(session.execute(statement).all())


def silent_teams(
    session: Session, actor: Principal, path: str, campaign_id: uuid.UUID, day: date
) -> list[Any]:
    """(id, name, unit id, unit name) of the subtree's active teams that recorded nothing
    for the campaign on ``day``."""
    reported = (
        sa.select(TEAM_DAY.c.team_id)
        .where(
            TEAM_DAY.c.team_id == Team.id,
            TEAM_DAY.c.campaign_key == campaign_id,
            TEAM_DAY.c.day == day,
            TEAM_DAY.c.activities > 0,
        )
        .exists()
    )
    statement = (
        scoped_columns(actor, Team, Team.id, Team.name, Unit.id, Unit.name)
        .where(path_in_subtree(Unit.path, path), col(Team.status) == TeamStatus.ACTIVE, ~reported)
        .order_by(col(Unit.name), col(Team.name), col(Team.id))
    )
    return list(session.execute(statement).all())


# --- the catalogue and campaigns -----------------------------------------------------------


def indicators_by_id(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Indicator]:
    if not ids:
        return {}
    found = session.exec(select(Indicator).where(col(Indicator.id).in_(ids))).all()
    return {indicator.id: indicator for indicator in found}


def indicator_by_code(session: Session, code: str) -> Indicator | None:
    return session.exec(select(Indicator).where(col(Indicator.code) == code)).first()


# --- the aggregates -------------------------------------------------------------------------


@unscoped("every campaign's key, to seek a reached unit's rows by: it names no campaign")
def _campaign(table: Any, campaign_id: uuid.UUID | None) -> list[Any]:
    """No campaign asked for: every campaign key (and none) is summed, named one by one
    so that the key's index is sought per campaign rather than read whole for the unit
    (the country's time series: 57 -> 8 ms)."""
    if campaign_id is not None:
        return [table.c.campaign_key == campaign_id]
    keys = sa.select(col(Campaign.id)).union_all(sa.select(sa.literal(NONE, sa.Uuid())))
    return [among_ids(table.c.campaign_key, keys)]


def _days(table: Any, date_from: date | None, date_to: date | None) -> list[Any]:
    conditions = []
    if date_from is not None:
        conditions.append(table.c.day >= date_from)
    if date_to is not None:
        conditions.append(table.c.day <= date_to)
    return conditions


def _unit_day(historical: bool) -> Any:
    """The per-unit aggregates on today's map, or on the map of each report's day (today's
    counts and the difference kept apart, added up)."""
    if not historical:
        return UNIT_DAY
    return sa.union_all(sa.select(UNIT_DAY), sa.select(UNIT_DAY_HISTORY)).subquery("unit_day")


def keys_of(table: Any) -> list[Any]:
    """A table's key columns but ``slot`` (a reader sums a key's slots)."""
    return [column for column in table.primary_key.columns if column.name != "slot"]


def _unit_campaign(historical: bool) -> Any:
    """The per-unit aggregates summed over days (``StatUnitCampaign``), on today's map or,
    historically, with the difference of each report's day's map (its day rows: a few,
    only for reports a reorganisation moved) summed over days."""
    if not historical:
        return UNIT_CAMPAIGN
    keys = [
        UNIT_DAY_HISTORY.c.unit_key,
        UNIT_DAY_HISTORY.c.campaign_key,
        UNIT_DAY_HISTORY.c.indicator_key,
        UNIT_DAY_HISTORY.c.status,
    ]
    moved = sa.select(
        *keys,
        func.sum(UNIT_DAY_HISTORY.c.total).label("total"),
        func.sum(UNIT_DAY_HISTORY.c.activities).label("activities"),
    ).group_by(*keys)
    today = sa.select(*keys_of(UNIT_CAMPAIGN), UNIT_CAMPAIGN.c.total, UNIT_CAMPAIGN.c.activities)
    return sa.union_all(today, moved).subquery("unit_campaign")


def unit_totals(
    session: Session,
    unit_key: uuid.UUID,
    campaign_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    historical: bool,
) -> list[Any]:
    """(indicator key, status, total, activities) of one unit over the days asked for
    (all days: from the campaign-grain rows)."""
    all_days = date_from is None and date_to is None
    table = _unit_campaign(historical) if all_days else _unit_day(historical)
    statement = (
        sa.select(
            table.c.indicator_key,
            table.c.status,
            func.sum(table.c.total),
            func.sum(table.c.activities),
        )
        .where(
            table.c.unit_key == unit_key,
            *_campaign(table, campaign_id),
            *_days(table, date_from, date_to),
        )
        .group_by(table.c.indicator_key, table.c.status)
    )
    return list(session.execute(statement).all())


def campaign_totals(
    session: Session,
    unit_keys: list[uuid.UUID],
    campaign_id: uuid.UUID,
    indicator_ids: list[uuid.UUID],
    historical: bool,
) -> list[Any]:
    """(unit key, indicator key, status, total) of units in a campaign, approved and
    submitted (from the campaign-grain rows)."""
    if not unit_keys or not indicator_ids:
        return []
    table = _unit_campaign(historical)
    statement = (
        sa.select(
            table.c.unit_key,
            table.c.indicator_key,
            table.c.status,
            func.sum(table.c.total),
        )
        .where(
            table.c.unit_key.in_(unit_keys),
            table.c.campaign_key == campaign_id,
            table.c.indicator_key.in_(indicator_ids),
            table.c.status.in_(COUNTED),
        )
        .group_by(table.c.unit_key, table.c.indicator_key, table.c.status)
    )
    return list(session.execute(statement).all())


def indicator_by_day(
    session: Session,
    unit_key: uuid.UUID,
    campaign_id: uuid.UUID | None,
    indicator_id: uuid.UUID,
    date_from: date,
    date_to: date,
    historical: bool,
) -> list[Any]:
    """(day, status, total) of one indicator in one unit, approved and submitted."""
    table = _unit_day(historical)
    statement = (
        sa.select(table.c.day, table.c.status, func.sum(table.c.total))
        .where(
            table.c.unit_key == unit_key,
            *_campaign(table, campaign_id),
            table.c.indicator_key == indicator_id,
            *_days(table, date_from, date_to),
            table.c.status.in_(COUNTED),
        )
        .group_by(table.c.day, table.c.status)
    )
    return list(session.execute(statement).all())


def reporting(
    session: Session,
    unit_key: uuid.UUID,
    campaign_id: uuid.UUID,
    date_from: date,
    date_to: date,
    children: list[uuid.UUID],
    day: date,
) -> list[Any]:
    """(unit key, day, teams that reported) for a campaign: a unit's days, and its
    children's on one day, in one statement (a key's slots summed)."""
    unit_days = sa.and_(REPORTING.c.unit_key == unit_key, *_days(REPORTING, date_from, date_to))
    children_day = sa.and_(REPORTING.c.unit_key.in_(children), REPORTING.c.day == day)
    statement = (
        sa.select(REPORTING.c.unit_key, REPORTING.c.day, func.sum(REPORTING.c.teams))
        .where(
            REPORTING.c.campaign_key == campaign_id,
            or_(unit_days, children_day) if children else unit_days,
        )
        .group_by(REPORTING.c.unit_key, REPORTING.c.day)
    )
    return list(session.execute(statement).all())


def team_reporting_days(
    session: Session, team_id: uuid.UUID, campaign_id: uuid.UUID, date_from: date, date_to: date
) -> list[date]:
    """The days of a campaign on which one team reported."""
    statement = sa.select(TEAM_DAY.c.day).where(
        TEAM_DAY.c.team_id == team_id,
        TEAM_DAY.c.campaign_key == campaign_id,
        TEAM_DAY.c.activities > 0,
        *_days(TEAM_DAY, date_from, date_to),
    )
    return list(session.execute(statement).scalars())


def ranking(
    session: Session,
    actor: Principal,
    path: str,
    campaign_id: uuid.UUID | None,
    indicator_id: uuid.UUID,
    limit: int,
    *,
    small_subtree: bool = False,
) -> list[Any]:
    """(team id, team name, unit id, unit path names, approved, submitted) of the teams
    in the subtree that counted the indicator, most approved first; ties by name, id."""

    def summed(status: ActivityStatus) -> Any:
        return func.sum(sa.case((TEAM_TOTAL.c.status == status, TEAM_TOTAL.c.total), else_=0))

    # A small subtree (a commune, a village) lists its teams first and reads their
    # totals by key; a large one (a district and above: thousands of teams) reads the
    # campaign's totals first (an index range of the campaign and indicator) and keeps
    # the teams in the subtree, rather than building the list of every team it holds.
    approved, submitted = summed(ActivityStatus.APPROVED), summed(ActivityStatus.SUBMITTED)
    small = []
    if small_subtree:
        teams = scoped_columns(actor, Team, Team.id).where(path_in_subtree(Unit.path, path))
        small = [TEAM_TOTAL.c.team_id.in_(teams)]
    totals = (
        sa.select(TEAM_TOTAL.c.team_id, approved.label("approved"), submitted.label("submitted"))
        .where(
            *_campaign(TEAM_TOTAL, campaign_id),
            TEAM_TOTAL.c.indicator_key == indicator_id,
            TEAM_TOTAL.c.status.in_(COUNTED),
            *small,
        )
        .group_by(TEAM_TOTAL.c.team_id)
        .having(or_(approved != 0, submitted != 0))
        .subquery()
    )
    statement = (
        scoped_columns(
            actor,
            Team,
            Team.id,
            Team.name,
            Unit.id,
            Unit.path_names,
            totals.c.approved,
            totals.c.submitted,
        )
        .join(totals, totals.c.team_id == Team.id)
        .where(path_in_subtree(Unit.path, path))
        .order_by(totals.c.approved.desc(), col(Team.name), col(Team.id))
        .limit(limit)
    )
    return list(session.execute(statement).all())
