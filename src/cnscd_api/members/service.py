"""Member rules: membership history, one leader per team, personal data shown only to
roles that may see it, optimistic concurrency."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlmodel import Session

from cnscd_api.core import audit
from cnscd_api.core.concurrency import check_if_match, update_versioned
from cnscd_api.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
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
from cnscd_api.models import Member, Team, TeamRole, TeamStatus, utcnow
from cnscd_api.teams import repository as team_repository
from cnscd_api.teams import service as team_service
from cnscd_api.units import service as unit_service

AUDITED_FIELDS = (
    "full_name",
    "gender",
    "birth_year",
    "phone",
    "email",
    "affiliation",
    "organisation",
    "skill_level",
    "team_id",
    "role",
    "joined_on",
    "left_on",
)
_PHONE_QUERY = re.compile(r"^[\d\s.+-]{3,20}$")


def can_see_personal_data(actor: Principal) -> bool:
    return actor.can(Permission.MEMBERS_PERSONAL_DATA)


def snapshot(member: Member) -> dict[str, Any]:
    return {name: getattr(member, name) for name in AUDITED_FIELDS}


def present(member: Member, team_name: str, actor: Principal) -> MemberRead:
    visible = can_see_personal_data(actor)
    return MemberRead(
        id=member.id,
        full_name=member.full_name,
        gender=member.gender,
        birth_year=member.birth_year if visible else None,
        phone=member.phone if visible else mask_phone(member.phone),
        email=member.email if visible else mask_email(member.email),
        affiliation=member.affiliation,
        organisation=member.organisation,
        skill_level=member.skill_level,
        team_id=member.team_id,
        team_name=team_name,
        role=member.role,
        joined_on=member.joined_on,
        left_on=member.left_on,
        active=member.left_on is None,
        personal_data_masked=not visible,
        version=member.version,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def detail(session: Session, member: Member, actor: Principal) -> MemberDetail:
    read = present(member, repository.team_name(session, member.team_id), actor)
    periods = repository.memberships(session, member.id)
    # Periods in teams outside the caller's scope show that they happened, not where.
    reachable = team_repository.teams_by_id(session, actor, {m.team_id for m, _ in periods})
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
    member = repository.get_member(session, actor, member_id)
    if member is None:
        raise NotFound(resource="member")
    return member


def phone_digits(actor: Principal, query: str | None) -> str | None:
    """Digits to look for in phone numbers, when the query is a number and the caller may
    see phones (``+84 912`` looks for ``0912``)."""
    if not query or not can_see_personal_data(actor) or not _PHONE_QUERY.match(query):
        return None
    digits = re.sub(r"\D", "", query)
    if query.strip().startswith("+84") or (digits.startswith("84") and len(digits) >= 11):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 3 else None


def filtered_statement(session: Session, actor: Principal, filters: MemberFilters) -> Any:
    """The scoped member query with the filters; a team or unit filter naming something
    the caller cannot reach is a 404, like any reference outside the scope."""
    if filters.team_id is not None:
        team_service.get_team(session, actor, filters.team_id)
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    return repository.filtered(
        actor, filters, unit_path=unit_path, phone_digits=phone_digits(actor, filters.query)
    )


def list_members(
    session: Session,
    actor: Principal,
    filters: MemberFilters,
    page: PageParams,
    sort: MemberSort | None,
) -> tuple[list[MemberRead], int]:
    rows, total = repository.list_members(
        session, filtered_statement(session, actor, filters), page, sort
    )
    return [present(member, name, actor) for member, name in rows], total


def _open_team(session: Session, actor: Principal, team_id: uuid.UUID) -> Team:
    team = team_service.get_team(session, actor, team_id)
    if team.status is TeamStatus.DISSOLVED:
        raise Conflict("team_not_open")
    return team


def _make_room_for_leader(
    session: Session,
    actor: Principal,
    team_id: uuid.UUID,
    member_id: uuid.UUID | None,
    replace: bool,
) -> None:
    """A team has one active leader: the current one steps down only when asked."""
    current = repository.active_leader(session, team_id)
    if current is None or current.id == member_id:
        return
    if not replace:
        raise Conflict("leader_exists")
    today = date.today()
    before = snapshot(current)
    repository.close_membership(session, current.id, today)
    if not update_versioned(
        session,
        current,
        current.version,
        {"role": TeamRole.MEMBER, "joined_on": today, "updated_at": utcnow()},
    ):
        raise PreconditionFailed()
    session.refresh(current)
    repository.open_membership(session, current)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="member",
        entity_id=current.id,
        unit_path=_unit_path(session, team_service.get_team(session, actor, team_id)),
        before=before,
        after=snapshot(current),
    )


def create_member(session: Session, actor: Principal, data: MemberCreate) -> Member:
    team = _open_team(session, actor, data.team_id)
    if data.phone and repository.by_team_phone(session, team.id, data.phone):
        raise Conflict("member_phone_exists")
    if data.role is TeamRole.LEADER:
        _make_room_for_leader(session, actor, team.id, None, data.replace_leader)
    member = Member(
        full_name=data.full_name,
        search_name=fold(data.full_name),
        gender=data.gender,
        birth_year=data.birth_year,
        phone=data.phone,
        email=data.email,
        affiliation=data.affiliation,
        organisation=data.organisation,
        skill_level=data.skill_level,
        team_id=team.id,
        role=data.role,
        joined_on=data.joined_on or date.today(),
    )
    repository.add(session, member)
    repository.open_membership(session, member)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="member",
        entity_id=member.id,
        unit_path=_unit_path(session, team),
        after=snapshot(member),
    )
    return member


def _unit_path(session: Session, team: Team) -> str:
    return unit_service.unit_path(session, team.unit_id)


def update_member(
    session: Session, actor: Principal, member: Member, data: MemberUpdate, if_match: str | None
) -> Member:
    check_if_match(if_match, member.version)
    seen_version = member.version
    before = snapshot(member)
    changes = data.model_dump(exclude_unset=True, exclude={"replace_leader"})
    values: dict[str, Any] = {
        k: v
        for k, v in changes.items()
        if k not in {"team_id", "role", "left_on"} and v is not None
    }
    if "full_name" in values:
        values["search_name"] = fold(values["full_name"])
    for nullable in ("gender", "birth_year", "phone", "email", "organisation"):
        if nullable in changes and changes[nullable] is None:
            values[nullable] = None
    today = date.today()
    new_team_id = changes.get("team_id") or member.team_id
    moving = new_team_id != member.team_id or (
        member.left_on is not None and changes.get("team_id")
    )
    new_role = changes.get("role") or member.role
    if member.left_on is not None and not moving and new_role != member.role:
        # Someone who left comes back only by joining a team (team_id), never by a role.
        raise Conflict("member_already_left")
    if moving:
        team = _open_team(session, actor, new_team_id)
    else:
        team = team_service.get_team(session, actor, member.team_id)
    phone = values.get("phone", member.phone)
    if phone and (moving or "phone" in values):
        clash = repository.by_team_phone(session, new_team_id, phone)
        if clash is not None and clash.id != member.id:
            raise Conflict("member_phone_exists")
    if changes.get("left_on") is not None:
        if member.left_on is not None:
            raise Conflict("member_already_left")
        if changes["left_on"] < member.joined_on:
            raise Unprocessable(
                errors=[
                    FieldError.of(
                        "body.left_on", "left_before_joined", joined_on=member.joined_on.isoformat()
                    )
                ]
            )
        repository.close_membership(session, member.id, changes["left_on"])
        values["left_on"] = changes["left_on"]
    elif moving or new_role != member.role:
        if new_role is TeamRole.LEADER:
            _make_room_for_leader(session, actor, new_team_id, member.id, data.replace_leader)
        repository.close_membership(session, member.id, today)
        values.update(team_id=new_team_id, role=new_role, joined_on=today, left_on=None)
    values["updated_at"] = utcnow()
    if not update_versioned(session, member, seen_version, values):
        raise PreconditionFailed()
    session.refresh(member)
    if "team_id" in values:
        repository.open_membership(session, member)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="member",
        entity_id=member.id,
        unit_path=_unit_path(session, team),
        before=before,
        after=snapshot(member),
    )
    return member


def delete_member(session: Session, actor: Principal, member: Member, if_match: str | None) -> None:
    """Erase a member and their history (a person's right to have their data deleted);
    the audit log keeps that it happened, with personal data masked."""
    check_if_match(if_match, member.version)
    team = team_service.get_team(session, actor, member.team_id)
    before, member_id = snapshot(member), member.id
    if not repository.delete_versioned(session, member, member.version):
        raise PreconditionFailed()
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="member",
        entity_id=member_id,
        unit_path=_unit_path(session, team),
        before=before,
    )


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


def export_rows(database: Database, statement: Any, actor: Principal) -> Iterator[list[Any]]:
    """Rows of the members export, masked per role, read in batches on a session of
    their own (the response streams after the request's session is closed)."""
    visible = can_see_personal_data(actor)
    with database.session() as session:
        for member, team_name, unit_name in repository.stream_members(session, statement):
            yield [
                str(member.id),
                member.full_name,
                GENDER_VI[member.gender] if member.gender else None,
                member.birth_year if visible else None,
                member.phone if visible else mask_phone(member.phone),
                member.email if visible else mask_email(member.email),
                AFFILIATION_VI[member.affiliation],
                member.organisation,
                TEAM_ROLE_VI[member.role],
                SKILL_LEVEL_VI[member.skill_level],
                str(member.team_id),
                team_name,
                unit_name,
                member.joined_on.isoformat(),
                member.left_on.isoformat() if member.left_on else None,
            ]
