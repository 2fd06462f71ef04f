"""ETags and ``If-Match`` for objects that carry a ``version``.

``GET`` answers ``ETag: "<version>"``. ``PATCH`` and ``DELETE`` take ``If-Match``: a
stale or malformed value is 412 and changes nothing; without the header the write
still happens (clients that do not track versions keep working), but the UPDATE is
still conditional on the version read in the same request, so a concurrent writer is
never overwritten silently.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response
from sqlalchemy import delete, update
from sqlmodel import Session

from cnscd_api.core.errors import PreconditionFailed


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='The ETag from a GET (e.g. `"3"`); a stale one answers 412 and changes '
        "nothing.",
    ),
]


def check_if_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        return
    candidates = [candidate.strip() for candidate in if_match.split(",")]
    if "*" in candidates:
        return
    # If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak W/"3" never matches.
    if etag(version) not in candidates:
        raise PreconditionFailed()


def update_versioned(session: Session, obj: Any, seen_version: int, values: dict[str, Any]) -> bool:
    """Write ``values`` to a team or member only if it still has ``seen_version``
    (``UPDATE … WHERE id = :id AND version = :seen``); False when someone got there first."""
    model = type(obj)
    result = session.execute(
        update(model)
        .where(model.id == obj.id, model.version == seen_version)
        .values(**values, version=seen_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def delete_versioned(session: Session, obj: Any, seen_version: int) -> bool:
    model = type(obj)
    result = session.execute(delete(model).where(model.id == obj.id, model.version == seen_version))
    session.expunge(obj)
    return bool(getattr(result, "rowcount", 0) == 1)
