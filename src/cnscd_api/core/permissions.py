"""Who may do what: the role → permission map of PERMISSIONS.md, in one place.

``Principal`` is the authenticated caller (a user or a partner's API client) with the
role, the scope unit and the materialised path of that unit, which every scoped query
uses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from cnscd_api.models import Role, UnitLevel


class Permission(StrEnum):
    UNITS_READ = "units:read"
    VILLAGES_WRITE = "villages:write"
    UPPER_UNITS_WRITE = "upper_units:write"
    UNITS_REORGANISE = "units:reorganise"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    API_CLIENTS_MANAGE = "api_clients:manage"
    TEAMS_READ = "teams:read"
    TEAMS_WRITE = "teams:write"
    MEMBERS_READ = "members:read"
    MEMBERS_PERSONAL_DATA = "members:personal_data"
    MEMBERS_WRITE = "members:write"
    MEMBERS_EXPORT = "members:export"
    AUDIT_READ = "audit:read"
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    CAMPAIGN_TARGETS_WRITE = "campaign_targets:write"
    CAMPAIGNS_REOPEN = "campaigns:reopen"
    CATALOGUE_WRITE = "catalogue:write"
    ACTIVITIES_READ = "activities:read"
    ACTIVITIES_RECORD = "activities:record"
    ACTIVITIES_APPROVE = "activities:approve"
    STATS_READ = "stats:read"
    EVENTS_READ = "events:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    SUPPORT_REQUESTS_READ = "support_requests:read"
    SUPPORT_REQUESTS_WRITE = "support_requests:write"
    SUPPORT_REQUESTS_ANSWER = "support_requests:answer"
    SUPPORT_REQUESTS_CONTACT = "support_requests:contact"
    DEVICE_NEEDS_READ = "device_needs:read"
    DEVICE_NEEDS_WRITE = "device_needs:write"
    DEVICE_REFERRALS_READ = "device_referrals:read"
    DEVICE_REFERRALS_WRITE = "device_referrals:write"
    DEVICE_REFERRALS_ANSWER = "device_referrals:answer"
    ALLOWANCES_READ = "allowances:read"
    ALLOWANCE_RULES_WRITE = "allowance_rules:write"
    ALLOWANCE_STATEMENTS_PREPARE = "allowance_statements:prepare"
    ALLOWANCE_STATEMENTS_APPROVE = "allowance_statements:approve"
    OWN_PASSWORD = "auth:password"  # noqa: S105 -- not a secret


P = Permission
_READ_ALL = {
    P.UNITS_READ,
    P.TEAMS_READ,
    P.CAMPAIGNS_READ,
    P.STATS_READ,
    P.SUPPORT_REQUESTS_READ,
    P.DEVICE_NEEDS_READ,
}
# The requesting side of a support request: asks, edits, cancels, and sees the contact.
_REQUESTER = {P.SUPPORT_REQUESTS_WRITE, P.SUPPORT_REQUESTS_CONTACT, P.DEVICE_NEEDS_WRITE}
_PERSON = _READ_ALL | {P.OWN_PASSWORD}
_OFFICER = _PERSON | {
    P.VILLAGES_WRITE,
    P.USERS_READ,
    P.USERS_WRITE,
    P.TEAMS_WRITE,
    P.MEMBERS_READ,
    P.MEMBERS_PERSONAL_DATA,
    P.MEMBERS_WRITE,
    P.MEMBERS_EXPORT,
    P.AUDIT_READ,
    P.ACTIVITIES_READ,
    P.ACTIVITIES_RECORD,
    P.ACTIVITIES_APPROVE,
    P.EVENTS_READ,
    P.WEBHOOKS_MANAGE,
    *_REQUESTER,
    P.DEVICE_REFERRALS_READ,
    P.DEVICE_REFERRALS_WRITE,
    P.ALLOWANCES_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PROVINCE_ADMIN: frozenset(
        _OFFICER
        | {
            P.UPPER_UNITS_WRITE,
            P.UNITS_REORGANISE,
            P.API_CLIENTS_MANAGE,
            P.CAMPAIGNS_WRITE,
            P.CAMPAIGN_TARGETS_WRITE,
            P.CAMPAIGNS_REOPEN,
            P.CATALOGUE_WRITE,
            P.ALLOWANCE_RULES_WRITE,
            P.ALLOWANCE_STATEMENTS_PREPARE,
            P.ALLOWANCE_STATEMENTS_APPROVE,
        }
    ),
    Role.DISTRICT_OFFICER: frozenset(
        _OFFICER
        | {
            P.CAMPAIGNS_WRITE,
            P.CAMPAIGN_TARGETS_WRITE,
            P.ALLOWANCE_STATEMENTS_PREPARE,
            P.ALLOWANCE_STATEMENTS_APPROVE,
        }
    ),
    Role.COMMUNE_OFFICER: frozenset(
        _OFFICER | {P.CAMPAIGN_TARGETS_WRITE, P.ALLOWANCE_STATEMENTS_PREPARE}
    ),
    Role.TEAM_LEADER: frozenset(
        _PERSON
        | {
            P.MEMBERS_READ,
            P.MEMBERS_PERSONAL_DATA,
            P.MEMBERS_EXPORT,
            P.ACTIVITIES_READ,
            P.ACTIVITIES_RECORD,
            *_REQUESTER,
        }
    ),
    # A partner answers what is addressed to its organisation (the scope rules show it
    # nothing else): support requests, with their contact, and device referrals.
    Role.PARTNER: frozenset(
        _READ_ALL
        | {
            P.MEMBERS_READ,
            P.MEMBERS_EXPORT,
            P.ACTIVITIES_READ,
            P.ACTIVITIES_RECORD,
            P.EVENTS_READ,
            P.WEBHOOKS_MANAGE,
            P.SUPPORT_REQUESTS_ANSWER,
            P.SUPPORT_REQUESTS_CONTACT,
            P.DEVICE_REFERRALS_READ,
            P.DEVICE_REFERRALS_ANSWER,
        }
    ),
    Role.VIEWER: frozenset(
        _PERSON | {P.MEMBERS_READ, P.MEMBERS_EXPORT, P.EVENTS_READ, P.WEBHOOKS_MANAGE}
    ),
}

# Ranks for granting; partner and viewer have none and grant nothing.
RANK: dict[Role, int] = {
    Role.PROVINCE_ADMIN: 4,
    Role.DISTRICT_OFFICER: 3,
    Role.COMMUNE_OFFICER: 2,
    Role.TEAM_LEADER: 1,
}

# Roles each role may give to users it creates or edits (PERMISSIONS.md, user rows).
GRANTABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.PROVINCE_ADMIN: frozenset(Role),
    Role.DISTRICT_OFFICER: frozenset({Role.COMMUNE_OFFICER, Role.TEAM_LEADER, Role.VIEWER}),
    Role.COMMUNE_OFFICER: frozenset({Role.TEAM_LEADER, Role.VIEWER}),
    Role.TEAM_LEADER: frozenset(),
    Role.PARTNER: frozenset(),
    Role.VIEWER: frozenset(),
}

# The level a role's scope unit must have; None means any unit.
SCOPE_LEVELS: dict[Role, frozenset[UnitLevel] | None] = {
    Role.PROVINCE_ADMIN: frozenset({UnitLevel.PROVINCE}),
    Role.DISTRICT_OFFICER: frozenset({UnitLevel.DISTRICT}),
    Role.COMMUNE_OFFICER: frozenset({UnitLevel.COMMUNE}),
    Role.TEAM_LEADER: frozenset({UnitLevel.COMMUNE, UnitLevel.VILLAGE}),
    Role.PARTNER: None,
    Role.VIEWER: None,
}


class PrincipalKind(StrEnum):
    USER = "user"
    CLIENT = "client"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    name: str
    role: Role
    scope_unit_id: uuid.UUID | None  # None: the whole country (a national viewer)
    scope_path: str
    organisation: str | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    team_id: uuid.UUID | None = None  # a team leader's own team

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def subject(self) -> str:
        return f"{self.kind.value}:{self.id}"


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
