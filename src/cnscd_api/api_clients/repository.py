"""API client queries, limited to clients scoped inside the caller's subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlmodel import Session, col

from cnscd_api.core.pagination import PageParams, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import scoped_columns
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


def add(session: Session, client: ApiClient) -> ApiClient:
    session.add(client)
    session.flush()
    return client
