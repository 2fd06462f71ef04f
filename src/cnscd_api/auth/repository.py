"""Queries of the auth feature: principals, refresh tokens, login throttles."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import case, literal, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from cnscd_api.core.scope import unscoped
from cnscd_api.models import (
    ApiClient,
    LoginAddressBudget,
    LoginThrottle,
    RefreshToken,
    Role,
    Unit,
    User,
    utcnow,
)


@unscoped("logging in happens before there is a caller")
def user_by_username(session: Session, username: str) -> User | None:
    statement = select(User).where(col(User.username) == username, col(User.deleted_at).is_(None))
    return session.exec(statement).one_or_none()


@unscoped("the caller behind a token, before any scope exists")
def active_user_with_path(
    session: Session, user_id: uuid.UUID, generation: int | None = None
) -> tuple[User, str] | None:
    """The active user and their scope unit's path; with ``generation``, only while the
    account's token generation is still that one (a token's ``gen``), in the same query."""
    statement = (
        select(User, sa.func.coalesce(col(Unit.path), NATIONAL_PATH))
        .outerjoin(Unit, col(Unit.id) == col(User.scope_unit_id))
        .where(col(User.id) == user_id, col(User.is_active), col(User.deleted_at).is_(None))
    )
    if generation is not None:
        statement = statement.where(col(User.token_generation) == generation)
    row = session.exec(statement).one_or_none()
    return (row[0], row[1]) if row else None


# The caller of every request is read by these two statements. They are built once, with
# bound parameters, so each request only binds values: no statement to build, no cache
# key to compute, no ORM object to make (the principal needs six columns).
# The scope path of a national viewer: every unit's path starts with it.
NATIONAL_PATH = "/"
_USER_PRINCIPAL = (
    sa.select(
        col(User.username),
        col(User.role),
        col(User.scope_unit_id),
        col(User.organisation),
        col(User.team_id),
        sa.func.coalesce(col(Unit.path), NATIONAL_PATH).label("path"),
    )
    .outerjoin(Unit, col(Unit.id) == col(User.scope_unit_id))
    .where(
        col(User.id) == sa.bindparam("subject_id"),
        col(User.token_generation) == sa.bindparam("generation"),
        col(User.is_active),
        col(User.deleted_at).is_(None),
    )
)
_CLIENT_PRINCIPAL = (
    sa.select(
        col(ApiClient.client_id),
        col(ApiClient.scope_unit_id),
        col(ApiClient.organisation),
        col(Unit.path),
    )
    .join(Unit, col(Unit.id) == col(ApiClient.scope_unit_id))
    .where(col(ApiClient.id) == sa.bindparam("subject_id"), col(ApiClient.revoked_at).is_(None))
)


@unscoped("the caller behind a token, before any scope exists")
def user_principal(
    session: Session, user_id: uuid.UUID, generation: int
) -> sa.Row[str, Role, uuid.UUID | None, str | None, uuid.UUID | None, str] | None:
    """What a request needs of its user (one indexed query): only while the account is
    active and still at the token's generation."""
    parameters = {"subject_id": user_id, "generation": generation}
    return session.connection().execute(_USER_PRINCIPAL, parameters).one_or_none()


@unscoped("an account acting without a request (a webhook endpoint's owner), by its id")
def token_generation(session: Session, user_id: uuid.UUID) -> int | None:
    found: int | None = session.execute(
        sa.select(col(User.token_generation)).where(col(User.id) == user_id)
    ).scalar()
    return found


@unscoped("the caller behind a token, before any scope exists")
def client_principal(
    session: Session, client_uuid: uuid.UUID
) -> sa.Row[str, uuid.UUID, str, str] | None:
    """What a request needs of its API client, while the client is not revoked."""
    parameters = {"subject_id": client_uuid}
    return session.connection().execute(_CLIENT_PRINCIPAL, parameters).one_or_none()


@unscoped("logging in happens before there is a caller")
def client_by_client_id(session: Session, client_id: str) -> ApiClient | None:
    return session.exec(
        select(ApiClient).where(col(ApiClient.client_id) == client_id)
    ).one_or_none()


def set_password(session: Session, user_id: uuid.UUID, password_hash: str) -> None:
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(password_hash=password_hash, updated_at=utcnow())
    )


