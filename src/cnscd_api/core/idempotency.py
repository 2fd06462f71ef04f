"""``Idempotency-Key`` for every POST: a retry gets the first answer again, not a second
effect.

How a POST with a key runs (``IdempotencyMiddleware``):

1. The caller is who the bearer token names, checked here by the very function the
   request checks it with (``authenticate``, the auth service's, given by the app):
   signature, account active, sessions not ended, API client not revoked. A token the
   request would refuse claims nothing and replays nothing: the request answers its
   401 itself. Without a token the caller is the client's address. Keys are the
   caller's own: two callers never share one.
2. The request is fingerprinted (method, path, query and body; for a multipart upload its
   fields and files, not the boundary a client makes up on every retry).
3. The key is claimed in a transaction of its own, committed at once, so that concurrent
   duplicates see the claim. A completed key with the same fingerprint answers what it
   answered the first time, with ``Idempotent-Replayed: true``; with another fingerprint
   it is 422 ``idempotency_key_reused``; a key still in progress is waited for (up to
   ``CNSCD_IDEMPOTENCY_WAIT_SECONDS``) and then replayed, or 409
   ``idempotency_key_in_progress`` if it takes longer.
4. The request runs. Its session is not committed when the endpoint returns: the answer
   is serialised first, then stored (sealed: it may hold a token or personal data) in the
   same transaction as the effect, and both commit together before the answer is sent.
   A request that fails releases the claim and stores nothing, so a corrected retry with
   the same key runs again.

Keys are kept ``CNSCD_IDEMPOTENCY_RETENTION_HOURS`` (24). A claim whose holder died
(a killed worker) expires after ``CLAIM_SECONDS`` and the next retry takes it over.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cnscd_api.config import Settings
from cnscd_api.core.errors import (
    DATABASE_UNAVAILABLE,
    Conflict,
    FieldError,
    ProblemError,
    Unprocessable,
    answer_to,
)
from cnscd_api.core.permissions import Principal
from cnscd_api.core.security import seal, unseal
from cnscd_api.db import Database
from cnscd_api.models import IdempotencyRecord, IdempotencyState, utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_REPLAYED_NAME = REPLAYED.lower().encode()
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
CLAIM_SECONDS = 60
POLL_SECONDS = 0.05
# Headers an answer is replayed with; the rest (dates, lengths, request ids) are new.
RECORDS: Any = IdempotencyRecord.__table__  # type: ignore[attr-defined]
KEPT_HEADERS = ("content-type", "etag", "location", "cache-control")
logger = logging.getLogger(__name__)
# The request's own check of a bearer token: the principal, or a ``ProblemError`` (401).
Authenticate = Callable[[Session, Settings, str], Principal]


@dataclass
class Claim:
    """A key this request holds; the request's session, once the endpoint has run."""

    database: Database
    settings: Settings
    caller: str
    key: str
    session: Session | None = field(default=None)
    released: bool = False
    # The caller as the token was checked here: the request takes it as it is instead of
    # reading the account a second time.
    principal: Principal | None = None

    def complete(self, status: int, headers: Headers, body: bytes) -> None:
        """Store the answer with the effect, in the request's transaction, and commit."""
        values = {
            "state": IdempotencyState.DONE,
            "status_code": status,
            "headers": {name: value for name, value in headers.items() if name in KEPT_HEADERS},
            "body": seal(self.settings, body),
            "expires_at": utcnow() + timedelta(hours=self.settings.idempotency_retention_hours),
        }
        statement = (
            update(RECORDS)
            .where(RECORDS.c.caller == self.caller, RECORDS.c.key == self.key)
            .values(**values)
        )
        assert self.session is not None  # the request's session waits for this
        try:
            self.session.connection().execute(statement)
            self.session.commit()
        finally:
            self.session.close()

    def release(self) -> None:
        """The request failed: forget the claim, so that a retry runs again. Called by the
        request's session once it has rolled back, or by the middleware when the answer
        is a failure (after closing the session the request left waiting)."""
        if self.released:
            return
        self.released = True
        if self.session is not None:
            self.session.close()
        with self.database.session(write=True) as session:
            _commit_without_flushing(session.connection())
            session.execute(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.caller) == self.caller,
                    col(IdempotencyRecord.key) == self.key,
                    col(IdempotencyRecord.state) == IdempotencyState.IN_PROGRESS,
                )
            )
            session.commit()


