"""``Idempotency-Key`` for every POST: a retry gets the first answer again, not a second
effect.

How a POST with a key runs (``around``, applied by the route class every router uses):

1. The caller is who the bearer token names (its signature checked here; the account is
   checked by the request as always), or, without a token, the client's address. Keys
   are the caller's own: two callers never share one.
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
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from cnscd_api.config import Settings
from cnscd_api.core.errors import Conflict, FieldError, Unprocessable
from cnscd_api.core.security import InvalidToken, decode_access_token, seal, unseal
from cnscd_api.db import Database
from cnscd_api.models import IdempotencyRecord, IdempotencyState, utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
CLAIM_SECONDS = 60
POLL_SECONDS = 0.05
PURGE_CHANCE = 0.01
# Headers an answer is replayed with; the rest (dates, lengths, request ids) are new.
KEPT_HEADERS = ("content-type", "etag", "location", "cache-control")
Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Claim:
    """A key this request holds; the request's session, once the endpoint has run."""

    database: Database
    settings: Settings
    caller: str
    key: str
    session: Session | None = field(default=None)

    def complete(self, response: Response) -> None:
        """Store the answer with the effect, in the request's transaction, and commit."""
        values = {
            "state": IdempotencyState.DONE,
            "status_code": response.status_code,
            "headers": {
                name: value for name, value in response.headers.items() if name in KEPT_HEADERS
            },
            "body": seal(self.settings, bytes(response.body)),
            "expires_at": utcnow() + timedelta(hours=self.settings.idempotency_retention_hours),
        }
        statement = (
            update(IdempotencyRecord)
            .where(
                col(IdempotencyRecord.caller) == self.caller, col(IdempotencyRecord.key) == self.key
            )
            .values(**values)
        )
        if self.session is None:
            with self.database.session(write=True) as session:
                session.execute(statement)
                session.commit()
            return
        try:
            self.session.execute(statement)
            self.session.commit()
        finally:
            self.session.close()

    def release(self) -> None:
        """The request failed: forget the claim, so that a retry runs again."""
        if self.session is not None:
            self.session.close()
        with self.database.session(write=True) as session:
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


async def around(request: Request, handler: Handler) -> Response:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return await handler(request)
    if not KEY_PATTERN.match(key):
        raise Unprocessable(errors=[FieldError.of(f"header.{HEADER}", "idempotency_key_invalid")])
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.database
    caller = _caller(request, settings)
    if caller is None:
        return await handler(request)  # a bad token: the request answers 401 by itself
    fingerprint = await _fingerprint(request)
    found = await _claim_or_replay(database, settings, caller, key, fingerprint)
    if isinstance(found, Response):
        return found
    request.state.idempotency = found
    try:
        response = await handler(request)
    except BaseException:
        await run_in_threadpool(found.release)
        raise
    if response.status_code >= 400 or not hasattr(response, "body"):
        await run_in_threadpool(found.release)
        if found.session is not None:
            await run_in_threadpool(found.session.close)
        return response
    await run_in_threadpool(found.complete, response)
    return response


def _caller(request: Request, settings: Settings) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        client = request.client.host if request.client else "unknown"
        return f"anon:{client}"
    try:
        return decode_access_token(settings, token.strip()).subject
    except InvalidToken:
        return None


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
            digest.update(name.encode() + b"\0")
            if isinstance(value, UploadFile):
                digest.update((value.filename or "").encode() + b"\0")
                digest.update(await value.read())
                await value.seek(0)
            else:
                digest.update(value.encode())
            digest.update(b"\0")
    else:
        digest.update(await request.body())
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
    """True when this request now holds the key; else the key's record as it stands."""
    now = utcnow()
    with database.session(write=True) as session:
        if random.random() < PURGE_CHANCE:  # noqa: S311 -- housekeeping, not security
            session.execute(
                delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < now)
            )
        table: Any = IdempotencyRecord.__table__  # type: ignore[attr-defined]
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        claimed = session.execute(
            insert(table)
            .values(
                caller=caller,
                key=key,
                request_hash=fingerprint,
                state=IdempotencyState.IN_PROGRESS,
                locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                expires_at=now + timedelta(seconds=CLAIM_SECONDS),
            )
            .on_conflict_do_nothing(index_elements=[table.c.caller, table.c.key])
            .returning(table.c.key)
        ).first()
        if claimed is not None:
            session.commit()
            return True
        record = session.get(IdempotencyRecord, (caller, key))
        if record is None or record.expires_at < now:
            if record is not None:
                session.delete(record)
            session.commit()
            return _try_claim(database, caller, key, fingerprint)
        if record.state is IdempotencyState.IN_PROGRESS and record.locked_until < now:
            taken = session.execute(
                update(IdempotencyRecord)
                .where(
                    col(IdempotencyRecord.caller) == caller,
                    col(IdempotencyRecord.key) == key,
                    col(IdempotencyRecord.locked_until) == record.locked_until,
                )
                .values(
                    request_hash=fingerprint,
                    locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                    expires_at=now + timedelta(seconds=CLAIM_SECONDS),
                )
            )
            session.commit()
            return getattr(taken, "rowcount", 0) == 1 or record
        session.expunge(record)
        return record


def _replay(settings: Settings, record: IdempotencyRecord) -> Response:
    headers = {**(record.headers or {}), REPLAYED: "true"}
    body = unseal(settings, record.body) if record.body is not None else b""
    return Response(body, status_code=record.status_code or 200, headers=headers)
