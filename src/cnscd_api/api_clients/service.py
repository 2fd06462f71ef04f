"""API clients: created with a secret shown once, rotated, revoked."""

from __future__ import annotations

import secrets
import uuid

from sqlmodel import Session

from cnscd_api.api_clients import repository
from cnscd_api.api_clients.schemas import ApiClientCreate
from cnscd_api.core import audit
from cnscd_api.core.errors import Conflict, NotFound
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Principal
from cnscd_api.core.security import opaque_token, token_digest
from cnscd_api.models import ApiClient, utcnow
from cnscd_api.units import repository as unit_repository


def get_client(session: Session, actor: Principal, client_uuid: uuid.UUID) -> ApiClient:
    client = repository.get_client(session, actor, client_uuid)
    if client is None:
        raise NotFound(resource="api_client")
    return client


def list_clients(
    session: Session, actor: Principal, page: PageParams
) -> tuple[list[ApiClient], int]:
    return repository.list_clients(session, actor, page)


def create_client(
    session: Session, actor: Principal, data: ApiClientCreate
) -> tuple[ApiClient, str]:
    unit = unit_repository.get_unit_in_subtree(session, actor, data.scope_unit_id)
    if unit is None:
        raise NotFound(resource="unit")
    secret = opaque_token()
    client = ApiClient(
        client_id=f"cnscd_{secrets.token_hex(8)}",
        name=data.name,
        organisation=data.organisation,
        scope_unit_id=unit.id,
        secret_hash=token_digest(secret),
    )
    repository.add(session, client)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="api_client",
        entity_id=client.id,
        unit_path=unit.path,
        after={"name": client.name, "organisation": client.organisation, "scope_unit_id": unit.id},
    )
    return client, secret


def rotate_secret(session: Session, actor: Principal, client: ApiClient) -> str:
    if client.revoked_at is not None:
        raise Conflict("api_client_revoked")
    secret = opaque_token()
    client.secret_hash = token_digest(secret)
    client.secret_rotated_at = utcnow()
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rotate_secret",
        entity="api_client",
        entity_id=client.id,
        unit_path=unit_repository.path_of(session, client.scope_unit_id),
        before={"secret": "old"},
        after={"secret": "new"},
    )
    return secret


def revoke(session: Session, actor: Principal, client: ApiClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.add(client)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="revoke",
            entity="api_client",
            entity_id=client.id,
            unit_path=unit_repository.path_of(session, client.scope_unit_id),
        )
