"""API clients: created with a secret shown once, rotated, revoked."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.api_clients import repository
from cnscd_api.api_clients.schemas import ApiClientCreate
from cnscd_api.core import audit, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Principal
from cnscd_api.core.security import opaque_token, token_digest
from cnscd_api.models import ApiClient, AuditAction, utcnow
from cnscd_api.units import service as unit_service

CLIENT_ID_PREFIX = "cnscd_"


def get_client(session: Session, actor: Principal, client_uuid: uuid.UUID) -> ApiClient:
    return scope.get_or_404(session, actor, ApiClient, client_uuid)


def get_client_by_ref(session: Session, actor: Principal, reference: str) -> ApiClient:
    """The client named by its id (a UUID) or by its OAuth ``client_id`` (``cnscd_…``)."""
    if reference.startswith(CLIENT_ID_PREFIX):
        return scope.get_or_404(
            session, actor, ApiClient, repository.id_of(session, reference) or uuid.UUID(int=0)
        )
    return get_client(session, actor, uuid.UUID(reference))


def list_clients(
    session: Session, actor: Principal, page: PageParams
) -> tuple[list[Row[Any]], int]:
    return repository.list_clients(session, actor, page)


def create_client(
    session: Session, actor: Principal, data: ApiClientCreate
) -> tuple[ApiClient, str]:
    unit = unit_service.get_unit_for_write(session, actor, data.scope_unit_id)
    secret = opaque_token()
    client = ApiClient(
        client_id=f"{CLIENT_ID_PREFIX}{secrets.token_hex(8)}",
        name=data.name,
        organisation=data.organisation,
        scope_unit_id=unit.id,
        secret_hash=token_digest(secret),
    )
    repository.add(session, client)
    audit.created(session, actor, client, unit.path)
    return client, secret


def rotate_secret(session: Session, actor: Principal, client: ApiClient) -> str:
    if client.revoked_at is not None:
        raise Conflict("api_client_revoked")
    secret = opaque_token()
    before = audit.snapshot(client)
    update_versioned(
        session, client, {"secret_hash": token_digest(secret), "secret_rotated_at": utcnow()}
    )
    audit.updated(
        session,
        actor,
        client,
        before,
        unit_service.unit_path(session, client.scope_unit_id),
        action=AuditAction.ROTATE_SECRET,
        extra_before={"secret": "old"},
        extra_after={"secret": "new"},
    )
    return secret


def revoke(
    session: Session, actor: Principal, client: ApiClient, expected: ExpectedVersion
) -> None:
    expected.check(client.version)
    if client.revoked_at is not None:
        return
    before = audit.snapshot(client)
    update_versioned(session, client, {"revoked_at": utcnow()})
    audit.updated(
        session,
        actor,
        client,
        before,
        unit_service.unit_path(session, client.scope_unit_id),
        action=AuditAction.REVOKE,
    )
