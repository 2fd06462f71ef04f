"""The roles × routes matrix of PERMISSIONS.md, run against the app.

For every authenticated route, every role, and a target inside the caller's scope or
in a sibling unit just outside it, the expected status. An object outside the scope is
a 404 whatever the role; inside, a role without the permission gets a 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.auth.dependencies import current_principal
from cnscd_api.config import Settings
from cnscd_api.core.permissions import ROLE_PERMISSIONS, Permission
from cnscd_api.core.security import opaque_token, token_digest
from cnscd_api.models import (
    Activity,
    ActivityStatus,
    AllowanceRule,
    AllowanceStatement,
    ApiClient,
    Campaign,
    DeviceNeed,
    DeviceReferral,
    Member,
    ReferralStatus,
    Role,
    SupportRequest,
    SupportRequestStatus,
    Team,
    Unit,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.factories import (
    PASSWORD,
    Tree,
    bearer,
    give_target,
    make_activity,
    make_allowance_rule,
    make_campaign,
    make_device_need,
    make_device_referral,
    make_member,
    make_statement,
    make_support_request,
    make_team,
    make_user,
    make_village,
)
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
    campaign: dict[bool, Campaign]
    closed_campaign: dict[bool, Campaign]
    activity: dict[bool, Activity]
    approved_activity: dict[bool, Activity]
    support_request: dict[bool, SupportRequest]
    accepted_request: dict[bool, SupportRequest]
    device_need: dict[bool, DeviceNeed]
    referral: dict[bool, DeviceReferral]
    accepted_referral: dict[bool, DeviceReferral]
    dak_pek: Unit
    dak_pek_village: Unit
    rule: dict[bool, AllowanceRule]
    later_rule: dict[bool, AllowanceRule]
    statement: dict[bool, AllowanceStatement]
    approved_statement: dict[bool, AllowanceStatement]
    # The caller's own webhook endpoint (True) and another account's (False), each with a
    # delivery: made once the caller exists (``own_endpoints``).
    endpoint: dict[bool, WebhookEndpoint] = field(default_factory=dict)
    delivery: dict[bool, WebhookDelivery] = field(default_factory=dict)


def own_endpoints(session: Session, targets: Targets, caller: User) -> None:
    other = make_user(session, Role.VIEWER, targets.village[True])
    for inside, owner in ((True, caller), (False, other)):
        endpoint = WebhookEndpoint(
            owner_user_id=owner.id,
            unit_path=targets.scope.path,
            url="https://93.184.215.14/hook",
            secret="whsec_" + "A" * 44,
        )
        session.add(endpoint)
        session.flush()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=uuid.uuid4(),
            event_sequence=1,
            event_type="team.updated",
        )
        session.add(delivery)
        session.flush()
        targets.endpoint[inside], targets.delivery[inside] = endpoint, delivery


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
    villages = {True: inside_village, False: outside_village}
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
        campaign=campaigns(session, tree, role, closed=False),
        activity={
            inside: reported(session, team[inside], ActivityStatus.SUBMITTED)
            for inside in (True, False)
        },
        approved_activity={
            inside: reported(session, team[inside], ActivityStatus.APPROVED)
            for inside in (True, False)
        },
        closed_campaign=campaigns(session, tree, role, closed=True),
        # Requests of the in-scope team to the matrix partner's organisation.
        support_request={
            inside: make_support_request(session, villages[inside], team=team[inside])
            for inside in (True, False)
        },
        accepted_request={
            inside: make_support_request(
                session,
                villages[inside],
                team=team[inside],
                status=SupportRequestStatus.ACCEPTED,
            )
            for inside in (True, False)
        },
        device_need={
            inside: make_device_need(session, villages[inside]) for inside in (True, False)
        },
        referral={
            inside: make_device_referral(session, villages[inside]) for inside in (True, False)
        },
        accepted_referral={
            inside: make_device_referral(session, villages[inside], status=ReferralStatus.ACCEPTED)
            for inside in (True, False)
        },
        dak_pek=tree.dak_pek,
        dak_pek_village=tree.dak_pek_village,
        rule={
            True: make_allowance_rule(session, tree.kon_tum),
            False: make_allowance_rule(session, tree.gia_lai),
        },
        later_rule={
            True: make_allowance_rule(session, tree.kon_tum, date(2030, 1, 1)),
            False: make_allowance_rule(session, tree.gia_lai, date(2030, 1, 1)),
        },
        statement={
            True: make_statement(session, inside_commune, date(2024, 10, 1)),
            False: make_statement(session, outside_commune, date(2024, 7, 1)),
        },
        approved_statement={
            True: make_statement(session, inside_commune, date(2024, 9, 1), approved=True),
            False: make_statement(session, outside_commune, date(2024, 6, 1), approved=True),
        },
    )


PARTNER_ORGANISATION = "VNPT Kon Tum"


def reported(session: Session, team: Team, status: ActivityStatus) -> Activity:
    """An activity a team leader of ``team`` recorded with the partner's support (so that
    the matrix's partner reads it), approved by a commune officer when asked."""
    unit = session.get(Unit, team.unit_id)
    assert unit is not None
    recorder = make_user(session, Role.TEAM_LEADER, unit, team_id=team.id)
    activity = make_activity(
        session, team, recorder, status=status, organisation=PARTNER_ORGANISATION
    )
    if status is ActivityStatus.APPROVED:
        activity.reviewed_role = Role.COMMUNE_OFFICER
        activity.reviewed_by_name = "xa.duyet"
        session.add(activity)
        session.flush()
    return activity


