"""The roles × routes matrix of PERMISSIONS.md, run against the app.

For every authenticated route, every role, and a target inside the caller's scope or
in a sibling unit just outside it, the expected status. An object outside the scope is
a 404 whatever the role; inside, a role without the permission gets a 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.auth.dependencies import current_principal
from cnscd_api.config import Settings
from cnscd_api.core.permissions import ROLE_PERMISSIONS, Permission
from cnscd_api.core.security import opaque_token, token_digest
from cnscd_api.models import ApiClient, Member, Role, Team, Unit, User
from tests.factories import PASSWORD, Tree, bearer, make_member, make_team, make_user, make_village
from tests.routes import depends_on, iter_routes

P = Permission


@dataclass
class Targets:
    """What one caller acts on, inside its scope (``True``) or in a sibling unit just
    outside it (``False``): a village, a user, an API client, a team with a member and
    a team without members."""

    scope: Unit
    village: dict[bool, Unit]
    commune: dict[bool, Unit]
    user: dict[bool, User]
    client: dict[bool, ApiClient]
    team: dict[bool, Team]
    empty_team: dict[bool, Team]
    member: dict[bool, Member]


def make_client(session: Session, unit: Unit) -> ApiClient:
    client = ApiClient(
        client_id=f"cnscd_{uuid.uuid4().hex[:16]}",
        name="VNPT sync",
        organisation="VNPT Kon Tum",
        scope_unit_id=unit.id,
        secret_hash=token_digest(opaque_token()),
    )
    session.add(client)
    session.flush()
    return client


def targets_for(session: Session, tree: Tree, role: Role) -> Targets:
    """The caller's scope and a sibling of it, per role, each with a village in it."""
    gia_lai_commune = session.get(Unit, _first_commune_id(session, tree.gia_lai))
    ngoc_hoi_commune = session.get(Unit, _first_commune_id(session, tree.ngoc_hoi))
    assert gia_lai_commune is not None
    assert ngoc_hoi_commune is not None
    sibling_village_in = {
        Role.PROVINCE_ADMIN: (tree.kon_tum, tree.dak_pek, gia_lai_commune),
        Role.DISTRICT_OFFICER: (tree.dak_glei, tree.dak_pek, ngoc_hoi_commune),
        Role.COMMUNE_OFFICER: (tree.dak_pek, tree.dak_pek, tree.dak_man),
        Role.TEAM_LEADER: (tree.dak_pek_village, tree.dak_pek, tree.dak_pek),
        Role.PARTNER: (tree.dak_glei, tree.dak_pek, ngoc_hoi_commune),
        Role.VIEWER: (tree.dak_glei, tree.dak_pek, ngoc_hoi_commune),
    }
    scope, inside_commune, outside_commune = sibling_village_in[role]
    inside_village = tree.dak_pek_village
    outside_village = make_village(session, outside_commune, "Thôn Bên Cạnh")
    team = {True: make_team(session, inside_village), False: make_team(session, outside_village)}
    return Targets(
        scope=scope,
        village={True: inside_village, False: outside_village},
        commune={True: inside_commune, False: outside_commune},
        user={
            True: make_user(session, Role.VIEWER, inside_village),
            False: make_user(session, Role.VIEWER, outside_village),
        },
        client={
            True: make_client(session, inside_village),
            False: make_client(session, outside_village),
        },
        team=team,
        empty_team={
            # A team leader reaches one team only, their own.
            True: team[True] if role is Role.TEAM_LEADER else make_team(session, inside_village),
            False: make_team(session, outside_village),
        },
        member={True: make_member(session, team[True]), False: make_member(session, team[False])},
    )


def _first_commune_id(session: Session, province_or_district: Unit) -> uuid.UUID:
    from sqlmodel import col, select

    from cnscd_api.models import UnitLevel

    statement = (
        select(Unit.id)
        .where(
            col(Unit.level) == UnitLevel.COMMUNE,
            col(Unit.path).like(f"{province_or_district.path}%"),
        )
        .order_by(col(Unit.code))
    )
    return session.exec(statement).first()  # type: ignore[return-value]


Request = Callable[[Targets, bool], tuple[str, str, Any]]


@dataclass(frozen=True)
class Case:
    """One route: how to call it, what it needs, and what success looks like."""

    method: str
    path: str
    request: Request
    permission: Permission | None
    success: int
    on_object: bool  # the target is in the path: outside the scope is 404 for everyone


def new_user_body(targets: Targets, inside: bool) -> dict[str, Any]:
    return {
        "username": f"new.{uuid.uuid4().hex[:8]}",
        "full_name": "Nguyễn Văn A",
        "role": "viewer",
        "scope_unit_id": str(targets.village[inside].id),
        "password": "Another-password-2024",
    }


