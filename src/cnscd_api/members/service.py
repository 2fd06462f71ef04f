"""Member rules: membership history, one leader per team, personal data shown only to
roles that may see it, optimistic concurrency."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import Row, Select
from sqlmodel import Session

from cnscd_api.core import audit, clock, scope
from cnscd_api.core.concurrency import ExpectedVersion, delete_versioned, update_versioned
from cnscd_api.core.errors import Conflict, FieldError, Unprocessable
from cnscd_api.core.labels import AFFILIATION_VI, GENDER_VI, SKILL_LEVEL_VI, TEAM_ROLE_VI
from cnscd_api.core.masking import mask_email, mask_phone
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.text import fold
from cnscd_api.db import Database
from cnscd_api.members import repository
from cnscd_api.members.schemas import (
    MemberCreate,
    MemberDetail,
    MemberFilters,
    MemberRead,
    MembershipRead,
    MemberSort,
    MemberUpdate,
)
from cnscd_api.models import Member, Team, TeamRole, TeamStatus
from cnscd_api.teams import service as team_service
from cnscd_api.units import service as unit_service

_PHONE_QUERY = re.compile(r"^[\d\s.+-]{3,20}$")
DETAIL_FIELDS = (
    "full_name",
    "gender",
    "birth_year",
    "phone",
    "email",
    "affiliation",
    "organisation",
    "skill_level",
)
NULLABLE_FIELDS = frozenset({"gender", "birth_year", "phone", "email", "organisation"})


def can_see_personal_data(actor: Principal) -> bool:
    return actor.can(Permission.MEMBERS_PERSONAL_DATA)


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    """A member's values as partners and viewers see them."""
    return {
        **values,
        "birth_year": None,
        "phone": mask_phone(values["phone"]),
        "email": mask_email(values["email"]),
        "personal_data_masked": True,
    }


def visible_rows(actor: Principal, rows: Iterable[Row[Any]]) -> Iterable[Any]:
    """List rows as the caller may see them: as they are, or masked."""
    if can_see_personal_data(actor):
        return rows
    return [_masked(dict(row._mapping)) for row in rows]


def present(member: Member, team_name: str, actor: Principal) -> MemberRead:
    values = {
        **member.model_dump(),
        "team_name": team_name,
        "active": member.left_on is None,
        "personal_data_masked": False,
    }
    return MemberRead.model_validate(values if can_see_personal_data(actor) else _masked(values))


def detail(session: Session, member: Member, actor: Principal) -> MemberDetail:
    read = present(member, repository.team_name(session, member.team_id), actor)
    periods = repository.memberships(session, member.id)
    # Periods in teams outside the caller's scope show that they happened, not where.
    reachable = team_service.teams_by_id(session, actor, {m.team_id for m, _ in periods})
    history = [
        MembershipRead(
            team_id=m.team_id if m.team_id in reachable else None,
            team_name=name if m.team_id in reachable else None,
            role=m.role,
            joined_on=m.joined_on,
            left_on=m.left_on,
        )
        for m, name in periods
    ]
    return MemberDetail(**read.model_dump(), memberships=history)


def get_member(session: Session, actor: Principal, member_id: uuid.UUID) -> Member:
    """A member the caller reaches (a team leader: their own team's), else 404."""
    return scope.get_or_404(session, actor, Member, member_id)


def phone_digits(actor: Principal, query: str | None) -> str | None:
    """Digits to look for in phone numbers, when the query is a number and the caller may
    see phones (``+84 912`` looks for ``0912``)."""
    if not query or not can_see_personal_data(actor) or not _PHONE_QUERY.match(query):
        return None
    digits = re.sub(r"\D", "", query)
    if query.strip().startswith("+84") or (digits.startswith("84") and len(digits) >= 11):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 3 else None


def filtered_statement(session: Session, actor: Principal, filters: MemberFilters) -> Select[Any]:
    """The scoped member query with the filters; a team or unit filter naming something
    the caller cannot reach is a 404, like any reference outside the scope."""
    if filters.team_id is not None:
        team_service.get_team(session, actor, filters.team_id)
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    return repository.filtered(
        actor, filters, unit_path=unit_path, phone_digits=phone_digits(actor, filters.q)
    )


def list_members(
    session: Session,
    actor: Principal,
    filters: MemberFilters,
    page: PageParams,
    sort: MemberSort | None,
) -> tuple[Iterable[Any], int]:
    statement = filtered_statement(session, actor, filters)
    rows, total = repository.list_members(session, statement, page, sort)
    return visible_rows(actor, rows), total


def _open_team(session: Session, actor: Principal, team_id: uuid.UUID) -> Team:
    team = team_service.get_team(session, actor, team_id)
    if team.status is TeamStatus.DISSOLVED:
        raise Conflict("team_not_open")
    return team


def _unit_path(session: Session, team: Team) -> str:
    return unit_service.unit_path(session, team.unit_id)


def _make_room_for_leader(
    session: Session, actor: Principal, team: Team, member_id: uuid.UUID | None, replace: bool
) -> None:
    """A team has one active leader: the current one steps down only when asked."""
    current = repository.active_leader(session, team.id)
    if current is None or current.id == member_id:
        return
    if not replace:
        raise Conflict("leader_exists")
    today = clock.today()
    before = audit.snapshot(current)
    repository.close_membership(session, current.id, today)
    update_versioned(session, current, {"role": TeamRole.MEMBER, "joined_on": today})
    repository.open_membership(session, current)
    audit.updated(session, actor, current, before, _unit_path(session, team))


