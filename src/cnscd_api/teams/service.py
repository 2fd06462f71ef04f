"""Team rules: a team serves a commune or village in the caller's scope; a team with
history is dissolved, not deleted; every change is conditional on the version read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from sqlmodel import Session

from cnscd_api.core import audit
from cnscd_api.core.concurrency import check_if_match, update_versioned
from cnscd_api.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from cnscd_api.core.labels import TEAM_STATUS_VI
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import ancestor_ids
from cnscd_api.core.text import fold
from cnscd_api.db import Database
from cnscd_api.models import Team, TeamStatus, Unit, UnitLevel, utcnow
from cnscd_api.teams import repository
from cnscd_api.teams.schemas import TeamCreate, TeamLeader, TeamRead, TeamSort, TeamUpdate
from cnscd_api.units import repository as unit_repository
from cnscd_api.units import service as unit_service
from cnscd_api.users import repository as user_repository

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


TEAM_UNIT_LEVELS = frozenset({UnitLevel.COMMUNE, UnitLevel.VILLAGE})
AUDITED_FIELDS = ("unit_id", "name", "decision_number", "decision_date", "status", "note")


@dataclass(frozen=True)
class TeamFilters:
    unit_id: uuid.UUID | None = None
    status: TeamStatus | None = None
    query: str | None = None


def _snapshot(team: Team) -> dict[str, Any]:
    return {name: getattr(team, name) for name in AUDITED_FIELDS}


def get_team(session: Session, actor: Principal, team_id: uuid.UUID) -> Team:
    team = repository.get_team(session, actor, team_id)
    if team is None:
        raise NotFound(resource="team")
    return team


def _served_unit(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = unit_repository.get_unit_in_subtree(session, actor, unit_id)
    if unit is None:
        raise NotFound(resource="unit")
    if unit.level not in TEAM_UNIT_LEVELS:
        raise Unprocessable("team_unit_level")
    return unit


def filtered_statement(session: Session, actor: Principal, filters: TeamFilters) -> Any:
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    return repository.filtered(
        actor, unit_path=unit_path, status=filters.status, query=filters.query
    )


def list_teams(
    session: Session,
    actor: Principal,
    filters: TeamFilters,
    page: PageParams,
    sort: TeamSort | None,
) -> tuple[list[TeamRead], int]:
    rows, total = repository.list_teams(
        session, filtered_statement(session, actor, filters), page, sort
    )
    return present(session, rows), total


def present(session: Session, rows: list[tuple[Team, int, str, str]]) -> list[TeamRead]:
    """Teams with their unit's names and leader, in two queries for the whole page."""
    leaders = repository.leaders(session, [team.id for team, *_ in rows])
    names = repository.unit_names(session, [path for *_, path in rows])
    return [
        _read(
            team,
            count,
            unit_name,
            [names.get(i, "?") for i in ancestor_ids(path)],
            leaders.get(team.id),
        )
        for team, count, unit_name, path in rows
    ]


def _read(
    team: Team,
    count: int,
    unit_name: str,
    path_names: list[str],
    leader: tuple[uuid.UUID, str] | None,
) -> TeamRead:
    return TeamRead(
        id=team.id,
        unit_id=team.unit_id,
        unit_name=unit_name,
        unit_path_names=path_names,
        name=team.name,
        decision_number=team.decision_number,
        decision_date=team.decision_date,
        status=team.status,
        note=team.note,
        member_count=count,
        leader=TeamLeader(member_id=leader[0], full_name=leader[1]) if leader else None,
        version=team.version,
        created_at=team.created_at,
        updated_at=team.updated_at,
    )


def read_team(session: Session, team: Team) -> TeamRead:
    name, path = repository.unit_name_and_path(session, team.unit_id)
    return present(session, [(team, repository.member_count(session, team.id), name, path)])[0]


def create_team(session: Session, actor: Principal, data: TeamCreate) -> Team:
    unit = _served_unit(session, actor, data.unit_id)
    team = Team(
        unit_id=unit.id,
        name=data.name,
        search_name=fold(data.name),
        decision_number=data.decision_number,
        decision_date=data.decision_date,
        status=data.status,
        note=data.note,
    )
    repository.add(session, team)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="team",
        entity_id=team.id,
        unit_path=unit.path,
        after=_snapshot(team),
    )
    return team


def update_team(
    session: Session, actor: Principal, team: Team, data: TeamUpdate, if_match: str | None
) -> Team:
    check_if_match(if_match, team.version)
    seen_version = team.version
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in {"note", "decision_number", "decision_date"}
    }
    unit = _served_unit(session, actor, changes.get("unit_id", team.unit_id))
    before = _snapshot(team)
    if "name" in changes:
        changes["search_name"] = fold(changes["name"])
    changes["updated_at"] = utcnow()
    if not update_versioned(session, team, seen_version, changes):
        raise PreconditionFailed()
    session.refresh(team)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="team",
        entity_id=team.id,
        unit_path=unit.path,
        before=before,
        after=_snapshot(team),
    )
    if before["unit_id"] != team.unit_id:
        # The team's leaders are scoped to the unit the team serves: they move with it.
        for leader_id in user_repository.move_team_leaders(session, team.id, team.unit_id):
            audit.record(
                session,
                actor=actor,
                action="update",
                entity="user",
                entity_id=leader_id,
                unit_path=unit.path,
                before={"scope_unit_id": before["unit_id"]},
                after={"scope_unit_id": team.unit_id},
            )
    return team


def delete_team(session: Session, actor: Principal, team: Team, if_match: str | None) -> None:
    check_if_match(if_match, team.version)
    if repository.has_history(session, team.id):
        raise Conflict("team_has_history")
    _, unit_path = repository.unit_name_and_path(session, team.unit_id)
    before = _snapshot(team)
    team_id = team.id
    if not repository.delete_versioned(session, team, team.version):
        raise PreconditionFailed()
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="team",
        entity_id=team_id,
        unit_path=unit_path,
        before=before,
    )


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


def export_rows(database: Database, statement: Any) -> Iterator[list[Any]]:
    """Rows for the teams export, read in batches on a session of their own (the
    response streams after the request's session is closed)."""
    with database.session() as session:
        for batch in batched(repository.stream_teams(session, statement), 1000):
            rows = [(row[0], row[1], row[2], row[3]) for row in batch]
            for team in present(session, rows):
                names = [*team.unit_path_names, "", "", "", ""]
                yield [
                    str(team.id),
                    team.name,
                    team.unit_name,
                    names[0],
                    names[1],
                    names[2],
                    names[3],
                    team.decision_number,
                    team.decision_date.isoformat() if team.decision_date else None,
                    TEAM_STATUS_VI[team.status],
                    team.member_count,
                    team.leader.full_name if team.leader else None,
                    team.note,
                ]
