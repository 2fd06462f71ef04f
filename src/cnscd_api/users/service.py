"""User rules: nobody grants a role above their own or a scope outside their subtree,
nobody changes their own role or scope or deactivates themselves, and a deactivated
or deleted user's tokens stop working at once."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.auth import repository as auth_repository
from cnscd_api.core import audit, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, Forbidden, Unprocessable
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import GRANTABLE_ROLES, SCOPE_LEVELS, Permission, Principal
from cnscd_api.core.security import hash_password, password_weaknesses
from cnscd_api.core.text import collation_key, fold
from cnscd_api.models import Role, Unit, User, utcnow
from cnscd_api.teams import service as team_service
from cnscd_api.units import service as unit_service
from cnscd_api.users import repository
from cnscd_api.users.schemas import UserCreate, UserFilters, UserSort, UserUpdate

PASSWORD_SET = {"password": "set"}
NOT_CLEARED = frozenset({"full_name", "role", "scope_unit_id", "is_active", "team_id"})
# A change of any of these ends the user's sessions (with deactivation and a password reset).
SESSION_FIELDS = ("role", "scope_unit_id", "team_id")


def get_user(session: Session, actor: Principal, user_id: uuid.UUID) -> User:
    """A user in the caller's subtree (deleted users do not exist), else 404."""
    return scope.get_or_404(session, actor, User, user_id)


def list_users(
    session: Session,
    actor: Principal,
    page: PageParams,
    filters: UserFilters,
    sort: UserSort | None,
) -> tuple[list[Row[Any]], int]:
    if filters.scope_unit_id is not None:
        unit_service.get_unit(session, actor, filters.scope_unit_id)
    return repository.list_users(session, actor, page, filters, sort)


def _check_role_grantable(session: Session, actor: Principal, role: Role) -> None:
    if role not in GRANTABLE_ROLES[actor.role]:
        raise audit.denied(
            session, actor, Permission.USERS_WRITE, "role_not_grantable", role=role.value
        )


def _own_account_change(session: Session, actor: Principal) -> Forbidden:
    return audit.denied(session, actor, Permission.USERS_WRITE, "own_account_change")


def _scope_unit(session: Session, actor: Principal, role: Role, unit_id: uuid.UUID) -> Unit:
    unit = unit_service.get_unit_for_write(session, actor, unit_id)
    levels = SCOPE_LEVELS[role]
    if levels is not None and unit.level not in levels:
        raise Unprocessable.at(
            "body.scope_unit_id",
            "scope_level_mismatch",
            role=role.value,
            levels=", ".join(sorted(level.value for level in levels)),
        )
    return unit


def _placement(
    session: Session,
    actor: Principal,
    role: Role,
    scope_unit_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
) -> tuple[Unit, uuid.UUID | None]:
    """The scope unit (and team) of a user with ``role``: a team leader is placed by
    their team, which must be reachable by the actor; everyone else by a unit."""
    if role is Role.TEAM_LEADER:
        if team_id is None:
            raise Unprocessable.at("body.team_id", "team_required")
        team = team_service.get_team(session, actor, team_id)
        return _scope_unit(session, actor, role, team.unit_id), team.id
    if team_id is not None:
        raise Unprocessable.at("body.team_id", "team_only_for_leaders")
    if scope_unit_id is None:
        raise Unprocessable.at("body.scope_unit_id", "scope_unit_required")
    return _scope_unit(session, actor, role, scope_unit_id), None


def _check_password(password: str, username: str) -> None:
    problems = password_weaknesses(password, username)
    if problems:
        raise Unprocessable.at("body.password", "weak_password", reasons=problems)


def create_user(session: Session, actor: Principal, data: UserCreate) -> User:
    _check_role_grantable(session, actor, data.role)
    unit, team_id = _placement(session, actor, data.role, data.scope_unit_id, data.team_id)
    _check_password(data.password, data.username)
    if repository.username_exists(session, data.username):
        raise Conflict("username_taken")
    user = User(
        username=data.username,
        full_name=data.full_name,
        search_text=fold(f"{data.username} {data.full_name}"),
        name_key=collation_key(data.full_name),
        email=data.email,
        phone=data.phone,
        role=data.role,
        scope_unit_id=unit.id,
        team_id=team_id,
        organisation=data.organisation,
        password_hash=hash_password(data.password),
    )
    repository.add(session, user)
    audit.created(session, actor, user, unit.path, extra=PASSWORD_SET)
    return user


