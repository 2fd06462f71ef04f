"""Webhook endpoint and delivery queries: an endpoint is reached by its owner only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Row, case, select, update
from sqlmodel import Session, col

from cnscd_api.core.pagination import PageParams, fetch_page
from cnscd_api.core.permissions import Principal, PrincipalKind
from cnscd_api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from cnscd_api.webhooks.schemas import DeliveryRead, WebhookEndpointRead


def owned_by(owner: Principal) -> ColumnElement[bool]:
    if owner.kind is PrincipalKind.USER:
        return col(WebhookEndpoint.owner_user_id) == owner.id
    return col(WebhookEndpoint.owner_client_id) == owner.id


def add(session: Session, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    session.flush()


def get_owned(
    session: Session, owner: Principal, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        col(WebhookEndpoint.id) == endpoint_id, owned_by(owner)
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: WebhookEndpoint | None = session.execute(statement).scalar_one_or_none()
    return found


def list_owned(session: Session, owner: Principal, page: PageParams) -> tuple[list[Row[Any]], int]:
    columns = [getattr(WebhookEndpoint, name) for name in WebhookEndpointRead.model_fields]
    statement = select(*columns).where(owned_by(owner))
    return fetch_page(
        session,
        statement,
        page,
        [col(WebhookEndpoint.created_at).asc(), col(WebhookEndpoint.id).asc()],
    )


DELIVERY_COLUMNS = [
    getattr(WebhookDelivery, name)
    for name in DeliveryRead.model_fields
    if name != "next_attempt_at"
]


def list_deliveries(
    session: Session, endpoint_id: uuid.UUID, page: PageParams, status: DeliveryStatus | None
) -> tuple[list[Row[Any]], int]:
    pending = col(WebhookDelivery.status) == DeliveryStatus.PENDING
    statement = select(
        *DELIVERY_COLUMNS,
        case((pending, col(WebhookDelivery.next_attempt_at)), else_=None).label("next_attempt_at"),
    ).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    ordering: list[ColumnElement[Any]] = [
        col(WebhookDelivery.created_at).desc(),
        col(WebhookDelivery.event_sequence).desc(),
    ]
    return fetch_page(session, statement, page, ordering)


def get_delivery(
    session: Session, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    found: WebhookDelivery | None = session.execute(
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.endpoint_id) == endpoint_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return found


def schedule_again(session: Session, delivery_id: uuid.UUID) -> None:
    """Pending now, with a fresh retry schedule, whatever it was (the same event id): a
    new delivery, so nothing of the earlier attempts' answer is left on it."""
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .values(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
            leased_until=None,
            lease_id=None,
            last_attempt_at=None,
            last_status_code=None,
            last_error=None,
            delivered_at=None,
        )
    )