def pending_claim(request: Request) -> Claim | None:
    """The claim of the request, if it holds one (its session then waits for the answer)."""
    claim = getattr(request.state, "idempotency", None)
    return claim if isinstance(claim, Claim) else None


class IdempotencyMiddleware:
    """Applies ``Idempotency-Key`` to every POST (see the module's docstring).

    A middleware rather than a route wrapper because the request's session ends after the
    endpoint but before the answer goes out: here the answer is held back until it is
    stored with the effect and both have committed."""

    def __init__(self, app: ASGIApp, authenticate: Authenticate) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        send = _marking_first_answers(send)
        request = Request(scope)
        key = request.headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replaying(body)
        try:
            claim = await self._claim(request, key, body)
        except Exception as error:
            # A bad key, or the database unreachable or locked: what any request gets.
            await _answer(request, error)(scope, replay, send)
            return
        if isinstance(claim, Response):
            await claim(scope, replay, send)
            return
        if claim is None:  # a bad token: the request answers 401 by itself
            await self.app(scope, replay, send)
            return
        scope.setdefault("state", {})["idempotency"] = claim
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, replay, hold)
        except BaseException:
            await _let_go(claim)
            raise
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if status < 400 and claim.session is not None:
            headers = Headers(raw=next(m["headers"] for m in held if "headers" in m))
            try:
                await run_in_threadpool(claim.complete, status, headers, answer)
            except Exception as error:
                # Neither the effect nor its answer committed (the database went away, or
                # refused the effect at commit): the key is free for the client's retry.
                await _let_go(claim)
                await _answer(request, error)(scope, replay, send)
                return
        else:
            await _let_go(claim)
        for held_message in held:
            await send(held_message)

    async def _claim(self, request: Request, key: str, body: bytes) -> Claim | Response | None:
        if not KEY_PATTERN.match(key):
            raise Unprocessable(
                errors=[FieldError.of(f"header.{HEADER}", "idempotency_key_invalid")]
            )
        settings: Settings = request.app.state.settings
        database: Database = request.app.state.database
        found = await run_in_threadpool(_caller, request, settings, database, self.authenticate)
        if found is None:
            return None
        caller, principal = found
        fingerprint = await _fingerprint(request, body)
        claim = await _claim_or_replay(database, settings, caller, key, fingerprint)
        if isinstance(claim, Claim):
            claim.principal = principal
        return claim


async def _let_go(claim: Claim) -> None:
    """Release a failed request's claim; if the database cannot be reached for that
    either, the claim expires by itself after ``CLAIM_SECONDS``."""
    try:
        await run_in_threadpool(claim.release)
    except DATABASE_UNAVAILABLE:
        logger.warning("idempotency claim left to expire", extra={"after_s": CLAIM_SECONDS})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    """A ``receive`` that gives the app the body read here, then waits for disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _answer(request: Request, error: Exception) -> Response:
    """The app's answer to ``error``; an unexpected one goes on to the 500 handler."""
    answer = answer_to(request, error)
    if answer is None:
        raise error
    return answer