def _ends_sessions(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Deactivation, or a change of what the account may reach, ends its sessions: no
    token issued before works again, even once the account is reactivated."""
    deactivated = before["is_active"] and not after["is_active"]
    return deactivated or any(before[name] != after[name] for name in SESSION_FIELDS)


def _changes_own_access(user: User, changes: dict[str, Any]) -> bool:
    return (
        ("role" in changes and changes["role"] != user.role)
        or ("scope_unit_id" in changes and changes["scope_unit_id"] != user.scope_unit_id)
        or ("team_id" in changes and changes["team_id"] != user.team_id)
        or changes.get("is_active") is False
    )


def update_user(
    session: Session, actor: Principal, user: User, data: UserUpdate, expected: ExpectedVersion
) -> User:
    changes = data.model_dump(exclude_unset=True)
    # Checked first, so that the answer is own_account_change whatever the role.
    if user.id == actor.id and _changes_own_access(user, changes):
        raise _own_account_change(session, actor)
    _check_role_grantable(session, actor, user.role)
    new_role: Role = changes.get("role") or user.role
    _check_role_grantable(session, actor, new_role)
    new_team = changes.get("team_id", user.team_id) if new_role is Role.TEAM_LEADER else None
    if new_role is not Role.TEAM_LEADER and changes.get("team_id") is not None:
        raise Unprocessable.at("body.team_id", "team_only_for_leaders")
    unit, team_id = _placement(
        session, actor, new_role, changes.get("scope_unit_id") or user.scope_unit_id, new_team
    )
    expected.check(user.version)
    password = changes.pop("password", None)
    values = {
        name: value
        for name, value in changes.items()
        if value is not None or name not in NOT_CLEARED
    }
    values.update(scope_unit_id=unit.id, team_id=team_id)
    if password is not None:
        _check_password(password, user.username)
        values["password_hash"] = hash_password(password)
    values["search_text"] = fold(f"{user.username} {values.get('full_name', user.full_name)}")
    before = audit.snapshot(user)
    update_versioned(session, user, values)
    if password is not None or _ends_sessions(before, audit.snapshot(user)):
        auth_repository.end_sessions(session, user.id, user.updated_at)
    secret = ({"password": "old"}, {"password": "new"}) if password is not None else (None, None)
    audit.updated(
        session, actor, user, before, unit.path, extra_before=secret[0], extra_after=secret[1]
    )
    return user


def delete_user(session: Session, actor: Principal, user: User, expected: ExpectedVersion) -> None:
    if user.id == actor.id:
        raise _own_account_change(session, actor)
    _check_role_grantable(session, actor, user.role)
    expected.check(user.version)
    before, user_id = audit.snapshot(user), user.id
    now = utcnow()
    update_versioned(session, user, {"is_active": False, "deleted_at": now})
    auth_repository.end_sessions(session, user_id, now)
    assert user.scope_unit_id is not None  # a national viewer is out of every API caller's reach
    audit.deleted(
        session, actor, User, user_id, before, unit_service.unit_path(session, user.scope_unit_id)
    )


def create_account(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: Role,
    unit: Unit | None,
    password: str,
    is_demo: bool = False,
) -> User:
    """An account made from the command line (the first admin, demo users, national
    viewers with no ``unit``): no actor, the same password rules."""
    _check_password(password, username)
    if repository.username_exists(session, username):
        raise Conflict("username_taken")
    user = User(
        username=username,
        full_name=full_name,
        search_text=fold(f"{username} {full_name}"),
        name_key=collation_key(full_name),
        role=role,
        scope_unit_id=unit.id if unit else None,
        password_hash=hash_password(password),
        is_demo=is_demo,
    )
    repository.add(session, user)
    path = unit.path if unit else auth_repository.NATIONAL_PATH
    audit.created(session, None, user, path, extra=PASSWORD_SET, actor_name="cli")
    return user