def _check_phone_free(
    session: Session, team_id: uuid.UUID, phone: str | None, member_id: uuid.UUID | None
) -> None:
    if not phone:
        return
    clash = repository.by_team_phone(session, team_id, phone)
    if clash is not None and clash.id != member_id:
        raise Conflict("member_phone_exists")


def create_member(session: Session, actor: Principal, data: MemberCreate) -> Member:
    team = _open_team(session, actor, data.team_id)
    _check_phone_free(session, team.id, data.phone, None)
    if data.role is TeamRole.LEADER:
        _make_room_for_leader(session, actor, team, None, data.replace_leader)
    member = Member(
        **data.model_dump(include=set(DETAIL_FIELDS)),
        search_name=fold(data.full_name),
        team_id=team.id,
        role=data.role,
        joined_on=data.joined_on or clock.today(),
    )
    repository.add(session, member)
    repository.open_membership(session, member)
    audit.created(session, actor, member, _unit_path(session, team))
    return member


def _detail_values(requested: dict[str, Any]) -> dict[str, Any]:
    """The member's own details among the requested changes (not team, role or dates);
    an explicit null clears an optional detail."""
    values = {
        name: requested[name]
        for name in DETAIL_FIELDS
        if name in requested and (requested[name] is not None or name in NULLABLE_FIELDS)
    }
    if "full_name" in values:
        values["search_name"] = fold(values["full_name"])
    return values


def _leave(session: Session, member: Member, left_on: date) -> dict[str, Any]:
    """Close the current membership on ``left_on``."""
    if member.left_on is not None:
        raise Conflict("member_already_left")
    if left_on < member.joined_on:
        raise Unprocessable(
            errors=[
                FieldError.of(
                    "body.left_on", "left_before_joined", joined_on=member.joined_on.isoformat()
                )
            ]
        )
    repository.close_membership(session, member.id, left_on)
    return {"left_on": left_on}


def _start_period(
    session: Session,
    actor: Principal,
    member: Member,
    team: Team,
    role: TeamRole,
    replace_leader: bool,
) -> dict[str, Any]:
    """Close the current membership and open one in ``team`` with ``role`` (a move, a
    return after leaving, or a new role), making room if the member is to lead."""
    if role is TeamRole.LEADER:
        _make_room_for_leader(session, actor, team, member.id, replace_leader)
    today = clock.today()
    repository.close_membership(session, member.id, today)
    return {"team_id": team.id, "role": role, "joined_on": today, "left_on": None}


def update_member(
    session: Session,
    actor: Principal,
    member: Member,
    data: MemberUpdate,
    expected: ExpectedVersion,
) -> Member:
    """Edit details; move (``team_id``), change role or come back (a new period); or
    mark as left (``left_on``). Each is one audited, version-checked update."""
    expected.check(member.version)
    requested = data.model_dump(exclude_unset=True, exclude={"replace_leader"})
    values = _detail_values(requested)
    moving = requested.get("team_id") is not None and (
        requested["team_id"] != member.team_id or member.left_on is not None
    )
    role = requested.get("role") or member.role
    if member.left_on is not None and not moving and role != member.role:
        # Someone who left comes back only by joining a team (team_id), never by a role.
        raise Conflict("member_already_left")
    team = (
        _open_team(session, actor, requested["team_id"])
        if moving
        else team_service.get_team(session, actor, member.team_id)
    )
    if moving or "phone" in values:
        _check_phone_free(session, team.id, values.get("phone", member.phone), member.id)
    before = audit.snapshot(member)
    if requested.get("left_on") is not None:
        values |= _leave(session, member, requested["left_on"])
    elif moving or role != member.role:
        values |= _start_period(session, actor, member, team, role, data.replace_leader)
    update_versioned(session, member, values)
    if "team_id" in values:
        repository.open_membership(session, member)
    audit.updated(session, actor, member, before, _unit_path(session, team))
    return member


def delete_member(
    session: Session, actor: Principal, member: Member, expected: ExpectedVersion
) -> None:
    """Erase a member and their history (a person's right to have their data deleted);
    the audit log keeps that it happened, with personal data masked."""
    expected.check(member.version)
    team = team_service.get_team(session, actor, member.team_id)
    before, member_id = audit.snapshot(member), member.id
    repository.delete_history(session, member.id)
    delete_versioned(session, member)
    audit.deleted(session, actor, Member, member_id, before, _unit_path(session, team))


EXPORT_HEADERS = (
    "Mã thành viên",
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Số điện thoại",
    "Email",
    "Thành phần",
    "Đơn vị công tác",
    "Vai trò trong tổ",
    "Trình độ kỹ năng số",
    "Mã tổ",
    "Tên tổ",
    "Đơn vị phục vụ",
    "Ngày tham gia",
    "Ngày rời tổ",
)


def export_rows(
    database: Database, statement: Select[Any], actor: Principal
) -> Iterator[list[Any]]:
    """Rows of the members export, masked per role, read in batches on a session of
    their own (the response streams after the request's session is closed)."""
    visible = can_see_personal_data(actor)
    with database.session() as session:
        for row in repository.stream_members(session, statement):
            yield [
                str(row.id),
                row.full_name,
                GENDER_VI[row.gender] if row.gender else None,
                row.birth_year if visible else None,
                row.phone if visible else mask_phone(row.phone),
                row.email if visible else mask_email(row.email),
                AFFILIATION_VI[row.affiliation],
                row.organisation,
                TEAM_ROLE_VI[row.role],
                SKILL_LEVEL_VI[row.skill_level],
                str(row.team_id),
                row.team_name,
                row.unit_name,
                row.joined_on.isoformat(),
                row.left_on.isoformat() if row.left_on else None,
            ]
