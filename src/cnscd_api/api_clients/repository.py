"""API client queries, limited to clients scoped inside the caller's subtree."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlmodel import Session, col, select

from cnscd_api.core.pagination import PageParams, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import scoped_columns, unscoped
from cnscd_api.models import ApiClient

READ_COLUMNS = (
    ApiClient.id,
    ApiClient.client_id,
    ApiClient.name,
    ApiClient.organisation,
    ApiClient.scope_unit_id,
    ApiClient.revoked_at,
    ApiClient.secret_rotated_at,
    ApiClient.version,
    ApiClient.created_at,
    ApiClient.updated_at,
)


def list_clients(
    session: Session, principal: Principal, page: PageParams
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(principal, ApiClient, *READ_COLUMNS)
    ordering: list[ColumnElement[Any]] = [col(ApiClient.created_at).asc(), col(ApiClient.id).asc()]
    return fetch_page(session, statement, page, ordering)


@unscoped("resolves a client_id to the id that the scoped read then loads")
def id_of(session: Session, client_id: str) -> uuid.UUID | None:
    found: uuid.UUID | None = session.exec(
        select(ApiClient.id).where(col(ApiClient.client_id) == client_id)
    ).first()
    return found


def add(session: Session, client: ApiClient) -> ApiClient:
    session.add(client)
    session.flush()
    return client
