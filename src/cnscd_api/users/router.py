"""``/users``: accounts of officers, team leaders, partners' staff and viewers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cnscd_api.auth.dependencies import CurrentPrincipal
from cnscd_api.core.concurrency import IfMatchDep, set_etag
from cnscd_api.core.errors import problem_responses
from cnscd_api.core.pagination import Page, PageParamsDep
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import SessionDep
from cnscd_api.users import service
from cnscd_api.users.dependencies import UserForRead, UserForWrite, UserReader, UserWriter
from cnscd_api.users.schemas import UserCreate, UserFilters, UserRead, UserSort, UserUpdate

router = APIRouter(
    route_class=ContractRoute,
    prefix="/users",
    tags=["users"],
    responses=problem_responses(401, 403),
)


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
    filters: Annotated[UserFilters, Query()],
    sort: UserSort | None = None,
) -> Response:
    """Accounts scoped inside your unit, filtered by `role`, `scope_unit_id` (its subtree)
    and `q` (username and name)."""
    rows, total = service.list_users(session, actor, page, filters, sort)
    return page.response(UserRead, rows, total)


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses=problem_responses(
        404,
        codes=[
            "username_taken",
            "role_not_grantable",
            "scope_level_mismatch",
            "scope_unit_required",
            "team_required",
            "team_only_for_leaders",
            "weak_password",
        ],
    ),
)
def create_user(
    body: UserCreate, session: SessionDep, actor: UserWriter, response: Response
) -> UserRead:
    """A team leader is placed by `team_id` (their scope is their team's unit); every other
    role by `scope_unit_id`, of the level the role needs. You may give only the roles
    below yours. The password must be strong (10+ characters of three kinds, or 16+; not
    common; not the username)."""
    user = service.create_user(session, actor, body)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@router.get(
    "/{user_id}", response_model=UserRead, summary="Get a user", responses=problem_responses(404)
)
def get_user(user: UserForRead, response: Response) -> UserRead:
    """The account (never its password). Answers an `ETag` for `If-Match`."""
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    summary="Edit, deactivate or reactivate a user, or reset their password",
    responses=problem_responses(
        404,
        409,
        412,
        codes=[
            "own_account_change",
            "role_not_grantable",
            "scope_level_mismatch",
            "scope_unit_required",
            "team_required",
            "team_only_for_leaders",
            "weak_password",
        ],
    ),
)
def update_user(
    body: UserUpdate,
    user: UserForWrite,
    session: SessionDep,
    actor: CurrentPrincipal,
    expected: IfMatchDep,
    response: Response,
) -> UserRead:
    """Send `If-Match` with the ETag of your GET to be sure nobody changed the user in
    between (412 otherwise)."""
    updated = service.update_user(session, actor, user, body, expected)
    set_etag(response, updated.version)
    return UserRead.model_validate(updated)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user (their history stays in the audit log)",
    responses=problem_responses(404, 412, codes=["own_account_change", "role_not_grantable"]),
)
def delete_user(
    user: UserForWrite, session: SessionDep, actor: CurrentPrincipal, expected: IfMatchDep
) -> None:
    """The account can no longer log in and its sessions end; its history stays in the
    audit log, and its username is never given again. Nobody deletes their own account."""
    service.delete_user(session, actor, user, expected)
