"""Team rules: a team serves a commune or village in the caller's scope; a team with
history is dissolved, not deleted; every change is conditional on the version read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, Select
from sqlmodel import Session

from cnscd_api.core import audit, scope
from cnscd_api.core.concurrency import ExpectedVersion, delete_versioned, update_versioned
from cnscd_api.core.errors import Conflict, NotFound, Unprocessable
from cnscd_api.core.labels import TEAM_STATUS_VI
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Principal
from cnscd_api.core.text import collation_key, fold
from cnscd_api.db import Database
from cnscd_api.models import AuditAction, AuditEntity, Team, Unit, UnitLevel
from cnscd_api.stats import aggregates
from cnscd_api.teams import repository
from cnscd_api.teams.schemas import TeamCreate, TeamFilters, TeamRead, TeamSort, TeamUpdate
from cnscd_api.units import service as unit_service

TEAM_UNIT_LEVELS = frozenset({UnitLevel.COMMUNE, UnitLevel.VILLAGE})
NULLABLE_FIELDS = frozenset({"note", "decision_number", "decision_date"})


def get_team(session: Session, actor: Principal, team_id: uuid.UUID) -> Team:
    """A team the caller reaches (a team leader: their own), else 404."""
    return scope.get_or_404(session, actor, Team, team_id)


def get_team_with_unit(
    session: Session, actor: Principal, team_id: uuid.UUID, *, unit_lock: scope.Lock | None = None
) -> tuple[Team, Unit]:
    """``get_team`` and the unit the team serves (taking ``unit_lock`` on it), in one
    query."""
    found = repository.team_with_unit(session, actor, team_id, unit_lock)
    if found is None:
        raise NotFound(resource="team")
    return found


def teams_by_id(
    session: Session, actor: Principal, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Team]:
    """The teams among ``team_ids`` that the caller reaches; the others are left out."""
    return repository.teams_by_id(session, actor, team_ids)


def _served_unit(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = unit_service.get_unit_for_write(session, actor, unit_id)
    if unit.level not in TEAM_UNIT_LEVELS:
        raise Unprocessable.at("body.unit_id", "team_unit_level")
    if unit.valid_to is not None:
        raise Conflict("unit_closed", name=unit.name, date=unit.valid_to.isoformat())
    return unit


def filtered_statement(session: Session, actor: Principal, filters: TeamFilters) -> Select[Any]:
    """The scoped teams query with the filters; a unit filter naming a unit the caller
    cannot reach is a 404, like any reference outside the scope."""
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    return repository.filtered(actor, filters, unit_path=unit_path)


def list_teams(
    session: Session,
    actor: Principal,
    filters: TeamFilters,
    page: PageParams,
    sort: TeamSort | None,
) -> tuple[list[Row[Any]], int]:
    statement = filtered_statement(session, actor, filters)
    return repository.list_teams(session, statement, page, sort)


def read_team(session: Session, actor: Principal, team: Team) -> TeamRead:
    return TeamRead.model_validate(repository.read_row(session, actor, team.id)._asdict())


def create_team(session: Session, actor: Principal, data: TeamCreate) -> Team:
    unit = _served_unit(session, actor, data.unit_id)
    team = Team(
        unit_id=unit.id,
        name=data.name,
        search_name=fold(data.name),
        name_key=collation_key(data.name),
        decision_number=data.decision_number,
        decision_date=data.decision_date,
        status=data.status,
        note=data.note,
    )
    repository.add(session, team)
    audit.created(session, actor, team, unit.path)
    return team


def update_team(
    session: Session, actor: Principal, team: Team, data: TeamUpdate, expected: ExpectedVersion
) -> Team:
    expected.check(team.version)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name in NULLABLE_FIELDS
    }
    unit = _served_unit(session, actor, changes.get("unit_id", team.unit_id))
    if "name" in changes:
        changes["search_name"] = fold(changes["name"])
    before = audit.snapshot(team)
    update_versioned(session, team, changes)
    audit.updated(session, actor, team, before, unit.path)
    if before["unit_id"] != team.unit_id:
        move_leaders(session, actor, [team.id], before["unit_id"], unit)
        old_path = unit_service.unit_path(session, before["unit_id"])
        aggregates.team_moved(session, team.id, old_path, unit.path)
    return team


def move_leaders(
    session: Session,
    actor: Principal | None,
    team_ids: list[uuid.UUID],
    old_unit_id: uuid.UUID,
    new_unit: Unit,
    *,
    actor_name: str | None = None,
) -> list[tuple[uuid.UUID, str]]:
    """The teams' leaders are scoped to the unit the teams serve: they move with them,
    audited; their ids and usernames."""
    moved = repository.move_team_leaders(session, team_ids, new_unit.id)
    for leader_id, _ in moved:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity=AuditEntity.USER,
            entity_id=leader_id,
            unit_path=new_unit.path,
            before={"scope_unit_id": old_unit_id},
            after={"scope_unit_id": new_unit.id},
            actor_name=actor_name,
        )
    return moved


def delete_team(session: Session, actor: Principal, team: Team, expected: ExpectedVersion) -> None:
    expected.check(team.version)
    history = repository.history_of(session, team.id)
    if history:
        # Reports keep pointing at their team (and members at their periods in it): a
        # team with a past is dissolved, which keeps it, instead of deleted.
        raise Conflict(
            "team_has_history",
            members=history.members,
            reports=history.reports,
            accounts=history.accounts,
        )
    unit_path = unit_service.unit_path(session, team.unit_id)
    before, team_id = audit.snapshot(team), team.id
    delete_versioned(session, team)
    audit.deleted(session, actor, Team, team_id, before, unit_path)


EXPORT_HEADERS = (
    "Mã tổ",
    "Tên tổ",
    "Đơn vị phục vụ",
    "Tỉnh",
    "Huyện",
    "Xã",
    "Thôn",
    "Số quyết định thành lập",
    "Ngày quyết định",
    "Trạng thái",
    "Số thành viên",
    "Tổ trưởng",
    "Ghi chú",
)


def export_rows(database: Database, statement: Select[Any]) -> Iterator[list[Any]]:
    """Rows for the teams export, read in batches on a session of their own (the
    response streams after the request's session is closed)."""
    with database.session() as session:
        for row in repository.stream_teams(session, statement):
            names = [*row.unit_path_names, "", "", "", ""]
            yield [
                str(row.id),
                row.name,
                row.unit_name,
                names[0],
                names[1],
                names[2],
                names[3],
                row.decision_number,
                row.decision_date.isoformat() if row.decision_date else None,
                TEAM_STATUS_VI[row.status],
                row.member_count,
                row.leader_name,
                row.note,
            ]
