"""Logging in, refreshing, logging out, and turning a token back into a caller."""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from cnscd_api.auth import repository
from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.errors import FieldError, TooManyRequests, Unauthorized, Unprocessable
from cnscd_api.core.permissions import Permission, Principal, PrincipalKind, permissions_for
from cnscd_api.core.scope import ancestor_ids
from cnscd_api.core.security import (
    InvalidToken,
    create_access_token,
    decode_access_token,
    digests_match,
    hash_password,
    is_well_formed_refresh_token,
    opaque_token,
    password_weaknesses,
    token_digest,
    verify_and_update_password,
    verify_password,
)
from cnscd_api.models import AuditAction, AuditEntity, RefreshToken, Role, Unit, User, utcnow

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="cnscd-api"'}


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    refresh_expires_in: int | None = None


def _user_key(username: str) -> str:
    return f"user:{username.lower()}"


def forget_failed_logins(session: Session, username: str) -> None:
    """The username's failed logins and lock are forgotten (its addresses' budgets stay:
    they belong to whoever else tried from there)."""
    repository.forget_throttle(session, _user_key(username))


def _address_key(address: str | None) -> str:
    """The client address whose failures are counted together. An IPv6 client counts
    by its /64, since one subscriber line gets a whole /64 and could hop through it."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:300]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _too_many(seconds: float, *, address: bool = False) -> TooManyRequests:
    """429 for a locked username, or (``address``) for an address out of failure budget."""
    retry_after = max(1, math.ceil(seconds))
    headers = {"Retry-After": str(retry_after)}
    if address:
        return TooManyRequests(
            "too_many_failed_logins_from_address",
            headers=headers,
            keep_changes=True,
            retry_after=retry_after,
        )
    return TooManyRequests(
        "too_many_failed_logins", headers=headers, keep_changes=True, retry_after=retry_after
    )


def _check_not_throttled(
    session: Session, settings: Settings, user_key: str, address_key: str, now: datetime
) -> None:
    """429 while the username is locked, or while its address has no failure budget
    left. Neither counts as an attempt: nothing is checked."""
    locked_until = repository.throttle_locked_until(session, [user_key], now)
    if locked_until is not None:
        raise _too_many((locked_until - now).total_seconds())
    debt_until = repository.address_debt_until(session, address_key)
    if debt_until is not None:
        # The address may try while at most ``budget - 1`` failures are outstanding.
        interval = settings.login_address_refill_seconds
        allowance = (settings.login_address_failure_budget - 1) * interval
        wait = debt_until - now.timestamp() - allowance
        if wait > 0:
            raise _too_many(wait, address=True)


def issue_user_tokens(
    session: Session,
    settings: Settings,
    user: User,
    family_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> IssuedTokens:
    # The access token's times follow the clock that checks them (jose's); the refresh
    # token's expiry follows this service's.
    access, expires_in = create_access_token(
        settings, f"{PrincipalKind.USER.value}:{user.id}", generation=user.token_generation
    )
    now = now or utcnow()
    refresh = opaque_token()
    lifetime = timedelta(days=settings.refresh_token_days)
    repository.add_refresh_token(
        session,
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_digest(refresh),
            generation=user.token_generation,
            expires_at=now + lifetime,
        ),
    )
    return IssuedTokens(access, expires_in, refresh, int(lifetime.total_seconds()))


def login_with_password(
    session: Session, settings: Settings, username: str, password: str, address: str | None
) -> IssuedTokens:
    """Only failures count. Per username: the attempt is counted before the password is
    checked (an atomic upsert that holds the row, so parallel guesses queue and no more
    than the limit are checked) and a success clears it; the limit locks the username.
    Per address: failures run up a debt that drains with time and that the first success
    of each username in a window pays back by one failure; an address that owes its whole
    budget waits until one failure has drained, correct password or not."""
    username = username.strip().lower()
    now = utcnow()
    user_key, address_key = _user_key(username), _address_key(address)
    _check_not_throttled(session, settings, user_key, address_key, now)
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    lockout = timedelta(seconds=settings.login_lockout_seconds)
    failures = repository.count_failure(session, user_key, now, window_start)
    if failures > settings.login_max_failures:
        # Attempts that raced past the check above while the limit was being reached.
        repository.lock(session, user_key, now + lockout)
        raise _too_many(lockout.total_seconds())
    user = repository.user_by_username(session, username)
    password_ok, new_hash = verify_and_update_password(
        password, user.password_hash if user else None
    )
    allowed = (
        user is not None
        and password_ok
        and user.is_active
        and not (user.is_demo and settings.is_production)
    )
    if not allowed or user is None:
        if failures >= settings.login_max_failures:
            repository.lock(session, user_key, now + lockout)
        repository.charge_address(
            session, address_key, now.timestamp(), settings.login_address_refill_seconds
        )
        audit.record(
            session,
            actor=None,
            actor_name=username,
            action=AuditAction.LOGIN_FAILED,
            entity=AuditEntity.USER,
            entity_id=user.id if user else None,
            # Filed under the account's unit, so its officers see attempts on it; attempts
            # on unknown usernames have no unit and are visible to nobody through the API.
            unit_path=_path_of(session, user) if user else None,
        )
        raise Unauthorized("invalid_credentials", keep_changes=True, headers=BEARER_CHALLENGE)
    # A success clears the username's count and, once per window, pays back a failure of
    # its address (one known account cannot buy an address endless guesses).
    if repository.reset_after_success(session, user_key, now, window_start):
        repository.credit_address(
            session, address_key, now.timestamp(), settings.login_address_refill_seconds
        )
    if new_hash is not None:
        # Hashed with older parameters: stored again with today's, now that the password
        # is at hand (unless it changed meanwhile). Not a change of the account: no new
        # version, no audit event.
        repository.rehash_password(session, user.id, user.password_hash, new_hash)
    path = _path_of(session, user)
    audit.record(
        session,
        actor=None,
        actor_name=user.username,
        action=AuditAction.LOGIN,
        entity=AuditEntity.USER,
        entity_id=user.id,
        unit_path=path,
    )
    return issue_user_tokens(session, settings, user, now=now)


def login_with_client_secret(
    session: Session, settings: Settings, client_id: str, client_secret: str
) -> IssuedTokens:
    client = repository.client_by_client_id(session, client_id)
    if (
        client is None
        or client.revoked_at is not None
        or not digests_match(client_secret, client.secret_hash)
    ):
        audit.record(
            session,
            actor=None,
            actor_name=client_id,
            action=AuditAction.LOGIN_FAILED,
            entity=AuditEntity.API_CLIENT,
            entity_id=client.id if client else None,
            unit_path=repository.unit_path(session, client.scope_unit_id) if client else None,
        )
        raise Unauthorized("invalid_client", keep_changes=True, headers=BASIC_CHALLENGE)
    access, expires_in = create_access_token(settings, f"{PrincipalKind.CLIENT.value}:{client.id}")
    audit.record(
        session,
        actor=None,
        actor_name=client.client_id,
        action=AuditAction.LOGIN,
        entity=AuditEntity.API_CLIENT,
        entity_id=client.id,
        unit_path=repository.unit_path(session, client.scope_unit_id),
    )
    return IssuedTokens(access, expires_in)


def _invalid_refresh_token() -> Unauthorized:
    return Unauthorized("invalid_refresh_token", keep_changes=True, headers=BEARER_CHALLENGE)


def _in_grace(settings: Settings, known: RefreshToken, now: datetime) -> bool:
    """A token used moments ago, in a family nobody revoked: a client retrying a refresh
    whose answer it never received (or two of its requests racing), not a thief."""
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    return (
        grace > timedelta(0)
        and known.used_at is not None
        and known.revoked_at is None
        and known.expires_at > now
        and now - known.used_at <= grace
    )


def refresh(session: Session, settings: Settings, presented: str) -> IssuedTokens:
    """Rotate: the presented token is used up and a new pair is issued in its family.
    Presenting a used token again within the grace window gives another pair in the
    same family; after it, the whole family is revoked."""
    if not is_well_formed_refresh_token(presented):
        raise _invalid_refresh_token()
    now = utcnow()
    digest = token_digest(presented)
    claimed = repository.claim_refresh_token(session, digest, now)
    if claimed is None:
        known = repository.refresh_token_by_hash(session, digest)
        if known is not None and _in_grace(settings, known, now):
            return _refresh_in_grace(session, settings, known, now)
        if known is not None and (known.used_at is not None or known.revoked_at is not None):
            # A used or revoked token came back: it may have been stolen. End the family.
            repository.revoke_family(session, known.family_id, now)
            audit.record(
                session,
                actor=None,
                action=AuditAction.REFRESH_TOKEN_REUSED,
                entity=AuditEntity.USER,
                entity_id=known.user_id,
                unit_path=_user_path(session, known.user_id),
            )
        raise _invalid_refresh_token()
    found = repository.active_user_with_path(session, claimed.user_id, claimed.generation)
    if found is None:
        repository.revoke_family(session, claimed.family_id, now)
        raise _invalid_refresh_token()
    return issue_user_tokens(session, settings, found[0], family_id=claimed.family_id, now=now)


def _refresh_in_grace(
    session: Session, settings: Settings, known: RefreshToken, now: datetime
) -> IssuedTokens:
    found = repository.active_user_with_path(session, known.user_id, known.generation)
    if found is None:
        repository.revoke_family(session, known.family_id, now)
        raise _invalid_refresh_token()
    user, path = found
    audit.record(
        session,
        actor=None,
        action=AuditAction.REFRESH_TOKEN_GRACE_REUSE,
        entity=AuditEntity.USER,
        entity_id=user.id,
        unit_path=path,
    )
    return issue_user_tokens(session, settings, user, family_id=known.family_id, now=now)


def _user_path(session: Session, user_id: uuid.UUID) -> str | None:
    found = repository.active_user_with_path(session, user_id)
    return found[1] if found else None


def logout(session: Session, principal: Principal, presented: str) -> None:
    if not is_well_formed_refresh_token(presented):
        raise _invalid_refresh_token()
    known = repository.refresh_token_by_hash(session, token_digest(presented))
    if known is not None and principal.kind is PrincipalKind.USER and known.user_id == principal.id:
        repository.revoke_family(session, known.family_id, utcnow())
        audit.record(
            session,
            actor=principal,
            action=AuditAction.LOGOUT,
            entity=AuditEntity.USER,
            entity_id=principal.id,
        )


def principal_from_token(session: Session, settings: Settings, token: str) -> Principal:
    try:
        claims = decode_access_token(settings, token)
        kind_text, _, raw_id = claims.subject.partition(":")
        kind, subject_id = PrincipalKind(kind_text), uuid.UUID(raw_id)
    except (InvalidToken, ValueError) as exc:
        raise _invalid_token() from exc
    principal = load_principal(session, kind, subject_id, claims.generation)
    if principal is None:
        raise _invalid_token()
    return principal


def _invalid_token() -> Unauthorized:
    return Unauthorized(
        "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def load_principal(
    session: Session, kind: PrincipalKind, subject_id: uuid.UUID, generation: int
) -> Principal | None:
    """The caller behind a token, if the account still exists, is active and is still at
    the token's generation (one query): a deactivated user's tokens stop working at once,
    and tokens issued before their sessions were ended never work again."""
    if kind is PrincipalKind.USER:
        user = repository.user_principal(session, subject_id, generation)
        if user is None:
            return None
        return Principal(
            kind=kind,
            id=subject_id,
            name=user.username,
            role=user.role,
            scope_unit_id=user.scope_unit_id,
            scope_path=user.path,
            organisation=user.organisation,
            permissions=permissions_for(user.role),
            team_id=user.team_id,
        )
    client = repository.client_principal(session, subject_id)
    if client is None:
        return None
    return Principal(
        kind=kind,
        id=subject_id,
        name=client.client_id,
        role=Role.PARTNER,
        scope_unit_id=client.scope_unit_id,
        scope_path=client.path,
        organisation=client.organisation,
        permissions=permissions_for(Role.PARTNER),
    )


def account_principal(
    session: Session, kind: PrincipalKind, subject_id: uuid.UUID
) -> Principal | None:
    """The account ``subject_id`` as a caller, while it is active (not revoked, not
    deactivated, not deleted), whatever tokens it holds: what it may read is what its
    webhook endpoints receive."""
    if kind is PrincipalKind.CLIENT:
        return load_principal(session, kind, subject_id, 0)
    generation = repository.token_generation(session, subject_id)
    return None if generation is None else load_principal(session, kind, subject_id, generation)


def _path_of(session: Session, user: User) -> str:
    """Where a user's events are filed: their scope unit's path (a national viewer's, the
    whole country's)."""
    if user.scope_unit_id is None:
        return repository.NATIONAL_PATH
    path = repository.unit_path(session, user.scope_unit_id)
    assert path is not None  # the foreign key guarantees it
    return path


def scope_path_names(session: Session, principal: Principal) -> list[str]:
    ids = ancestor_ids(principal.scope_path)
    names = repository.unit_names(session, ids)
    return [names[unit_id] for unit_id in ids if unit_id in names]


def scope_unit(session: Session, principal: Principal) -> Unit | None:
    """The caller's scope unit; ``None`` for a national viewer (the whole country)."""
    if principal.scope_unit_id is None:
        return None
    unit = repository.unit_by_id(session, principal.scope_unit_id)
    assert unit is not None  # the foreign key guarantees it
    return unit


def full_name(session: Session, principal: Principal) -> str | None:
    if principal.kind is PrincipalKind.USER:
        found = repository.active_user_with_path(session, principal.id)
        return found[0].full_name if found else None
    return None


def change_own_password(
    session: Session, principal: Principal, current_password: str, new_password: str
) -> None:
    """Any user changes their own password with the current one; every session of the
    account ends, this one included (every token issued before stops working)."""
    found = repository.active_user_with_path(session, principal.id)
    if principal.kind is not PrincipalKind.USER or found is None:
        raise audit.denied(session, principal, Permission.OWN_PASSWORD)
    user, path = found
    if not verify_password(current_password, user.password_hash):
        raise Unprocessable(errors=[FieldError.of("body.current_password", "wrong_password")])
    problems = password_weaknesses(new_password, user.username)
    if problems:
        raise Unprocessable.at("body.new_password", "weak_password", reasons=problems)
    repository.set_password(session, user.id, hash_password(new_password))
    repository.end_sessions(session, user.id, utcnow())
    audit.record(
        session,
        actor=principal,
        action=AuditAction.CHANGE_PASSWORD,
        entity=AuditEntity.USER,
        entity_id=user.id,
        unit_path=path,
        before={"password": "old"},
        after={"password": "new"},
    )