CASES: list[Case] = [
    Case("GET", "/api/v1/auth/me", lambda t, i: ("GET", "/api/v1/auth/me", None), None, 200, False),
    Case(
        "POST",
        "/api/v1/auth/logout",
        # A well-formed refresh token nobody holds (a malformed one is a 401).
        lambda t, i: ("POST", "/api/v1/auth/logout", {"refresh_token": "unknown" + "A" * 36}),
        None,
        204,
        False,
    ),
    Case(
        "GET",
        "/api/v1/units",
        lambda t, i: ("GET", f"/api/v1/units?parent_id={t.commune[i].id}", None),
        P.UNITS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/units",
        lambda t, i: (
            "POST",
            "/api/v1/units",
            {"parent_id": str(t.commune[i].id), "name": "Thôn Mới"},
        ),
        P.VILLAGES_WRITE,
        201,
        True,
    ),
    Case(
        "GET",
        "/api/v1/units/{unit_id}",
        lambda t, i: ("GET", f"/api/v1/units/{t.village[i].id}", None),
        P.UNITS_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/units/{unit_id}",
        lambda t, i: ("PATCH", f"/api/v1/units/{t.village[i].id}", {"households": 120}),
        P.VILLAGES_WRITE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/units/{unit_id}/children",
        lambda t, i: ("GET", f"/api/v1/units/{t.village[i].id}/children", None),
        P.UNITS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/users",
        lambda t, i: ("GET", f"/api/v1/users?scope_unit_id={t.village[i].id}", None),
        P.USERS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/users",
        lambda t, i: ("POST", "/api/v1/users", new_user_body(t, i)),
        P.USERS_WRITE,
        201,
        True,
    ),
    Case(
        "GET",
        "/api/v1/users/{user_id}",
        lambda t, i: ("GET", f"/api/v1/users/{t.user[i].id}", None),
        P.USERS_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/users/{user_id}",
        lambda t, i: ("PATCH", f"/api/v1/users/{t.user[i].id}", {"full_name": "Trần Thị B"}),
        P.USERS_WRITE,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/users/{user_id}",
        lambda t, i: ("DELETE", f"/api/v1/users/{t.user[i].id}", None),
        P.USERS_WRITE,
        204,
        True,
    ),
    Case(
        "GET",
        "/api/v1/api-clients",
        lambda t, i: ("GET", "/api/v1/api-clients", None),
        P.API_CLIENTS_MANAGE,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/api-clients",
        lambda t, i: (
            "POST",
            "/api/v1/api-clients",
            {
                "name": "Viettel sync",
                "organisation": "Viettel Kon Tum",
                "scope_unit_id": str(t.village[i].id),
            },
        ),
        P.API_CLIENTS_MANAGE,
        201,
        True,
    ),
    Case(
        "POST",
        "/api/v1/api-clients/{client_id}/rotate-secret",
        lambda t, i: ("POST", f"/api/v1/api-clients/{t.client[i].id}/rotate-secret", None),
        P.API_CLIENTS_MANAGE,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/api-clients/{client_id}",
        lambda t, i: ("DELETE", f"/api/v1/api-clients/{t.client[i].id}", None),
        P.API_CLIENTS_MANAGE,
        204,
        True,
    ),
    Case(
        "GET",
        "/api/v1/audit-events",
        lambda t, i: ("GET", "/api/v1/audit-events", None),
        P.AUDIT_READ,
        200,
        False,
    ),
]

