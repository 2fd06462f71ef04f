"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from cnscd_api.models.activity import (
    Activity,
    ActivityCategory,
    ActivityMember,
    ActivityStatus,
    ActivityValue,
)
from cnscd_api.models.audit import AuditAction, AuditEntity, AuditEvent, AuditSequence
from cnscd_api.models.base import Versioned, utcnow
from cnscd_api.models.campaign import (
    Campaign,
    CampaignCategory,
    CampaignIndicator,
    CampaignStatus,
    CampaignTarget,
    CampaignTargetSet,
    ContentCategory,
    Indicator,
    IndicatorCategory,
)
from cnscd_api.models.idempotency import IdempotencyRecord, IdempotencyState
from cnscd_api.models.stats import (
    StatReporting,
    StatTeamDay,
    StatTeamTotal,
    StatUnitDay,
)
from cnscd_api.models.team import (
    Affiliation,
    Gender,
    Member,
    Membership,
    SkillLevel,
    Team,
    TeamRole,
    TeamStatus,
)
from cnscd_api.models.unit import DivisionType, LineageKind, Unit, UnitLevel, UnitLineage
from cnscd_api.models.user import (
    ApiClient,
    LoginAddressBudget,
    LoginThrottle,
    RefreshToken,
    Role,
    User,
)

__all__ = [
    "Activity",
    "ActivityCategory",
    "ActivityMember",
    "ActivityStatus",
    "ActivityValue",
    "Affiliation",
    "ApiClient",
    "AuditAction",
    "AuditEntity",
    "AuditEvent",
    "AuditSequence",
    "Campaign",
    "CampaignCategory",
    "CampaignIndicator",
    "CampaignStatus",
    "CampaignTarget",
    "CampaignTargetSet",
    "ContentCategory",
    "DivisionType",
    "Gender",
    "IdempotencyRecord",
    "IdempotencyState",
    "Indicator",
    "IndicatorCategory",
    "LineageKind",
    "LoginAddressBudget",
    "LoginThrottle",
    "Member",
    "Membership",
    "RefreshToken",
    "Role",
    "SkillLevel",
    "StatReporting",
    "StatTeamDay",
    "StatTeamTotal",
    "StatUnitDay",
    "Team",
    "TeamRole",
    "TeamStatus",
    "Unit",
    "UnitLevel",
    "UnitLineage",
    "User",
    "Versioned",
    "utcnow",
]