def _caller(
    request: Request, settings: Settings, database: Database, authenticate: Authenticate
) -> tuple[str, Principal | None] | None:
    """Whose key it is: the principal the token stands for today, or an anonymous
    client's address; None when the request would refuse the token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        client = request.client.host if request.client else "unknown"
        return f"anon:{client}", None
    try:
        with database.session() as session:
            principal = authenticate(session, settings, token.strip())
    except ProblemError:
        return None
    return f"{principal.kind.value}:{principal.id}", principal


async def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    form = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await Request(request.scope, _replaying(body)).form()
        except Exception:  # any broken form: the request answers it itself
            form = None
    if form is not None:
        for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
            digest.update(name.encode() + b"\0")
            if isinstance(value, UploadFile):
                digest.update((value.filename or "").encode() + b"\0")
                digest.update(await value.read())
            else:
                digest.update(value.encode())
            digest.update(b"\0")
        await form.close()
    else:
        digest.update(body)
    return digest.hexdigest()


async def _claim_or_replay(
    database: Database, settings: Settings, caller: str, key: str, fingerprint: str
) -> Claim | Response:
    deadline = time.monotonic() + settings.idempotency_wait_seconds
    while True:
        found = await run_in_threadpool(_try_claim, database, caller, key, fingerprint)
        if found is True:
            return Claim(database, settings, caller, key)
        if isinstance(found, IdempotencyRecord):
            if found.request_hash != fingerprint:
                raise Unprocessable("idempotency_key_reused")
            if found.state is IdempotencyState.DONE:
                return _replay(settings, found)
        if time.monotonic() >= deadline:
            raise Conflict("idempotency_key_in_progress", headers={"Retry-After": "1"})
        await asyncio.sleep(POLL_SECONDS)


def _try_claim(
    database: Database, caller: str, key: str, fingerprint: str
) -> bool | IdempotencyRecord:
    """True when this request now holds the key; else the key's record as it stands.

    On SQLite the key is read first, without taking the write lock: duplicates waiting
    for the first request only read (a writer would queue them all behind one lock). On
    PostgreSQL the claim is tried first, as one statement that does nothing when the key
    is taken: a new key, the usual case, costs one trip."""
    now = utcnow()
    stale: IdempotencyRecord | None = None
    if database.bind.dialect.name != "postgresql":
        stale = _read_record(database, caller, key)
        if stale is not None and _alive(stale, now):
            return stale
    for _ in range(3):
        if _insert_claim(database, caller, key, fingerprint, now, stale):
            return True
        found = _read_record(database, caller, key)
        if found is not None and _alive(found, now):
            return found
        # Gone in between, expired, or claimed by a request that died: try to take it.
        stale = found
    raise Conflict("idempotency_key_in_progress", headers={"Retry-After": "1"})


def _alive(record: IdempotencyRecord, now: datetime) -> bool:
    """An answer still kept, or a claim whose request is still running."""
    return record.expires_at >= now and (
        record.state is IdempotencyState.DONE or record.locked_until >= now
    )


def _read_record(database: Database, caller: str, key: str) -> IdempotencyRecord | None:
    with database.session() as session:
        record = session.get(IdempotencyRecord, (caller, key))
        if record is not None:
            session.expunge(record)
        return record


def _commit_without_flushing(connection: Connection) -> None:
    """On PostgreSQL, commit this transaction without waiting for its WAL to reach the
    disk (``synchronous_commit = off`` for it alone): other sessions see a claim (or its
    release) at once all the same, and a crash can only lose it together with what
    followed it, since the request's own commit flushes the WAL up to itself: a claim
    lost that way held nothing, and the retry runs again (a release lost that way leaves
    the claim to expire after ``CLAIM_SECONDS``). One disk flush per request instead of
    two."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _insert_claim(
    database: Database,
    caller: str,
    key: str,
    fingerprint: str,
    now: datetime,
    stale: IdempotencyRecord | None,
) -> bool:
    """Claim the key, replacing ``stale`` (its record as last read) if nobody else did."""
    with database.session(write=True) as session:
        connection = session.connection()
        _commit_without_flushing(connection)
        if stale is not None:
            connection.execute(
                delete(RECORDS).where(
                    RECORDS.c.caller == caller,
                    RECORDS.c.key == key,
                    RECORDS.c.expires_at == stale.expires_at,
                    RECORDS.c.locked_until == stale.locked_until,
                )
            )
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        claimed = connection.execute(
            insert(RECORDS)
            .values(
                caller=caller,
                key=key,
                request_hash=fingerprint,
                state=IdempotencyState.IN_PROGRESS,
                locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                expires_at=now + timedelta(seconds=CLAIM_SECONDS),
            )
            .on_conflict_do_nothing(index_elements=[RECORDS.c.caller, RECORDS.c.key])
            .returning(RECORDS.c.key)
        ).first()
        session.commit()
    return claimed is not None


def _marking_first_answers(send: Send) -> Send:
    """A POST's success that is not a replay says so: ``Idempotent-Replayed: false``."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            headers = list(message.get("headers", []))
            if all(name.lower() != _REPLAYED_NAME for name, _ in headers):
                message = {**message, "headers": [*headers, (_REPLAYED_NAME, b"false")]}
        await send(message)

    return marked


def _replay(settings: Settings, record: IdempotencyRecord) -> Response:
    headers = {**(record.headers or {}), REPLAYED: "true"}
    body = unseal(settings, record.body) if record.body is not None else b""
    return Response(body, status_code=record.status_code or 200, headers=headers)
