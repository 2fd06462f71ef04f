"""API client queries, limited to clients scoped inside the caller's subtree."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.pagination import PageParams, paginate
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import in_scope
from cnscd_api.models import ApiClient, Unit


def clients_statement(principal: Principal) -> SelectOfScalar[ApiClient]:
    return (
        select(ApiClient)
        .join(Unit, col(Unit.id) == col(ApiClient.scope_unit_id))
        .where(in_scope(principal, col(Unit.path)))
    )


def get_client(session: Session, principal: Principal, client_uuid: uuid.UUID) -> ApiClient | None:
    return session.exec(
        clients_statement(principal).where(col(ApiClient.id) == client_uuid)
    ).one_or_none()


def list_clients(
    session: Session, principal: Principal, page: PageParams
) -> tuple[list[ApiClient], int]:
    ordering: list[ColumnElement[Any]] = [col(ApiClient.created_at).asc(), col(ApiClient.id).asc()]
    return paginate(session, clients_statement(principal), page, ordering)


def add(session: Session, client: ApiClient) -> ApiClient:
    session.add(client)
    session.flush()
    return client
