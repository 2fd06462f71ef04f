"""Queries of the workload: reports and teams start from ``core.scope``; their members,
values and units are read by the ids those scoped reads gave."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped_columns, unscoped
from cnscd_api.models import (
    Activity,
    ActivityMember,
    ActivityValue,
    Indicator,
    Member,
    Team,
    TeamStatus,
    Unit,
)

CHUNK = 500


def reports(
    session: Session, actor: Principal, path: str, campaign_id: uuid.UUID
) -> list[Row[Any]]:
    statement = scoped_columns(
        actor,
        Activity,
        col(Activity.id),
        col(Activity.team_id),
        col(Activity.activity_date),
        col(Activity.created_at),
        col(Activity.status),
        col(Unit.path).label("place_path"),
    ).where(path_in_subtree(Unit.path, path), col(Activity.campaign_id) == campaign_id)
    return list(session.execute(statement).all())


def active_teams(session: Session, actor: Principal, path: str) -> list[Row[Any]]:
    statement = scoped_columns(
        actor, Team, col(Team.id), col(Team.name), col(Team.name_key), col(Unit.path)
    ).where(path_in_subtree(Unit.path, path), col(Team.status) == TeamStatus.ACTIVE)
    return list(session.execute(statement).all())


def _chunks(ids: list[uuid.UUID]) -> list[list[uuid.UUID]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


@unscoped("the members of reports already reached through a scoped read")
def members_of(
    session: Session, activity_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    found: list[tuple[uuid.UUID, uuid.UUID]] = []
    for chunk in _chunks(activity_ids):
        statement = select_columns(
            col(ActivityMember.activity_id), col(ActivityMember.member_id)
        ).where(col(ActivityMember.activity_id).in_(chunk))
        found += [(row[0], row[1]) for row in session.execute(statement).all()]
    return found


@unscoped("the values of reports already reached through a scoped read")
def people_guided(session: Session, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    found: dict[uuid.UUID, int] = {}
    for chunk in _chunks(activity_ids):
        statement = (
            select_columns(col(ActivityValue.activity_id), col(ActivityValue.value))
            .join(Indicator, col(Indicator.id) == col(ActivityValue.indicator_id))
            .where(
                col(ActivityValue.activity_id).in_(chunk), col(Indicator.code) == "people_guided"
            )
        )
        found.update({row[0]: int(row[1]) for row in session.execute(statement).all()})
    return found


@unscoped("members named by reports already reached through a scoped read")
def members(session: Session, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    found: dict[uuid.UUID, Row[Any]] = {}
    for chunk in _chunks(member_ids):
        statement = select_columns(
            col(Member.id),
            col(Member.full_name),
            col(Member.affiliation),
            col(Member.organisation),
        ).where(col(Member.id).in_(chunk))
        found.update({row.id: row for row in session.execute(statement).all()})
    return found


@unscoped("teams of reports already reached through a scoped read")
def team_names(session: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    found: dict[uuid.UUID, Row[Any]] = {}
    for chunk in _chunks(team_ids):
        statement = select_columns(col(Team.id), col(Team.name), col(Team.name_key)).where(
            col(Team.id).in_(chunk)
        )
        found.update({row.id: row for row in session.execute(statement).all()})
    return found


@unscoped("units on the paths of reports already reached through a scoped read")
def unit_names(session: Session, unit_ids: list[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    if not unit_ids:
        return {}
    statement = select_columns(col(Unit.id), col(Unit.name), col(Unit.name_key)).where(
        col(Unit.id).in_(unit_ids)
    )
    return {row.id: row for row in session.execute(statement).all()}
