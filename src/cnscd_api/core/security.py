"""Passwords (Argon2id through pwdlib) and tokens (python-jose, HS256 only).

This is the only module that imports jose. Access tokens carry ``iss``, ``aud``, ``sub``,
``iat``, ``nbf``, ``exp``, ``jti``, ``typ`` and ``gen`` (the account's token generation);
all are required on decode, and the algorithm list is fixed, so ``alg: none`` or any
other algorithm is refused. Before decoding, a token must be in strict compact form:
jose's base64 decoder skips characters outside the alphabet, so ``<token>!!`` would
otherwise verify like ``<token>``. Refresh tokens and client secrets are opaque random
strings stored as SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from cnscd_api.config import Settings
from cnscd_api.core.i18n import Text
from cnscd_api.models.base import utcnow

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 -- not a secret
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "typ", "gen")
# Ours are about 300 characters; anything much longer is not one of ours.
MAX_ACCESS_TOKEN_LENGTH = 2048
_BASE64URL_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
# ``secrets.token_urlsafe(32)``: 32 random bytes, 43 base64url characters, no padding.
REFRESH_TOKEN_BYTES = 32
_REFRESH_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")
MIN_PASSWORD_LENGTH = 10
LONG_PASSWORD_LENGTH = 16
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "123456789", "1234567890", "qwertyuiop", "matkhau123", "admin12345"}
)

_password_hash = PasswordHash((Argon2Hasher(),))


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both cases take the same time
    (made on first use: hashing at import cost every process, every command, a second)."""
    return _password_hash.hash(secrets.token_urlsafe(16))


class InvalidToken(Exception):
    """The token is malformed, forged, expired, not yet valid or of the wrong kind."""


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return verify_and_update_password(password, password_hash)[0]


def verify_and_update_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Whether the password matches, and when it does but the hash was made with other
    parameters than today's (or another algorithm), a new hash to store in its place."""
    if password_hash is None:
        _password_hash.verify(password, _dummy_hash())
        return False, None
    return _password_hash.verify_and_update(password, password_hash)


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
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def is_well_formed_refresh_token(token: str) -> bool:
    """Whether ``token`` has the form of the refresh tokens we issue (43 base64url
    characters), so that anything else is refused without a database lookup."""
    return _REFRESH_TOKEN_FORM.fullmatch(token) is not None


def _canonical_base64url(segment: str) -> bool:
    """``segment`` is unpadded base64url that decodes and re-encodes to itself: no
    character outside the alphabet, no padding, no stray bits in the last character
    (which the decoder would ignore, giving several spellings of one signature)."""
    if _BASE64URL_SEGMENT.fullmatch(segment) is None or len(segment) % 4 == 1:
        return False
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") == segment


def is_well_formed_access_token(token: str) -> bool:
    """Exactly three canonical base64url segments separated by dots, of sane length."""
    if not 0 < len(token) <= MAX_ACCESS_TOKEN_LENGTH or not token.isascii():
        return False
    segments = token.split(".")
    return len(segments) == 3 and all(_canonical_base64url(segment) for segment in segments)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digests_match(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    token_id: str
    expires_at: datetime
    generation: int


def create_access_token(
    settings: Settings, subject: str, now: datetime | None = None, generation: int = 0
) -> tuple[str, int]:
    """A signed access token for ``subject`` (``user:<id>`` or ``client:<id>``) and its
    lifetime in seconds. ``generation`` is the account's token generation when the token
    is issued; a user's token is accepted only while the account is still at it."""
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
        "gen": generation,
    }
    token: str = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    if not is_well_formed_access_token(token):
        raise InvalidToken("not a compact JWS")
    try:
        claims = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={
                f"require_{claim}": True for claim in REQUIRED_CLAIMS if claim not in {"typ", "gen"}
            },
        )
    except (JWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidToken(type(exc).__name__) from exc
    if claims.get("typ") != ACCESS_TOKEN_TYPE or not isinstance(claims.get("sub"), str):
        raise InvalidToken("not an access token")
    generation = claims.get("gen")
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise InvalidToken("no token generation")
    return AccessClaims(
        subject=claims["sub"],
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
        generation=generation,
    )


# --- sealing stored answers ---------------------------------------------------------------


def _sealing_key(settings: Settings) -> bytes:
    """A key of its own for stored answers, derived from the signing secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"cnscd idempotent answers"
    ).derive(settings.signing_key().encode())


def seal(settings: Settings, data: bytes) -> bytes:
    """Encrypt and authenticate ``data`` (AES-256-GCM): kept answers may hold tokens or
    personal data, and the database is not where those should be readable."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_sealing_key(settings)).encrypt(nonce, data, None)


def unseal(settings: Settings, sealed: bytes) -> bytes:
    return AESGCM(_sealing_key(settings)).decrypt(sealed[:12], sealed[12:], None)
