"""Read-only answers offered as JSON or CSV, with an ETag of the body and a short
private cache lifetime.

A route takes ``RepresentationDep`` and answers ``representation.answer(model, table_of)``:
JSON (the model) by default, or CSV (the table: headers and rows, UTF-8 with a BOM so
that Excel shows Vietnamese) when ``Accept`` prefers ``text/csv`` or the query says
``format=csv`` (which wins over ``Accept``: a link, or a generated client that sends no
``Accept`` of its choosing, can ask for CSV). The ``ETag`` is a hash
of the body sent, so a client that sends it back as ``If-None-Match`` gets a bodyless
``304`` while nothing changed; ``Cache-Control: private, max-age=…`` lets a browser keep
the answer for ``CNSCD_STATS_MAX_AGE_SECONDS``. ``REPRESENTATION_RESPONSES`` documents
the CSV media type, the headers and the 304 in the OpenAPI document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request, Response
from pydantic import BaseModel

from cnscd_api.core.spreadsheet import CSV_MEDIA_TYPE, csv_chunks

JSON_MEDIA_TYPE = "application/json"
CSV = "text/csv"
VARY = "Accept, Accept-Language, Authorization"
M = TypeVar("M", bound=BaseModel)


class AnswerFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class Table:
    """A flat rendering of an answer: one header row, then the rows."""

    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    filename: str


def _quality(part: str) -> tuple[str, float]:
    media, *params = (piece.strip() for piece in part.split(";"))
    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def prefers_csv(accept: str | None) -> bool:
    """``Accept`` asks for CSV, and rates it above JSON (or does not name JSON at all)."""
    if not accept:
        return False
    ranked = dict(_quality(part) for part in accept.split(",") if part.strip())
    csv = ranked.get(CSV, 0.0)
    return csv > 0 and csv > ranked.get(JSON_MEDIA_TYPE, 0.0)


def body_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names this ETag (weakly compared, as RFC 9110 asks for GET), or
    is ``*``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


@dataclass(frozen=True)
class Representation:
    csv: bool
    if_none_match: str | None
    max_age: int

    def answer(self, model: M, table_of: Callable[[M], Table]) -> Response:
        """``model`` as JSON, or as CSV through ``table_of`` (built only when asked)."""
        if self.csv:
            table = table_of(model)
            body = b"".join(csv_chunks(table.headers, table.rows))
            media_type = CSV_MEDIA_TYPE
            extra = {"Content-Disposition": f'attachment; filename="{table.filename}.csv"'}
        else:
            body = model.__pydantic_serializer__.to_json(model)
            media_type, extra = JSON_MEDIA_TYPE, {}
        etag = body_etag(body)
        headers = {
            "ETag": etag,
            "Cache-Control": f"private, max-age={self.max_age}",
            "Vary": VARY,
        }
        if etag_matches(self.if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers={**headers, **extra})


async def representation(
    request: Request,
    answer_format: Annotated[
        AnswerFormat | None,
        Query(
            alias="format",
            description="`csv` for CSV, `json` for JSON, whatever `Accept` says; without "
            "it, `Accept` decides (JSON unless it prefers `text/csv`).",
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            max_length=2000,
            description="The `ETag` of an answer you kept: while it is still the answer, "
            "the server sends 304 without a body.",
        ),
    ] = None,
) -> Representation:
    settings = request.app.state.settings
    csv = (
        answer_format is AnswerFormat.CSV
        if answer_format is not None
        else prefers_csv(request.headers.get("accept"))
    )
    return Representation(
        csv=csv,
        if_none_match=if_none_match,
        max_age=settings.stats_max_age_seconds,
    )


RepresentationDep = Annotated[Representation, Depends(representation)]

_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "A hash of the body: send it back as `If-None-Match` to get a 304 "
        "while the answer has not changed.",
        "schema": {"type": "string", "pattern": '^"[0-9a-f]{32}"$'},
        "required": True,
    },
    "Cache-Control": {
        "description": "`private, max-age=60` (the seconds are a server setting): a browser "
        "may keep the answer that long; shared caches may not keep it.",
        "schema": {"type": "string"},
        "required": True,
    },
    "Vary": {
        "description": "`Accept, Accept-Language, Authorization`: the answer depends on them.",
        "schema": {"type": "string"},
        "required": True,
    },
}

# The ``responses=`` entry of a route answered through ``Representation``.
REPRESENTATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or CSV (UTF-8 with a byte-order mark, for Excel) with "
        "`format=csv` or when `Accept` prefers `text/csv`.",
        "content": {CSV: {"schema": {"type": "string"}}},
        "headers": {
            **_HEADERS,
            "Content-Disposition": {
                "description": 'With CSV only: `attachment; filename="….csv"`.',
                "schema": {"type": "string"},
            },
        },
    },
    304: {
        "description": "Not Modified: the `If-None-Match` you sent is still the answer's ETag.",
        "headers": _HEADERS,
    },
}