def campaigns(session: Session, tree: Tree, role: Role, *, closed: bool) -> dict[bool, Campaign]:
    """A campaign of Đắk Glei, which every caller of the matrix reads (its district or a
    unit below it), with a target Đắk Glei gave Xã Đắk Pék; and one the caller cannot see
    (a sibling district's, or for the province admin another province's)."""
    inside = make_campaign(session, tree.dak_glei, closed=closed)
    give_target(session, inside, tree.dak_glei, tree.dak_pek, "people_guided", 100)
    outside_unit = tree.gia_lai if role is Role.PROVINCE_ADMIN else tree.ngoc_hoi
    return {True: inside, False: make_campaign(session, outside_unit, closed=closed)}


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


def statement_read(suffix: str) -> Request:
    """A GET of the caller's (or the sibling unit's) prepared statement, or its export."""

    def request(targets: Targets, inside: bool) -> tuple[str, str, Any]:
        return "GET", f"/api/v1/allowance-statements/{targets.statement[inside].id}{suffix}", None

    return request


def fixed(method: str, url: str, body: Any = None) -> Request:
    """A request that is the same whatever the caller's targets (the national catalogue)."""

    def request(targets: Targets, inside: bool) -> tuple[str, str, Any]:
        return method, url, body

    return request


def catalogue_id(kind: str, code: str) -> uuid.UUID:
    """The id the catalogue migration gives an entry (derived from its code)."""
    namespace = uuid.UUID("6f1c3a7e-5b2d-4c8e-9a41-0d7e2b6c9f10")
    prefix = "category" if kind == "content-categories" else "indicator"
    return uuid.uuid5(namespace, f"{prefix}:{code}")


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
        "/api/v1/units/{unit_id}/lineage",
        lambda t, i: ("GET", f"/api/v1/units/{t.village[i].id}/lineage", None),
        P.UNITS_READ,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/units/reorganisations",
        lambda t, i: (
            "POST",
            "/api/v1/units/reorganisations",
            {
                "effective_date": "2025-07-01",
                "legal_act": "Quyết định 1/QĐ-UBND",
                "operations": [
                    {"op": "rename", "unit_id": str(t.village[i].id), "name": "Thôn Đổi Tên"}
                ],
            },
        ),
        P.UNITS_REORGANISE,
        201,
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
    Case("GET", "/api/v1/events", fixed("GET", "/api/v1/events"), P.EVENTS_READ, 200, False),
    Case(
        "GET", "/api/v1/event-types", fixed("GET", "/api/v1/event-types"), P.EVENTS_READ, 200, False
    ),
    Case(
        "GET",
        "/api/v1/webhook-endpoints",
        fixed("GET", "/api/v1/webhook-endpoints"),
        P.WEBHOOKS_MANAGE,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/webhook-endpoints",
        fixed("POST", "/api/v1/webhook-endpoints", {"url": "https://93.184.215.14/hook"}),
        P.WEBHOOKS_MANAGE,
        201,
        False,
    ),
    Case(
        "GET",
        "/api/v1/webhook-endpoints/{endpoint_id}",
        lambda t, i: ("GET", f"/api/v1/webhook-endpoints/{t.endpoint[i].id}", None),
        P.WEBHOOKS_MANAGE,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/webhook-endpoints/{endpoint_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/webhook-endpoints/{t.endpoint[i].id}",
            {"description": "Đồng bộ"},
        ),
        P.WEBHOOKS_MANAGE,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/webhook-endpoints/{endpoint_id}",
        lambda t, i: ("DELETE", f"/api/v1/webhook-endpoints/{t.endpoint[i].id}", None),
        P.WEBHOOKS_MANAGE,
        204,
        True,
    ),
    Case(
        "POST",
        "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        lambda t, i: (
            "POST",
            f"/api/v1/webhook-endpoints/{t.endpoint[i].id}/rotate-secret",
            None,
        ),
        P.WEBHOOKS_MANAGE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries",
        lambda t, i: ("GET", f"/api/v1/webhook-endpoints/{t.endpoint[i].id}/deliveries", None),
        P.WEBHOOKS_MANAGE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        lambda t, i: (
            "POST",
            f"/api/v1/webhook-endpoints/{t.endpoint[i].id}/deliveries/{t.delivery[i].id}/redeliver",
            None,
        ),
        P.WEBHOOKS_MANAGE,
        202,
        True,
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
    *[
        Case(
            "GET", f"/api/v1/{kind}", fixed("GET", f"/api/v1/{kind}"), P.CAMPAIGNS_READ, 200, False
        )
        for kind in ("content-categories", "indicators")
    ],
    Case(
        "POST",
        "/api/v1/content-categories",
        lambda t, i: (
            "POST",
            "/api/v1/content-categories",
            {"code": f"c_{uuid.uuid4().hex[:8]}", "name_vi": "Nội dung", "name_en": "Content"},
        ),
        P.CATALOGUE_WRITE,
        201,
        False,
    ),
    Case(
        "POST",
        "/api/v1/indicators",
        lambda t, i: (
            "POST",
            "/api/v1/indicators",
            {
                "code": f"i_{uuid.uuid4().hex[:8]}",
                "name_vi": "Chỉ số",
                "name_en": "Indicator",
                "unit_vi": "người",
                "unit_en": "people",
                "categories": ["vneid"],
            },
        ),
        P.CATALOGUE_WRITE,
        201,
        False,
    ),
    *[
        Case(
            method,
            f"/api/v1/{kind}/{{{param}}}",
            fixed(
                method,
                f"/api/v1/{kind}/{catalogue_id(kind, code)}",
                {"name_en": "Renamed"} if method == "PATCH" else None,
            ),
            P.CAMPAIGNS_READ if method == "GET" else P.CATALOGUE_WRITE,
            200,
            False,
        )
        for kind, param, code in (
            ("content-categories", "category_id", "vneid"),
            ("indicators", "indicator_id", "people_guided"),
        )
        for method in ("GET", "PATCH")
    ],
    Case(
        "GET",
        "/api/v1/campaigns",
        lambda t, i: ("GET", "/api/v1/campaigns", None),
        P.CAMPAIGNS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/campaigns",
        lambda t, i: ("POST", "/api/v1/campaigns", new_campaign_body(t, i)),
        P.CAMPAIGNS_WRITE,
        201,
        True,
    ),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}",
        lambda t, i: ("GET", f"/api/v1/campaigns/{t.campaign[i].id}", None),
        P.CAMPAIGNS_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/campaigns/{campaign_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/campaigns/{t.campaign[i].id}",
            {"description": "Cập nhật"},
        ),
        P.CAMPAIGNS_WRITE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/campaigns/{campaign_id}/close",
        lambda t, i: (
            "POST",
            f"/api/v1/campaigns/{t.campaign[i].id}/close",
            {"reason": "Kết thúc sớm"},
        ),
        P.CAMPAIGNS_WRITE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/campaigns/{campaign_id}/reopen",
        lambda t, i: (
            "POST",
            f"/api/v1/campaigns/{t.closed_campaign[i].id}/reopen",
            {"reason": "Mở lại để bổ sung", "until": "2099-12-31"},
        ),
        P.CAMPAIGNS_REOPEN,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}/targets",
        lambda t, i: ("GET", f"/api/v1/campaigns/{t.campaign[i].id}/targets", None),
        P.CAMPAIGNS_READ,
        200,
        True,
    ),
    Case(
        "PUT",
        "/api/v1/campaigns/{campaign_id}/targets",
        lambda t, i: (
            "PUT",
            f"/api/v1/campaigns/{t.campaign[i].id}/targets",
            {
                "unit_id": str(t.dak_pek.id),
                "targets": [
                    {
                        "unit_id": str(t.dak_pek_village.id),
                        "indicator": "people_guided",
                        "value": 40,
                    }
                ],
            },
        ),
        P.CAMPAIGN_TARGETS_WRITE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/activities",
        lambda t, i: ("GET", f"/api/v1/activities?team_id={t.team[i].id}", None),
        P.ACTIVITIES_READ,
        200,
        False,
    ),
    Case(
        "GET",
        "/api/v1/activities/export",
        lambda t, i: ("GET", f"/api/v1/activities/export?format=csv&team_id={t.team[i].id}", None),
        P.ACTIVITIES_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/activities",
        lambda t, i: ("POST", "/api/v1/activities", new_activity_body(t, i)),
        P.ACTIVITIES_RECORD,
        201,
        True,
    ),
    Case(
        "POST",
        "/api/v1/activities/batch",
        lambda t, i: (
            "POST",
            "/api/v1/activities/batch",
            {"activities": [{**new_activity_body(t, i), "id": str(uuid.uuid4())}]},
        ),
        P.ACTIVITIES_RECORD,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/activities/approve",
        lambda t, i: ("POST", "/api/v1/activities/approve", {"ids": [str(t.activity[i].id)]}),
        P.ACTIVITIES_APPROVE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/activities/{activity_id}",
        lambda t, i: ("GET", f"/api/v1/activities/{t.activity[i].id}", None),
        P.ACTIVITIES_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/activities/{activity_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/activities/{t.activity[i].id}",
            {"description": "Bổ sung"},
        ),
        P.ACTIVITIES_RECORD,
        200,
        True,
    ),
    Case(
        "DELETE",
        "/api/v1/activities/{activity_id}",
        lambda t, i: ("DELETE", f"/api/v1/activities/{t.activity[i].id}", None),
        P.ACTIVITIES_RECORD,
        204,
        True,
    ),
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/approve",
        lambda t, i: ("POST", f"/api/v1/activities/{t.activity[i].id}/approve", None),
        P.ACTIVITIES_APPROVE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/reject",
        lambda t, i: (
            "POST",
            f"/api/v1/activities/{t.activity[i].id}/reject",
            {"reason": "Chưa đủ minh chứng"},
        ),
        P.ACTIVITIES_APPROVE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/reopen",
        lambda t, i: ("POST", f"/api/v1/activities/{t.approved_activity[i].id}/reopen", None),
        P.ACTIVITIES_APPROVE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/allowance-rules",
        fixed("GET", "/api/v1/allowance-rules"),
        P.ALLOWANCES_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/allowance-rules",
        fixed(
            "POST",
            "/api/v1/allowance-rules",
            {
                "effective_from": "2031-01-01",
                "resolution_number": "01/2030/NQ-HĐND",
                "resolution_date": "2030-12-10",
                "per_team_month": 300000,
            },
        ),
        P.ALLOWANCE_RULES_WRITE,
        201,
        False,
    ),
    Case(
        "GET",
        "/api/v1/allowance-rules/{rule_id}",
        lambda t, i: ("GET", f"/api/v1/allowance-rules/{t.rule[i].id}", None),
        P.ALLOWANCES_READ,
        200,
        True,
    ),
    Case(
        "PATCH",
        "/api/v1/allowance-rules/{rule_id}",
        lambda t, i: (
            "PATCH",
            f"/api/v1/allowance-rules/{t.later_rule[i].id}",
            {"per_person_day": 100000},
        ),
        P.ALLOWANCE_RULES_WRITE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/allowance-statements",
        fixed("GET", "/api/v1/allowance-statements"),
        P.ALLOWANCES_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/allowance-statements",
        lambda t, i: (
            "POST",
            "/api/v1/allowance-statements",
            {"unit_id": str(t.commune[i].id), "month": "2024-08"},
        ),
        P.ALLOWANCE_STATEMENTS_PREPARE,
        201,
        True,
    ),
    *[
        Case(
            "GET",
            f"/api/v1/allowance-statements/{{statement_id}}{suffix}",
            statement_read(suffix),
            P.ALLOWANCES_READ,
            200,
            True,
        )
        for suffix in ("", "/export")
    ],
    Case(
        "POST",
        "/api/v1/allowance-statements/{statement_id}/refresh",
        lambda t, i: ("POST", f"/api/v1/allowance-statements/{t.statement[i].id}/refresh", None),
        P.ALLOWANCE_STATEMENTS_PREPARE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/allowance-statements/{statement_id}/approve",
        lambda t, i: ("POST", f"/api/v1/allowance-statements/{t.statement[i].id}/approve", None),
        P.ALLOWANCE_STATEMENTS_APPROVE,
        200,
        True,
    ),
    Case(
        "POST",
        "/api/v1/allowance-statements/{statement_id}/reopen",
        lambda t, i: (
            "POST",
            f"/api/v1/allowance-statements/{t.approved_statement[i].id}/reopen",
            {"reason": "Bổ sung báo cáo"},
        ),
        P.ALLOWANCE_STATEMENTS_APPROVE,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/overview",
        lambda t, i: ("GET", f"/api/v1/stats/overview?unit_id={t.village[i].id}", None),
        P.STATS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/workload",
        lambda t, i: (
            "GET",
            f"/api/v1/stats/workload?campaign_id={t.campaign[True].id}&unit_id={t.village[i].id}",
            None,
        ),
        P.STATS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/timeseries",
        lambda t, i: (
            "GET",
            f"/api/v1/stats/timeseries?indicator=people_guided&unit_id={t.village[i].id}",
            None,
        ),
        P.STATS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/teams/ranking",
        lambda t, i: (
            "GET",
            f"/api/v1/stats/teams/ranking?indicator=people_guided&unit_id={t.village[i].id}",
            None,
        ),
        P.STATS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/campaigns/{campaign_id}/progress",
        lambda t, i: ("GET", f"/api/v1/stats/campaigns/{t.campaign[i].id}/progress", None),
        P.STATS_READ,
        200,
        True,
    ),
    Case(
        "GET",
        "/api/v1/stats/campaigns/{campaign_id}/completeness",
        lambda t, i: ("GET", f"/api/v1/stats/campaigns/{t.campaign[i].id}/completeness", None),
        P.STATS_READ,
        200,
        True,
    ),
]


