"""ETags and ``If-Match`` for objects that carry a ``version`` (``models.Versioned``).

``GET`` answers ``ETag: "<version>"``. ``PATCH`` and ``DELETE`` take ``If-Match``, which
the ``IfMatchDep`` dependency parses into an ``ExpectedVersion`` so that services never
see headers: a stale or malformed value is 412 and changes nothing; without the header
the write still happens (clients that do not track versions keep working), but the
UPDATE is still conditional on the version read in the same request, so a concurrent
writer is never overwritten silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Response
from sqlalchemy import delete, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from cnscd_api.core.errors import PreconditionFailed
from cnscd_api.core.text import collation_key
from cnscd_api.models import Versioned, utcnow

_STRONG_ETAG = re.compile(r'^"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


@dataclass(frozen=True)
class ExpectedVersion:
    """The versions ``If-Match`` accepts; ``None`` means any (no header, or ``*``)."""

    versions: frozenset[int] | None = None

    def check(self, current: int) -> None:
        """412 unless the object's current version is one the client expects."""
        if self.versions is not None and current not in self.versions:
            raise PreconditionFailed()


ANY_VERSION = ExpectedVersion()


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description='The ETag from a GET (e.g. `"3"`); a stale one answers 412 and '
            "changes nothing.",
        ),
    ] = None,
) -> ExpectedVersion:
    if if_match is None:
        return ANY_VERSION
    candidates = [candidate.strip() for candidate in if_match.split(",")]
    if "*" in candidates:
        return ANY_VERSION
    # If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak W/"3" never matches,
    # nor does anything that is not an ETag of ours.
    versions = {int(m.group(1)) for c in candidates if (m := _STRONG_ETAG.match(c))}
    return ExpectedVersion(frozenset(versions))


IfMatchDep = Annotated[ExpectedVersion, Depends(expected_version)]


def update_versioned(session: Session, obj: Versioned, values: dict[str, Any]) -> None:
    """Write ``values`` to ``obj`` only if it still has the version it was read with
    (``UPDATE … WHERE id = :id AND version = :seen``), bump the version and
    ``updated_at``, set the sort key of a changed name (``__collation_keys__``), and refresh
    ``obj`` from the row written (``RETURNING``, no second trip); 412 when someone got there
    first."""
    model = type(obj)
    seen = obj.version
    keys = {
        key: collation_key(values[source])
        for key, source in model.__collation_keys__.items()
        if source in values
    }
    values = {**values, **keys}
    attributes = inspect(model).column_attrs
    written = session.execute(
        update(model)
        .where(model.id == obj.id, col(model.version) == seen)  # type: ignore[attr-defined]
        .values(**values, version=seen + 1, updated_at=utcnow())
        .returning(*(attribute.columns[0] for attribute in attributes))
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if written is None:
        raise PreconditionFailed()
    for attribute, value in zip(attributes, written, strict=True):
        set_committed_value(obj, attribute.key, value)


def delete_versioned(session: Session, obj: Versioned) -> None:
    """Delete ``obj`` only if it still has the version it was read with; else 412."""
    model = type(obj)
    result = session.execute(
        delete(model).where(
            model.id == obj.id,  # type: ignore[attr-defined]
            col(model.version) == obj.version,
        )
    )
    session.expunge(obj)
    if getattr(result, "rowcount", 0) != 1:
        raise PreconditionFailed()
