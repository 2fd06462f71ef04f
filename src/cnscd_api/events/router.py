"""``/events``: the change feed, and ``/event-types``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cnscd_api.auth.dependencies import require
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.events import all_types
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.events import service
from cnscd_api.events.schemas import EventFeed, EventRead, EventTypes

router = APIRouter(
    route_class=ContractRoute, tags=["events"], responses=problem_responses(401, 403)
)

EventReader = Annotated[Principal, Depends(require(Permission.EVENTS_READ))]
MAX_LIMIT = 500


@router.get(
    "/events",
    response_model=EventFeed,
    summary="Read the changes you may see, in commit order, after a position",
    responses=problem_responses(422, codes=["unknown_sequence", "event_type_unknown"]),
)
def list_events(
    session: SessionDep,
    reader: EventReader,
    after: Annotated[
        int,
        Query(
            ge=0,
            le=2**62,
            description="The `sequence` of the last event you have read (`next_after` of "
            "the last page); `0` for the beginning. A number that belongs to no event is "
            "answered 404 (`unknown_sequence`).",
        ),
    ] = 0,
    types: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="Only these types (repeat, or separate with commas); `activity.*` "
            "for every type of one object. `GET /event-types` lists them.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> EventFeed:
    """Events appear once their transaction and every older one have ended, so nothing
    committed later is listed before what you have read: resume with `next_after`. The
    same events are pushed to your webhook endpoints; after downtime, read from the
    `sequence` of the last one you received."""
    items, next_after = service.read_feed(session, reader, after, limit, types)
    return EventFeed(
        items=[EventRead.model_validate(item) for item in items], next_after=next_after, limit=limit
    )


@router.get("/event-types", response_model=EventTypes, summary="List the event types")
def list_event_types(reader: EventReader) -> EventTypes:
    """The types of `/events` and of webhook endpoints' `event_types`."""
    return EventTypes(items=all_types())
