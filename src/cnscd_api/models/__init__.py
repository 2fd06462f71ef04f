"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from cnscd_api.models.base import utcnow
from cnscd_api.models.unit import DivisionType, LineageKind, Unit, UnitLevel, UnitLineage

__all__ = ["DivisionType", "LineageKind", "Unit", "UnitLevel", "UnitLineage", "utcnow"]
