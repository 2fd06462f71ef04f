"""The Kon Tum demo: one user per tier, marked as demo data.

Demo users cannot log in when ``CNSCD_ENVIRONMENT=production``, and the demo seed
refuses to run there at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from cnscd_api.auth import repository as auth_repository
from cnscd_api.auth import service as auth_service
from cnscd_api.core import audit
from cnscd_api.core.concurrency import update_versioned
from cnscd_api.core.permissions import SCOPE_LEVELS
from cnscd_api.core.security import hash_password
from cnscd_api.core.text import fold
from cnscd_api.models import Role, Unit, UnitLevel, User, utcnow
from cnscd_api.stats.placement import today_unit_id
from cnscd_api.units import repository as unit_repository
from cnscd_api.users import service as user_service

DEMO_PASSWORD = "KonTum-demo-2024"  # noqa: S105 -- demo only, refused in production


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    level: UnitLevel
    code: str


DEMO_USERS = (
    DemoUser(
        "tinh.kontum",
        "Ban chỉ đạo tỉnh Kon Tum (demo)",
        Role.PROVINCE_ADMIN,
        UnitLevel.PROVINCE,
        "62",
    ),
    DemoUser(
        "huyen.dakglei",
        "Cán bộ huyện Đắk Glei (demo)",
        Role.DISTRICT_OFFICER,
        UnitLevel.DISTRICT,
        "610",
    ),
    DemoUser(
        "xa.dakpek", "Cán bộ xã Đắk Pék (demo)", Role.COMMUNE_OFFICER, UnitLevel.COMMUNE, "23353"
    ),
)


def _demo_place(session: Session, demo: DemoUser) -> tuple[Unit, Role]:
    """The demo user's unit and role: their 2024 unit, or, once a reorganisation closed it
    (``cnscd units reform-2025``), the unit alive today it became, with the role that
    level allows (a district officer becomes a viewer of the province)."""
    unit = unit_repository.current_unit_by_code(session, demo.level, demo.code)
    if unit is not None:
        return unit, demo.role
    closed = unit_repository.latest_unit_by_code(session, demo.level, demo.code)
    today_id = today_unit_id(closed) if closed is not None else None
    if today_id is None:
        raise LookupError(f"unit {demo.level.value} {demo.code} is missing: seed province 62 first")
    today = unit_repository.unit_by_id(session, today_id)
    assert today is not None  # a rollup path leads to a unit alive today
    levels = SCOPE_LEVELS[demo.role]
    return today, demo.role if levels is None or today.level in levels else Role.VIEWER


def demo_logins(session: Session) -> list[tuple[str, str, str]]:
    """(username, role, unit name) of the demo users able to log in."""
    rows = session.exec(
        select(User.username, User.role, Unit.name)
        .join(Unit, col(Unit.id) == col(User.scope_unit_id))
        .where(col(User.is_demo), col(User.is_active), col(User.deleted_at).is_(None))
    ).all()
    order = [demo.username for demo in DEMO_USERS]
    return sorted(
        ((username, str(role), unit) for username, role, unit in rows),
        key=lambda row: order.index(row[0]) if row[0] in order else len(order),
    )


def reset_demo_users(session: Session) -> list[str]:
    """Put every demo user back as ``cnscd demo`` made them: restored if deleted,
    active, with its role, unit and name, and the demo password; their sessions end and
    their failed logins are forgotten (a locked-out demo user logs in again).
    Returns the usernames that were restored or changed (missing ones are created by
    ``seed_demo_users``)."""
    reset: list[str] = []
    for demo in DEMO_USERS:
        user = session.exec(
            select(User)
            .where(col(User.username) == demo.username, col(User.is_demo))
            .execution_options(populate_existing=True)
        ).first()
        if user is None:
            continue
        unit, role = _demo_place(session, demo)
        before = audit.snapshot(user)
        values = {
            "full_name": demo.full_name,
            "search_text": fold(f"{demo.username} {demo.full_name}"),
            "role": role,
            "scope_unit_id": unit.id,
            "team_id": None,
            "is_active": True,
            "deleted_at": None,
            "password_hash": hash_password(DEMO_PASSWORD),
        }
        update_versioned(session, user, values)
        auth_repository.end_sessions(session, user.id, utcnow())
        auth_service.forget_failed_logins(session, user.username)
        audit.updated(session, None, user, before, unit.path, extra_after={"password": "demo"})
        reset.append(demo.username)
    return reset


def seed_demo_users(session: Session) -> list[str]:
    """Create the demo users that do not exist yet; returns the usernames created."""
    created: list[str] = []
    for demo in DEMO_USERS:
        exists = session.exec(select(User.id).where(col(User.username) == demo.username)).first()
        if exists is not None:
            continue
        unit, role = _demo_place(session, demo)
        user_service.create_account(
            session,
            username=demo.username,
            full_name=demo.full_name,
            role=role,
            unit=unit,
            password=DEMO_PASSWORD,
            is_demo=True,
        )
        created.append(demo.username)
    return created
