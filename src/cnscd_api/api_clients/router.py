"""``/api-clients``: partners' server-to-server credentials (province admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from cnscd_api.api_clients import service
from cnscd_api.api_clients.schemas import ApiClientCreate, ApiClientRead, ApiClientWithSecret
from cnscd_api.auth.dependencies import CurrentPrincipal, guarded, require
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import ApiClient

router = APIRouter(
    prefix="/api-clients", tags=["api clients"], responses=problem_responses(401, 403)
)

ClientManager = Annotated[Principal, Depends(require(Permission.API_CLIENTS_MANAGE))]


ClientForWrite = Annotated[
    ApiClient, Depends(guarded(service.get_client, Permission.API_CLIENTS_MANAGE, "client_id"))
]


def _with_secret(client: ApiClient, secret: str) -> ApiClientWithSecret:
    return ApiClientWithSecret(
        **ApiClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.get("", response_model=Page[ApiClientRead], summary="List API clients")
def list_api_clients(session: SessionDep, actor: ClientManager, page: PageParamsDep) -> Response:
    rows, total = service.list_clients(session, actor, page)
    return page.response(ApiClientRead, rows, total)


@router.post(
    "",
    response_model=ApiClientWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API client; the secret is shown once",
    responses=problem_responses(404),
)
def create_api_client(
    body: ApiClientCreate, session: SessionDep, actor: ClientManager, response: Response
) -> ApiClientWithSecret:
    client, secret = service.create_client(session, actor, body)
    set_etag(response, client.version)
    return _with_secret(client, secret)


@router.post(
    "/{client_id}/rotate-secret",
    response_model=ApiClientWithSecret,
    summary="Replace the client's secret; the old one stops working",
    responses=problem_responses(404, 409),
)
def rotate_api_client_secret(
    client: ClientForWrite, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> ApiClientWithSecret:
    secret = service.rotate_secret(session, actor, client)
    set_etag(response, client.version)
    return _with_secret(client, secret)


@router.delete(
    "/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API client; its tokens stop working at once",
    responses=problem_responses(404, 412),
)
def revoke_api_client(
    client: ClientForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    service.revoke(session, actor, client, expected)
