"""Webhook endpoints: made, changed, rotated and removed by their owner, who alone sees
them; deliveries listed and sent again."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.concurrency import ExpectedVersion, delete_versioned, update_versioned
from cnscd_api.core.errors import Conflict, NotFound, Unprocessable
from cnscd_api.core.events import readable_entities
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Principal, PrincipalKind
from cnscd_api.events import repository as event_repository
from cnscd_api.events.service import wanted_types
from cnscd_api.models import AuditAction, DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from cnscd_api.webhooks import repository
from cnscd_api.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from cnscd_api.webhooks.urls import check_url

SECRET_PREFIX = "whsec_"  # noqa: S105 -- not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _checked_url(url: str, settings: Settings) -> str:
    check_url(url, settings)
    return url


def _checked_types(owner: Principal, types: list[str] | None) -> list[str] | None:
    """The types given (repeated or comma-separated), each one the registry gives and the
    owner may read (422 ``event_type_unknown``), sorted and once each."""
    if types is None:
        return None
    names = sorted({name.strip() for raw in types for name in raw.split(",") if name.strip()})
    readable = readable_entities(owner)
    for name in names:
        [(entity, _)] = wanted_types([name], "body.event_types") or [("", None)]
        if entity not in readable:
            raise Unprocessable.at("body.event_types", "event_type_unknown", type=name)
    return names


def get_endpoint(session: Session, owner: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    found = repository.get_owned(session, owner, endpoint_id)
    if found is None:
        raise NotFound(resource="webhook_endpoint")
    return found


def list_endpoints(
    session: Session, owner: Principal, page: PageParams
) -> tuple[list[Row[Any]], int]:
    return repository.list_owned(session, owner, page)


def create_endpoint(
    session: Session, owner: Principal, data: WebhookEndpointCreate, settings: Settings
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, receiving what is committed from now on; its secret."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        owner_user_id=owner.id if owner.kind is PrincipalKind.USER else None,
        owner_client_id=owner.id if owner.kind is PrincipalKind.CLIENT else None,
        unit_path=owner.scope_path,
        url=_checked_url(data.url, settings),
        description=data.description,
        event_types=_checked_types(owner, data.event_types),
        secret=secret,
        cursor=event_repository.head(session),
    )
    repository.add(session, endpoint)
    audit.created(session, owner, endpoint, owner.scope_path)
    return endpoint, secret


def update_endpoint(
    session: Session,
    owner: Principal,
    endpoint: WebhookEndpoint,
    data: WebhookEndpointUpdate,
    expected: ExpectedVersion,
    settings: Settings,
) -> WebhookEndpoint:
    expected.check(endpoint.version)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise Unprocessable.at("body.url", "webhook_url_invalid")
        _checked_url(changes["url"], settings)
    if "event_types" in changes:
        changes["event_types"] = _checked_types(owner, changes["event_types"])
    if changes.get("enabled") is None:
        changes.pop("enabled", None)
    elif changes["enabled"] and not endpoint.enabled:
        # Resumed from now on: what happened while paused is in the feed.
        changes.update(disabled_reason=None, cursor=event_repository.head(session))
    elif not changes["enabled"]:
        changes["disabled_reason"] = None
    before = audit.snapshot(endpoint)
    update_versioned(session, endpoint, changes)
    audit.updated(session, owner, endpoint, before, owner.scope_path)
    return endpoint


def rotate_secret(
    session: Session, owner: Principal, endpoint: WebhookEndpoint, settings: Settings
) -> str:
    """A new secret; the old one still signs for ``webhook_rotation_grace_hours``."""
    secret = new_secret()
    grace = timedelta(hours=settings.webhook_rotation_grace_hours)
    before = audit.snapshot(endpoint)
    update_versioned(
        session,
        endpoint,
        {
            "secret": secret,
            "previous_secret": endpoint.secret if grace else None,
            "previous_secret_until": utcnow() + grace if grace else None,
        },
    )
    audit.updated(
        session,
        owner,
        endpoint,
        before,
        owner.scope_path,
        action=AuditAction.ROTATE_SECRET,
        extra_before={"secret": "old"},
        extra_after={"secret": "new"},
    )
    return secret


def delete_endpoint(
    session: Session, owner: Principal, endpoint: WebhookEndpoint, expected: ExpectedVersion
) -> None:
    """The endpoint and its deliveries."""
    expected.check(endpoint.version)
    before, endpoint_id = audit.snapshot(endpoint), endpoint.id
    delete_versioned(session, endpoint)
    audit.deleted(session, owner, WebhookEndpoint, endpoint_id, before, owner.scope_path)


def list_deliveries(
    session: Session, endpoint: WebhookEndpoint, page: PageParams, status: DeliveryStatus | None
) -> tuple[list[Row[Any]], int]:
    return repository.list_deliveries(session, endpoint.id, page, status)


def redeliver(
    session: Session, owner: Principal, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send the delivery again now, with the same event id (409 while an attempt of it is
    under way, or while the endpoint is disabled)."""
    delivery = repository.get_delivery(session, endpoint.id, delivery_id)
    if delivery is None:
        raise NotFound(resource="webhook_delivery")
    if not endpoint.enabled:
        raise Conflict("webhook_endpoint_disabled")
    if delivery.leased_until is not None and delivery.leased_until > utcnow():
        raise Conflict("webhook_delivery_in_progress")
    repository.schedule_again(session, delivery.id)
    audit.record(
        session,
        actor=owner,
        action=AuditAction.REDELIVER,
        entity="webhook_endpoint",
        entity_id=endpoint.id,
        unit_path=owner.scope_path,
        after={"delivery_id": delivery.id, "event_id": delivery.event_id},
    )
    session.refresh(delivery)
    return delivery
