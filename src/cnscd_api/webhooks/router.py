"""``/webhook-endpoints``: where your events are pushed, signed (Standard Webhooks)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal, SettingsDep, check_permission, require
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import DeliveryStatus, WebhookEndpoint
from cnscd_api.webhooks import service
from cnscd_api.webhooks.schemas import (
    DeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = APIRouter(
    route_class=ContractRoute,
    prefix="/webhook-endpoints",
    tags=["webhooks"],
    responses=problem_responses(401, 403),
)

Owner = Annotated[Principal, Depends(require(Permission.WEBHOOKS_MANAGE))]
URL_CODES = [
    "webhook_url_invalid",
    "webhook_url_not_https",
    "webhook_url_forbidden_address",
    "webhook_url_unresolvable",
    "event_type_unknown",
]


def endpoint_for_owner(
    session: SessionDep, actor: CurrentPrincipal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """One of the caller's own endpoints (404 for anyone else's), then the permission."""
    endpoint = service.get_endpoint(session, actor, endpoint_id)
    check_permission(session, actor, Permission.WEBHOOKS_MANAGE)
    return endpoint


OwnEndpoint = Annotated[WebhookEndpoint, Depends(endpoint_for_owner)]


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(
        **WebhookEndpointRead.model_validate(endpoint).model_dump(), secret=secret
    )


@router.get("", response_model=Page[WebhookEndpointRead], summary="List your webhook endpoints")
def list_webhook_endpoints(session: SessionDep, owner: Owner, page: PageParamsDep) -> Response:
    """Your own endpoints, oldest first; secrets are never shown again."""
    rows, total = service.list_endpoints(session, owner, page)
    return page.response(WebhookEndpointRead, rows, total)


@router.post(
    "",
    response_model=WebhookEndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Create a webhook endpoint; the secret is shown once",
    responses=problem_responses(codes=URL_CODES),
)
def create_webhook_endpoint(
    body: WebhookEndpointCreate,
    session: SessionDep,
    owner: Owner,
    settings: SettingsDep,
    response: Response,
) -> WebhookEndpointWithSecret:
    """From now on, every committed change you may read (of `event_types`, if given) is
    POSTed to `url` as `{id, type, timestamp, data}`, with the headers `webhook-id` (the
    event's id, the same on every retry), `webhook-timestamp` and `webhook-signature`
    (Standard Webhooks: verify with `secret`). Answer 2xx to acknowledge; anything else
    is retried for about two days; 410 disables the endpoint."""
    endpoint, secret = service.create_endpoint(session, owner, body, settings)
    set_etag(response, endpoint.version)
    return _with_secret(endpoint, secret)


@router.get(
    "/{endpoint_id}",
    response_model=WebhookEndpointRead,
    summary="Read a webhook endpoint",
    responses=problem_responses(404),
)
def read_webhook_endpoint(endpoint: OwnEndpoint, response: Response) -> WebhookEndpointRead:
    """One of your endpoints (anyone else's is a 404), with its `ETag`; never its secret."""
    set_etag(response, endpoint.version)
    return WebhookEndpointRead.model_validate(endpoint)


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointRead,
    summary="Change, pause or resume a webhook endpoint",
    responses=problem_responses(404, 412, codes=URL_CODES),
)
def update_webhook_endpoint(
    body: WebhookEndpointUpdate,
    endpoint: OwnEndpoint,
    session: SessionDep,
    owner: CurrentPrincipal,
    settings: SettingsDep,
    expected: IfMatchDep,
    response: Response,
) -> WebhookEndpointRead:
    """`enabled: true` resumes an endpoint (one that answered 410 too) from now on."""
    updated = service.update_endpoint(session, owner, endpoint, body, expected, settings)
    set_etag(response, updated.version)
    return WebhookEndpointRead.model_validate(updated)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint and its deliveries",
    responses=problem_responses(404, 412),
)
def delete_webhook_endpoint(
    endpoint: OwnEndpoint, session: SessionDep, owner: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Nothing more is sent to it, and its deliveries go with it. Send `If-Match` to
    delete only the version you read."""
    service.delete_endpoint(session, owner, endpoint, expected)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointWithSecret,
    summary="Replace the endpoint's secret; the old one signs for a grace period",
    responses=problem_responses(404),
)
def rotate_webhook_secret(
    endpoint: OwnEndpoint,
    session: SessionDep,
    owner: CurrentPrincipal,
    settings: SettingsDep,
    response: Response,
) -> WebhookEndpointWithSecret:
    """The new secret, shown this once. Until `previous_secret_until`
    (`CNSCD_WEBHOOK_ROTATION_GRACE_HOURS`) deliveries carry two signatures, one per
    secret, so receivers can switch without losing an event."""
    secret = service.rotate_secret(session, owner, endpoint, settings)
    set_etag(response, endpoint.version)
    return _with_secret(endpoint, secret)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="List the endpoint's deliveries, newest first",
    responses=problem_responses(404),
)
def list_webhook_deliveries(
    endpoint: OwnEndpoint,
    session: SessionDep,
    page: PageParamsDep,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
) -> Response:
    """Each event sent (or to send): its status, attempts, the last answer's status code
    or error, and while pending the next attempt."""
    rows, total = service.list_deliveries(session, endpoint, page, delivery_status)
    return page.response(DeliveryRead, rows, total)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again",
    responses=problem_responses(
        404, codes=["webhook_endpoint_disabled", "webhook_delivery_in_progress"]
    ),
)
def redeliver_webhook(
    endpoint: OwnEndpoint, delivery_id: uuid.UUID, session: SessionDep, owner: CurrentPrincipal
) -> DeliveryRead:
    """Pending again now, with a fresh retry schedule and the same `webhook-id`."""
    delivery = service.redeliver(session, owner, endpoint, delivery_id)
    return DeliveryRead.model_validate(delivery)
