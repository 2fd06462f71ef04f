"""Passwords (Argon2id through pwdlib) and tokens (python-jose, HS256 only).

This is the only module that imports jose. Access tokens carry ``iss``, ``aud``, ``sub``,
``iat``, ``nbf``, ``exp``, ``jti`` and ``typ``; all are required on decode, and the
algorithm list is fixed, so ``alg: none`` or any other algorithm is refused. Refresh
tokens and client secrets are opaque random strings stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from cnscd_api.config import Settings
from cnscd_api.core.i18n import Text
from cnscd_api.models.base import utcnow

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 -- not a secret
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "typ")
MIN_PASSWORD_LENGTH = 10
LONG_PASSWORD_LENGTH = 16
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "123456789", "1234567890", "qwertyuiop", "matkhau123", "admin12345"}
)

_password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))


class InvalidToken(Exception):
    """The token is malformed, forged, expired, not yet valid or of the wrong kind."""


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def password_weaknesses(password: str, username: str | None = None) -> list[Text]:
    """Why a password is too weak (empty when it is acceptable), as messages to render
    in the caller's language."""
    problems: list[Text] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(Text("password_too_short", min_length=MIN_PASSWORD_LENGTH))
    classes = sum(
        bool(re.search(pattern, password))
        for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d]")
    )
    if classes < 3 and len(password) < LONG_PASSWORD_LENGTH:
        problems.append(Text("password_few_classes", long_length=LONG_PASSWORD_LENGTH))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(Text("password_common"))
    if username and username.lower() in password.lower():
        problems.append(Text("password_has_username"))
    return problems


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Why a password is too weak, in English (the command line)."""
    return [problem.render("en") for problem in password_weaknesses(password, username)]


def opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digests_match(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    token_id: str
    expires_at: datetime


def create_access_token(
    settings: Settings, subject: str, now: datetime | None = None
) -> tuple[str, int]:
    """A signed access token for ``subject`` (``user:<id>`` or ``client:<id>``) and its
    lifetime in seconds."""
    issued = now or utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": subject,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TOKEN_TYPE,
    }
    token: str = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS if claim != "typ"},
        )
    except (JWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidToken(type(exc).__name__) from exc
    if claims.get("typ") != ACCESS_TOKEN_TYPE or not isinstance(claims.get("sub"), str):
        raise InvalidToken("not an access token")
    return AccessClaims(
        subject=claims["sub"],
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
    )
