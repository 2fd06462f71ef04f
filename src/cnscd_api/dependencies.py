"""Dependencies shared by every feature: the request's session, which owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from cnscd_api.core.errors import ProblemError
from cnscd_api.core.i18n import Language, preferred_language
from cnscd_api.core.idempotency import pending_claim
from cnscd_api.db import Database


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
    finally:
        session.close()


async def _release(request: Request) -> None:
    """A failed idempotent POST gives its key back, once its own session is closed."""
    claim = pending_claim(request)
    if claim is not None:
        await run_in_threadpool(claim.release)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed after the endpoint returns and before the
    response is sent (``scope="function"``); any exception rolls it back.

    Opening a session does no I/O (the connection is taken at the first query, in the
    endpoint's thread), so it happens on the event loop; the commit and the return of
    the connection to the pool happen together in one trip through the thread pool."""
    writes = request.method not in {"GET", "HEAD", "OPTIONS"}
    database: Database = request.app.state.database
    session = database.session(write=writes)
    claim = pending_claim(request)
    try:
        yield session
    except ProblemError as error:
        await run_in_threadpool(_finish, session, error.keep_changes)
        await _release(request)
        raise
    except BaseException:
        await run_in_threadpool(_finish, session, False)
        await _release(request)
        raise
    if claim is not None:
        # An idempotent POST: the answer is stored in this transaction, which commits
        # once the answer is ready (core.idempotency).
        claim.session = session
        return
    await run_in_threadpool(_finish, session, True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def request_language(
    accept_language: Annotated[
        str | None,
        Header(
            alias="Accept-Language",
            max_length=200,
            description="`vi` for Vietnamese names and messages; English otherwise.",
        ),
    ] = None,
) -> Language:
    return preferred_language(accept_language)


LanguageDep = Annotated[Language, Depends(request_language)]