def _request_case(method: str, suffix: str, which: str, body: Any, permission: Permission) -> Case:
    """A route on one support request (``which``: the waiting or the accepted one)."""

    def request(t: Targets, i: bool) -> tuple[str, str, Any]:
        target = t.support_request[i] if which == "waiting" else t.accepted_request[i]
        return method, f"/api/v1/support-requests/{target.id}{suffix}", body

    return Case(
        method, f"/api/v1/support-requests/{{request_id}}{suffix}", request, permission, 200, True
    )


SUPPORT_REASON = {"reason": "Không đủ nhân viên"}
CASES += [
    Case(
        "GET",
        "/api/v1/support-requests",
        fixed("GET", "/api/v1/support-requests"),
        P.SUPPORT_REQUESTS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/support-requests",
        lambda t, i: (
            "POST",
            "/api/v1/support-requests",
            {
                "organisation": PARTNER_ORGANISATION,
                "unit_id": str(t.village[i].id),
                "wanted_from": "2030-10-01",
                "wanted_to": "2030-10-02",
                "categories": ["vneid"],
                "expected_people": 20,
                "contact_name": "A Nhong",
            },
        ),
        P.SUPPORT_REQUESTS_WRITE,
        201,
        True,
    ),
    _request_case("GET", "", "waiting", None, P.SUPPORT_REQUESTS_READ),
    _request_case("PATCH", "", "waiting", {"expected_people": 30}, P.SUPPORT_REQUESTS_WRITE),
    _request_case(
        "POST",
        "/accept",
        "waiting",
        {"scheduled_on": "2030-10-01", "staff_count": 2},
        P.SUPPORT_REQUESTS_ANSWER,
    ),
    _request_case("POST", "/decline", "waiting", SUPPORT_REASON, P.SUPPORT_REQUESTS_ANSWER),
    _request_case("POST", "/schedule", "accepted", {"staff_count": 3}, P.SUPPORT_REQUESTS_ANSWER),
    _request_case("POST", "/complete", "accepted", {}, P.SUPPORT_REQUESTS_ANSWER),
    _request_case("POST", "/cancel", "accepted", SUPPORT_REASON, P.SUPPORT_REQUESTS_WRITE),
]


