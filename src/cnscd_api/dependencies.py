"""Dependencies shared by every feature: the request's session, which owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from cnscd_api.core.errors import ProblemError
from cnscd_api.db import Database


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed after the endpoint returns and before the
    response is sent (``scope="function"``); any exception rolls it back."""
    writes = request.method not in {"GET", "HEAD", "OPTIONS"}
    database: Database = request.app.state.database
    with database.session(write=writes) as session:
        try:
            yield session
        except ProblemError as error:
            if error.keep_changes:
                session.commit()
            raise
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