@unscoped("the account logging in, with its password")
def rehash_password(
    session: Session, user_id: uuid.UUID, old_hash: str | None, new_hash: str
) -> None:
    """The same password hashed with today's parameters, unless it changed meanwhile."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id, col(User.password_hash) == old_hash)
        .values(password_hash=new_hash)
    )


@unscoped("the unit of an account or API client logging in, or of the caller itself")
def unit_path(session: Session, unit_id: uuid.UUID) -> str | None:
    return session.exec(select(Unit.path).where(col(Unit.id) == unit_id)).one_or_none()


@unscoped("the caller's own scope unit")
def unit_by_id(session: Session, unit_id: uuid.UUID) -> Unit | None:
    return session.get(Unit, unit_id)


@unscoped("the names above the caller's own scope unit")
def unit_names(session: Session, unit_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(unit_ids))).all()
    return dict(rows)


# --- refresh tokens ---------------------------------------------------------------


def add_refresh_token(session: Session, token: RefreshToken) -> None:
    session.add(token)
    session.flush()


def claim_refresh_token(session: Session, token_hash: str, now: datetime) -> RefreshToken | None:
    """Mark the token used if it is live; the conditional UPDATE lets exactly one of two
    concurrent refreshes win."""
    result = session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(RefreshToken.id))
    )
    claimed = result.scalar_one_or_none()
    if claimed is None:
        return None
    return session.get(RefreshToken, claimed)


def refresh_token_by_hash(session: Session, token_hash: str) -> RefreshToken | None:
    statement = select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)
    return session.exec(statement).one_or_none()


def revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def end_sessions(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """End every session of the user for good: bump the account's token generation, so
    that no token issued before (access or refresh) is accepted again whatever happens to
    the account later, and revoke the refresh tokens, so that none gets the reuse grace."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(token_generation=col(User.token_generation) + 1)
    )
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


# --- login throttling: per username -----------------------------------------------


def throttle_locked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    statement = select(LoginThrottle.locked_until).where(
        col(LoginThrottle.key).in_(keys), col(LoginThrottle.locked_until) > now
    )
    locks = [lock for lock in session.exec(statement).all() if lock is not None]
    return max(locks) if locks else None


def count_failure(session: Session, key: str, now: datetime, window_start: datetime) -> int:
    """Add one failure to ``key`` (restarting an expired window) and return the count."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    expired = table.c.window_started_at < window_start
    statement = (
        insert(table)
        .values(key=key, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_started_at": case((expired, now), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.failures)
    )
    failures: int = session.execute(statement).scalar_one()
    return failures


def forget_throttle(session: Session, key: str) -> None:
    """``key``'s failures, lock and credit are gone, as for a name never tried."""
    session.execute(sa.delete(LoginThrottle).where(col(LoginThrottle.key) == key))


def lock(session: Session, key: str, until: datetime) -> None:
    session.execute(
        update(LoginThrottle).where(col(LoginThrottle.key) == key).values(locked_until=until)
    )


def reset_after_success(
    session: Session, key: str, now: datetime, credit_window_start: datetime
) -> bool:
    """Clear ``key``'s failures and lock after a successful login. True when this success
    may pay back a failure of its address: the username has not done so since
    ``credit_window_start`` (it is then recorded as doing so now)."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    stale = table.c.credited_at.is_(None) | (table.c.credited_at < credit_window_start)
    credited_at = session.execute(
        update(table)
        .where(table.c.key == key)
        .values(
            failures=0,
            locked_until=None,
            credited_at=case(
                (stale, literal(now, type_=table.c.credited_at.type)),
                else_=table.c.credited_at,
            ),
        )
        .returning(table.c.credited_at)
    ).scalar_one_or_none()
    return credited_at is not None and credited_at == now


# --- login throttling: per client address -------------------------------------------


def address_debt_until(session: Session, address: str) -> float | None:
    statement = select(LoginAddressBudget.debt_until).where(
        col(LoginAddressBudget.address) == address
    )
    return session.exec(statement).one_or_none()


def charge_address(session: Session, address: str, now: float, interval: float) -> None:
    """One failure more on ``address``: its debt grows by ``interval`` seconds, counted
    from now when it was paid off. Atomic, so concurrent failures all count."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = LoginAddressBudget.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(address=address, debt_until=now + interval)
        .on_conflict_do_update(
            index_elements=[table.c.address],
            set_={
                "debt_until": case(
                    (table.c.debt_until > now, table.c.debt_until), else_=literal(now)
                )
                + interval
            },
        )
    )
    session.execute(statement)


def credit_address(session: Session, address: str, now: float, interval: float) -> None:
    """Pay back one failure of ``address`` (nothing to do when it owes nothing)."""
    table = LoginAddressBudget.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.address == address, table.c.debt_until > now)
        .values(debt_until=table.c.debt_until - interval)
    )