def _on(
    method: str,
    path: str,
    target: Callable[[Targets, bool], Any],
    body: Any,
    permission: Permission,
    success: int = 200,
) -> Case:
    """A route on one object, ``{…}`` in ``path`` being the target's id."""

    def request(t: Targets, i: bool) -> tuple[str, str, Any]:
        return method, path.format(target(t, i).id), body

    template = path.replace("{}", "{need_id}" if "device-needs" in path else "{referral_id}")
    return Case(method, template, request, permission, success, True)


CASES += [
    Case("GET", path, fixed("GET", path), P.STATS_READ, 200, False)
    for path in ("/api/v1/stats/support-requests", "/api/v1/stats/device-needs")
]
DELIVERY = {"device": "Smartphone 4G", "package": "Gói 12 tháng", "delivered_on": "2024-10-20"}
CASES += [
    Case(
        "GET",
        "/api/v1/device-needs",
        fixed("GET", "/api/v1/device-needs"),
        P.DEVICE_NEEDS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/device-needs",
        lambda t, i: (
            "POST",
            "/api/v1/device-needs",
            {
                "unit_id": str(t.village[i].id),
                "counted_on": "2024-10-05",
                "households_without_smartphone": 20,
                "poor": 5,
                "near_poor": 5,
                "counted_by": "Tổ CNSCĐ",
            },
        ),
        P.DEVICE_NEEDS_WRITE,
        201,
        True,
    ),
    _on("GET", "/api/v1/device-needs/{}", lambda t, i: t.device_need[i], None, P.DEVICE_NEEDS_READ),
    _on(
        "PATCH",
        "/api/v1/device-needs/{}",
        lambda t, i: t.device_need[i],
        {"poor": 12},
        P.DEVICE_NEEDS_WRITE,
    ),
    _on(
        "DELETE",
        "/api/v1/device-needs/{}",
        lambda t, i: t.device_need[i],
        None,
        P.DEVICE_NEEDS_WRITE,
        204,
    ),
    Case(
        "GET",
        "/api/v1/device-referrals",
        fixed("GET", "/api/v1/device-referrals"),
        P.DEVICE_REFERRALS_READ,
        200,
        False,
    ),
    Case(
        "POST",
        "/api/v1/device-referrals",
        lambda t, i: (
            "POST",
            "/api/v1/device-referrals",
            {
                "organisation": PARTNER_ORGANISATION,
                "unit_id": str(t.village[i].id),
                "household_head": "Y Blong",
                "poverty": "near_poor",
                "consent_on": "2024-10-01",
            },
        ),
        P.DEVICE_REFERRALS_WRITE,
        201,
        True,
    ),
    _on(
        "GET",
        "/api/v1/device-referrals/{}",
        lambda t, i: t.referral[i],
        None,
        P.DEVICE_REFERRALS_READ,
    ),
    _on(
        "DELETE",
        "/api/v1/device-referrals/{}",
        lambda t, i: t.referral[i],
        None,
        P.DEVICE_REFERRALS_WRITE,
        204,
    ),
    _on(
        "POST",
        "/api/v1/device-referrals/{}/accept",
        lambda t, i: t.referral[i],
        {},
        P.DEVICE_REFERRALS_ANSWER,
    ),
    _on(
        "POST",
        "/api/v1/device-referrals/{}/deliver",
        lambda t, i: t.accepted_referral[i],
        DELIVERY,
        P.DEVICE_REFERRALS_ANSWER,
    ),
    _on(
        "POST",
        "/api/v1/device-referrals/{}/refuse",
        lambda t, i: t.referral[i],
        {"reason": "Đã có điện thoại"},
        P.DEVICE_REFERRALS_ANSWER,
    ),
]


