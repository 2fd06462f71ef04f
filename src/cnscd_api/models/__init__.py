"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from cnscd_api.models.audit import AuditEvent
from cnscd_api.models.base import utcnow
from cnscd_api.models.unit import DivisionType, LineageKind, Unit, UnitLevel, UnitLineage
from cnscd_api.models.user import ApiClient, LoginThrottle, RefreshToken, Role, User

__all__ = [
    "ApiClient",
    "AuditEvent",
    "DivisionType",
    "LineageKind",
    "LoginThrottle",
    "RefreshToken",
    "Role",
    "Unit",
    "UnitLevel",
    "UnitLineage",
    "User",
    "utcnow",
]
