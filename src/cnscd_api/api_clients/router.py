"""``/api-clients``: partners' server-to-server credentials (province admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from starlette.convertors import Convertor, register_url_convertor

from cnscd_api.api_clients import service
from cnscd_api.api_clients.schemas import ApiClientCreate, ApiClientRead, ApiClientWithSecret
from cnscd_api.auth.dependencies import CurrentPrincipal, check_permission, require
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import ApiClient

router = APIRouter(
    route_class=ContractRoute,
    prefix="/api-clients",
    tags=["api clients"],
    responses=problem_responses(401, 403),
)

ClientManager = Annotated[Principal, Depends(require(Permission.API_CLIENTS_MANAGE))]


UUID_REGEX = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
CLIENT_ID_REGEX = f"{service.CLIENT_ID_PREFIX}[0-9a-f]{{16}}"


class ClientReference(Convertor[str]):
    """``{client_id:client_ref}``: an API client's ``id`` (UUID) or its ``client_id``."""

    regex = f"(?:{UUID_REGEX}|{CLIENT_ID_REGEX})"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("client_ref", ClientReference())

ClientRef = Annotated[
    str,
    Path(
        alias="client_id",
        pattern=f"^{ClientReference.regex}$",
        description="The client's `id` (a UUID, as in lists) or its OAuth `client_id` "
        "(`cnscd_` and 16 hexadecimal digits, what the partner logs in with): either names it.",
        examples=["cnscd_0123456789abcdef"],
    ),
]


def client_for_write(
    session: SessionDep, actor: CurrentPrincipal, reference: ClientRef
) -> ApiClient:
    """The client through the caller's scoped query (404), then the permission (403)."""
    client = service.get_client_by_ref(session, actor, reference)
    check_permission(session, actor, Permission.API_CLIENTS_MANAGE)
    return client


ClientForWrite = Annotated[ApiClient, Depends(client_for_write)]


def _with_secret(client: ApiClient, secret: str) -> ApiClientWithSecret:
    return ApiClientWithSecret(
        **ApiClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.get("", response_model=Page[ApiClientRead], summary="List API clients")
def list_api_clients(session: SessionDep, actor: ClientManager, page: PageParamsDep) -> Response:
    """The partners' clients scoped inside your unit, oldest first. Secrets are never shown
    again; `client_id` is what the partner logs in with."""
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
    """The answer holds `client_secret`, shown this once (only its hash is kept): hand it
    to the partner with `client_id`. The client reads, with masked personal data, what
    lies in `scope_unit_id`'s subtree."""
    client, secret = service.create_client(session, actor, body)
    set_etag(response, client.version)
    return _with_secret(client, secret)


@router.post(
    "/{client_id:client_ref}/rotate-secret",
    response_model=ApiClientWithSecret,
    summary="Replace the client's secret; the old one stops working",
    responses=problem_responses(404, codes=["api_client_revoked"]),
)
def rotate_api_client_secret(
    client: ClientForWrite, session: SessionDep, actor: CurrentPrincipal, response: Response
) -> ApiClientWithSecret:
    """A new secret, shown this once; the old one can no longer log in (access tokens
    already issued work until they expire, `CNSCD_ACCESS_TOKEN_MINUTES`). A revoked
    client is a 409. The path takes the `id` or the `client_id`."""
    secret = service.rotate_secret(session, actor, client)
    set_etag(response, client.version)
    return _with_secret(client, secret)


@router.delete(
    "/{client_id:client_ref}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API client; its tokens stop working at once",
    responses=problem_responses(404, 412),
)
def revoke_api_client(
    client: ClientForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """Its tokens stop working at once and it can no longer log in; revoking a revoked
    client changes nothing. The path takes the `id` or the `client_id`."""
    service.revoke(session, actor, client, expected)