def new_activity_body(targets: Targets, inside: bool) -> dict[str, Any]:
    return {
        "team_id": str(targets.team[inside].id),
        "activity_date": "2024-10-05",
        "categories": ["vneid"],
        "values": {"people_guided": 12},
    }


def new_campaign_body(targets: Targets, inside: bool) -> dict[str, Any]:
    """A district campaign of the caller's district, or of the sibling one."""
    scope = targets.campaign[inside].scope_unit_id
    return {
        "code": f"new-{uuid.uuid4().hex[:8]}",
        "name": "Đợt mới",
        "scope_unit_id": str(scope),
        "starts_on": "2030-10-01",
        "ends_on": "2030-10-10",
        "categories": ["vneid"],
        "indicators": [{"code": "vneid_level2_activated", "target": 100}],
    }


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
    ("POST", "/api/v1/campaigns"),
    ("GET", "/api/v1/activities"),
    ("GET", "/api/v1/activities/export"),
    ("POST", "/api/v1/activities"),
    ("POST", "/api/v1/activities/batch"),
    ("POST", "/api/v1/activities/approve"),
    ("POST", "/api/v1/support-requests"),
    ("POST", "/api/v1/device-needs"),
    ("POST", "/api/v1/device-referrals"),
    ("GET", "/api/v1/stats/overview"),
    ("GET", "/api/v1/stats/timeseries"),
    ("GET", "/api/v1/stats/teams/ranking"),
    ("POST", "/api/v1/allowance-statements"),
}
# An import names its teams in the file: a team outside the scope is a bad row (422).
OUTSIDE_STATUS = {
    ("POST", "/api/v1/members/import"): 422,
    # Offline batches and approving a list answer item by item: an item outside the
    # scope is invalid or not found within a 200.
    ("POST", "/api/v1/activities/batch"): 200,
    ("POST", "/api/v1/activities/approve"): 200,
}
# A commune officer reopens only what it approved itself (another officer did here).
ROLE_STATUS = {
    (("POST", "/api/v1/activities/{activity_id}/reopen"), Role.COMMUNE_OFFICER): 403,
    # A team leader's scope is its village: a statement of its commune lies above it.
    **{
        (("GET", f"/api/v1/allowance-statements/{{statement_id}}{suffix}"), Role.TEAM_LEADER): 404
        for suffix in ("", "/export")
    },
    **{
        (("POST", f"/api/v1/allowance-statements/{{statement_id}}/{action}"), Role.TEAM_LEADER): 404
        for action in ("refresh", "approve", "reopen")
    },
}


def expected_status(case: Case, role: Role, inside: bool) -> int:
    allowed = case.permission is None or case.permission in ROLE_PERMISSIONS[role]
    if (case.method, case.path) in BODY_REFERENCE_ROUTES:
        if not allowed:
            return 403
        return case.success if inside else OUTSIDE_STATUS.get((case.method, case.path), 404)
    if case.on_object and not inside:
        return 404
    if inside and ((case.method, case.path), role) in ROLE_STATUS:
        return ROLE_STATUS[((case.method, case.path), role)]
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
    organisation = PARTNER_ORGANISATION if role is Role.PARTNER else None
    caller = make_user(session, role, targets.scope, team_id=team_id, organisation=organisation)
    own_endpoints(session, targets, caller)
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
