"""ETags and ``If-Match`` for objects that carry a ``version``.

``GET`` answers ``ETag: "<version>"``. ``PATCH`` and ``DELETE`` take ``If-Match``: a
stale or malformed value is 412 and changes nothing; without the header the write
still happens (clients that do not track versions keep working), but the UPDATE is
still conditional on the version read in the same request, so a concurrent writer is
never overwritten silently.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

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