CASES += [
    Case(
        "POST",
        "/api/v1/auth/password",
        lambda t, i: (
            "POST",
            "/api/v1/auth/password",
            {"current_password": PASSWORD, "new_password": "Brand-new-pass-2025"},
        ),
        None,
        204,
        False,
    ),
    Case(
        "GET",
        "/api/v1/teams",
        lambda t, i: ("GET", f"/api/v1/teams?unit_id={t.village[i].id}", None),
        P.TEAMS_READ,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/teams",
        lambda t, i: (
            "POST",
            "/api/v1/teams",
            {"unit_id": str(t.village[i].id), "name": "Tổ CNSCĐ mới"},
        ),
        P.TEAMS_WRITE,
        201,
        True,
    ),
    Case(
        "GET",
        "/api/v1/teams/export",
        lambda t, i: ("GET", f"/api/v1/teams/export?format=csv&unit_id={t.village[i].id}", None),
        P.TEAMS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/teams/{team_id}",
        lambda t, i: ("GET", f"/api/v1/teams/{t.team[i].id}", None),
        P.TEAMS_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/teams/{team_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/teams/{t.team[i].id}",
            {"note": "Họp tổ thứ hai hằng tuần"},
        ),
        P.TEAMS_WRITE,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/teams/{team_id}",
        lambda t, i: ("DELETE", f"/api/v1/teams/{t.empty_team[i].id}", None),
        P.TEAMS_WRITE,
        204,
        True,
    ),
    Case(
        "GET",
        "/api/v1/teams/{team_id}/members",
        lambda t, i: ("GET", f"/api/v1/teams/{t.team[i].id}/members", None),
        P.TEAMS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/members",
        lambda t, i: ("GET", f"/api/v1/members?team_id={t.team[i].id}", None),
        P.MEMBERS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/members",
        lambda t, i: (
            "POST",
            "/api/v1/members",
            {"team_id": str(t.team[i].id), "full_name": "A Lưu", "affiliation": "youth_union"},
        ),
        P.MEMBERS_WRITE,
        201,
        True,
    ),
    Case(
        "GET",
        "/api/v1/members/export",
        lambda t, i: ("GET", f"/api/v1/members/export?format=csv&team_id={t.team[i].id}", None),
        P.MEMBERS_EXPORT,
        200,
        False,
    ),
    Case(
        "GET",
        "/api/v1/members/import-template",
        lambda t, i: ("GET", "/api/v1/members/import-template?format=csv", None),
        P.MEMBERS_WRITE,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/members/import",
        lambda t, i: (
            "POST",
            "/api/v1/members/import?dry_run=true",
            {"file": ("list.csv", import_csv(t.team[i]), "text/csv")},
        ),
        P.MEMBERS_WRITE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/members/{member_id}",
        lambda t, i: ("GET", f"/api/v1/members/{t.member[i].id}", None),
        P.MEMBERS_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/members/{member_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/members/{t.member[i].id}",
            {"organisation": "VNPT Kon Tum"},
        ),
        P.MEMBERS_WRITE,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/members/{member_id}",
        lambda t, i: ("DELETE", f"/api/v1/members/{t.member[i].id}", None),
        P.MEMBERS_WRITE,
        204,
        True,
    ),
]


def import_csv(team: Team) -> bytes:
    return f"Họ và tên,Thành phần,Mã tổ\nA Nhong,Đoàn Thanh niên,{team.id}\n".encode()


# Collection routes check the permission before looking at the body (403 first);
# routes on one object look the object up first (404 first).
BODY_REFERENCE_ROUTES = {
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/members"),
    ("GET", "/api/v1/members/export"),
    ("POST", "/api/v1/units"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/api-clients"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("GET", "/api/v1/teams/export"),
    ("POST", "/api/v1/members"),
    ("POST", "/api/v1/members/import"),
}
# An import names its teams in the file: a team outside the scope is a bad row (422).
OUTSIDE_STATUS = {("POST", "/api/v1/members/import"): 422}


def expected_status(case: Case, role: Role, inside: bool) -> int:
    allowed = case.permission is None or case.permission in ROLE_PERMISSIONS[role]
    if (case.method, case.path) in BODY_REFERENCE_ROUTES:
        if not allowed:
            return 403
        return case.success if inside else OUTSIDE_STATUS.get((case.method, case.path), 404)
    if case.on_object and not inside:
        return 404
    return case.success if allowed else 403


def test_matrix_covers_every_authenticated_route(app: FastAPI) -> None:
    authenticated = {
        (method, route.path)
        for route in iter_routes(app)
        if depends_on(route.dependant, current_principal)
        for method in route.methods
    }
    assert authenticated == {(case.method, case.path) for case in CASES}


@pytest.mark.parametrize("inside", [True, False], ids=["in-scope", "sibling"])
@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
@pytest.mark.parametrize("case", CASES, ids=[f"{case.method} {case.path}" for case in CASES])
def test_matrix(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    case: Case,
    role: Role,
    inside: bool,
) -> None:
    targets = targets_for(session, tree, role)
    # A team leader leads the team in their scope.
    team_id = targets.team[True].id if role is Role.TEAM_LEADER else None
    caller = make_user(session, role, targets.scope, team_id=team_id)
    session.commit()
    method, url, body = case.request(targets, inside)
    files = body if case.path == "/api/v1/members/import" else None
    response = client.request(
        method, url, json=None if files else body, files=files, headers=bearer(settings, caller)
    )
    expected = expected_status(case, role, inside)
    assert response.status_code == expected, response.text
    if method == "GET" and case.path == "/api/v1/units" and expected == 200:
        # A sibling's village never shows, whatever filter the caller sends.
        listed = {item["id"] for item in response.json()["items"]}
        assert (str(targets.village[inside].id) in listed) == inside
    if method == "GET" and case.path in {"/api/v1/users", "/api/v1/members"} and expected == 200:
        assert (response.json()["total"] > 0) == inside
