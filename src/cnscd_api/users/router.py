"""``/users``: accounts of officers, team leaders, partners' staff and viewers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.dependencies import SessionDep
from cnscd_api.models import Role
from cnscd_api.users import service
from cnscd_api.users.dependencies import UserForRead, UserForWrite, UserReader, UserWriter
from cnscd_api.users.schemas import UserCreate, UserRead, UserSort, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401, 403))


@router.get(
    "",
    response_model=Page[UserRead],
    summary="List users in your scope",
    responses=problem_responses(404),
)
def list_users(
    session: SessionDep,
    actor: UserReader,
    page: PageParamsDep,
    role: Role | None = None,
    scope_unit_id: uuid.UUID | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Search username and full name.")
    ] = None,
    sort: UserSort | None = None,
) -> Page[UserRead]:
    items, total = service.list_users(
        session, actor, page, role=role, scope_unit_id=scope_unit_id, query=q, sort=sort
    )
    return Page[UserRead](
        items=[UserRead.model_validate(u) for u in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses=problem_responses(404, 409),
)
def create_user(body: UserCreate, session: SessionDep, actor: UserWriter) -> UserRead:
    return UserRead.model_validate(service.create_user(session, actor, body))


@router.get(
    "/{user_id}", response_model=UserRead, summary="Get a user", responses=problem_responses(404)
)
def get_user(user: UserForRead) -> UserRead:
    return UserRead.model_validate(user)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    summary="Edit, deactivate or reactivate a user, or reset their password",
    responses=problem_responses(404, 409),
)
def update_user(
    body: UserUpdate, user: UserForWrite, session: SessionDep, actor: CurrentPrincipal
) -> UserRead:
    return UserRead.model_validate(service.update_user(session, actor, user, body))


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user (their history stays in the audit log)",
    responses=problem_responses(404),
)
def delete_user(user: UserForWrite, session: SessionDep, actor: CurrentPrincipal) -> None:
    service.delete_user(session, actor, user)
